package cli

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/issuer/bulkimport"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// importResult is what `registrant import --json` prints.
type importResult struct {
	DryRun   bool                 `json:"dry_run"`
	Imported bool                 `json:"imported"`
	Problems []bulkimport.Problem `json:"problems"`
	Outcomes []bulkimport.Outcome `json:"outcomes"`
	Snapshot bool                 `json:"snapshot"`
}

type importCall struct {
	Records []register.Imported `json:"records"`
	bulkimport.Options
	Last bool `json:"last,omitempty"`
}

type importReply struct {
	bulkimport.Report
	Snapshot bool `json:"snapshot"`
}

func (a *app) registrantImportCmd() *cobra.Command {
	var opts bulkimport.Options
	c := &cobra.Command{
		Use:   "import FILE.csv [--dry-run] [--allow-duplicates]",
		Short: "Move an existing register in from a CSV file (see docs/import.md)",
		Long: `Import registrants kept until now in another register.

Every row is checked first; if any row is bad, every bad row is listed by
line number and nothing is imported. Rows whose external_ref is already on
the register are skipped, so running the same file again adds nobody twice.
Likely duplicates (same name and email as someone on the register, or as an
earlier row) are listed and left out unless --allow-duplicates.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return withCode(ExitCannot, fmt.Errorf("opening the import file: %w", err))
			}
			defer f.Close()
			recs, problems, err := bulkimport.ReadCSV(f)
			if err != nil {
				return withCode(ExitRefused, fmt.Errorf("%s: %w", args[0], err))
			}
			keep, within, dups := bulkimport.WithinFile(recs, opts.AllowDuplicates)
			res := importResult{DryRun: opts.DryRun, Problems: append(problems, within...), Outcomes: dups}
			// Check everything before changing anything, so that one bad
			// row in the middle never leaves half a register imported.
			for _, chunk := range chunks(keep) {
				var rep importReply
				check := importCall{Records: chunk, Options: bulkimport.Options{DryRun: true, AllowDuplicates: opts.AllowDuplicates}}
				if err := a.call(cmd, http.MethodPost, "/v1/registrants/import", check, &rep); err != nil {
					return err
				}
				res.Problems = append(res.Problems, rep.Problems...)
				if opts.DryRun {
					res.Outcomes = append(res.Outcomes, rep.Outcomes...)
				}
			}
			slices.SortFunc(res.Problems, func(x, y bulkimport.Problem) int { return x.Line - y.Line })
			if len(res.Problems) > 0 || opts.DryRun {
				return a.reportImport(res)
			}
			parts := chunks(keep)
			for i, chunk := range parts {
				var rep importReply
				call := importCall{Records: chunk, Options: opts, Last: i == len(parts)-1}
				if err := a.call(cmd, http.MethodPost, "/v1/registrants/import", call, &rep); err != nil {
					return fmt.Errorf("import stopped at line %d (rows before it are imported; running the same file again continues where it stopped): %w", chunk[0].Line, err)
				}
				res.Outcomes = append(res.Outcomes, rep.Outcomes...)
				res.Snapshot = rep.Snapshot
			}
			res.Imported = true
			return a.reportImport(res)
		},
	}
	c.Flags().BoolVar(&opts.DryRun, "dry-run", false, "check every row and report what would happen; change nothing")
	c.Flags().BoolVar(&opts.AllowDuplicates, "allow-duplicates", false, "import likely duplicates instead of leaving them out")
	return c
}

// chunks splits records into calls the API accepts.
func chunks(recs []register.Imported) [][]register.Imported {
	var out [][]register.Imported
	for start := 0; start < len(recs); start += bulkimport.MaxRecords {
		out = append(out, recs[start:min(start+bulkimport.MaxRecords, len(recs))])
	}
	return out
}

func (a *app) reportImport(res importResult) error {
	if res.Problems == nil {
		res.Problems = []bulkimport.Problem{}
	}
	if res.Outcomes == nil {
		res.Outcomes = []bulkimport.Outcome{}
	}
	slices.SortFunc(res.Outcomes, func(x, y bulkimport.Outcome) int { return x.Line - y.Line })
	rep := bulkimport.Report{Problems: res.Problems, Outcomes: res.Outcomes}
	err := a.render(res, func(w io.Writer) {
		for _, p := range res.Problems {
			fmt.Fprintln(w, p)
		}
		for _, o := range res.Outcomes {
			if o.Outcome != fsm.ImportDuplicate {
				continue
			}
			if o.DuplicateOfLine != 0 {
				fmt.Fprintf(w, "line %d (%s): likely duplicate of line %d (same name and email); left out\n", o.Line, o.ExternalRef, o.DuplicateOfLine)
			} else {
				fmt.Fprintf(w, "line %d (%s): likely duplicate of %s (same name and email); left out\n", o.Line, o.ExternalRef, o.Number)
			}
		}
		verb := map[bool]string{true: "would be", false: "were"}[res.DryRun]
		switch {
		case len(res.Problems) > 0:
			fmt.Fprintf(w, "%d bad row(s); nothing was imported. Fix them and run again.\n", len(res.Problems))
		default:
			fmt.Fprintf(w, "%d registrant(s) %s added, %d %s already imported, %d likely duplicate(s) %s left out.\n",
				rep.Count(fsm.ImportAdded), verb, rep.Count(fsm.ImportExisting), verb, rep.Count(fsm.ImportDuplicate), verb)
			if rep.Count(fsm.ImportDuplicate) > 0 {
				fmt.Fprintln(w, "Check each likely duplicate; to import them anyway, run again with --allow-duplicates.")
			}
		}
	})
	if err != nil {
		return err
	}
	if len(res.Problems) > 0 {
		return &reportedError{code: ExitRefused}
	}
	return nil
}
