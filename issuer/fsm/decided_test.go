package fsm_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// TestDecisionDateIsAuditedAndChecked: a suspension, restriction or
// removal may carry the date its decision was made, kept in the audit
// trail; a date after the change, or on another kind of change, is
// refused and changes nothing.
func TestDecisionDateIsAuditedAndChecked(t *testing.T) {
	h := newHarness(t)
	r := h.add("Aoife", "Ní Bhriain")

	res := h.apply(registrar, fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpSuspend, Reason: "interim order", Decided: "2026-03-16"})
	require.ErrorIs(t, res.(error), register.ErrInvalid)
	assert.Contains(t, res.(error).Error(), "after today")
	got, err := h.state().Registrant(r.Number)
	require.NoError(t, err)
	assert.Equal(t, register.Registered, got.Status, "a refused change changes nothing")

	res = h.apply(registrar, fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpRenew, Until: "2028-01-01", Decided: "2026-03-01"})
	require.ErrorIs(t, res.(error), register.ErrInvalid)

	h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpRestrict, Text: "Must not work alone.", Reason: "panel", Decided: "2026-03-01"})
	evs := h.lastEvents()
	require.Len(t, evs, 1)
	assert.Equal(t, "2026-03-01", evs[0].Details["decided"])

	h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpSuspend, Reason: "interim order", Decided: "2026-03-15"})
	assert.Equal(t, "2026-03-15", h.lastEvents()[0].Details["decided"], "the same day is fine")
	h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpRemove, Reason: "struck off"})
	_, has := h.lastEvents()[0].Details["decided"]
	assert.False(t, has, "no date given, none recorded")
}
