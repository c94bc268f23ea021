// Package renewals is the one set of operations on registrants' CPD
// records and yearly renewals that the registrant's account pages, the
// HTTP API (and so the CLI) and the console call. Each operation checks
// its input, then commits one command through the register's log, where
// the rules of issuer/register and issuer/fsm decide: a renewal that does
// not meet the CPD rule is refused there, and an approval renews the
// registration in the same entry. An approval then re-issues the
// registrant's credential, as a correction does, so that a wallet picks up
// the new end date when it refreshes.
package renewals

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// Service runs CPD and renewal operations on a register.
type Service struct{ srv *issuer.Server }

// New returns the operations on srv.
func New(srv *issuer.Server) *Service { return &Service{srv: srv} }

// Registrant is the actor for a registrant acting on their own record,
// signed in to their account.
func Registrant(number string) register.Actor {
	return register.Actor{TokenID: "registrant:" + number, Role: "registrant"}
}

func (s *Service) today() register.Date { return register.DateOf(s.srv.Now()) }

func newID(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// AddCPD records an activity for registrant number.
func (s *Service) AddCPD(ctx context.Context, actor register.Actor, number string, d register.CPDDraft) (*register.CPDActivity, error) {
	if err := d.Validate(s.today()); err != nil {
		return nil, err
	}
	res, err := s.srv.Apply(ctx, actor, fsm.AddCPD{ID: newID("cpd_"), Number: number, Draft: d})
	if err != nil {
		return nil, err
	}
	return res.(*register.CPDActivity), nil
}

// EditCPD replaces registrant number's activity id.
func (s *Service) EditCPD(ctx context.Context, actor register.Actor, number, id string, d register.CPDDraft) (*register.CPDActivity, error) {
	if err := d.Validate(s.today()); err != nil {
		return nil, err
	}
	res, err := s.srv.Apply(ctx, actor, fsm.EditCPD{ID: id, Number: number, Draft: d})
	if err != nil {
		return nil, err
	}
	return res.(*register.CPDActivity), nil
}

// DeleteCPD deletes registrant number's activity id.
func (s *Service) DeleteCPD(ctx context.Context, actor register.Actor, number, id string) error {
	_, err := s.srv.Apply(ctx, actor, fsm.DeleteCPD{ID: id, Number: number})
	return err
}

// CPD returns registrant number's activities, newest first.
func (s *Service) CPD(number string) ([]*register.CPDActivity, error) {
	if _, err := s.srv.State().Registrant(number); err != nil {
		return nil, err
	}
	return s.srv.State().CPDOf(number)
}

// Check is a renewal worked out before it is made.
type Check struct {
	Policy  register.RenewalPolicy
	Summary register.CPDSummary
	// Refusal says why a renewal made now would be refused, or is nil.
	Refusal error
	// Pending is the renewal waiting for a registrar, if there is one.
	Pending *register.Renewal
}

// Check works out registrant number's renewal as of today with the rules
// the renewal itself follows, committing nothing.
func (s *Service) Check(number string) (*Check, error) {
	st := s.srv.State()
	r, err := st.Registrant(number)
	if err != nil {
		return nil, err
	}
	acts, err := st.CPDOf(number)
	if err != nil {
		return nil, err
	}
	rs, err := st.RenewalsOf(number)
	if err != nil {
		return nil, err
	}
	c := &Check{Policy: register.RenewalPolicyOf(st.Settings())}
	c.Summary, c.Refusal = fsm.RenewalCheck(r, acts, rs, c.Policy, s.today())
	if i := slices.IndexFunc(rs, func(x *register.Renewal) bool { return x.State == register.RenewalPending }); i >= 0 {
		c.Pending = rs[i]
	}
	return c, nil
}

// Outcome is a renewal after it was made or decided.
type Outcome struct {
	Renewal *register.Renewal `json:"renewal"`
	// Reissued is the credential issued with the new end date, when the
	// registrant held one.
	Reissued *issuer.Issued `json:"reissued,omitempty"`
}

// Submit makes registrant number's renewal.
func (s *Service) Submit(ctx context.Context, actor register.Actor, number string, d register.RenewalDeclaration) (*Outcome, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	res, err := s.srv.Apply(ctx, actor, fsm.SubmitRenewal{ID: newID("rn_"), Number: number, Declaration: d})
	if err != nil {
		return nil, err
	}
	return s.reissue(ctx, actor, res.(*register.Renewal))
}

// Decide approves or refuses a pending renewal; a refusal needs a reason.
func (s *Service) Decide(ctx context.Context, actor register.Actor, id string, approve bool, reason string) (*Outcome, error) {
	if !approve {
		if err := register.CheckReason(reason); err != nil {
			return nil, err
		}
	}
	res, err := s.srv.Apply(ctx, actor, fsm.DecideRenewal{ID: id, Approve: approve, Reason: reason})
	if err != nil {
		return nil, err
	}
	return s.reissue(ctx, actor, res.(*register.Renewal))
}

// reissue issues a credential in place of a registrant's valid ones once
// a renewal is approved: theirs state the old end date.
func (s *Service) reissue(ctx context.Context, actor register.Actor, rn *register.Renewal) (*Outcome, error) {
	out := &Outcome{Renewal: rn}
	if rn.State != register.RenewalApproved {
		return out, nil
	}
	creds, err := s.srv.State().CredentialsOf(rn.Registrant)
	if err != nil {
		return out, err
	}
	if !slices.ContainsFunc(creds, func(c *register.IssuedCredential) bool { return c.Status == register.CredentialValid }) {
		return out, nil
	}
	if out.Reissued, err = s.srv.IssueCredential(ctx, actor, rn.Registrant); err != nil {
		return out, fmt.Errorf("the renewal is approved and the registration extended to %s, but re-issuing the credential failed: %w; issue a new credential", rn.NewUntil, err)
	}
	return out, nil
}

// Renewals returns the renewals in state ("" for all), oldest first.
func (s *Service) Renewals(state string) ([]*register.Renewal, error) {
	switch state {
	case "", register.RenewalPending, register.RenewalApproved, register.RenewalRefused:
	default:
		return nil, fmt.Errorf("%w: state %q must be pending, approved or refused", register.ErrInvalid, state)
	}
	return s.srv.State().Renewals(state)
}

// RenewalsOf returns registrant number's renewals, newest first.
func (s *Service) RenewalsOf(number string) ([]*register.Renewal, error) {
	return s.srv.State().RenewalsOf(number)
}

// Renewal returns one renewal.
func (s *Service) Renewal(id string) (*register.Renewal, error) { return s.srv.State().Renewal(id) }

// SetPolicy replaces how renewals are decided.
func (s *Service) SetPolicy(ctx context.Context, actor register.Actor, p register.RenewalPolicy) (register.RenewalPolicy, error) {
	if err := p.Validate(); err != nil {
		return p, err
	}
	res, err := s.srv.Apply(ctx, actor, fsm.SetRenewalPolicy{Policy: p})
	if err != nil {
		return p, err
	}
	return res.(register.RenewalPolicy), nil
}

// Policy returns how renewals are decided now.
func (s *Service) Policy() register.RenewalPolicy {
	return register.RenewalPolicyOf(s.srv.State().Settings())
}

// SetGracePeriod sets how many days after registered-until a registration
// that was not renewed lapses (0: at registered-until). Registrants in
// the grace period stay registered; their credentials expire at
// registered-until as before.
func (s *Service) SetGracePeriod(ctx context.Context, actor register.Actor, days int) (int, error) {
	if err := register.CheckGraceDays(days); err != nil {
		return 0, err
	}
	res, err := s.srv.Apply(ctx, actor, fsm.SetGracePeriod{Days: days})
	if err != nil {
		return 0, err
	}
	return res.(register.Settings).GraceDays, nil
}

// GracePeriod is the grace period in days.
func (s *Service) GracePeriod() int { return s.srv.State().Settings().GraceDays }
