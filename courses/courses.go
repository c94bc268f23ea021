// Package courses is the register's catalogue of training providers and
// their courses, with each course's NALW standing, and the registration
// criteria that decide which qualifications count towards joining the
// register (NALW's second motion: courses at Level 4 and above accredited
// by NALW or aligned with its standards).
//
// The package is pure, like issuer/register: no storage, clock or
// randomness. Stored values are immutable: a change of standing returns a
// new Course whose history has one more entry, and leaves the old one as
// it was.
package courses

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nalw/linkpass/issuer/register"
)

// Provider is an organisation that runs courses.
type Provider struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// UKPRN is the UK Register of Learning Providers number, when the
	// provider has one: eight digits starting with 1.
	UKPRN       string    `json:"ukprn,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	CreateIndex uint64    `json:"create_index"`
}

// NewProvider describes a provider to add.
type NewProvider struct {
	Name  string `json:"name"`
	UKPRN string `json:"ukprn,omitempty"`
}

// Validate checks a new provider.
func (n NewProvider) Validate() error {
	if err := register.CheckLine("provider name", n.Name, register.MaxTitleLen, true); err != nil {
		return err
	}
	if n.UKPRN != "" {
		return ValidateUKPRN(n.UKPRN)
	}
	return nil
}

// ValidateUKPRN checks the form of a UK Provider Reference Number: eight
// digits, the first of them 1 (UKRLP issues them from 10000000).
func ValidateUKPRN(s string) error {
	if len(s) != 8 || s[0] != '1' || strings.Trim(s, "0123456789") != "" {
		return fmt.Errorf("%w: UKPRN %q must be eight digits starting with 1, e.g. 10007795; leave it out if the provider has none", register.ErrInvalid, clip(s))
	}
	return nil
}

// Create returns the provider with id, added at at.
func (n NewProvider) Create(id string, at time.Time, idx uint64) *Provider {
	return &Provider{ID: id, Name: register.CleanText(n.Name), UKPRN: n.UKPRN, CreatedAt: at, CreateIndex: idx}
}

// Modes a course is taught in.
var Modes = []string{"full-time", "part-time", "distance", "blended", "work-based"}

// Standing is a course's standing with NALW.
type Standing string

// Standings. Accredited courses carry a reference and the dates the
// accreditation runs; aligned courses meet NALW's standards without formal
// accreditation; withdrawn courses no longer hold either.
const (
	Accredited Standing = "accredited"
	Aligned    Standing = "aligned"
	Withdrawn  Standing = "withdrawn"
)

// Standings lists them in the order pages show them.
var Standings = []Standing{Accredited, Aligned, Withdrawn}

// ParseStanding validates a standing name.
func ParseStanding(s string) (Standing, error) {
	if st := Standing(s); slices.Contains(Standings, st) {
		return st, nil
	}
	return "", fmt.Errorf("%w: standing %q must be one of accredited, aligned, withdrawn", register.ErrInvalid, clip(s))
}

// Counts reports whether graduates of a course with this standing meet
// the registration criteria's course requirement.
func (s Standing) Counts() bool { return s == Accredited || s == Aligned }

// StandingChange is one entry of a course's standing history.
type StandingChange struct {
	Standing Standing `json:"standing"`
	// Reference, From and Until describe an accreditation; From and Until
	// are inclusive.
	Reference string        `json:"reference,omitempty"`
	From      register.Date `json:"from,omitempty"`
	Until     register.Date `json:"until,omitempty"`
	Reason    string        `json:"reason,omitempty"`
	At        time.Time     `json:"at"`
	By        string        `json:"by"`
}

// Validate checks a standing before it is recorded.
func (c StandingChange) Validate() error {
	if _, err := ParseStanding(string(c.Standing)); err != nil {
		return err
	}
	if c.Standing != Accredited {
		if c.Reference != "" || c.From != "" || c.Until != "" {
			return fmt.Errorf("%w: a reference and from/until dates belong only to an accredited standing", register.ErrInvalid)
		}
	} else {
		if err := register.CheckLine("accreditation reference", c.Reference, 100, true); err != nil {
			return fmt.Errorf("%w (an accredited standing needs the accreditation's reference)", err)
		}
		if _, err := register.ParseDate(string(c.From)); err != nil {
			return fmt.Errorf("accredited from: %w", err)
		}
		if _, err := register.ParseDate(string(c.Until)); err != nil {
			return fmt.Errorf("accredited until: %w", err)
		}
		if c.Until.Before(c.From) {
			return fmt.Errorf("%w: accredited until %s is before accredited from %s", register.ErrInvalid, c.Until, c.From)
		}
	}
	if c.Reason != "" {
		return register.CheckLine("reason", c.Reason, register.MaxReasonLen, false)
	}
	return nil
}

// Course is one course in the catalogue.
type Course struct {
	ID       string `json:"id"`
	Provider string `json:"provider"`
	Title    string `json:"title"`
	Level    Level  `json:"level"`
	Mode     string `json:"mode"`
	// History is every standing the course has held, oldest first; the
	// last is the current one.
	History     []StandingChange `json:"history"`
	CreatedAt   time.Time        `json:"created_at"`
	CreateIndex uint64           `json:"create_index"`
	ModifyIndex uint64           `json:"modify_index"`
}

// Current is the course's standing now.
func (c *Course) Current() StandingChange { return c.History[len(c.History)-1] }

// StandingOn is the standing that applied to a qualification awarded on
// day: the latest change recorded by that day, or, for an award made
// before the course entered the catalogue, the first one (the catalogue
// describes a course from its start). An accreditation applies only
// within its from/until dates; outside them the course counted as neither
// accredited nor aligned, which StandingOn reports as Withdrawn.
func (c *Course) StandingOn(day register.Date) StandingChange {
	s := c.History[0]
	for _, h := range c.History[1:] {
		if register.DateOf(h.At).Before(day) || register.DateOf(h.At) == day {
			s = h
		}
	}
	if s.Standing == Accredited && (day.Before(s.From) || s.Until.Before(day)) {
		return StandingChange{Standing: Withdrawn, Reason: "outside the accreditation's dates " + string(s.From) + " to " + string(s.Until), At: s.At}
	}
	return s
}

// NewCourse describes a course to add, with its first standing.
type NewCourse struct {
	Provider string         `json:"provider"`
	Title    string         `json:"title"`
	Level    Level          `json:"level"`
	Mode     string         `json:"mode"`
	Standing StandingChange `json:"standing"`
}

// Validate checks a new course (its provider's existence is the store's
// business).
func (n NewCourse) Validate() error {
	if strings.TrimSpace(n.Provider) == "" {
		return fmt.Errorf("%w: provider is required (the id of a provider in the catalogue, from `linkpass provider list`)", register.ErrInvalid)
	}
	if err := register.CheckLine("course title", n.Title, register.MaxTitleLen, true); err != nil {
		return err
	}
	if err := n.Level.Validate(); err != nil {
		return err
	}
	if !slices.Contains(Modes, n.Mode) {
		return fmt.Errorf("%w: mode %q must be one of %s", register.ErrInvalid, clip(n.Mode), strings.Join(Modes, ", "))
	}
	return n.Standing.Validate()
}

// Create returns the course with id; its first standing is dated at and
// made by.
func (n NewCourse) Create(id, by string, at time.Time, idx uint64) *Course {
	s := n.Standing
	s.At, s.By = at, by
	return &Course{ID: id, Provider: n.Provider, Title: register.CleanText(n.Title), Level: n.Level, Mode: n.Mode,
		History: []StandingChange{s}, CreatedAt: at, CreateIndex: idx, ModifyIndex: idx}
}

// SetStanding returns a copy of c with s appended to its history. A
// change to the standing it already has is refused, unless it is a new
// accreditation (a renewed one, with other dates or reference). Moving
// away from a standing that counts needs a reason, kept in the history.
func (c *Course) SetStanding(s StandingChange, by string, at time.Time, idx uint64) (*Course, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	cur := c.Current()
	if cur.Standing == s.Standing && cur.Reference == s.Reference && cur.From == s.From && cur.Until == s.Until {
		return nil, fmt.Errorf("%w: course %s is already %s", register.ErrConflict, c.ID, s.Standing)
	}
	if s.Standing == Withdrawn && strings.TrimSpace(s.Reason) == "" {
		return nil, fmt.Errorf("%w: a reason is required to withdraw a course's standing and is kept in its history", register.ErrInvalid)
	}
	n := *c
	s.At, s.By = at, by
	n.History = append(slices.Clone(c.History), s)
	n.ModifyIndex = idx
	return &n, nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
