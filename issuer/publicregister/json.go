package publicregister

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// The public register's answers are the busiest JSON the register writes:
// a name search returns up to 50 entries. encoding/json finds each field
// by reflection and indents by scanning its own output a second time,
// which cost more than the search itself. These write the same bytes as
// json.MarshalIndent(v, "", "  ") directly (TestAppendJSONIsMarshalIndent
// holds them to it), so a client sees no difference.

// AppendJSON appends r as json.MarshalIndent(r, "", "  ") writes it.
func (r *SearchResult) AppendJSON(b []byte) []byte {
	w := jsonWriter{b: b}
	w.open('{')
	w.str("register", r.Register)
	w.key("quality_mark")
	w.qualityMark(&r.QualityMark)
	w.str("query", r.Query)
	w.key("results")
	if r.Results == nil {
		w.raw("null")
	} else {
		w.open('[')
		for i := range r.Results {
			w.elem()
			w.entry(&r.Results[i])
		}
		w.close(']')
	}
	w.int("total", r.Total)
	if r.TotalAtLeast {
		w.bool("total_at_least", true)
	}
	w.bool("refine", r.Refine)
	w.bool("truncated", r.Truncated)
	w.str("checked_at", r.CheckedAt)
	w.close('}')
	return w.b
}

// AppendJSON appends r as json.MarshalIndent(r, "", "  ") writes it.
func (r *EntryResult) AppendJSON(b []byte) []byte {
	w := jsonWriter{b: b}
	w.open('{')
	w.str("register", r.Register)
	w.key("quality_mark")
	w.qualityMark(&r.QualityMark)
	w.key("entry")
	w.entry(&r.Entry)
	w.str("checked_at", r.CheckedAt)
	w.close('}')
	return w.b
}

func (w *jsonWriter) qualityMark(q *QualityMark) {
	w.open('{')
	w.bool("held", q.Held)
	w.omitEmpty("until", string(q.Until))
	w.omitEmpty("reference", q.Reference)
	w.close('}')
}

func (w *jsonWriter) entry(e *Entry) {
	w.open('{')
	w.str("registration_number", e.RegistrationNumber)
	w.str("name", e.Name)
	w.str("status", e.Status)
	w.str("status_since", e.StatusSince)
	w.omitEmpty("suspended_until", string(e.SuspendedUntil))
	w.strs("restrictions", e.Restrictions)
	w.str("nation", e.Nation)
	w.omitEmpty("registered_until", string(e.RegisteredUntil))
	w.omitEmpty("removed_on", string(e.RemovedOn))
	w.bool("may_practise", e.MayPractise)
	w.omitEmpty("lapses_on", string(e.LapsesOn))
	w.strs("qualifications", e.Qualifications)
	w.close('}')
}

// jsonWriter appends indented JSON: each member or element on a line of
// its own, two spaces a level, empty objects and arrays as {} and [].
type jsonWriter struct {
	b     []byte
	depth int
	// empty is true while the innermost object or array has no member.
	empty bool
}

func (w *jsonWriter) open(c byte) {
	w.b = append(w.b, c)
	w.depth++
	w.empty = true
}

func (w *jsonWriter) close(c byte) {
	w.depth--
	if !w.empty {
		w.newline()
	}
	w.b = append(w.b, c)
	w.empty = false
}

// elem starts a member or an element on its own line.
func (w *jsonWriter) elem() {
	if !w.empty {
		w.b = append(w.b, ',')
	}
	w.empty = false
	w.newline()
}

func (w *jsonWriter) newline() {
	w.b = append(w.b, '\n')
	for range w.depth {
		w.b = append(w.b, "  "...)
	}
}

func (w *jsonWriter) key(k string) {
	w.elem()
	w.b = appendString(w.b, k)
	w.b = append(w.b, ": "...)
}

func (w *jsonWriter) raw(s string) { w.b = append(w.b, s...) }

func (w *jsonWriter) str(k, v string) {
	w.key(k)
	w.b = appendString(w.b, v)
}

func (w *jsonWriter) omitEmpty(k, v string) {
	if v != "" {
		w.str(k, v)
	}
}

func (w *jsonWriter) bool(k string, v bool) {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
}

func (w *jsonWriter) int(k string, v int) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, int64(v), 10)
}

func (w *jsonWriter) strs(k string, v []string) {
	w.key(k)
	if v == nil {
		w.raw("null")
		return
	}
	w.open('[')
	for _, s := range v {
		w.elem()
		w.b = appendString(w.b, s)
	}
	w.close(']')
}

// appendString appends s quoted as encoding/json quotes it. Names and
// dates need no escapes, so they are copied as they are; a string that
// needs any (a quote, a control character, <, > or &, U+2028 or U+2029,
// invalid UTF-8) is left to encoding/json itself.
func appendString(b []byte, s string) []byte {
	ascii := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&':
			return appendQuoted(b, s)
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	if !ascii && (!utf8.ValidString(s) || hasLineSeparator(s)) {
		return appendQuoted(b, s)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// hasLineSeparator reports whether s holds U+2028 or U+2029, which
// encoding/json escapes.
func hasLineSeparator(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == 0xe2 && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9) {
			return true
		}
	}
	return false
}

func appendQuoted(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}
