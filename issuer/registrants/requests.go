package registrants

import (
	"fmt"
	"strings"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/regno"
)

// Operation is one change to an existing registrant, as the API decodes it
// from JSON and the console from a form. Validate checks what can be
// checked without the record; Command builds the change for registrant
// number. The register's rules (issuer/register) check the rest, in the
// preview and again when the change is applied.
type Operation interface {
	Validate() error
	Command(number string) (fsm.ChangeRegistrant, error)
}

// RequireReason refuses an empty reason, saying why one is asked for.
func RequireReason(reason string) error {
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("%w: reason is required for this change and is kept in the audit trail", register.ErrInvalid)
	}
	return nil
}

func validDate(field string, d register.Date) error {
	if d == "" {
		return nil
	}
	if _, err := register.ParseDate(string(d)); err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	return nil
}

// Suspend suspends a registered registrant, optionally until a date (when
// the register reinstates them by itself) and with a review date.
type Suspend struct {
	Reason string        `json:"reason"`
	Until  register.Date `json:"until,omitempty"`
	Review register.Date `json:"review,omitempty"`
	// DecidedOn is when the decision was made, if before today.
	DecidedOn register.Date `json:"decided_on,omitempty"`
}

// Validate checks the request on its own.
func (q *Suspend) Validate() error {
	if err := RequireReason(q.Reason); err != nil {
		return err
	}
	if err := validDate("until", q.Until); err != nil {
		return err
	}
	if err := validDate("decided_on", q.DecidedOn); err != nil {
		return err
	}
	return validDate("review", q.Review)
}

// Command builds the change.
func (q *Suspend) Command(n string) (fsm.ChangeRegistrant, error) {
	return fsm.ChangeRegistrant{Number: n, Op: fsm.OpSuspend, Reason: q.Reason, Until: q.Until, Review: q.Review, Decided: q.DecidedOn}, nil
}

// Reinstate ends a suspension.
type Reinstate struct {
	Reason string `json:"reason"`
}

// Validate checks the request on its own.
func (q *Reinstate) Validate() error { return RequireReason(q.Reason) }

// Command builds the change.
func (q *Reinstate) Command(n string) (fsm.ChangeRegistrant, error) {
	return fsm.ChangeRegistrant{Number: n, Op: fsm.OpReinstate, Reason: q.Reason}, nil
}

// Unrestrict lifts every condition on practice.
type Unrestrict struct {
	Reason string `json:"reason"`
}

// Validate checks the request on its own.
func (q *Unrestrict) Validate() error { return RequireReason(q.Reason) }

// Command builds the change.
func (q *Unrestrict) Command(n string) (fsm.ChangeRegistrant, error) {
	return fsm.ChangeRegistrant{Number: n, Op: fsm.OpUnrestrict, Reason: q.Reason}, nil
}

// SetReview moves the review date of a suspension, or of one restriction
// when Restriction is set (from 0, in the order imposed).
type SetReview struct {
	Review      register.Date `json:"review"`
	Restriction *int          `json:"restriction,omitempty"`
	Reason      string        `json:"reason"`
}

// Validate checks the request on its own.
func (q *SetReview) Validate() error {
	if err := RequireReason(q.Reason); err != nil {
		return err
	}
	if q.Review == "" {
		return fmt.Errorf("%w: review date is required: give the new date, YYYY-MM-DD", register.ErrInvalid)
	}
	return validDate("review", q.Review)
}

// Command builds the change.
func (q *SetReview) Command(n string) (fsm.ChangeRegistrant, error) {
	return fsm.ChangeRegistrant{Number: n, Op: fsm.OpSetReview, Review: q.Review, Restriction: q.Restriction, Reason: q.Reason}, nil
}

// Remove takes a registrant off the register for good. It repeats the
// registration number: removal is final, and a valid but wrong number
// passes the check digit.
type Remove struct {
	Reason    string        `json:"reason"`
	Number    string        `json:"registration_number"`
	DecidedOn register.Date `json:"decided_on,omitempty"`
}

// Validate checks the request on its own.
func (q *Remove) Validate() error {
	if err := RequireReason(q.Reason); err != nil {
		return err
	}
	if q.Number == "" {
		return fmt.Errorf("%w: registration_number is required: removal is final, so repeat the number of the registrant to remove", register.ErrInvalid)
	}
	return validDate("decided_on", q.DecidedOn)
}

// Command builds the change, refusing it unless the number typed is the
// registrant's.
func (q *Remove) Command(n string) (fsm.ChangeRegistrant, error) {
	if m, err := regno.Parse(q.Number); err != nil || m != n {
		return fsm.ChangeRegistrant{}, fmt.Errorf("%w: registration_number is not %s, the registrant this request removes; nothing was changed", register.ErrInvalid, n)
	}
	return fsm.ChangeRegistrant{Number: n, Op: fsm.OpRemove, Reason: q.Reason, Decided: q.DecidedOn}, nil
}

// Renew extends registration to Until, or by a year.
type Renew struct {
	Until register.Date `json:"until,omitempty"`
}

// Validate checks the request on its own.
func (q *Renew) Validate() error { return validDate("until", q.Until) }

// Command builds the change.
func (q *Renew) Command(n string) (fsm.ChangeRegistrant, error) {
	return fsm.ChangeRegistrant{Number: n, Op: fsm.OpRenew, Until: q.Until}, nil
}

// Restrict adds a condition on practice with its public wording, and
// optionally the date it is due for review.
type Restrict struct {
	Text      string        `json:"text"`
	Reason    string        `json:"reason"`
	Review    register.Date `json:"review,omitempty"`
	DecidedOn register.Date `json:"decided_on,omitempty"`
}

// Validate checks the request on its own.
func (q *Restrict) Validate() error {
	if strings.TrimSpace(q.Text) == "" {
		return fmt.Errorf("%w: text (the public wording of the restriction) is required", register.ErrInvalid)
	}
	if err := RequireReason(q.Reason); err != nil {
		return err
	}
	if err := validDate("decided_on", q.DecidedOn); err != nil {
		return err
	}
	return validDate("review", q.Review)
}

// Command builds the change.
func (q *Restrict) Command(n string) (fsm.ChangeRegistrant, error) {
	return fsm.ChangeRegistrant{Number: n, Op: fsm.OpRestrict, Text: q.Text, Reason: q.Reason, Review: q.Review, Decided: q.DecidedOn}, nil
}

// AddQualification records a qualification; one awarded after today is
// refused.
type AddQualification struct{ register.Qualification }

// Validate checks the request on its own.
func (q *AddQualification) Validate() error { return q.Qualification.ValidateClaim() }

// Command builds the change.
func (q *AddQualification) Command(n string) (fsm.ChangeRegistrant, error) {
	qual := q.Qualification
	return fsm.ChangeRegistrant{Number: n, Op: fsm.OpQualification, Qualification: &qual, RefuseFutureAward: true}, nil
}

// RecordCPD sets the CPD hours of one year.
type RecordCPD struct{ register.CPD }

// Validate checks the request on its own; the rule checks the ranges.
func (q *RecordCPD) Validate() error { return nil }

// Command builds the change.
func (q *RecordCPD) Command(n string) (fsm.ChangeRegistrant, error) {
	p := q.CPD
	return fsm.ChangeRegistrant{Number: n, Op: fsm.OpCPD, CPD: &p}, nil
}

// Correct amends what was entered wrongly: name, email or nation.
type Correct struct {
	register.Correction
	Reason string `json:"reason"`
}

// Validate checks the request on its own.
func (q *Correct) Validate() error {
	c := q.Correction
	if c.Given == nil && c.Family == nil && c.Email == nil && c.Nation == nil {
		return fmt.Errorf("%w: give at least one of given_name, family_name, email, nation to correct", register.ErrInvalid)
	}
	return RequireReason(q.Reason)
}

// Command builds the change.
func (q *Correct) Command(n string) (fsm.ChangeRegistrant, error) {
	c := q.Correction
	return fsm.ChangeRegistrant{Number: n, Op: fsm.OpCorrect, Correction: &c, Reason: q.Reason}, nil
}

// EditQualification replaces qualification Index (from 0, in the order
// recorded; the API takes it from the path).
type EditQualification struct {
	register.Qualification
	Reason string `json:"reason"`
	Index  int    `json:"-"`
}

// Validate checks the request on its own.
func (q *EditQualification) Validate() error {
	if err := q.Qualification.ValidateClaim(); err != nil {
		return err
	}
	return RequireReason(q.Reason)
}

// Command builds the change.
func (q *EditQualification) Command(n string) (fsm.ChangeRegistrant, error) {
	qual := q.Qualification
	return fsm.ChangeRegistrant{Number: n, Op: fsm.OpEditQualification, QualificationIndex: q.Index, Qualification: &qual, Reason: q.Reason}, nil
}

// WithdrawQualification takes qualification Index off the record.
type WithdrawQualification struct {
	Reason string `json:"reason"`
	Index  int    `json:"-"`
}

// Validate checks the request on its own.
func (q *WithdrawQualification) Validate() error { return RequireReason(q.Reason) }

// Command builds the change.
func (q *WithdrawQualification) Command(n string) (fsm.ChangeRegistrant, error) {
	return fsm.ChangeRegistrant{Number: n, Op: fsm.OpWithdrawQualification, QualificationIndex: q.Index, Reason: q.Reason}, nil
}

// Add describes a person joining the register.
type Add struct {
	register.NewRegistrant
	// AllowDuplicate adds the registrant even when one with the same
	// name and email is on the register.
	AllowDuplicate bool `json:"allow_duplicate,omitempty"`
	// Today is the date the request is checked against; the service sets
	// it from the register's clock.
	Today register.Date `json:"-"`
}

// Validate checks the new registrant against the date Today.
func (q *Add) Validate() error { return q.NewRegistrant.Validate(q.Today) }

// RevokeCredential revokes one credential for good.
type RevokeCredential struct {
	Reason string `json:"reason"`
}

// Validate checks the request on its own.
func (q *RevokeCredential) Validate() error { return RequireReason(q.Reason) }
