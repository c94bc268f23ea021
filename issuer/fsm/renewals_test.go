package fsm_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

var self = register.Actor{TokenID: "registrant", Role: "registrant"}

func cpd(date string, points float64, formal bool) register.CPDDraft {
	return register.CPDDraft{Date: register.Date(date), Title: "Trauma-informed practice", Provider: "NALW", Points: points, Formal: formal}
}

func TestCPDActivitiesRefuseBadInputAndSaveNothing(t *testing.T) {
	h := newHarness(t)
	r := h.add("Amara", "Nwosu")
	for name, tc := range map[string]struct {
		d    register.CPDDraft
		want string
	}{
		"future date":      {cpd("2026-03-16", 3, true), "in the future"},
		"not a date":       {cpd("2026-02-30", 3, true), "date of the activity"},
		"too old":          {cpd("2023-01-01", 3, true), "more than two years ago"},
		"no title":         {register.CPDDraft{Date: "2026-03-01", Points: 2}, "title"},
		"no points":        {cpd("2026-03-01", 0, true), "points must be"},
		"too many points":  {cpd("2026-03-01", 101, true), "points must be"},
		"odd fraction":     {cpd("2026-03-01", 1.3, true), "half points"},
		"long reflection":  {register.CPDDraft{Date: "2026-03-01", Title: "x", Points: 1, Reflection: strings.Repeat("a", register.MaxCPDReflectionLen+1)}, "reflection"},
		"control in title": {register.CPDDraft{Date: "2026-03-01", Title: "x\u202ey", Points: 1}, "title"},
	} {
		t.Run(name, func(t *testing.T) {
			res := h.apply(self, fsm.AddCPD{ID: "cpd_" + name, Number: r.Number, Draft: tc.d})
			err, isErr := res.(error)
			require.True(t, isErr, "refused")
			assert.ErrorIs(t, err, register.ErrInvalid)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	acts, err := h.state().CPDOf(r.Number)
	require.NoError(t, err)
	assert.Empty(t, acts, "nothing half-saved")
}

func TestCPDActivitiesAreOwnedEditedAndDeletedAudited(t *testing.T) {
	h := newHarness(t)
	a, b := h.add("Amara", "Nwosu"), h.add("Ben", "Okafor")
	act := h.ok(self, fsm.AddCPD{ID: "cpd_1", Number: a.Number, Draft: cpd("2026-03-01", 6, true)}).(*register.CPDActivity)
	assert.Equal(t, "cpd.add", h.lastEvents()[0].Action)
	assert.Equal(t, a.Number, h.lastEvents()[0].Registrant)

	res := h.apply(self, fsm.EditCPD{ID: act.ID, Number: b.Number, Draft: cpd("2026-03-02", 1, false)})
	assert.ErrorIs(t, res.(error), register.ErrNotFound, "another registrant's activity is not theirs to edit")
	res = h.apply(self, fsm.DeleteCPD{ID: act.ID, Number: b.Number})
	assert.ErrorIs(t, res.(error), register.ErrNotFound)

	ed := h.ok(self, fsm.EditCPD{ID: act.ID, Number: a.Number, Draft: cpd("2026-03-02", 4, false)}).(*register.CPDActivity)
	assert.Equal(t, 4.0, ed.Points)
	assert.Equal(t, 6.0, act.Points, "a stored value never changes")
	assert.Equal(t, "cpd.edit", h.lastEvents()[0].Action)
	h.ok(self, fsm.DeleteCPD{ID: act.ID, Number: a.Number})
	assert.Equal(t, "cpd.delete", h.lastEvents()[0].Action)
	acts, err := h.state().CPDOf(a.Number)
	require.NoError(t, err)
	assert.Empty(t, acts)
}

var declared = register.RenewalDeclaration{FitToPractise: true, NoNewConvictions: true, Health: true, DetailsCorrect: true}

// nearEnd moves the harness's clock to 30 days before r's registration
// ends, inside the renewal window.
func (h *harness) nearEnd(r *register.Registrant) {
	h.at = r.RegisteredUntil.Time().AddDate(0, 0, -30).Add(9 * time.Hour)
}

func TestRenewalThatMissesTheRuleIsRefusedSayingWhatIsMissing(t *testing.T) {
	h := newHarness(t)
	r := h.add("Amara", "Nwosu")
	h.nearEnd(r)
	day := register.DateOf(h.at).AddDays(-10)
	h.ok(self, fsm.AddCPD{ID: "cpd_1", Number: r.Number, Draft: cpd(string(day), 15, false)})
	h.ok(self, fsm.AddCPD{ID: "cpd_2", Number: r.Number, Draft: cpd(string(day), 4, true)})

	res := h.apply(self, fsm.SubmitRenewal{ID: "rn_1", Number: r.Number, Declaration: declared})
	err := res.(error)
	require.ErrorIs(t, err, register.ErrInvalid)
	assert.Contains(t, err.Error(), "1 more points (you have 19 of the 20 needed)")
	assert.Contains(t, err.Error(), "6 more formal points")
	rs, _ := h.state().RenewalsOf(r.Number)
	assert.Empty(t, rs, "nothing half-saved")
	again, _ := h.state().Registrant(r.Number)
	assert.Equal(t, r.RegisteredUntil, again.RegisteredUntil)
	act, _ := h.state().CPDActivity("cpd_1")
	assert.Empty(t, act.Renewal, "activities are not marked by a refused renewal")

	bad := declared
	bad.NoNewConvictions = false
	res = h.apply(self, fsm.SubmitRenewal{ID: "rn_2", Number: r.Number, Declaration: bad})
	assert.ErrorContains(t, res.(error), "convictions")
}

func TestRenewalThatMeetsTheRuleRenewsByAYearInTheSameEntry(t *testing.T) {
	h := newHarness(t)
	r := h.add("Amara", "Nwosu")
	early := h.apply(self, fsm.SubmitRenewal{ID: "rn_0", Number: r.Number, Declaration: declared})
	assert.ErrorContains(t, early.(error), "renewal opens on", "a renewal a year early is refused")

	h.nearEnd(r)
	day := string(register.DateOf(h.at).AddDays(-3))
	h.ok(self, fsm.AddCPD{ID: "cpd_1", Number: r.Number, Draft: cpd(day, 12, true)})
	h.ok(self, fsm.AddCPD{ID: "cpd_2", Number: r.Number, Draft: cpd(day, 8, false)})
	rn := h.ok(self, fsm.SubmitRenewal{ID: "rn_1", Number: r.Number, Declaration: declared}).(*register.Renewal)
	assert.Equal(t, register.RenewalApproved, rn.State)
	assert.Equal(t, "automatic", rn.DecidedBy)
	assert.Equal(t, r.RegisteredUntil.AddYears(1), rn.NewUntil)
	now, _ := h.state().Registrant(r.Number)
	assert.Equal(t, rn.NewUntil, now.RegisteredUntil)
	var actions []string
	for _, ev := range h.lastEvents() {
		actions = append(actions, ev.Action)
	}
	assert.Subset(t, actions, []string{"renewal.submit", "registrant.renew", "renewal.approve"})

	res := h.apply(self, fsm.EditCPD{ID: "cpd_1", Number: r.Number, Draft: cpd(day, 1, true)})
	assert.ErrorIs(t, res.(error), register.ErrConflict, "counted CPD is kept as counted")
}

func TestRenewalWaitsForARegistrarWhenThePolicySaysSo(t *testing.T) {
	h := newHarness(t)
	p := register.DefaultRenewalPolicy
	p.Approval = register.ApproveByRegistrar
	h.ok(admin, fsm.SetRenewalPolicy{Policy: p})
	bad := p
	bad.CPD.MinFormal = 30
	assert.ErrorIs(t, h.apply(admin, fsm.SetRenewalPolicy{Policy: bad}).(error), register.ErrInvalid)
	assert.Equal(t, p, register.RenewalPolicyOf(h.state().Settings()))

	r := h.add("Amara", "Nwosu")
	h.nearEnd(r)
	h.ok(self, fsm.AddCPD{ID: "cpd_1", Number: r.Number, Draft: cpd(string(register.DateOf(h.at)), 20, true)})
	rn := h.ok(self, fsm.SubmitRenewal{ID: "rn_1", Number: r.Number, Declaration: declared}).(*register.Renewal)
	assert.Equal(t, register.RenewalPending, rn.State)
	assert.ErrorIs(t, h.apply(self, fsm.SubmitRenewal{ID: "rn_2", Number: r.Number, Declaration: declared}).(error), register.ErrConflict, "one pending at a time")

	assert.ErrorIs(t, h.apply(registrar, fsm.DecideRenewal{ID: rn.ID}).(error), register.ErrInvalid, "a refusal needs a reason")
	ref := h.ok(registrar, fsm.DecideRenewal{ID: rn.ID, Reason: "Evidence of the course is needed"}).(*register.Renewal)
	assert.Equal(t, register.RenewalRefused, ref.State)
	act, _ := h.state().CPDActivity("cpd_1")
	assert.Empty(t, act.Renewal, "refused CPD counts again")

	rn = h.ok(self, fsm.SubmitRenewal{ID: "rn_3", Number: r.Number, Declaration: declared}).(*register.Renewal)
	ok := h.ok(registrar, fsm.DecideRenewal{ID: rn.ID, Approve: true}).(*register.Renewal)
	assert.Equal(t, register.RenewalApproved, ok.State)
	assert.Equal(t, registrar.TokenID, ok.DecidedBy)
	now, _ := h.state().Registrant(r.Number)
	assert.Equal(t, r.RegisteredUntil.AddYears(1), now.RegisteredUntil)
	assert.ErrorIs(t, h.apply(registrar, fsm.DecideRenewal{ID: rn.ID, Approve: true}).(error), register.ErrConflict, "decided once")
}

func TestCPDDoneAfterAnEarlyRenewalCountsTowardsTheNext(t *testing.T) {
	h := newHarness(t)
	r := h.add("Amara", "Nwosu")
	h.nearEnd(r) // 30 days before the end
	day := string(register.DateOf(h.at))
	h.ok(self, fsm.AddCPD{ID: "cpd_1", Number: r.Number, Draft: cpd(day, 20, true)})
	h.ok(self, fsm.SubmitRenewal{ID: "rn_1", Number: r.Number, Declaration: declared})
	later := string(register.DateOf(h.at).AddDays(5)) // still before the old end date
	h.at = h.at.AddDate(0, 0, 5)
	h.ok(self, fsm.AddCPD{ID: "cpd_2", Number: r.Number, Draft: cpd(later, 4, true)})

	now, _ := h.state().Registrant(r.Number)
	acts, _ := h.state().CPDOf(r.Number)
	rs, _ := h.state().RenewalsOf(r.Number)
	next := now.RegisteredUntil.AddDays(-10)
	sum, err := fsm.RenewalCheck(now, acts, rs, register.DefaultRenewalPolicy, next)
	assert.ErrorIs(t, err, register.ErrInvalid, "4 points are not enough")
	assert.Equal(t, 4.0, sum.Points, "the activity after the renewal counts next year; the one counted does not count again")
	assert.Equal(t, []string{"cpd_2"}, sum.Counted)
}
