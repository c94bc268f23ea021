// Package bulkimport moves an existing register in: it reads the records
// another register kept (a CSV file, docs/import.md), checks every one
// against the register's rules and what is already on the register, and
// applies them through the log in batches.
//
// Both the command line and the HTTP API use it: the command line reads
// the file and sends its records in chunks; the API checks and applies them.
package bulkimport

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/nalw/linkpass/issuer/register"
)

// Columns of the CSV file. restriction and qualification may appear more
// than once; every other column at most once.
const (
	ColExternalRef     = "external_ref"
	ColGiven           = "given_name"
	ColFamily          = "family_name"
	ColNation          = "nation"
	ColEmail           = "email"
	ColRegisteredFrom  = "registered_from"
	ColRegisteredUntil = "registered_until"
	ColStatus          = "status"
	ColStatusReason    = "status_reason"
	ColRestriction     = "restriction"
	ColQualification   = "qualification"
)

var requiredColumns = []string{ColExternalRef, ColGiven, ColFamily, ColNation, ColRegisteredFrom, ColRegisteredUntil, ColStatus}

var knownColumns = map[string]bool{
	ColExternalRef: true, ColGiven: true, ColFamily: true, ColNation: true, ColEmail: true,
	ColRegisteredFrom: true, ColRegisteredUntil: true, ColStatus: true, ColStatusReason: true,
	ColRestriction: true, ColQualification: true,
}

// Problem is a record that cannot be imported, and why.
type Problem struct {
	Line        int    `json:"line"`
	ExternalRef string `json:"external_ref,omitempty"`
	Message     string `json:"message"`
}

func (p Problem) String() string {
	if p.ExternalRef != "" {
		return fmt.Sprintf("line %d (%s): %s", p.Line, p.ExternalRef, p.Message)
	}
	return fmt.Sprintf("line %d: %s", p.Line, p.Message)
}

// ErrHeader means the file's first line is not a header the import knows.
var ErrHeader = errors.New("bad header")

// ReadCSV reads a register export. It returns the records it could read
// and a problem for every line it could not; a file it cannot read at all
// (no header, unknown columns) is an error wrapping ErrHeader.
//
// ReadCSV checks the shape of each line (columns, numbers). The register's
// own rules (names, dates, statuses) are checked by Check, so that they
// live in one place.
func ReadCSV(r io.Reader) ([]register.Imported, []Problem, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: cannot read the first line, which must name the columns (%s): %v", ErrHeader, strings.Join(requiredColumns, ", "), err)
	}
	cols, err := readHeader(header)
	if err != nil {
		return nil, nil, err
	}
	var recs []register.Imported
	var problems []Problem
	for {
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			problems = append(problems, Problem{Line: line, Message: fmt.Sprintf("cannot read the rest of the file from here: %v; fix the quoting and run again", err)})
			break
		}
		if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
			continue // a blank line
		}
		if len(fields) != len(header) {
			problems = append(problems, Problem{Line: line, Message: fmt.Sprintf("has %d columns, the header has %d", len(fields), len(header))})
			continue
		}
		m, err := cols.record(fields)
		m.Line = line
		if err != nil {
			problems = append(problems, Problem{Line: line, ExternalRef: m.ExternalRef, Message: err.Error()})
			continue
		}
		recs = append(recs, m)
	}
	return recs, problems, nil
}

// columns maps column names to their positions.
type columns struct {
	one  map[string]int
	many map[string][]int
}

func readHeader(header []string) (*columns, error) {
	c := &columns{one: map[string]int{}, many: map[string][]int{}}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // spreadsheets write a byte-order mark
		}
		h = strings.ToLower(strings.TrimSpace(h))
		if !knownColumns[h] {
			return nil, fmt.Errorf("%w: unknown column %q; the columns are %s (see docs/import.md)", ErrHeader, h, strings.Join(columnNames(), ", "))
		}
		if h == ColRestriction || h == ColQualification {
			c.many[h] = append(c.many[h], i)
			continue
		}
		if _, dup := c.one[h]; dup {
			return nil, fmt.Errorf("%w: column %q appears twice; only restriction and qualification may repeat", ErrHeader, h)
		}
		c.one[h] = i
	}
	var missing []string
	for _, h := range requiredColumns {
		if _, ok := c.one[h]; !ok {
			missing = append(missing, h)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: missing column(s) %s", ErrHeader, strings.Join(missing, ", "))
	}
	return c, nil
}

func columnNames() []string {
	return []string{ColExternalRef, ColGiven, ColFamily, ColNation, ColEmail, ColRegisteredFrom, ColRegisteredUntil, ColStatus, ColStatusReason, ColRestriction, ColQualification}
}

func (c *columns) get(fields []string, col string) string {
	i, ok := c.one[col]
	if !ok {
		return ""
	}
	return strings.TrimSpace(fields[i])
}

func (c *columns) record(fields []string) (register.Imported, error) {
	m := register.Imported{
		ExternalRef: c.get(fields, ColExternalRef),
		Given:       c.get(fields, ColGiven), Family: c.get(fields, ColFamily),
		// "Northern Ireland" as a person writes it is the register's
		// northern-ireland.
		Nation:          strings.ReplaceAll(strings.ToLower(c.get(fields, ColNation)), " ", "-"),
		Email:           c.get(fields, ColEmail),
		RegisteredFrom:  register.Date(c.get(fields, ColRegisteredFrom)),
		RegisteredUntil: register.Date(c.get(fields, ColRegisteredUntil)),
		Status:          register.Status(strings.ToLower(c.get(fields, ColStatus))),
		StatusReason:    c.get(fields, ColStatusReason),
	}
	for _, i := range c.many[ColRestriction] {
		if t := strings.TrimSpace(fields[i]); t != "" {
			m.Restrictions = append(m.Restrictions, t)
		}
	}
	for n, i := range c.many[ColQualification] {
		t := strings.TrimSpace(fields[i])
		if t == "" {
			continue
		}
		q, err := parseQualification(t)
		if err != nil {
			return m, fmt.Errorf("qualification column %d: %w", n+1, err)
		}
		m.Qualifications = append(m.Qualifications, q)
	}
	return m, nil
}

// parseQualification reads "title | level | provider | accreditation |
// awarded".
func parseQualification(s string) (register.Qualification, error) {
	parts := strings.Split(s, "|")
	if len(parts) != 5 {
		return register.Qualification{}, fmt.Errorf("%q must be five parts separated by |: title | level | provider | accreditation | awarded (YYYY-MM-DD)", s)
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	level, err := strconv.Atoi(parts[1])
	if err != nil {
		return register.Qualification{}, fmt.Errorf("level %q is not a number like 4", parts[1])
	}
	return register.Qualification{Title: parts[0], Level: level, Provider: parts[2], Accreditation: strings.ToLower(parts[3]), Awarded: register.Date(parts[4])}, nil
}
