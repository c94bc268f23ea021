package api

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

// solo turns the two-person rule off, for tests of removal and
// restriction made by one registrar.
func (f *fixture) solo() {
	f.t.Helper()
	_, err := f.srv.Apply(context.Background(), f.adminActor, fsm.SetSettings{TwoPerson: &register.TwoPersonRule{SoloRemove: true, SoloRestrict: true}})
	require.NoError(f.t, err)
}

func TestRemovalIsProposedThenApprovedByASecondRegistrar(t *testing.T) {
	f := newFixture(t)
	r := f.add("Amara", "Nwosu", "")
	_, second, err := f.srv.CreateToken(f.adminActor, register.RoleRegistrar, "second registrar")
	require.NoError(t, err)

	res := f.post("/v1/registrants/"+r.Number+"/remove", f.registrar, `{"reason":"struck off","registration_number":"`+r.Number+`"}`)
	require.Equal(t, http.StatusAccepted, res.status, "body: %s", res.body)
	var out proposedResponse
	require.NoError(t, json.Unmarshal(res.body, &out))
	assert.True(t, out.PendingApproval)
	assert.Contains(t, out.Message, "Nothing has changed yet")
	require.NotNil(t, out.Proposal)
	id := out.Proposal.ID
	assert.Equal(t, register.ProposalPending, out.Proposal.State)
	assert.Equal(t, register.Registered, f.registrantNow(r.Number).Status, "proposed, not removed")

	again := f.post("/v1/registrants/"+r.Number+"/remove", f.registrar, `{"reason":"struck off","registration_number":"`+r.Number+`"}`)
	requireError(t, again, http.StatusConflict, "conflict", "already proposed")

	list := f.get("/v1/proposals?state=pending", f.auditor)
	require.Equal(t, http.StatusOK, list.status)
	assert.Contains(t, string(list.body), id)
	requireError(t, f.get("/v1/proposals?state=maybe", f.auditor), http.StatusBadRequest, "invalid", "not one of pending")

	before := f.index()
	own := f.post("/v1/proposals/"+id+"/approve", f.registrar, "")
	requireError(t, own, http.StatusForbidden, "forbidden", "second registrar must approve")
	assert.Equal(t, before, f.index(), "the refused approval changed nothing")
	requireError(t, f.post("/v1/proposals/"+id+"/approve", f.auditor, ""), http.StatusForbidden, "forbidden")

	ok := f.post("/v1/proposals/"+id+"/approve", second, "")
	require.Equal(t, http.StatusOK, ok.status, "body: %s", ok.body)
	assert.Equal(t, register.Removed, f.registrantNow(r.Number).Status)
	requireError(t, f.post("/v1/proposals/"+id+"/approve", second, ""), http.StatusConflict, "conflict", "already approved")

	evs, err := f.srv.State().Audit(state.AuditFilter{Registrant: r.Number})
	require.NoError(t, err)
	var actions []string
	for _, ev := range evs {
		actions = append(actions, ev.Action)
		if ev.Action == "registrant.remove" {
			assert.Equal(t, id, ev.Details["proposal"], "the removal names its proposal")
			assert.Equal(t, "second registrar (integration)", f.srv.State().ActorName(ev.Actor), "made by the approver")
		}
	}
	assert.Subset(t, actions, []string{"proposal.create", "proposal.approve", "registrant.remove"})
}

func TestARestrictionProposalCanBeRejectedWithAReason(t *testing.T) {
	f := newFixture(t)
	r := f.add("Ola", "Ben", "")
	res := f.post("/v1/registrants/"+r.Number+"/restrict", f.registrar, `{"text":"Supervised practice only.","reason":"panel","review":"2026-09-01"}`)
	require.Equal(t, http.StatusAccepted, res.status, "body: %s", res.body)
	var out proposedResponse
	require.NoError(t, json.Unmarshal(res.body, &out))
	assert.Equal(t, register.Date("2026-09-01"), out.Proposal.Review)
	path := "/v1/proposals/" + out.Proposal.ID + "/reject"
	requireError(t, f.post(path, f.registrar, `{}`), http.StatusBadRequest, "invalid", "reason is required")
	rej := f.post(path, f.registrar, `{"reason":"wrong registrant, withdrawn"}`)
	require.Equal(t, http.StatusOK, rej.status, "body: %s", rej.body)
	assert.Equal(t, "rejected", rej.json(t)["state"])
	assert.False(t, f.registrantNow(r.Number).Restricted())

	// A bad proposal is refused before it reaches the queue.
	requireError(t, f.post("/v1/registrants/"+r.Number+"/restrict", f.registrar, `{"text":"x","reason":"panel","review":"2020-01-01"}`), http.StatusBadRequest, "invalid", "must be after today")

	// The rule turned off for restrictions: the change is made at once.
	set := f.post("/v1/settings", f.admin, `{"two_person_rule":{"restrict":false}}`)
	require.Equal(t, http.StatusOK, set.status, "body: %s", set.body)
	requireError(t, f.post("/v1/settings", f.admin, `{"two_person_rule":{}}`), http.StatusBadRequest, "invalid", "two_person_rule")
	now := f.post("/v1/registrants/"+r.Number+"/restrict", f.registrar, `{"text":"Supervised practice only.","reason":"panel"}`)
	require.Equal(t, http.StatusOK, now.status, "body: %s", now.body)
	assert.True(t, f.registrantNow(r.Number).Restricted())
	st := f.srv.State().Settings().TwoPerson
	assert.True(t, st.Applies(register.ProposeRemove), "removal still needs two")
}

func (f *fixture) registrantNow(n string) *register.Registrant {
	f.t.Helper()
	r, err := f.srv.State().Registrant(n)
	require.NoError(f.t, err)
	return r
}
