package fsm

import (
	"fmt"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

// Message types of the two-person rule and of suspensions that end by
// themselves (100-109 are theirs).
const (
	MsgProposalCreate  MessageType = 100
	MsgProposalApprove MessageType = 101
	MsgProposalReject  MessageType = 102
	MsgSuspensionSweep MessageType = 103
)

func init() {
	appliers[MsgProposalCreate] = decode(applyPropose)
	appliers[MsgProposalApprove] = decode(applyApprove)
	appliers[MsgProposalReject] = decode(applyReject)
	appliers[MsgSuspensionSweep] = decode(applySuspensionSweep)
}

// Propose records a removal or restriction for a second registrar to
// approve. The leader chooses its id. It is refused if the change would
// be refused now, so that the queue holds only changes that can be made.
type Propose struct {
	Proposal register.Proposal `json:"proposal"`
}

// Approve approves a pending proposal and makes its change, in one entry:
// the change is audited as the approver's, with the proposer named.
type Approve struct {
	ID string `json:"id"`
}

// Reject turns a pending proposal down.
type Reject struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// SuspensionSweep reinstates every suspended registrant whose suspension
// has reached its end date by the date of the entry.
type SuspensionSweep struct{}

func (Propose) MessageType() MessageType         { return MsgProposalCreate }
func (Approve) MessageType() MessageType         { return MsgProposalApprove }
func (Reject) MessageType() MessageType          { return MsgProposalReject }
func (SuspensionSweep) MessageType() MessageType { return MsgSuspensionSweep }

// ProposedChange is the registrant change a proposal makes once approved.
func ProposedChange(p *register.Proposal) ChangeRegistrant {
	cmd := ChangeRegistrant{Number: p.Registrant, Reason: p.Reason, Decided: p.Decided}
	switch p.Change {
	case register.ProposeRemove:
		cmd.Op = OpRemove
	case register.ProposeRestrict:
		cmd.Op, cmd.Text, cmd.Review = OpRestrict, p.Text, p.Review
	}
	return cmd
}

func applyPropose(tx *state.Txn, env *envelope, cmd *Propose) (any, error) {
	p := cmd.Proposal
	if err := p.CheckProposal(); err != nil {
		return nil, err
	}
	if _, err := tx.Proposal(p.ID); err == nil {
		return nil, fmt.Errorf("%w: proposal %s exists", register.ErrConflict, p.ID)
	}
	old, err := tx.Registrant(p.Registrant)
	if err != nil {
		return nil, err
	}
	change := ProposedChange(&p)
	if _, err := change.Apply(old, env.At, tx.Index()); err != nil {
		return nil, err
	}
	pending, err := tx.ProposalsOf(p.Registrant)
	if err != nil {
		return nil, err
	}
	for _, q := range pending {
		if q.State == register.ProposalPending && q.Change == register.ProposeRemove && p.Change == register.ProposeRemove {
			return nil, fmt.Errorf("%w: the removal of %s is already proposed (%s) and waits for approval", register.ErrConflict, p.Registrant, q.ID)
		}
	}
	p = register.Proposal{ID: p.ID, Registrant: p.Registrant, Change: p.Change, Reason: p.Reason, Text: p.Text, Review: p.Review, Decided: p.Decided,
		State: register.ProposalPending, ProposedBy: env.Actor, ProposedAt: env.At, CreateIndex: tx.Index(), ModifyIndex: tx.Index()}
	if err := tx.PutProposal(&p); err != nil {
		return nil, err
	}
	details := map[string]string{"change": p.Change}
	if p.Text != "" {
		details["text"] = p.Text
	}
	if p.Review != "" {
		details["review"] = string(p.Review)
	}
	return &p, audit(tx, env, "proposal.create", p.Registrant, p.ID, p.Reason, details)
}

// ApproveResult is what approving a proposal returns: the proposal and the
// registrant after its change.
type ApproveResult struct {
	Proposal *register.Proposal
	Result
}

func applyApprove(tx *state.Txn, env *envelope, cmd *Approve) (any, error) {
	old, err := tx.Proposal(cmd.ID)
	if err != nil {
		return nil, err
	}
	p, err := old.Approve(env.Actor, env.At, tx.Index())
	if err != nil {
		return nil, err
	}
	if err := tx.PutProposal(p); err != nil {
		return nil, err
	}
	if err := audit(tx, env, "proposal.approve", p.Registrant, p.ID, "", map[string]string{"change": p.Change, "proposed_by": actorID(p.ProposedBy)}); err != nil {
		return nil, err
	}
	change := ProposedChange(p)
	res, err := changeRegistrant(tx, env, &change, map[string]string{"proposal": p.ID, "proposed_by": actorID(p.ProposedBy)})
	if err != nil {
		return nil, err
	}
	return ApproveResult{Proposal: p, Result: res}, nil
}

func applyReject(tx *state.Txn, env *envelope, cmd *Reject) (any, error) {
	old, err := tx.Proposal(cmd.ID)
	if err != nil {
		return nil, err
	}
	p, err := old.Reject(env.Actor, cmd.Reason, env.At, tx.Index())
	if err != nil {
		return nil, err
	}
	if err := tx.PutProposal(p); err != nil {
		return nil, err
	}
	return p, audit(tx, env, "proposal.reject", p.Registrant, p.ID, cmd.Reason, map[string]string{"change": p.Change, "proposed_by": actorID(p.ProposedBy)})
}

func applySuspensionSweep(tx *state.Txn, env *envelope, _ *SuspensionSweep) (any, error) {
	regs, err := tx.Registrants(register.Suspended)
	if err != nil {
		return nil, err
	}
	today := register.DateOf(env.At)
	n := 0
	for _, r := range regs {
		if !r.SuspensionEnded(today) {
			continue
		}
		change := ChangeRegistrant{Number: r.Number, Op: OpReinstate, Reason: register.SuspensionEndedReason(r.SuspendedUntil)}
		if _, err := changeRegistrant(tx, env, &change, map[string]string{"automatic": "true"}); err != nil {
			return nil, err
		}
		n++
	}
	return n, nil
}
