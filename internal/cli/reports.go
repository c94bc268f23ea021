package cli

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/reports"
)

func (a *app) reportCmd() *cobra.Command {
	c := &cobra.Command{Use: "report", Short: "Reports for the Professional Standards Authority"}
	var from, to string
	var csv bool
	psa := &cobra.Command{
		Use:   "psa [--from DATE] [--to DATE] [--csv]",
		Short: "The PSA report for a period (default: this year so far), from the audit trail alone",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			if from != "" {
				q.Set("from", from)
			}
			if to != "" {
				q.Set("to", to)
			}
			if csv {
				cl, err := a.client()
				if err != nil {
					return err
				}
				return classify(cl.Stream(cmd.Context(), "/v1/reports/psa/export?"+q.Encode(), a.stdout))
			}
			var r reports.Report
			if err := a.call(cmd, http.MethodGet, "/v1/reports/psa?"+q.Encode(), nil, &r); err != nil {
				return err
			}
			return a.render(r, func(w io.Writer) { printReport(w, &r) })
		},
	}
	psa.Flags().StringVar(&from, "from", "", "first day, YYYY-MM-DD (default 1 January this year)")
	psa.Flags().StringVar(&to, "to", "", "last day, YYYY-MM-DD (default today)")
	psa.Flags().BoolVar(&csv, "csv", false, "write CSV for a spreadsheet instead")
	c.AddCommand(psa)
	return c
}

func printReport(w io.Writer, r *reports.Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "PSA report, %s to %s (from the audit trail)\n\n", r.From, r.To)
	ap := r.Applications
	fmt.Fprintf(tw, "Applications\treceived %d\tmore information asked %d\tapproved %d\trefused %d\tappealed %d (upheld %d, dismissed %d)\n",
		ap.Received, ap.InformationRequested, ap.Approved, ap.Refused, ap.Appealed, ap.AppealsUpheld, ap.AppealsDismissed)
	fmt.Fprintf(tw, "  days to decision\tmedian %g\tlongest %g\t(%d decided)\n", ap.DaysToDecision.MedianDays, ap.DaysToDecision.MaxDays, ap.DaysToDecision.Count)
	g := r.Registrations
	fmt.Fprintf(tw, "Registrations\tadded %d\timported %d\trenewed %d\tlapsed %d\n", g.Added, g.Imported, g.Renewed, g.Lapsed)
	fmt.Fprintf(tw, "Fitness to practise\tsuspended %d\treinstated %d\trestricted %d\tremoved %d\n", g.Suspended, g.Reinstated, g.Restricted, g.Removed)
	fmt.Fprintf(tw, "  decision to publication\tmedian %g days\tlongest %g days\t(%d decisions)\n", r.DecisionToPublication.MedianDays, r.DecisionToPublication.MaxDays, r.DecisionToPublication.Count)
	fmt.Fprintf(tw, "CPD audits\tdrawn %d\tpassed %d\tfailed %d\n", r.CPDAudits.Drawn, r.CPDAudits.Passed, r.CPDAudits.Failed)
	tw.Flush()
	for _, set := range []struct {
		name string
		list []reports.Displayed
	}{{"Suspensions displayed", r.Suspensions}, {"Removals displayed", r.Removals}} {
		fmt.Fprintf(w, "\n%s: %d\n", set.name, len(set.list))
		for _, d := range set.list {
			until := "still shown"
			if !d.Until.IsZero() {
				until = "until " + d.Until.Format("2006-01-02")
			}
			fmt.Fprintf(w, "  %s  from %s, %s: %g days in the period\n", d.Registrant, d.From.Format("2006-01-02"), until, d.Days)
		}
	}
}

func (a *app) cpdAuditCmd() *cobra.Command {
	c := &cobra.Command{Use: "cpd-audit", Short: "The yearly CPD audit: draw, outcomes, re-run"}
	var year int
	var share float64
	draw := &cobra.Command{
		Use:   "draw --year YEAR [--share 0.025]",
		Short: "Draw a share (default 2.5%) of the year's renewals and email them for evidence",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res struct {
				Year     int                  `json:"year"`
				Share    float64              `json:"share"`
				Seed     string               `json:"seed"`
				Renewals int                  `json:"renewals"`
				Digest   string               `json:"population_sha256"`
				Drawn    []*register.CPDAudit `json:"drawn"`
			}
			if err := a.call(cmd, http.MethodPost, "/v1/cpd-audits", map[string]any{"year": year, "share": share}, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				fmt.Fprintf(w, "Drew %d of %d renewals in %d (share %g).\nSeed %s\nPopulation SHA-256 %s\n", len(res.Drawn), res.Renewals, res.Year, res.Share, res.Seed, res.Digest)
				for _, d := range res.Drawn {
					fmt.Fprintf(w, "  %s  asked for evidence\n", d.Registrant)
				}
				fmt.Fprintf(w, "Anyone can re-run the draw: linkpass cpd-audit verify %d\n", res.Year)
			})
		},
	}
	draw.Flags().IntVar(&year, "year", 0, "the renewal year to audit (required)")
	draw.Flags().Float64Var(&share, "share", register.DefaultCPDAuditShare, "share of renewals to draw, above 0 and at most 1")
	_ = draw.MarkFlagRequired("year")

	list := &cobra.Command{
		Use:   "list YEAR",
		Short: "A year's CPD audits and their outcomes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			y, err := yearArg(args[0])
			if err != nil {
				return err
			}
			var res struct {
				Audits []*register.CPDAudit `json:"audits"`
			}
			if err := a.call(cmd, http.MethodGet, "/v1/cpd-audits/"+strconv.Itoa(y), nil, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NUMBER\tSTATE\tDRAWN\tNOTE")
				for _, d := range res.Audits {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Registrant, d.State, d.DrawnAt.Format("2006-01-02"), d.Note)
				}
				tw.Flush()
				fmt.Fprintf(w, "%d audit(s) in %d\n", len(res.Audits), y)
			})
		},
	}

	var passed, failed bool
	var note string
	outcome := &cobra.Command{
		Use:   "outcome YEAR REGNO (--passed | --failed --note TEXT)",
		Short: "Record the outcome of one registrant's CPD audit",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			y, err := yearArg(args[0])
			if err != nil {
				return err
			}
			n, err := regnoArg(args[1])
			if err != nil {
				return err
			}
			if passed == failed {
				return withCode(ExitCannot, errors.New("pass exactly one of --passed or --failed"))
			}
			var res register.CPDAudit
			if err := a.call(cmd, http.MethodPost, "/v1/cpd-audits/"+strconv.Itoa(y)+"/"+n+"/outcome", map[string]any{"passed": passed, "note": note}, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				fmt.Fprintf(w, "CPD audit %d of %s: %s.\n", res.Year, res.Registrant, res.State)
				if res.State == register.CPDAuditFailed {
					fmt.Fprintln(w, "A failed audit changes nothing by itself: restrict or remove through the usual commands if the rules call for it.")
				}
			})
		},
	}
	outcome.Flags().BoolVar(&passed, "passed", false, "the evidence meets the CPD rule")
	outcome.Flags().BoolVar(&failed, "failed", false, "it does not (give --note)")
	outcome.Flags().StringVar(&note, "note", "", "what was seen or missing (required for --failed)")

	verify := &cobra.Command{
		Use:   "verify YEAR",
		Short: "Re-run a year's draw from the audit trail alone and compare",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			y, err := yearArg(args[0])
			if err != nil {
				return err
			}
			var v struct {
				OK       bool     `json:"ok"`
				Seed     string   `json:"seed"`
				Share    float64  `json:"share"`
				Renewals int      `json:"renewals"`
				Drawn    []string `json:"drawn"`
				Recorded []string `json:"recorded_drawn"`
			}
			if err := a.call(cmd, http.MethodGet, "/v1/cpd-audits/"+strconv.Itoa(y)+"/verify", nil, &v); err != nil {
				return err
			}
			if err := a.render(v, func(w io.Writer) {
				fmt.Fprintf(w, "Re-ran the %d draw with seed %s, share %g, over %d renewals: drew %s.\n", y, v.Seed, v.Share, v.Renewals, strings.Join(v.Drawn, " "))
				if v.OK {
					fmt.Fprintln(w, "It matches the draw recorded.")
				} else {
					fmt.Fprintf(w, "It DOES NOT match the draw recorded (%s).\n", strings.Join(v.Recorded, " "))
				}
			}); err != nil {
				return err
			}
			if !v.OK {
				return withCode(ExitRefused, errors.New("the re-run draw does not match the recorded one"))
			}
			return nil
		},
	}
	c.AddCommand(draw, list, outcome, verify)
	return c
}

func yearArg(s string) (int, error) {
	y, err := strconv.Atoi(s)
	if err != nil || y < 2000 || y > 9999 {
		return 0, withCode(ExitCannot, fmt.Errorf("%q is not a year; give four digits, e.g. 2026", s))
	}
	return y, nil
}
