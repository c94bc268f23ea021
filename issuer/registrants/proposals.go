package registrants

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// The two-person rule (register.TwoPersonRule): when the register's
// settings ask for it, Change turns a removal or a new restriction into a
// proposal, which takes effect when a second registrar approves it.

func proposedChange(op fsm.Op) string {
	switch op {
	case fsm.OpRemove:
		return register.ProposeRemove
	case fsm.OpRestrict:
		return register.ProposeRestrict
	}
	return ""
}

// needsApproval reports whether op waits for a second registrar under the
// register's settings now.
func (s *Service) needsApproval(op fsm.Op) bool {
	return s.srv.State().Settings().TwoPerson.Applies(proposedChange(op))
}

func (s *Service) propose(ctx context.Context, actor register.Actor, cmd fsm.ChangeRegistrant) (*register.Proposal, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("making a proposal id: %w", err)
	}
	p := register.Proposal{ID: "pr-" + hex.EncodeToString(b[:]), Registrant: cmd.Number, Change: proposedChange(cmd.Op), Reason: cmd.Reason, Text: cmd.Text, Review: cmd.Review, Decided: cmd.Decided}
	res, err := s.srv.Apply(ctx, actor, fsm.Propose{Proposal: p})
	if err != nil {
		return nil, err
	}
	return res.(*register.Proposal), nil
}

// Proposals lists proposals in state st (all if empty), oldest first.
func (s *Service) Proposals(st register.ProposalState) ([]*register.Proposal, error) {
	if st != "" && st != register.ProposalPending && st != register.ProposalApproved && st != register.ProposalRejected {
		return nil, fmt.Errorf("%w: state %q is not one of pending, approved, rejected", register.ErrInvalid, st)
	}
	return s.srv.State().Proposals(st)
}

// Proposal returns one proposal.
func (s *Service) Proposal(id string) (*register.Proposal, error) { return s.srv.State().Proposal(id) }

// PreviewProposal works out what approving proposal id would do now.
func (s *Service) PreviewProposal(id string) (*Preview, error) {
	p, err := s.srv.State().Proposal(id)
	if err != nil {
		return nil, err
	}
	if p.State != register.ProposalPending {
		return nil, fmt.Errorf("%w: proposal %s is already %s", register.ErrConflict, p.ID, p.State)
	}
	return s.previewCommand(fsm.ProposedChange(p))
}

// Approve approves a pending proposal on behalf of actor, who must not be
// its proposer, and makes its change.
func (s *Service) Approve(ctx context.Context, actor register.Actor, id string) (*Outcome, error) {
	c, err := s.srv.Commit(ctx, actor, fsm.Approve{ID: id})
	if err != nil {
		return nil, err
	}
	res := c.Result.(fsm.ApproveResult)
	return &Outcome{Registrant: res.Registrant, StatusPublishedAt: c.StatusPublishedAt, Proposal: res.Proposal}, nil
}

// Reject turns a pending proposal down, for the reason given.
func (s *Service) Reject(ctx context.Context, actor register.Actor, id, reason string) (*register.Proposal, error) {
	if err := RequireReason(reason); err != nil {
		return nil, err
	}
	res, err := s.srv.Apply(ctx, actor, fsm.Reject{ID: id, Reason: reason})
	if err != nil {
		return nil, err
	}
	return res.(*register.Proposal), nil
}
