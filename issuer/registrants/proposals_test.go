package registrants

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

// second returns another registrar.
func (f *fixture) second() register.Actor {
	f.t.Helper()
	_, bearer, err := f.srv.CreateToken(register.System, register.RoleRegistrar, "second registrar")
	require.NoError(f.t, err)
	a, err := f.srv.Authenticate(bearer)
	require.NoError(f.t, err)
	return a
}

func TestRemovalIsAProposalUntilASecondRegistrarApproves(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.add("Mary", "Seacole")
	_, err := f.svc.Issue(ctx, f.actor, r.Number)
	require.NoError(t, err)
	r, err = f.srv.State().Registrant(r.Number)
	require.NoError(t, err)

	p, err := f.svc.Preview(r.Number, &Remove{Reason: "Struck off", Number: r.Number})
	require.NoError(t, err)
	assert.True(t, p.NeedsApproval, "the rule is on by default")

	out, err := f.svc.Change(ctx, f.actor, r.Number, &Remove{Reason: "Struck off", Number: r.Number})
	require.NoError(t, err)
	require.NotNil(t, out.Proposal)
	assert.Nil(t, out.Registrant, "nothing changed yet")
	assert.Equal(t, register.ProposalPending, out.Proposal.State)
	now, err := f.srv.State().Registrant(r.Number)
	require.NoError(t, err)
	assert.Equal(t, r, now, "the record is as it was")

	// A second removal of the same registrant is refused while one waits.
	_, err = f.svc.Change(ctx, f.actor, r.Number, &Remove{Reason: "Again", Number: r.Number})
	require.ErrorIs(t, err, register.ErrConflict)

	// The proposer's own approval is refused and changes nothing.
	idx := f.srv.State().Index("")
	_, err = f.svc.Approve(ctx, f.actor, out.Proposal.ID)
	require.ErrorIs(t, err, register.ErrForbidden)
	assert.Contains(t, err.Error(), "second registrar")
	f.unchanged(idx, r)
	// So is another token of the same staff member.
	same := register.Actor{TokenID: "another-token", Role: register.RoleRegistrar, Staff: "st_same"}
	mine := register.Proposal{ProposedBy: register.Actor{TokenID: "one-token", Staff: "st_same"}, State: register.ProposalPending}
	_, err = mine.Approve(same, f.clk.Now(), 1)
	require.ErrorIs(t, err, register.ErrForbidden)

	second := f.second()
	pp, err := f.svc.PreviewProposal(out.Proposal.ID)
	require.NoError(t, err)
	assert.Contains(t, pp.Changes, register.Changed{Field: "Status", From: "registered", To: "removed"})

	done, err := f.svc.Approve(ctx, second, out.Proposal.ID)
	require.NoError(t, err)
	assert.Equal(t, register.Removed, done.Registrant.Status)
	assert.Equal(t, register.ProposalApproved, done.Proposal.State)
	assert.Equal(t, second, done.Proposal.DecidedBy)
	_, err = f.svc.Approve(ctx, second, out.Proposal.ID)
	require.ErrorIs(t, err, register.ErrConflict, "approved once only")
	_, err = f.svc.Reject(ctx, second, out.Proposal.ID, "too late")
	require.ErrorIs(t, err, register.ErrConflict)

	evs, err := f.srv.State().Audit(state.AuditFilter{Registrant: r.Number})
	require.NoError(t, err)
	var actions []string
	for _, ev := range evs {
		actions = append(actions, ev.Action)
	}
	assert.Subset(t, actions, []string{"proposal.create", "proposal.approve", "registrant.remove", "credential.revoke"})
}

func TestARejectedProposalChangesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.add("Ada", "Lovelace")
	out, err := f.svc.Change(ctx, f.actor, r.Number, &Restrict{Text: "Supervised practice only", Reason: "Panel", Review: "2026-09-01"})
	require.NoError(t, err)
	require.NotNil(t, out.Proposal)
	assert.Equal(t, "Supervised practice only", out.Proposal.Text)

	idx := f.srv.State().Index("")
	_, err = f.svc.Reject(ctx, f.actor, out.Proposal.ID, "")
	require.ErrorIs(t, err, register.ErrInvalid, "a reason is required")
	assert.Equal(t, idx, f.srv.State().Index(""))
	p, err := f.svc.Reject(ctx, f.actor, out.Proposal.ID, "Withdrawn: wrong registrant")
	require.NoError(t, err, "the proposer may withdraw their own")
	assert.Equal(t, register.ProposalRejected, p.State)
	_, err = f.svc.Approve(ctx, f.second(), out.Proposal.ID)
	require.ErrorIs(t, err, register.ErrConflict)
	now, err := f.srv.State().Registrant(r.Number)
	require.NoError(t, err)
	assert.False(t, now.Restricted())
}

func TestABadProposalIsRefusedBeforeItIsQueued(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.add("Alan", "Turing")
	idx := f.srv.State().Index("")
	for name, op := range map[string]Operation{
		"a review date gone by":   &Restrict{Text: "Supervised", Reason: "Panel", Review: "2026-01-01"},
		"a reason of only spaces": &Remove{Reason: "   ", Number: r.Number},
	} {
		_, err := f.svc.Change(ctx, f.actor, r.Number, op)
		require.ErrorIs(t, err, register.ErrInvalid, name)
	}
	ps, err := f.svc.Proposals(register.ProposalPending)
	require.NoError(t, err)
	assert.Empty(t, ps)
	assert.Equal(t, idx, f.srv.State().Index(""))
	_, err = f.svc.Proposals("maybe")
	require.ErrorIs(t, err, register.ErrInvalid)
}

func TestTheRuleTurnedOffMakesTheChangeAtOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.add("Joan", "Clarke")
	_, err := f.srv.Apply(ctx, register.System, fsm.SetSettings{TwoPerson: &register.TwoPersonRule{SoloRestrict: true}})
	require.NoError(t, err)
	out, err := f.svc.Change(ctx, f.actor, r.Number, &Restrict{Text: "Supervised", Reason: "Panel"})
	require.NoError(t, err)
	assert.Nil(t, out.Proposal)
	assert.True(t, out.Registrant.Restricted())
	out, err = f.svc.Change(ctx, f.actor, r.Number, &Remove{Reason: "Struck off", Number: r.Number})
	require.NoError(t, err)
	assert.NotNil(t, out.Proposal, "removal still needs two")
}
