package register

import (
	"fmt"
	"time"
)

// The two-person rule: removal and new restrictions are proposed by one
// registrar and take effect only when a second one approves them, so that
// no one person can end a link worker's registration or put conditions on
// their practice alone.

// TwoPersonRule says which changes a second registrar must approve. Its
// zero value, which every register has until an admin changes it, asks it
// for both: the fields say where it is turned off.
type TwoPersonRule struct {
	// SoloRemove lets one registrar remove a registrant alone.
	SoloRemove bool `json:"solo_remove,omitempty"`
	// SoloRestrict lets one registrar add a restriction alone.
	SoloRestrict bool `json:"solo_restrict,omitempty"`
}

// The changes the two-person rule can apply to.
const (
	ProposeRemove   = "remove"
	ProposeRestrict = "restrict"
)

// Applies reports whether change ("remove" or "restrict") needs a second
// registrar's approval.
func (t TwoPersonRule) Applies(change string) bool {
	switch change {
	case ProposeRemove:
		return !t.SoloRemove
	case ProposeRestrict:
		return !t.SoloRestrict
	}
	return false
}

// ProposalState is where a proposal is in its life.
type ProposalState string

// Proposal states: pending until a second registrar approves (the change
// is then made) or someone rejects it.
const (
	ProposalPending  ProposalState = "pending"
	ProposalApproved ProposalState = "approved"
	ProposalRejected ProposalState = "rejected"
)

// Proposal is a change to a registrant waiting for a second registrar.
type Proposal struct {
	ID         string `json:"id"`
	Registrant string `json:"registration_number"`
	// Change is "remove" or "restrict"; Reason, Text (a restriction's
	// public wording) and Review (its review date) are what the change
	// will be made with.
	Change string `json:"change"`
	Reason string `json:"reason"`
	Text   string `json:"text,omitempty"`
	Review Date   `json:"review,omitempty"`
	// Decided is the date the decision behind the change was made, if
	// before the proposal.
	Decided Date `json:"decided,omitempty"`

	State      ProposalState `json:"state"`
	ProposedBy Actor         `json:"proposed_by"`
	ProposedAt time.Time     `json:"proposed_at"`
	// DecidedBy approved or rejected it, at DecidedAt; DecisionReason is
	// why it was rejected.
	DecidedBy      Actor     `json:"decided_by,omitzero"`
	DecidedAt      time.Time `json:"decided_at,omitzero"`
	DecisionReason string    `json:"decision_reason,omitempty"`

	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// SamePerson reports whether two actors are the same person: the same
// staff account (whether from the console or a token of theirs), or, for
// an integration, the same token.
func SamePerson(a, b Actor) bool {
	if a.Staff != "" || b.Staff != "" {
		return a.Staff == b.Staff
	}
	return a.TokenID == b.TokenID
}

// CheckProposal checks a new proposal's own fields.
func (p Proposal) CheckProposal() error {
	if p.ID == "" || p.Registrant == "" {
		return fmt.Errorf("%w: a proposal needs an id and a registrant", ErrInvalid)
	}
	if p.Change != ProposeRemove && p.Change != ProposeRestrict {
		return fmt.Errorf("%w: only removal and restriction are proposed for approval, not %q", ErrInvalid, clip(p.Change))
	}
	return checkReason(p.Reason)
}

func (p *Proposal) decide(by Actor, at time.Time, idx uint64, st ProposalState, reason string) (*Proposal, error) {
	if p.State != ProposalPending {
		return nil, fmt.Errorf("%w: proposal %s is already %s", ErrConflict, p.ID, p.State)
	}
	c := *p
	c.State, c.DecidedBy, c.DecidedAt, c.DecisionReason, c.ModifyIndex = st, by, at, reason, idx
	return &c, nil
}

// Approve approves a pending proposal. Its proposer cannot: a second
// person must.
func (p *Proposal) Approve(by Actor, at time.Time, idx uint64) (*Proposal, error) {
	if SamePerson(by, p.ProposedBy) {
		return nil, fmt.Errorf("%w: you proposed this change, so a second registrar must approve it", ErrForbidden)
	}
	return p.decide(by, at, idx, ProposalApproved, "")
}

// Reject turns a pending proposal down for the reason given; its proposer
// may withdraw it this way.
func (p *Proposal) Reject(by Actor, reason string, at time.Time, idx uint64) (*Proposal, error) {
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	return p.decide(by, at, idx, ProposalRejected, reason)
}
