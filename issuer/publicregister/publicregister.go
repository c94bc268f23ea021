// Package publicregister is the public register: what anyone may look up
// about a link worker, and the search that finds them. The register's JSON
// API and its web pages both call it, so the two never show an entry
// differently.
//
// Entries never mislead (PSA Standard 8): a removed entry carries the date
// of removal and no registered-until date, and only an entry in good
// standing may present the register's Quality Mark.
package publicregister

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/namefold"
	"github.com/nalw/linkpass/regno"
)

// MaxResults is the most entries one search returns; beyond it the person
// is asked to refine the search.
const MaxResults = 50

// Query limits.
const (
	MinQueryLen   = 2
	MaxQueryLen   = 100
	MaxQueryWords = 8
)

// Entry is a registrant as the public register shows them: only what
// public protection needs. Restrictions are on the entry itself, in their
// public wording.
type Entry struct {
	RegistrationNumber string        `json:"registration_number"`
	Name               string        `json:"name"`
	Status             string        `json:"status"`
	StatusSince        string        `json:"status_since"`
	SuspendedUntil     register.Date `json:"suspended_until,omitempty"`
	Restrictions       []string      `json:"restrictions"`
	Nation             string        `json:"nation"`
	// RegisteredUntil is left out of a removed entry: a date there would
	// read as a registration still running.
	RegisteredUntil register.Date `json:"registered_until,omitempty"`
	// RemovedOn is the day a removed entry was removed.
	RemovedOn register.Date `json:"removed_on,omitempty"`
	// MayPractise is true only for an entry in good standing: registered,
	// and the registration not past its end date or, when the register
	// has a grace period, not past its grace period.
	MayPractise bool `json:"may_practise"`
	// LapsesOn is set while the registration is in its grace period:
	// registered-until has passed without a renewal, and the registration
	// lapses on this day unless it is renewed first. The person is still
	// registered; their credentials expired at registered-until.
	LapsesOn       register.Date `json:"lapses_on,omitempty"`
	Qualifications []string      `json:"qualifications"`
}

// QualityMark says whether the register holds the PSA Quality Mark.
type QualityMark struct {
	Held      bool          `json:"held"`
	Until     register.Date `json:"until,omitempty"`
	Reference string        `json:"reference,omitempty"`
}

// SearchResult is the answer to a search of the register.
type SearchResult struct {
	Register    string      `json:"register"`
	QualityMark QualityMark `json:"quality_mark"`
	Query       string      `json:"query"`
	Results     []Entry     `json:"results"`
	// Total counts every entry found, of which Results are the first
	// MaxResults, best match first.
	Total int `json:"total"`
	// TotalAtLeast means the query was too broad to count in full: Total
	// is a lower bound.
	TotalAtLeast bool `json:"total_at_least,omitempty"`
	// Refine is true when more entries matched than are returned.
	Refine bool `json:"refine"`
	// Truncated is Refine, kept for clients written before it.
	Truncated bool   `json:"truncated"`
	CheckedAt string `json:"checked_at"`

	// pooled holds Results' array, from entryArrays, for Release.
	pooled *[]Entry
}

// entryArrays are the arrays answers' entries are made in, handed back by
// Release once an answer is written: the entries were half the bytes a
// public search allocated, and the collector's work follows the bytes.
var entryArrays = sync.Pool{New: func() any { return new([]Entry) }}

// Release hands r's entries back to be reused by another answer, once r
// is written; r must not be read after. A caller that keeps answers need
// not call it.
func (r *SearchResult) Release() {
	if r.pooled == nil {
		return
	}
	clear(r.Results[:cap(r.Results)])
	*r.pooled = r.Results[:0]
	entryArrays.Put(r.pooled)
	r.pooled, r.Results = nil, nil
}

// EntryResult is one entry, looked up by number.
type EntryResult struct {
	Register    string      `json:"register"`
	QualityMark QualityMark `json:"quality_mark"`
	Entry       Entry       `json:"entry"`
	CheckedAt   string      `json:"checked_at"`
}

// Register answers the public's questions from the current state. It is
// safe for concurrent use.
type Register struct {
	state func() *state.Store
	now   func() time.Time
}

// New returns the public register over the current state (fetched for each
// question: a restore swaps the store) and a clock.
func New(st func() *state.Store, now func() time.Time) *Register {
	return &Register{state: st, now: now}
}

// Search finds entries by registration number or by name. A registration
// number matches exactly; one with a wrong check digit is refused with an
// error wrapping regno.ErrCheckDigit that says it is probably mistyped. A
// query that is neither gets an error wrapping register.ErrInvalid.
func (p *Register) Search(q string) (SearchResult, error) {
	q = strings.TrimSpace(q)
	if n := utf8.RuneCountInString(q); n < MinQueryLen || n > MaxQueryLen {
		return SearchResult{}, fmt.Errorf("%w: enter a name or registration number of %d to %d characters", register.ErrInvalid, MinQueryLen, MaxQueryLen)
	}
	now := p.now()
	st := p.state()
	s := st.Settings()
	at := asOf(now, s)
	res := SearchResult{Register: s.RegisterName, QualityMark: qualityMark(s, at.today), Query: q,
		Results: []Entry{}, CheckedAt: now.UTC().Format(time.RFC3339)}

	n, err := regno.Parse(q)
	switch {
	case errors.Is(err, regno.ErrCheckDigit):
		return SearchResult{}, err
	case err == nil:
		if reg, err := st.Registrant(n); err == nil {
			if e, ok := view(reg, at); ok {
				res.Results = append(res.Results, e)
			}
		}
		res.Total = len(res.Results)
		return res, nil
	}

	fq := namefold.NewQuery(q)
	if fq.Empty() {
		return SearchResult{}, fmt.Errorf("%w: enter a name (letters) or a registration number such as LW1000015", register.ErrInvalid)
	}
	if len(fq.Words()) > MaxQueryWords {
		return SearchResult{}, fmt.Errorf("%w: use at most %d words of the name", register.ErrInvalid, MaxQueryWords)
	}
	hidden := 0
	var b slab
	total, atLeast, err := st.SearchEach(fq, MaxResults, at.removed, func(reg *register.Registrant, _ namefold.Rank, left int) error {
		if cap(res.Results) == 0 {
			a := entryArrays.Get().(*[]Entry)
			if cap(*a) < left {
				*a = make([]Entry, 0, max(left, MaxResults))
			}
			res.Results, res.pooled = (*a)[:0], a
		}
		b.left = left
		if e, ok := b.view(reg, at); ok {
			res.Results = append(res.Results, e)
		} else {
			hidden++ // hidden since the index last saw it
		}
		return nil
	})
	if err != nil {
		return SearchResult{}, err
	}
	res.Total, res.TotalAtLeast = total-hidden, atLeast
	res.Refine = res.Total > len(res.Results)
	res.Truncated = res.Refine
	return res, nil
}

// Entry returns the entry with registration number n, or an error wrapping
// register.ErrNotFound (no such entry, or one no longer shown) or a regno
// error (not a registration number).
func (p *Register) Entry(n string) (EntryResult, error) {
	n, err := regno.Parse(n)
	if err != nil {
		return EntryResult{}, err
	}
	now := p.now()
	st := p.state()
	s := st.Settings()
	reg, err := st.Registrant(n)
	if err != nil {
		return EntryResult{}, fmt.Errorf("%w: %s is not on the register", register.ErrNotFound, n)
	}
	at := asOf(now, s)
	e, ok := view(reg, at)
	if !ok {
		return EntryResult{}, fmt.Errorf("%w: %s is not on the register", register.ErrNotFound, n)
	}
	return EntryResult{Register: s.RegisterName, QualityMark: qualityMark(s, at.today), Entry: e,
		CheckedAt: now.UTC().Format(time.RFC3339)}, nil
}

// moment is when a question is answered, worked out once for all the
// entries of the answer.
type moment struct {
	today register.Date
	// removed is the time before which removals are no longer shown,
	// under the register's policy (Settings.RemovedVisibleDays).
	removed  time.Time
	grace    int
	standing register.Standing
}

func asOf(now time.Time, s register.Settings) moment {
	today := register.DateOf(now)
	return moment{today: today, removed: now.AddDate(0, 0, -s.RemovedVisibleDays), grace: s.GraceDays,
		standing: register.StandingOn(today, s.GraceDays)}
}

// view is the public entry of r, or false when a removal is older than the
// register shows.
func view(r *register.Registrant, at moment) (Entry, bool) {
	var b *slab
	return b.view(r, at)
}

// slab is what the entries of one answer share: one array for their
// lists, and the last status date written, since an answer's entries
// often changed status on one day. An answer of 50 made an allocation for
// each list and each date. A nil slab shares nothing.
type slab struct {
	strs []string
	left int // entries still to come, to size the next array
	day  int64
	date register.Date
}

// list returns an empty list with room for n.
func (b *slab) list(n int) []string {
	if b == nil || n == 0 {
		return make([]string, 0, n)
	}
	if n > cap(b.strs)-len(b.strs) {
		b.strs = make([]string, 0, max(16, n*max(b.left, 1)))
	}
	l := b.strs[len(b.strs) : len(b.strs) : len(b.strs)+n]
	b.strs = b.strs[:len(b.strs)+n]
	return l
}

// dateOf is register.DateOf(t); within a UTC day, the same text.
func (b *slab) dateOf(t time.Time) register.Date {
	if b == nil {
		return register.DateOf(t)
	}
	day := t.Unix() / 86400
	if t.Unix()%86400 < 0 {
		day--
	}
	if b.date == "" || day != b.day {
		b.day, b.date = day, register.DateOf(t)
	}
	return b.date
}

func (b *slab) view(r *register.Registrant, at moment) (Entry, bool) {
	if r.Status == register.Removed && r.StatusChangedAt.Before(at.removed) {
		return Entry{}, false
	}
	since := b.dateOf(r.StatusChangedAt)
	e := Entry{
		RegistrationNumber: r.Number, Name: r.FullName(), Status: string(r.Status),
		StatusSince: since.String(), SuspendedUntil: r.SuspendedUntil,
		Restrictions: b.list(len(r.Restrictions)), Nation: r.Nation, RegisteredUntil: r.RegisteredUntil,
		MayPractise:    r.Status == register.Registered && !at.standing.Due(r),
		Qualifications: b.list(len(r.Qualifications)),
	}
	if at.standing.InGrace(r) {
		e.LapsesOn = r.LapsesOn(at.grace)
	}
	if r.Status == register.Removed {
		e.RegisteredUntil, e.RemovedOn = "", since
	}
	for _, x := range r.Restrictions {
		e.Restrictions = append(e.Restrictions, x.Text)
	}
	for _, q := range r.Qualifications {
		e.Qualifications = append(e.Qualifications, q.Title)
	}
	return e, true
}

func qualityMark(s register.Settings, today register.Date) QualityMark {
	if !s.QualityMark.Held(today) {
		return QualityMark{}
	}
	return QualityMark{Held: true, Until: s.QualityMark.Until, Reference: s.QualityMark.Reference}
}
