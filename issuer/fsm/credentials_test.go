package fsm_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

func (h *harness) issue(number, jti string, idx uint64) *register.IssuedCredential {
	h.t.Helper()
	return h.ok(registrar, fsm.IssueCredential{ListSize: 1 << 10, Credential: register.IssuedCredential{
		JTI: jti, Registrant: number, KID: "kid", IssuedAt: h.at, ExpiresAt: h.at.Add(30 * 24 * time.Hour), List: "1", Idx: idx,
	}}).(*register.IssuedCredential)
}

func (h *harness) credStatus(jti string) register.CredentialStatus {
	h.t.Helper()
	c, err := h.state().Credential(jti)
	require.NoError(h.t, err)
	return c.Status
}

// TestCredentialsFollowTheRegistrant checks that a credential's published
// status follows its holder: suspended with them, valid again on
// reinstatement (no re-issue), revoked when a newer one supersedes it or
// when their restrictions change, and revoked for good on removal.
func TestCredentialsFollowTheRegistrant(t *testing.T) {
	h := newHarness(t)
	r := h.add("Grace", "Adeyemi")
	c1 := h.issue(r.Number, "c1", 3)
	assert.Equal(t, register.CredentialValid, c1.Status)

	h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpSuspend, Reason: "interim order"})
	assert.Equal(t, register.CredentialSuspended, h.credStatus("c1"))
	h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpReinstate, Reason: "lifted"})
	assert.Equal(t, register.CredentialValid, h.credStatus("c1"))

	h.issue(r.Number, "c2", 4)
	assert.Equal(t, register.CredentialRevoked, h.credStatus("c1"), "superseded")
	c, err := h.state().Credential("c1")
	require.NoError(t, err)
	assert.Equal(t, "superseded by c2", c.StatusReason)

	h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpRestrict, Text: "Supervised practice only.", Reason: "panel"})
	assert.Equal(t, register.CredentialRevoked, h.credStatus("c2"), "a credential saying 'no restrictions' must not outlive the restriction")
	h.issue(r.Number, "c3", 5)
	h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpUnrestrict, Reason: "review"})
	assert.Equal(t, register.CredentialRevoked, h.credStatus("c3"))

	h.issue(r.Number, "c4", 6)
	h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpRemove, Reason: "struck off"})
	assert.Equal(t, register.CredentialRevoked, h.credStatus("c4"))

	// Every credential status change is audited against the registrant.
	evs, err := h.state().Audit(state.AuditFilter{Registrant: r.Number})
	require.NoError(t, err)
	var actions []string
	for _, ev := range evs {
		if ev.Target != "" {
			actions = append(actions, ev.Action+":"+ev.Target)
		}
	}
	assert.Equal(t, []string{
		"credential.issue:c1", "credential.suspend:c1", "credential.reinstate:c1",
		"credential.supersede:c1", "credential.issue:c2", "credential.revoke:c2",
		"credential.issue:c3", "credential.revoke:c3", "credential.issue:c4", "credential.revoke:c4",
	}, actions)
}

// TestIssueCredentialRefusesTakenEntriesAndRegistrantsNotInGoodStanding
// checks the FSM's guards: the leader's random entry is only a proposal.
func TestIssueCredentialRefusesTakenEntriesAndRegistrantsNotInGoodStanding(t *testing.T) {
	h := newHarness(t)
	a := h.add("Amara", "Nwosu")
	b := h.add("Priya", "Raghunathan")
	h.issue(a.Number, "a1", 9)
	before := h.state().Index("")
	res := h.apply(registrar, fsm.IssueCredential{ListSize: 1 << 10, Credential: register.IssuedCredential{
		JTI: "b1", Registrant: b.Number, KID: "kid", IssuedAt: h.at, ExpiresAt: h.at.Add(time.Hour), List: "1", Idx: 9}})
	err, _ := res.(error)
	require.ErrorIs(t, err, fsm.ErrSlotTaken)
	assert.Equal(t, before, h.state().Index(""), "a refused issuance changes nothing")

	res = h.apply(registrar, fsm.IssueCredential{ListSize: 1 << 10, Credential: register.IssuedCredential{
		JTI: "b2", Registrant: b.Number, KID: "kid", IssuedAt: h.at, ExpiresAt: h.at.Add(time.Hour), List: "1", Idx: 1 << 10}})
	err, _ = res.(error)
	require.ErrorIs(t, err, register.ErrInvalid, "an index outside the list")

	h.change(fsm.ChangeRegistrant{Number: b.Number, Op: fsm.OpSuspend, Reason: "interim order"})
	res = h.apply(registrar, fsm.IssueCredential{ListSize: 1 << 10, Credential: register.IssuedCredential{
		JTI: "b3", Registrant: b.Number, KID: "kid", IssuedAt: h.at, ExpiresAt: h.at.Add(time.Hour), List: "1", Idx: 10}})
	err, _ = res.(error)
	require.True(t, errors.Is(err, register.ErrConflict), "a suspended registrant gets no credential: %v", err)

	res = h.apply(registrar, fsm.RevokeCredential{JTI: "a1", Reason: "lost\u202ephone"})
	err, _ = res.(error)
	require.ErrorIs(t, err, register.ErrInvalid, "revocation reasons are checked like every reason")
}
