// Package register defines what the register of social prescribing link
// workers keeps, and the rules for changing it: registrants and their
// qualifications, their status on the register, restrictions on practice,
// the register's PSA Quality Mark, API tokens, signing keys, issued
// credentials and the audit trail.
//
// The package is pure: no storage, no clock, no randomness. Every rule takes
// the time of the change as an argument so that every member of a Raft
// cluster reaches the same result from the same log.
//
// Values are immutable once stored: the methods that change a registrant
// return a changed copy and leave the receiver untouched.
package register

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Status is a registrant's status on the register.
type Status string

// The statuses of the register. "Registered with conditions" is not a status
// of its own: it is Registered with one or more Restrictions, shown wherever
// the status is shown.
const (
	Registered Status = "registered"
	Suspended  Status = "suspended"
	Lapsed     Status = "lapsed"
	Removed    Status = "removed"
)

// ParseStatus validates a status name.
func ParseStatus(s string) (Status, error) {
	switch st := Status(s); st {
	case Registered, Suspended, Lapsed, Removed:
		return st, nil
	}
	return "", fmt.Errorf("%w: status %q is not one of registered, suspended, lapsed, removed", ErrInvalid, clip(s))
}

// Nations of the United Kingdom, as the register spells them.
var Nations = []string{"england", "wales", "scotland", "northern-ireland"}

// Accreditation of a qualification against NALW standards.
var Accreditations = []string{"nalw-accredited", "nalw-aligned", "other"}

// Limits on free text, so one request cannot bloat the register or a
// credential that must fit in a QR code.
const (
	MaxNameLen        = 100
	MaxReasonLen      = 2000
	MaxRestrictionLen = 2000
	MaxTitleLen       = 200
)

// Registrant is one link worker's entry on the register.
type Registrant struct {
	Number string `json:"registration_number"`
	Given  string `json:"given_name"`
	Family string `json:"family_name"`
	Nation string `json:"nation"`
	// Email is private contact information: never on the public register,
	// never in a credential.
	Email string `json:"email,omitempty"`
	// ExternalRef is the reference a register this one was imported from
	// gave the registrant; an import never adds the same reference twice.
	ExternalRef string `json:"external_ref,omitempty"`

	Status          Status    `json:"status"`
	StatusReason    string    `json:"status_reason,omitempty"`
	StatusChangedAt time.Time `json:"status_changed_at"`
	// SuspendedUntil is the date a suspension order runs to, if it has one.
	// On that date the register reinstates the registrant by itself (the
	// suspension sweep, audited as automatic); before it only a registrar's
	// decision, recorded with a reason, does.
	SuspendedUntil Date `json:"suspended_until,omitempty"`
	// SuspensionReview is the date a registrar is due to look at the
	// suspension again; it shows on the console's home page from then.
	SuspensionReview Date `json:"suspension_review,omitempty"`

	Restrictions []Restriction `json:"restrictions"`

	RegisteredFrom  Date `json:"registered_from"`
	RegisteredUntil Date `json:"registered_until"`

	CPD            []CPD           `json:"cpd"`
	Qualifications []Qualification `json:"qualifications"`
	// EntryRoute is how the registrant met the registration criteria
	// when they did not through a qualification, if it was recorded.
	EntryRoute *EntryRoute `json:"entry_route,omitempty"`

	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// Clone returns a copy of r that shares nothing with it that a change to
// either could reach: its lists and its entry route are copied.
func (r *Registrant) Clone() *Registrant {
	c := *r
	c.Restrictions = slices.Clone(r.Restrictions)
	c.CPD = slices.Clone(r.CPD)
	c.Qualifications = slices.Clone(r.Qualifications)
	if r.EntryRoute != nil {
		route := *r.EntryRoute
		c.EntryRoute = &route
	}
	return &c
}

// FullName is the name as it appears on the register.
func (r *Registrant) FullName() string { return r.Given + " " + r.Family }

// Restricted reports whether conditions on practice are in force.
func (r *Registrant) Restricted() bool { return len(r.Restrictions) > 0 }

// GoodStanding reports whether the registrant may present themselves as
// registered today: registered, and registration not past its end date.
func (r *Registrant) GoodStanding(today Date) bool {
	return r.Status == Registered && !r.RegisteredUntil.Before(today)
}

// Restriction is a condition on practice with its public wording.
type Restriction struct {
	Text  string    `json:"text"`
	Since time.Time `json:"since"`
	// Review is the date a registrar is due to look at the restriction
	// again, if one was set.
	Review Date `json:"review,omitempty"`
}

// CPD is continuing professional development recorded for one registration
// year (NALW asks for at least 20 points a year, 10 of them formal).
type CPD struct {
	Year        int     `json:"year"`
	Hours       float64 `json:"hours"`
	FormalHours float64 `json:"formal_hours"`
}

// Qualification is a course or award a registrant holds.
type Qualification struct {
	Title string `json:"title"`
	// Level is the RQF (or SCQF/CQFW equivalent) level number.
	Level         int    `json:"level"`
	Provider      string `json:"provider"`
	Accreditation string `json:"accreditation"`
	Awarded       Date   `json:"awarded"`
	// Course is the catalogue course (package courses) the qualification
	// is from, if it is in the catalogue; the fields above are then the
	// catalogue's, as they stood on the day it was recorded. Without it
	// the qualification is an "other" one, typed in, and Assessment is
	// the registrar's assessment of it. Records made before the catalogue
	// existed have neither and read as "other" ones.
	Course     string `json:"course,omitempty"`
	Assessment string `json:"assessment,omitempty"`
}

// Validate checks a qualification before it is recorded.
func (q Qualification) Validate() error {
	if err := checkText("title", q.Title, MaxTitleLen, true); err != nil {
		return err
	}
	if err := checkText("provider", q.Provider, MaxTitleLen, true); err != nil {
		return err
	}
	if q.Level < 1 || q.Level > 12 {
		return fmt.Errorf("%w: level %d must be an RQF/SCQF level number from 1 to 12", ErrInvalid, q.Level)
	}
	if !slices.Contains(Accreditations, q.Accreditation) {
		return fmt.Errorf("%w: accreditation %q must be one of %s", ErrInvalid, clip(q.Accreditation), strings.Join(Accreditations, ", "))
	}
	if _, err := ParseDate(string(q.Awarded)); err != nil {
		return fmt.Errorf("awarded: %w", err)
	}
	return checkTextLines("assessment", q.Assessment, MaxReasonLen, false, true)
}

// NewRegistrant describes a person joining the register.
type NewRegistrant struct {
	Given           string `json:"given_name"`
	Family          string `json:"family_name"`
	Nation          string `json:"nation"`
	Email           string `json:"email,omitempty"`
	RegisteredUntil Date   `json:"registered_until,omitempty"`
	// Qualifications and EntryRoute are what the registration criteria
	// are checked against (education.go), in the same change that adds the
	// registrant, so that nobody is half added.
	Qualifications []Qualification `json:"qualifications,omitempty"`
	EntryRoute     *EntryRoute     `json:"entry_route,omitempty"`
}

// Validate checks a new registrant. today is the date of the change.
func (n NewRegistrant) Validate(today Date) error {
	if err := checkText("given name", n.Given, MaxNameLen, true); err != nil {
		return err
	}
	if err := checkText("family name", n.Family, MaxNameLen, true); err != nil {
		return err
	}
	if !slices.Contains(Nations, n.Nation) {
		return fmt.Errorf("%w: nation %q must be one of %s", ErrInvalid, clip(n.Nation), strings.Join(Nations, ", "))
	}
	if n.Email != "" {
		if a, err := mail.ParseAddress(n.Email); err != nil || a.Address != n.Email {
			return fmt.Errorf("%w: email %q is not a plain address like name@example.org", ErrInvalid, clip(n.Email))
		}
	}
	if n.RegisteredUntil != "" {
		if _, err := ParseDate(string(n.RegisteredUntil)); err != nil {
			return fmt.Errorf("registered until: %w", err)
		}
		if n.RegisteredUntil.Before(today) {
			return fmt.Errorf("%w: registered until %s is in the past", ErrInvalid, n.RegisteredUntil)
		}
	}
	for i, q := range n.Qualifications {
		if err := q.ValidateClaim(); err != nil {
			return fmt.Errorf("qualification %d: %w", i+1, err)
		}
		if err := q.CheckAwarded(today); err != nil {
			return fmt.Errorf("qualification %d: %w", i+1, err)
		}
	}
	if len(n.Qualifications) > MaxNewQualifications {
		return fmt.Errorf("%w: at most %d qualifications can be recorded with a new registrant; add others afterwards", ErrInvalid, MaxNewQualifications)
	}
	if n.EntryRoute != nil {
		return n.EntryRoute.Validate()
	}
	return nil
}

// Create returns the registrant that joins the register today with number.
// Registration runs for a year unless RegisteredUntil says otherwise.
func (n NewRegistrant) Create(number string, at time.Time, idx uint64) *Registrant {
	today := DateOf(at)
	until := n.RegisteredUntil
	if until == "" {
		until = today.AddYears(1).AddDays(-1)
	}
	return &Registrant{
		Number: number, Given: cleanText(n.Given), Family: cleanText(n.Family),
		Nation: n.Nation, Email: n.Email,
		Status: Registered, StatusChangedAt: at, StatusReason: "joined the register",
		RegisteredFrom: today, RegisteredUntil: until,
		Restrictions: []Restriction{}, CPD: []CPD{}, Qualifications: cleanQualifications(n.Qualifications),
		EntryRoute: n.EntryRoute, CreateIndex: idx, ModifyIndex: idx,
	}
}

// clone returns a deep copy, so that rules never change a stored value.
func (r *Registrant) clone() *Registrant {
	c := *r
	c.Restrictions = slices.Clone(r.Restrictions)
	c.CPD = slices.Clone(r.CPD)
	c.Qualifications = slices.Clone(r.Qualifications)
	return &c
}

func (r *Registrant) refuse(action string) error {
	return fmt.Errorf("%w: cannot %s %s: they are %s", ErrConflict, action, r.Number, r.Status)
}

func (r *Registrant) withStatus(s Status, reason string, at time.Time, idx uint64) *Registrant {
	c := r.clone()
	c.Status, c.StatusReason, c.StatusChangedAt, c.ModifyIndex = s, reason, at, idx
	c.SuspendedUntil, c.SuspensionReview = "", ""
	return c
}

// checkReview checks a review date: a real date after the day of the
// change.
func checkReview(what string, review Date, at time.Time) error {
	if _, err := ParseDate(string(review)); err != nil {
		return fmt.Errorf("%s review date: %w", what, err)
	}
	if !DateOf(at).Before(review) {
		return fmt.Errorf("%w: the %s review date %s must be after today", ErrInvalid, what, review)
	}
	return nil
}

// WithSuspensionReview sets the date the suspension is due for review.
func (r *Registrant) WithSuspensionReview(review Date, at time.Time) (*Registrant, error) {
	if r.Status != Suspended {
		return nil, r.refuse("set a suspension review date for")
	}
	if err := checkReview("suspension", review, at); err != nil {
		return nil, err
	}
	c := r.clone()
	c.SuspensionReview = review
	return c, nil
}

// WithRestrictionReview sets the review date of the latest restriction.
func (r *Registrant) WithRestrictionReview(review Date, at time.Time) (*Registrant, error) {
	if !r.Restricted() {
		return nil, fmt.Errorf("%w: %s has no restriction to review", ErrConflict, r.Number)
	}
	if err := checkReview("restriction", review, at); err != nil {
		return nil, err
	}
	c := r.clone()
	c.Restrictions[len(c.Restrictions)-1].Review = review
	return c, nil
}

// SetReview moves a review date: the suspension's when restriction is
// negative, else that of the restriction at that place (from 0, in the
// order imposed). The date must be a real one, after the day of the change.
func (r *Registrant) SetReview(restriction int, review Date, at time.Time, idx uint64) (*Registrant, error) {
	if review == "" {
		return nil, fmt.Errorf("%w: review date is required: give the new date, YYYY-MM-DD", ErrInvalid)
	}
	var c *Registrant
	var err error
	switch {
	case restriction < 0:
		c, err = r.WithSuspensionReview(review, at)
	case restriction >= len(r.Restrictions):
		return nil, fmt.Errorf("%w: %s has no restriction %d; choose one of the restrictions on the record", ErrInvalid, r.Number, restriction+1)
	default:
		if err = checkReview("restriction", review, at); err == nil {
			c = r.clone()
			c.Restrictions[restriction].Review = review
		}
	}
	if err != nil {
		return nil, err
	}
	c.ModifyIndex = idx
	return c, nil
}

// SuspensionEndedReason is the reason the register gives when it ends a
// suspension by itself on its end date.
func SuspensionEndedReason(until Date) string { return "suspension ended on " + string(until) }

// EndedBySweep reports whether the registrant's status last changed because
// their suspension reached its end date, on or after since.
func (r *Registrant) EndedBySweep(since time.Time) bool {
	return strings.HasPrefix(r.StatusReason, "suspension ended on ") && !r.StatusChangedAt.Before(since)
}

// SuspensionEnded reports whether a suspension with an end date has
// reached it on today.
func (r *Registrant) SuspensionEnded(today Date) bool {
	return r.Status == Suspended && r.SuspendedUntil != "" && !today.Before(r.SuspendedUntil)
}

// ReviewsDue lists what on the record is due for review on today: the
// suspension, and each restriction, whose review date has come.
func (r *Registrant) ReviewsDue(today Date) []string {
	var due []string
	if r.Status == Suspended && r.SuspensionReview != "" && !today.Before(r.SuspensionReview) {
		due = append(due, "suspension review due "+string(r.SuspensionReview))
	}
	for _, x := range r.Restrictions {
		if x.Review != "" && !today.Before(x.Review) {
			due = append(due, "restriction review due "+string(x.Review))
		}
	}
	return due
}

// Suspend suspends a registered registrant, optionally until a date.
func (r *Registrant) Suspend(reason string, until Date, at time.Time, idx uint64) (*Registrant, error) {
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	if r.Status != Registered {
		return nil, r.refuse("suspend")
	}
	if until != "" {
		if _, err := ParseDate(string(until)); err != nil {
			return nil, fmt.Errorf("suspended until: %w", err)
		}
		if !DateOf(at).Before(until) {
			return nil, fmt.Errorf("%w: suspended until %s must be after today", ErrInvalid, until)
		}
	}
	c := r.withStatus(Suspended, reason, at, idx)
	c.SuspendedUntil = until
	return c, nil
}

// Reinstate ends a suspension. A registrant whose registration ran out while
// suspended comes back as lapsed, not registered: they must renew.
func (r *Registrant) Reinstate(reason string, at time.Time, idx uint64) (*Registrant, error) {
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	if r.Status != Suspended {
		return nil, r.refuse("reinstate")
	}
	if r.RegisteredUntil.Before(DateOf(at)) {
		return r.withStatus(Lapsed, reason+" (registration had expired on "+string(r.RegisteredUntil)+")", at, idx), nil
	}
	return r.withStatus(Registered, reason, at, idx), nil
}

// Remove takes a registrant off the register for good. Removal is final:
// the number is never reused and the entry and reason are kept, so that
// someone removed for poor practice cannot slip back in.
func (r *Registrant) Remove(reason string, at time.Time, idx uint64) (*Registrant, error) {
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	if r.Status == Removed {
		return nil, r.refuse("remove")
	}
	return r.withStatus(Removed, reason, at, idx), nil
}

// Renew extends registration to until, or by a year from the later of today
// and the current end date. A lapsed registrant becomes registered again; a
// suspended one stays suspended.
func (r *Registrant) Renew(until Date, at time.Time, idx uint64) (*Registrant, error) {
	if r.Status == Removed {
		return nil, r.refuse("renew")
	}
	today := DateOf(at)
	if until == "" {
		from := r.RegisteredUntil
		if from.Before(today) {
			from = today.AddDays(-1)
		}
		until = from.AddYears(1)
	} else {
		if _, err := ParseDate(string(until)); err != nil {
			return nil, fmt.Errorf("renew until: %w", err)
		}
		if until.Before(today) {
			return nil, fmt.Errorf("%w: renew until %s is in the past", ErrInvalid, until)
		}
		if until.Before(r.RegisteredUntil) {
			return nil, fmt.Errorf("%w: renew until %s is before the current end of registration %s; renewal only extends", ErrInvalid, until, r.RegisteredUntil)
		}
	}
	var c *Registrant
	if r.Status == Lapsed {
		c = r.withStatus(Registered, "renewed", at, idx)
	} else {
		c = r.clone()
		c.ModifyIndex = idx
	}
	c.RegisteredUntil = until
	return c, nil
}

// Lapse marks a registrant whose registration has run out. Only registered
// registrants lapse; a suspension or removal stays the more important fact.
func (r *Registrant) Lapse(at time.Time, idx uint64) (*Registrant, bool) {
	return r.LapseAfterGrace(at, 0, idx)
}

// LapseAfterGrace lapses r at at if registered-until and graceDays more
// have passed (grace.go).
func (r *Registrant) LapseAfterGrace(at time.Time, graceDays int, idx uint64) (*Registrant, bool) {
	if !r.Due(DateOf(at), graceDays) {
		return nil, false
	}
	return r.withStatus(Lapsed, "registration not renewed by "+string(r.RegisteredUntil), at, idx), true
}

// Restrict adds a condition on practice with its public wording.
func (r *Registrant) Restrict(text, reason string, at time.Time, idx uint64) (*Registrant, error) {
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	if err := checkTextLines("restriction text", text, MaxRestrictionLen, true, true); err != nil {
		return nil, err
	}
	if r.Status == Removed {
		return nil, r.refuse("restrict")
	}
	c := r.clone()
	c.Restrictions = append(c.Restrictions, Restriction{Text: strings.TrimSpace(text), Since: at})
	c.ModifyIndex = idx
	return c, nil
}

// Unrestrict lifts every condition on practice.
func (r *Registrant) Unrestrict(reason string, at time.Time, idx uint64) (*Registrant, error) {
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	if r.Status == Removed {
		return nil, r.refuse("lift restrictions of")
	}
	if !r.Restricted() {
		return nil, fmt.Errorf("%w: %s has no restrictions to lift", ErrConflict, r.Number)
	}
	c := r.clone()
	c.Restrictions = []Restriction{}
	c.ModifyIndex = idx
	return c, nil
}

// AddQualification records a qualification.
func (r *Registrant) AddQualification(q Qualification, idx uint64) (*Registrant, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if r.Status == Removed {
		return nil, r.refuse("add a qualification to")
	}
	c := r.clone()
	c.Qualifications = append(c.Qualifications, cleanQualifications([]Qualification{q})...)
	c.ModifyIndex = idx
	return c, nil
}

// RecordCPD sets the CPD hours for one registration year, replacing what was
// recorded for that year before.
func (r *Registrant) RecordCPD(p CPD, idx uint64) (*Registrant, error) {
	if p.Year < 2000 || p.Year > 2999 {
		return nil, fmt.Errorf("%w: CPD year %d is not a year like 2026", ErrInvalid, p.Year)
	}
	if p.Hours < 0 || p.Hours > 2000 || p.FormalHours < 0 || p.FormalHours > p.Hours {
		return nil, fmt.Errorf("%w: CPD hours must be between 0 and 2000, formal hours between 0 and the total", ErrInvalid)
	}
	if r.Status == Removed {
		return nil, r.refuse("record CPD for")
	}
	c := r.clone()
	c.CPD = slices.DeleteFunc(c.CPD, func(x CPD) bool { return x.Year == p.Year })
	c.CPD = append(c.CPD, p)
	slices.SortFunc(c.CPD, func(a, b CPD) int { return a.Year - b.Year })
	c.ModifyIndex = idx
	return c, nil
}

// CheckReason checks the reason given for a change: required, at most
// MaxReasonLen characters, no control or invisible formatting characters.
func CheckReason(reason string) error { return checkReason(reason) }

func checkReason(reason string) error {
	if err := checkTextLines("reason", reason, MaxReasonLen, true, true); err != nil {
		return fmt.Errorf("%w (a reason is required for this change and is kept in the audit trail)", err)
	}
	return nil
}

// checkText checks free text. Names and titles are one line; reasons and
// restriction wording may have line breaks. Control and invisible format
// characters (such as the right-to-left override) are refused everywhere:
// they could make a name on the public register or a credential read as
// something it is not.
func checkText(field, s string, maxLen int, required bool) error {
	return checkTextLines(field, s, maxLen, required, false)
}

// cleanText is names and titles as the register keeps them: trimmed, and
// in Unicode normalisation form C, so that "Siân" typed with a combining
// circumflex (as some keyboards and macOS send it) is stored, shown,
// signed and found as the same name typed with the precomposed letter.
// Every name reaches the register through Create or AddQualification, so
// the API, the CLI and any console get this from here.
func cleanText(s string) string { return norm.NFC.String(strings.TrimSpace(s)) }

func checkTextLines(field, s string, maxLen int, required, multiline bool) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, field)
	}
	// Lengths count what is stored.
	t := cleanText(s)
	switch {
	case required && t == "":
		return fmt.Errorf("%w: %s is required", ErrInvalid, field)
	case utf8.RuneCountInString(t) > maxLen:
		return fmt.Errorf("%w: %s is longer than %d characters", ErrInvalid, field, maxLen)
	case strings.ContainsFunc(s, func(r rune) bool {
		if r == '\n' && multiline {
			return false
		}
		// Zero-width joiner and non-joiner are part of how many Persian,
		// Arabic and Indic names are written; they reorder nothing.
		if r == '\u200c' || r == '\u200d' {
			return false
		}
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
	}):
		if multiline {
			return fmt.Errorf("%w: %s contains control or invisible formatting characters", ErrInvalid, field)
		}
		return fmt.Errorf("%w: %s must be one line without control or invisible formatting characters", ErrInvalid, field)
	}
	return nil
}

// CheckLine checks one line of free text of at most maxLen characters.
func CheckLine(field, s string, maxLen int, required bool) error {
	return checkText(field, s, maxLen, required)
}

// CleanText is text as the register keeps it (trimmed, NFC), for the
// capability packages whose records hold names and titles too.
func CleanText(s string) string { return cleanText(s) }
