package fsm

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/confirmations"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/staff"
)

// Message types of training providers' confirmations (180-184 are theirs).
const (
	MsgQualificationAnswer MessageType = 180
)

func init() {
	appliers[MsgQualificationAnswer] = decode(applyAnswerQualification)
	versions[MsgQualificationAnswer] = 2
}

// AnswerQualification records a training provider's staff member's answer
// (confirmed, or disputed with a reason) about a qualification an
// application or a registrant claims from one of the provider's courses.
// The answerer's provider is read from their staff account in the entry's
// own transaction, so that a provider answers only for its own courses.
type AnswerQualification struct {
	confirmations.Answer
}

func (AnswerQualification) MessageType() MessageType { return MsgQualificationAnswer }

// AnswerResult is what AnswerQualification returns: the confirmation as
// it stands, and whether this entry changed it (an answer repeated is not
// a change, and is not audited again).
type AnswerResult struct {
	Confirmation *confirmations.Confirmation `json:"confirmation"`
	Changed      bool                        `json:"changed"`
}

// Answerable returns the qualifications of an answer's subject and, in
// closed, why a provider may not answer about them now: an application a
// registrar already decided (an approved one's registrant is answered
// instead), or a registrant removed from the register. closed is told
// only to a provider with a claim there (AnswerCheck).
func Answerable(tx *state.Txn, s confirmations.Subject) (qs []register.Qualification, closed, err error) {
	if err := s.Validate(); err != nil {
		return nil, nil, err
	}
	if s.Application != "" {
		a, err := tx.Application(s.Application)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case a.State == applications.Approved:
			closed = fmt.Errorf("%w: application %s was approved and is now registrant %s: answer on their record instead", register.ErrConflict, a.Ref, a.Registrant)
		case !a.State.Open():
			closed = fmt.Errorf("%w: application %s was %s, so it no longer waits for its provider's answer", register.ErrConflict, a.Ref, a.State)
		}
		return a.Qualifications, closed, nil
	}
	r, err := tx.Registrant(s.Registrant)
	if err != nil {
		return nil, nil, err
	}
	if r.Status == register.Removed {
		closed = fmt.Errorf("%w: %s was removed from the register, so their qualifications are no longer answered", register.ErrConflict, r.Number)
	}
	return r.Qualifications, closed, nil
}

// AnswererProvider returns the catalogue provider of the staff account
// actor acts for, or a refusal if it is not a provider's account.
func AnswererProvider(tx *state.Txn, actor register.Actor) (string, error) {
	if actor.Role != register.RoleProvider || actor.Staff == "" {
		return "", fmt.Errorf("%w: only a training provider's staff account confirms or disputes qualifications; registrars see the answers on the record", register.ErrForbidden)
	}
	a, err := tx.StaffAccount(actor.Staff)
	if err != nil {
		return "", err
	}
	if a.Status != staff.Active || a.Role != register.RoleProvider || a.Provider == "" {
		return "", fmt.Errorf("%w: staff account %s is not an active provider account", register.ErrForbidden, a.ID)
	}
	return a.Provider, nil
}

// AnswerCheck looks up, in tx, everything deciding answer a needs, and
// the answer already recorded, if any.
func AnswerCheck(tx *state.Txn, actor register.Actor, a confirmations.Answer) (confirmations.Check, *confirmations.Confirmation, error) {
	var ck confirmations.Check
	var err error
	if ck.Answerer, err = AnswererProvider(tx, actor); err != nil {
		return ck, nil, err
	}
	qs, closed, err := Answerable(tx, a.Subject)
	if err != nil {
		return ck, nil, err
	}
	ck.Qualifications = qs
	q, ok := confirmations.At(a, qs)
	if !ok || q.Course == "" {
		return ck, nil, nil // Decide refuses it
	}
	if ck.Course, err = tx.Course(q.Course); err != nil {
		return ck, nil, err
	}
	if ck.Provider, err = tx.Provider(ck.Course.Provider); err != nil {
		return ck, nil, err
	}
	if closed != nil && ck.Provider.ID == ck.Answerer {
		return ck, nil, closed
	}
	old, err := tx.Confirmation(confirmations.Key(a.Subject, q.Course, q.Awarded))
	if errors.Is(err, register.ErrNotFound) {
		return ck, nil, nil
	}
	return ck, old, nil
}

func applyAnswerQualification(tx *state.Txn, env *envelope, cmd *AnswerQualification) (any, error) {
	if err := cmd.Validate(); err != nil {
		return nil, err
	}
	ck, old, err := AnswerCheck(tx, env.Actor, cmd.Answer)
	if err != nil {
		return nil, err
	}
	c, changed, err := confirmations.Decide(old, cmd.Answer, ck, actorID(env.Actor), env.At, tx.Index())
	if err != nil || !changed {
		return AnswerResult{Confirmation: c}, err
	}
	if err := tx.PutConfirmation(c); err != nil {
		return nil, err
	}
	details := map[string]string{"course": c.Course, "provider": c.Provider, "awarded": string(c.Awarded), "index": strconv.Itoa(cmd.Index)}
	if c.Application != "" {
		details["application"] = c.Application
	}
	if old != nil {
		details["from"] = string(old.Outcome)
	}
	return AnswerResult{Confirmation: c, Changed: true},
		audit(tx, env, "qualification."+map[confirmations.Outcome]string{confirmations.Confirmed: "confirm", confirmations.Disputed: "dispute"}[c.Outcome],
			c.Registrant, c.ID, c.Reason, details)
}

// carryConfirmations gives registrant number, added by approving
// application ref, the answers the application's providers gave: they
// are about the same person's same qualifications.
func carryConfirmations(tx *state.Txn, env *envelope, ref, number string) error {
	cs, err := tx.ConfirmationsOf(confirmations.Subject{Application: ref})
	if err != nil {
		return err
	}
	for _, c := range cs {
		n := c.Carry(number, tx.Index())
		if err := tx.PutConfirmation(n); err != nil {
			return err
		}
		if err := audit(tx, env, "qualification.confirmation-carried", number, n.ID, "",
			map[string]string{"application": ref, "course": n.Course, "outcome": string(n.Outcome)}); err != nil {
			return err
		}
	}
	return nil
}
