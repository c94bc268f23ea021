package bulkimport

import (
	"context"
	"fmt"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

// BatchSize is how many records one log entry carries: large enough that
// a register of 100,000 moves in within seconds, small enough that one
// entry stays well under a megabyte.
const BatchSize = 1000

// MaxRecords is how many records one call of Import may carry; the command
// line sends a larger file in chunks of this size.
const MaxRecords = 2000

// Register is what an import needs of the register.
type Register interface {
	Apply(ctx context.Context, actor register.Actor, cmd fsm.Command) (any, error)
	State() *state.Store
}

// Options control an import.
type Options struct {
	// DryRun checks everything and changes nothing.
	DryRun bool `json:"dry_run,omitempty"`
	// AllowDuplicates imports likely duplicates instead of leaving them out.
	AllowDuplicates bool `json:"allow_duplicates,omitempty"`
}

// Outcome is what became (or, in a dry run, would become) of one record.
type Outcome struct {
	fsm.ImportOutcome
	// DuplicateOfLine is the earlier line of the same file a likely
	// duplicate repeats.
	DuplicateOfLine int `json:"duplicate_of_line,omitempty"`
}

// Report is the result of checking or importing records.
type Report struct {
	// Problems are records that cannot be imported. When there are any,
	// nothing is imported.
	Problems []Problem `json:"problems"`
	Outcomes []Outcome `json:"outcomes"`
}

// Count returns how many outcomes are of kind (fsm.ImportAdded, ...).
func (r *Report) Count(kind string) int {
	n := 0
	for _, o := range r.Outcomes {
		if o.Outcome == kind {
			n++
		}
	}
	return n
}

// WithinFile checks records against each other: an external reference
// must not repeat, and a likely duplicate of an earlier record is left out
// unless allowDuplicates. It returns the records still to import.
func WithinFile(recs []register.Imported, allowDuplicates bool) ([]register.Imported, []Problem, []Outcome) {
	refs := map[string]int{}
	keys := map[string]int{}
	var problems []Problem
	var dups []Outcome
	keep := make([]register.Imported, 0, len(recs))
	for _, m := range recs {
		if prev, ok := refs[m.ExternalRef]; ok && m.ExternalRef != "" {
			problems = append(problems, Problem{Line: m.Line, ExternalRef: m.ExternalRef,
				Message: fmt.Sprintf("external reference is also on line %d; each person needs their own", prev)})
			continue
		}
		refs[m.ExternalRef] = m.Line
		k := register.DuplicateKey(m.Given, m.Family, m.Email)
		if prev, ok := keys[k]; ok && k != "" && !allowDuplicates {
			dups = append(dups, Outcome{ImportOutcome: fsm.ImportOutcome{Line: m.Line, ExternalRef: m.ExternalRef, Outcome: fsm.ImportDuplicate}, DuplicateOfLine: prev})
			continue
		}
		keys[k] = m.Line
		keep = append(keep, m)
	}
	return keep, problems, dups
}

// Check reports what importing recs would do, changing nothing.
func Check(st *state.Store, recs []register.Imported, allowDuplicates bool) Report {
	rep := Report{Problems: []Problem{}}
	valid := make([]register.Imported, 0, len(recs))
	for _, m := range recs {
		if err := m.Validate(); err != nil {
			rep.Problems = append(rep.Problems, Problem{Line: m.Line, ExternalRef: m.ExternalRef, Message: err.Error()})
			continue
		}
		valid = append(valid, m)
	}
	keep, problems, dups := WithinFile(valid, allowDuplicates)
	rep.Problems = append(rep.Problems, problems...)
	rep.Outcomes = append([]Outcome{}, dups...)
	for _, m := range keep {
		o := Outcome{ImportOutcome: fsm.ImportOutcome{Line: m.Line, ExternalRef: m.ExternalRef, Outcome: fsm.ImportAdded}}
		if prev, err := st.RegistrantByExternalRef(m.ExternalRef); err == nil && prev != nil {
			o.Outcome, o.Number = fsm.ImportExisting, prev.Number
		} else if dup, err := st.LikelyDuplicate(register.DuplicateKey(m.Given, m.Family, m.Email)); err == nil && dup != nil && !allowDuplicates {
			o.Outcome, o.Number = fsm.ImportDuplicate, dup.Number
		}
		rep.Outcomes = append(rep.Outcomes, o)
	}
	return rep
}

// Import checks recs and, unless opts.DryRun or a record has a problem,
// applies them in batches of BatchSize, each one log entry. The report
// says what became of every record.
func Import(ctx context.Context, reg Register, actor register.Actor, recs []register.Imported, opts Options) (Report, error) {
	if len(recs) > MaxRecords {
		return Report{}, fmt.Errorf("%w: %d records in one call; send at most %d at a time", register.ErrInvalid, len(recs), MaxRecords)
	}
	rep := Check(reg.State(), recs, opts.AllowDuplicates)
	if opts.DryRun {
		return rep, nil
	}
	if len(rep.Problems) > 0 {
		return rep, fmt.Errorf("%w: %d record(s) cannot be imported, so none were; the first is %s. A dry run lists them all", register.ErrInvalid, len(rep.Problems), rep.Problems[0])
	}
	keep, _, dups := WithinFile(recs, opts.AllowDuplicates)
	done := Report{Problems: []Problem{}, Outcomes: dups}
	for start := 0; start < len(keep); start += BatchSize {
		batch := keep[start:min(start+BatchSize, len(keep))]
		res, err := reg.Apply(ctx, actor, fsm.ImportRegistrants{Records: batch, AllowDuplicates: opts.AllowDuplicates})
		if err != nil {
			return done, fmt.Errorf("importing records from line %d: %w", batch[0].Line, err)
		}
		for _, o := range res.([]fsm.ImportOutcome) {
			done.Outcomes = append(done.Outcomes, Outcome{ImportOutcome: o})
		}
	}
	return done, nil
}
