package fsm_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

func imported(ref, given, family, email string) register.Imported {
	return register.Imported{
		ExternalRef: ref, Given: given, Family: family, Nation: "wales", Email: email,
		RegisteredFrom: "2019-04-01", RegisteredUntil: "2027-03-31", Status: register.Registered,
	}
}

func TestImportAddsRegistrantsAsTheyWereAndAuditsEach(t *testing.T) {
	h := newHarness(t)
	sus := imported("OLD-2", "Siân", "Ó Súilleabháin", "sian@example.org")
	sus.Status, sus.StatusReason = register.Suspended, "interim order of the conduct panel"
	sus.Restrictions = []string{"Must not work with children"}
	sus.Qualifications = []register.Qualification{{Title: "Level 4 Certificate in Social Prescribing", Level: 4, Provider: "University of Westminster", Accreditation: "nalw-accredited", Awarded: "2019-01-10"}}
	res := h.ok(admin, fsm.ImportRegistrants{Records: []register.Imported{imported("OLD-1", "Rhys", "Evans", ""), sus}}).([]fsm.ImportOutcome)
	require.Len(t, res, 2)
	for _, o := range res {
		assert.Equal(t, fsm.ImportAdded, o.Outcome)
	}
	r, err := h.state().Registrant(res[1].Number)
	require.NoError(t, err)
	assert.Equal(t, register.Suspended, r.Status)
	assert.Equal(t, "interim order of the conduct panel", r.StatusReason)
	assert.Equal(t, register.Date("2019-04-01"), r.RegisteredFrom)
	assert.Equal(t, "OLD-2", r.ExternalRef)
	require.Len(t, r.Restrictions, 1)
	require.Len(t, r.Qualifications, 1)

	evs := h.lastEvents()
	require.Len(t, evs, 2)
	for i, ev := range evs {
		assert.Equal(t, "registrant.import", ev.Action)
		assert.Equal(t, res[i].Number, ev.Registrant)
		assert.Equal(t, res[i].ExternalRef, ev.Details["external_ref"])
		assert.Equal(t, admin, ev.Actor)
	}
}

func TestImportTwiceAddsNobodyTwice(t *testing.T) {
	h := newHarness(t)
	recs := []register.Imported{imported("OLD-1", "Rhys", "Evans", "rhys@example.org"), imported("OLD-2", "Zoë", "Jones", "")}
	first := h.ok(admin, fsm.ImportRegistrants{Records: recs}).([]fsm.ImportOutcome)
	again := h.ok(admin, fsm.ImportRegistrants{Records: recs, AllowDuplicates: true}).([]fsm.ImportOutcome)
	for i := range recs {
		assert.Equal(t, fsm.ImportExisting, again[i].Outcome)
		assert.Equal(t, first[i].Number, again[i].Number)
	}
	all, err := h.state().Registrants("")
	require.NoError(t, err)
	assert.Len(t, all, 2)
	assert.Empty(t, h.lastEvents(), "a record skipped is not audited as imported")
}

func TestImportLeavesOutLikelyDuplicatesUnlessAllowed(t *testing.T) {
	h := newHarness(t)
	existing := h.ok(registrar, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "Siân", Family: "O'Neill", Nation: "wales", Email: "Sian@example.org"}}).(fsm.Result).Registrant
	// The same person as the old register spelt them: another case, no
	// apostrophe, the same address in other capitals.
	dup := imported("OLD-9", "SIÂN", "ONeill", "sian@EXAMPLE.org")
	namesake := imported("OLD-10", "Siân", "O'Neill", "other@example.org")
	res := h.ok(admin, fsm.ImportRegistrants{Records: []register.Imported{dup, namesake}}).([]fsm.ImportOutcome)
	assert.Equal(t, fsm.ImportDuplicate, res[0].Outcome)
	assert.Equal(t, existing.Number, res[0].Number)
	assert.Equal(t, fsm.ImportAdded, res[1].Outcome, "the same name with another email is a namesake, not a duplicate")

	res = h.ok(admin, fsm.ImportRegistrants{Records: []register.Imported{dup}, AllowDuplicates: true}).([]fsm.ImportOutcome)
	assert.Equal(t, fsm.ImportAdded, res[0].Outcome)
}

func TestImportWithABadRecordChangesNothing(t *testing.T) {
	h := newHarness(t)
	bad := imported("OLD-2", "Zoë", "Jones", "")
	bad.Line, bad.Status = 3, register.Lapsed // a lapsed record needs a reason
	res := h.apply(admin, fsm.ImportRegistrants{Records: []register.Imported{imported("OLD-1", "Rhys", "Evans", ""), bad}})
	err, ok := res.(error)
	require.True(t, ok, "want the entry refused, got %v", res)
	assert.ErrorIs(t, err, register.ErrInvalid)
	assert.Contains(t, err.Error(), "line 3")
	all, err := h.state().Registrants("")
	require.NoError(t, err)
	assert.Empty(t, all)
	evs, err := h.state().Audit(state.AuditFilter{})
	require.NoError(t, err)
	assert.Empty(t, evs)
}

func TestAddRegistrantRefusesALikelyDuplicateWhenAsked(t *testing.T) {
	h := newHarness(t)
	nr := register.NewRegistrant{Given: "Zoë", Family: "Okonkwo-Fairweather", Nation: "england", Email: "zoe@example.org"}
	first := h.ok(registrar, fsm.AddRegistrant{NewRegistrant: nr, RefuseDuplicate: true}).(fsm.Result).Registrant

	again := nr
	again.Given, again.Family = "zoë", "Okonkwo Fairweather"
	res := h.apply(registrar, fsm.AddRegistrant{NewRegistrant: again, RefuseDuplicate: true})
	err, ok := res.(error)
	require.True(t, ok, "want a refusal, got %v", res)
	assert.True(t, errors.Is(err, fsm.ErrLikelyDuplicate) && errors.Is(err, register.ErrConflict))
	assert.Contains(t, err.Error(), first.Number)

	// Entries written before the rule (or with the duplicate allowed)
	// still apply.
	h.ok(registrar, fsm.AddRegistrant{NewRegistrant: again})
}
