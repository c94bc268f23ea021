package register

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Limits on a CPD activity as a registrant records it.
const (
	MaxCPDReflectionLen = 1500
	// MaxCPDPoints bounds one activity: a fortnight's full-time course.
	MaxCPDPoints = 100
	// MaxCPDActivities bounds what one registrant keeps, so that one
	// account cannot bloat the register.
	MaxCPDActivities = 500
)

// CPDActivity is one piece of continuing professional development a
// registrant recorded: a course, a supervision session, reading. One hour
// of learning is one point. Stored values are never changed: an edit
// stores a new value under the same id.
type CPDActivity struct {
	ID         string  `json:"id"`
	Registrant string  `json:"registration_number"`
	Date       Date    `json:"date"`
	Title      string  `json:"title"`
	Provider   string  `json:"provider,omitempty"`
	Points     float64 `json:"points"`
	// Formal is structured learning with a provider (a course, a
	// conference, accredited training); informal is the rest (reading,
	// reflective practice, peer discussion).
	Formal     bool   `json:"formal"`
	Reflection string `json:"reflection,omitempty"`
	// Renewal is the renewal that counted the activity; once set, the
	// activity is part of a decided or pending renewal and is not edited.
	Renewal     string    `json:"renewal,omitempty"`
	RecordedAt  time.Time `json:"recorded_at"`
	CreateIndex uint64    `json:"create_index"`
	ModifyIndex uint64    `json:"modify_index"`
}

// CPDDraft is what a registrant enters for an activity.
type CPDDraft struct {
	Date       Date    `json:"date"`
	Title      string  `json:"title"`
	Provider   string  `json:"provider,omitempty"`
	Points     float64 `json:"points"`
	Formal     bool    `json:"formal"`
	Reflection string  `json:"reflection,omitempty"`
}

// Validate checks a draft as of today: a real date, not in the future and
// not before the register's time, a title, points between 0.5 and
// MaxCPDPoints in half points, and bounded text.
func (d CPDDraft) Validate(today Date) error {
	if _, err := ParseDate(string(d.Date)); err != nil {
		return fmt.Errorf("date of the activity: %w", err)
	}
	if today.Before(d.Date) {
		return fmt.Errorf("%w: the date of the activity, %s, is in the future; record activities once you have done them", ErrInvalid, d.Date)
	}
	if d.Date.Before(today.AddYears(-2)) {
		return fmt.Errorf("%w: the date of the activity, %s, is more than two years ago; only this and last year's CPD counts", ErrInvalid, d.Date)
	}
	if err := checkText("title", d.Title, MaxTitleLen, true); err != nil {
		return err
	}
	if err := checkText("provider", d.Provider, MaxTitleLen, false); err != nil {
		return err
	}
	if math.IsNaN(d.Points) || d.Points < 0.5 || d.Points > MaxCPDPoints || d.Points*2 != math.Trunc(d.Points*2) {
		return fmt.Errorf("%w: points must be a number from 0.5 to %d, in half points (one hour of learning is one point)", ErrInvalid, MaxCPDPoints)
	}
	return checkTextLines("reflection", d.Reflection, MaxCPDReflectionLen, false, true)
}

// Activity returns the draft as a new stored activity.
func (d CPDDraft) Activity(id, number string, at time.Time, idx uint64) *CPDActivity {
	return &CPDActivity{ID: id, Registrant: number, Date: d.Date, Title: strings.TrimSpace(d.Title),
		Provider: strings.TrimSpace(d.Provider), Points: d.Points, Formal: d.Formal,
		Reflection: strings.TrimSpace(d.Reflection), RecordedAt: at, CreateIndex: idx, ModifyIndex: idx}
}

// Edited returns a new value of a with the draft's fields, refused once the
// activity is counted in a renewal.
func (a *CPDActivity) Edited(d CPDDraft, idx uint64) (*CPDActivity, error) {
	if err := a.Editable(); err != nil {
		return nil, err
	}
	c := d.Activity(a.ID, a.Registrant, a.RecordedAt, a.CreateIndex)
	c.ModifyIndex = idx
	return c, nil
}

// Editable refuses a change to an activity a renewal counted.
func (a *CPDActivity) Editable() error {
	if a.Renewal != "" {
		return fmt.Errorf("%w: this activity was counted in your renewal %s, so it can no longer be changed or deleted", ErrConflict, a.Renewal)
	}
	return nil
}

// CPDRule is the CPD a registrant must show for a year: NALW asks for at
// least 20 points, at least 10 of them formal.
type CPDRule struct {
	MinPoints float64 `json:"min_points"`
	MinFormal float64 `json:"min_formal_points"`
}

// CPDSummary is the CPD counted for a renewal.
type CPDSummary struct {
	From         Date     `json:"from"`
	To           Date     `json:"to"`
	Points       float64  `json:"points"`
	FormalPoints float64  `json:"formal_points"`
	Activities   int      `json:"activities"`
	Counted      []string `json:"counted,omitempty"`
}

// CPDYear is the period a renewal counts CPD over: the year before the
// registration's end date, or the year to today once it has passed. From is
// exclusive, To inclusive. lastRenewed is the day of the registrant's last
// approved renewal, if any: CPD done after it and before the old end date
// counts towards the next renewal, as it was not counted in that one.
func CPDYear(r *Registrant, today, lastRenewed Date) (from, to Date) {
	end := r.RegisteredUntil
	if today.Before(end) {
		end = today
	}
	from = end.AddYears(-1)
	if lastRenewed != "" && lastRenewed.Before(from) {
		from = lastRenewed.AddDays(-1)
	}
	return from, today
}

// LastRenewed is the day of the newest approved renewal in rs, or "".
func LastRenewed(rs []*Renewal) Date {
	var last Date
	for _, rn := range rs {
		if rn.State == RenewalApproved && last.Before(DateOf(rn.SubmittedAt)) {
			last = DateOf(rn.SubmittedAt)
		}
	}
	return last
}

// SummariseCPD adds up the activities dated in (from, to] that no renewal
// has counted yet.
func SummariseCPD(acts []*CPDActivity, from, to Date) CPDSummary {
	s := CPDSummary{From: from, To: to}
	for _, a := range acts {
		if a.Renewal != "" || !from.Before(a.Date) || to.Before(a.Date) {
			continue
		}
		s.Points += a.Points
		if a.Formal {
			s.FormalPoints += a.Points
		}
		s.Activities++
		s.Counted = append(s.Counted, a.ID)
	}
	return s
}

// Missing says in words what the summary lacks under the rule, or "" when
// it meets it.
func (rule CPDRule) Missing(s CPDSummary) string {
	var miss []string
	if s.Points < rule.MinPoints {
		miss = append(miss, fmt.Sprintf("%s more points (you have %s of the %s needed)", points(rule.MinPoints-s.Points), points(s.Points), points(rule.MinPoints)))
	}
	if s.FormalPoints < rule.MinFormal {
		miss = append(miss, fmt.Sprintf("%s more formal points (you have %s of the %s formal points needed)", points(rule.MinFormal-s.FormalPoints), points(s.FormalPoints), points(rule.MinFormal)))
	}
	if len(miss) == 0 {
		return ""
	}
	return "your CPD since " + string(s.From) + " needs " + strings.Join(miss, " and ")
}

func points(p float64) string { return fmt.Sprintf("%g", p) }

// Validate checks a rule before it is recorded.
func (rule CPDRule) Validate() error {
	if rule.MinPoints < 0 || rule.MinPoints > 500 || rule.MinFormal < 0 || rule.MinFormal > rule.MinPoints {
		return fmt.Errorf("%w: CPD points needed must be from 0 to 500, and formal points from 0 to the points needed", ErrInvalid)
	}
	return nil
}

// Renewal approvals.
const (
	ApproveAutomatically = "automatic"
	ApproveByRegistrar   = "registrar"
)

// RenewalPolicy is how renewals are decided.
type RenewalPolicy struct {
	CPD CPDRule `json:"cpd"`
	// Approval is ApproveAutomatically (a renewal that meets the rule is
	// approved when it is made) or ApproveByRegistrar.
	Approval string `json:"approval"`
	// WindowDays is how long before registered-until a renewal opens.
	WindowDays int `json:"window_days"`
}

// DefaultRenewalPolicy is NALW's rule, approved automatically, open from
// 60 days before registered-until (when the first reminder goes).
var DefaultRenewalPolicy = RenewalPolicy{CPD: CPDRule{MinPoints: 20, MinFormal: 10}, Approval: ApproveAutomatically, WindowDays: 60}

// RenewalPolicyOf returns the register's policy; a register that never set
// one has the default.
func RenewalPolicyOf(s Settings) RenewalPolicy {
	if s.Renewal == nil {
		return DefaultRenewalPolicy
	}
	return *s.Renewal
}

// Validate checks a policy before it is recorded.
func (p RenewalPolicy) Validate() error {
	if err := p.CPD.Validate(); err != nil {
		return err
	}
	if p.Approval != ApproveAutomatically && p.Approval != ApproveByRegistrar {
		return fmt.Errorf("%w: approval %q must be %s or %s", ErrInvalid, clip(p.Approval), ApproveAutomatically, ApproveByRegistrar)
	}
	if p.WindowDays < 1 || p.WindowDays > 365 {
		return fmt.Errorf("%w: a renewal may open from 1 to 365 days before registered-until, not %d", ErrInvalid, p.WindowDays)
	}
	return nil
}

// RenewalDeclaration is what a registrant declares when renewing. Each
// must be true; someone who cannot declare one talks to the registrar.
type RenewalDeclaration struct {
	FitToPractise    bool `json:"fit_to_practise"`
	NoNewConvictions bool `json:"no_new_convictions"`
	Health           bool `json:"health_does_not_affect_practice"`
	DetailsCorrect   bool `json:"details_correct"`
}

// Validate says which declaration is missing.
func (d RenewalDeclaration) Validate() error {
	const talk = "; if you cannot declare this, do not renew here: contact the registrar"
	switch {
	case !d.FitToPractise:
		return fmt.Errorf("%w: declare that you are fit to practise"+talk, ErrInvalid)
	case !d.NoNewConvictions:
		return fmt.Errorf("%w: declare that you have no new convictions or cautions"+talk, ErrInvalid)
	case !d.Health:
		return fmt.Errorf("%w: declare that no health condition affects your practice"+talk, ErrInvalid)
	case !d.DetailsCorrect:
		return fmt.Errorf("%w: confirm that your details are right; if they are not, contact the registrar to correct them first", ErrInvalid)
	}
	return nil
}

// Renewal states.
const (
	RenewalPending  = "pending"
	RenewalApproved = "approved"
	RenewalRefused  = "refused"
)

// Renewal is a registrant's yearly renewal and its decision.
type Renewal struct {
	ID          string             `json:"id"`
	Registrant  string             `json:"registration_number"`
	SubmittedAt time.Time          `json:"submitted_at"`
	Declaration RenewalDeclaration `json:"declaration"`
	CPD         CPDSummary         `json:"cpd"`
	Rule        CPDRule            `json:"rule"`
	State       string             `json:"state"`
	// Until is registered-until before the renewal; NewUntil after an
	// approval.
	Until     Date      `json:"registered_until_before"`
	NewUntil  Date      `json:"registered_until_after,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	// DecidedBy is "automatic" or the staff account or token that decided.
	DecidedBy   string `json:"decided_by,omitempty"`
	Reason      string `json:"reason,omitempty"`
	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// RenewalOpen refuses a renewal of r today that the policy does not open
// yet, or that r's status rules out.
func RenewalOpen(r *Registrant, p RenewalPolicy, today Date) error {
	switch r.Status {
	case Removed:
		return fmt.Errorf("%w: you were removed from the register, so you cannot renew; you may apply to join again", ErrConflict)
	case Suspended:
		return fmt.Errorf("%w: your registration is suspended, so it cannot be renewed now; contact the registrar", ErrConflict)
	}
	if opens := r.RegisteredUntil.AddDays(-p.WindowDays); today.Before(opens) {
		return fmt.Errorf("%w: renewal opens on %s, %d days before your registration ends on %s", ErrConflict, opens, p.WindowDays, r.RegisteredUntil)
	}
	return nil
}
