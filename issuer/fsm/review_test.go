package fsm_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

func TestAReviewDateIsMovedForTheSuspensionOrOneRestriction(t *testing.T) {
	h := newHarness(t)
	r := h.add("Carys", "Prydderch")
	h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpRestrict, Text: "Must not work alone.", Reason: "panel", Review: "2026-12-01"})
	h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpRestrict, Text: "Supervised practice only.", Reason: "panel"})
	second := 1
	got := h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpSetReview, Restriction: &second, Review: "2027-02-01", Reason: "Panel adjourned"})
	assert.Equal(t, register.Date("2026-12-01"), got.Restrictions[0].Review, "the other restriction keeps its date")
	assert.Equal(t, register.Date("2027-02-01"), got.Restrictions[1].Review)
	ev := h.lastEvents()
	require.Len(t, ev, 1)
	assert.Equal(t, "registrant.set-review", ev[0].Action)
	assert.Equal(t, "Panel adjourned", ev[0].Reason)
	assert.Equal(t, map[string]string{"restriction": "1", "review": "2027-02-01"}, ev[0].Details)

	refused := map[string]fsm.ChangeRegistrant{
		"a restriction the record does not have": {Op: fsm.OpSetReview, Restriction: new(int(2)), Review: "2027-02-01", Reason: "x"},
		"a suspension review when not suspended": {Op: fsm.OpSetReview, Review: "2027-02-01", Reason: "x"},
		"a date in the past":                     {Op: fsm.OpSetReview, Restriction: &second, Review: "2020-01-01", Reason: "x"},
		"no date":                                {Op: fsm.OpSetReview, Restriction: &second, Reason: "x"},
	}
	for name, cmd := range refused {
		t.Run(name, func(t *testing.T) {
			cmd.Number = r.Number
			res := h.apply(registrar, cmd)
			_, isErr := res.(error)
			assert.True(t, isErr, "refused: %v", res)
			now, err := h.state().Registrant(r.Number)
			require.NoError(t, err)
			assert.Equal(t, register.Date("2027-02-01"), now.Restrictions[1].Review, "nothing changed")
		})
	}

	h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpSuspend, Reason: "Interim order", Review: "2027-01-10"})
	got = h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpSetReview, Review: "2027-03-10", Reason: "Hearing moved"})
	assert.Equal(t, register.Date("2027-03-10"), got.SuspensionReview)
}

// TestAReviewChangeNeedsLogFormat3 checks that a node of a release that
// does not know the operation stops at it rather than refusing what the
// others applied.
func TestAReviewChangeNeedsLogFormat3(t *testing.T) {
	data, err := fsm.Encode(fsm.ChangeRegistrant{Number: "LW1000015", Op: fsm.OpSetReview, Review: "2027-01-01", Reason: "x"}, registrar, start)
	require.NoError(t, err)
	assert.Contains(t, string(data), `{"v":3,`)
	other, err := fsm.Encode(fsm.ChangeRegistrant{Number: "LW1000015", Op: fsm.OpSuspend, Reason: "x"}, registrar, start)
	require.NoError(t, err)
	assert.NotContains(t, string(other), `"v":`, "other changes stay in the first format")
}
