// Package audit is how people read the register's audit trail: the one
// query language the API, the CLI (through the API) and the console share,
// events named by who made them, and the two export formats, JSON lines
// and CSV.
package audit

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/regno"
)

// MaxPage is the most events one page holds.
const MaxPage = 1000

// Query is a filter of the audit trail as people write it: the query
// parameters of GET /v1/audit, /v1/audit/export and /console/audit.
type Query struct {
	// Registrant is a registration number.
	Registrant string
	// Actor is a staff member's or integration's name (or part of it),
	// or a staff account or token id.
	Actor string
	// Action is an action exactly, such as "registrant.suspend".
	Action string
	// From and To are dates (YYYY-MM-DD, whole days in UTC) or times
	// (RFC 3339), both inclusive.
	From, To string
	After    uint64
	Limit    int
}

// ParseValues reads a Query from URL query parameters.
func ParseValues(v url.Values) (Query, error) {
	q := Query{Registrant: v.Get("registrant"), Actor: v.Get("actor"), Action: v.Get("action"), From: v.Get("from"), To: v.Get("to")}
	if s := v.Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return q, fmt.Errorf("%w: after must be a log index (a whole number)", register.ErrInvalid)
		}
		q.After = n
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPage {
			return q, fmt.Errorf("%w: limit must be between 1 and %d", register.ErrInvalid, MaxPage)
		}
		q.Limit = n
	}
	return q, nil
}

// Values is q as query parameters, without the empty ones.
func (q Query) Values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"registrant": q.Registrant, "actor": q.Actor, "action": q.Action, "from": q.From, "to": q.To} {
		if s = strings.TrimSpace(s); s != "" {
			v.Set(k, s)
		}
	}
	if q.After > 0 {
		v.Set("after", strconv.FormatUint(q.After, 10))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

var actionPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Filter turns q into the state's filter, resolving the actor's name
// against st (which may be nil when q names no actor, to check q alone).
// Limit defaults to MaxPage.
func (q Query) Filter(st *state.Store) (state.AuditFilter, error) {
	f := state.AuditFilter{After: q.After, Limit: q.Limit}
	if f.Limit == 0 {
		f.Limit = MaxPage
	}
	if s := strings.TrimSpace(q.Registrant); s != "" {
		n, err := regno.Parse(s)
		if err != nil {
			// Invalid as well, for the console's table of errors.
			return f, fmt.Errorf("%w: registrant: %w", register.ErrInvalid, err)
		}
		f.Registrant = n
	}
	if s := strings.TrimSpace(q.Action); s != "" {
		if !actionPattern.MatchString(s) {
			return f, fmt.Errorf("%w: action %q is not an action name such as registrant.suspend", register.ErrInvalid, clip(s))
		}
		f.Action = s
	}
	if s := strings.TrimSpace(q.Actor); s != "" {
		if len(s) > 200 {
			return f, fmt.Errorf("%w: actor is longer than 200 characters; give a name or part of one", register.ErrInvalid)
		}
		ks, err := st.ActorsNamed(s)
		if err != nil {
			return f, err
		}
		f.Actors = ks
	}
	var err error
	if f.From, err = parseTime("from", q.From, false); err != nil {
		return f, err
	}
	if f.To, err = parseTime("to", q.To, true); err != nil {
		return f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return f, fmt.Errorf("%w: from (%s) is after to (%s); swap them", register.ErrInvalid, q.From, q.To)
	}
	return f, nil
}

// parseTime reads a date or an RFC 3339 time. A date ends at the end of
// its day when it closes a range, so that to=2026-03-31 includes the 31st.
func parseTime(name, s string, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			d = d.Add(24*time.Hour - time.Nanosecond)
		}
		return d, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%w: %s must be a date as YYYY-MM-DD (or a time as 2026-03-31T17:00:00Z), not %q", register.ErrInvalid, name, clip(s))
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// Event is an audit event with the name of who made it.
type Event struct {
	*register.AuditEvent
	// ActorName is the person or integration behind Actor.
	ActorName string `json:"actor_name"`
}

// Named gives each event the name of its actor.
func Named(st *state.Store, evs []*register.AuditEvent) []Event {
	out := make([]Event, 0, len(evs))
	names := map[register.Actor]string{}
	for _, ev := range evs {
		n, ok := names[ev.Actor]
		if !ok {
			n = st.ActorName(ev.Actor)
			names[ev.Actor] = n
		}
		out = append(out, Event{AuditEvent: ev, ActorName: n})
	}
	return out
}

// Formats of an export.
const (
	FormatJSONLines = "jsonl"
	FormatCSV       = "csv"
)

// ParseFormat reads an export format; empty is JSON lines.
func ParseFormat(s string) (string, error) {
	switch s {
	case "", FormatJSONLines, "ndjson", "json":
		return FormatJSONLines, nil
	case FormatCSV:
		return FormatCSV, nil
	}
	return "", fmt.Errorf("%w: format must be jsonl or csv, not %q", register.ErrInvalid, clip(s))
}

// ContentType is the media type of an export format.
func ContentType(format string) string {
	if format == FormatCSV {
		return "text/csv; charset=utf-8"
	}
	return "application/x-ndjson"
}

// Write writes evs in format.
func Write(w io.Writer, format string, evs []Event) error {
	if format == FormatCSV {
		return WriteCSV(w, evs)
	}
	enc := json.NewEncoder(w)
	for _, ev := range evs {
		if err := enc.Encode(ev); err != nil {
			return err
		}
	}
	return nil
}

// CSVHeader names the columns of a CSV export.
var CSVHeader = []string{"index", "seq", "at", "actor_name", "actor_role", "actor_staff", "actor_token", "action", "registrant", "target", "reason", "details"}

// WriteCSV writes evs as CSV (RFC 4180), one event a row. Every cell is
// made safe to open in a spreadsheet: see SafeCell.
func WriteCSV(w io.Writer, evs []Event) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, ev := range evs {
		var details []string
		for _, k := range slices.Sorted(maps.Keys(ev.Details)) {
			details = append(details, k+"="+ev.Details[k])
		}
		row := []string{strconv.FormatUint(ev.Index, 10), strconv.FormatUint(uint64(ev.Seq), 10), ev.At.UTC().Format(time.RFC3339Nano),
			ev.ActorName, string(ev.Actor.Role), ev.Actor.Staff, ev.Actor.TokenID, ev.Action, ev.Registrant, ev.Target, ev.Reason, strings.Join(details, "; ")}
		for i := range row {
			row[i] = SafeCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// SafeCell defuses a cell that a spreadsheet would read as a formula
// (CSV injection, OWASP): text that begins with =, +, -, @, a tab or a
// carriage return gets a leading apostrophe, which spreadsheets show as
// text and do not evaluate. Reasons and names are typed by people and
// imported from elsewhere, so any of them may begin that way.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return "'" + s
	}
	// Full-width forms of the same characters, which some spreadsheets
	// also take for a formula.
	for _, p := range []string{"＝", "＋", "－", "＠"} {
		if strings.HasPrefix(s, p) {
			return "'" + s
		}
	}
	return s
}
