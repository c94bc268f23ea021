package fsm_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/regno"
)

// catalogue adds a provider and an aligned RQF 4 course; it returns the
// course id.
func (h *harness) catalogue() string {
	h.t.Helper()
	p := h.ok(registrar, fsm.AddProvider{NewProvider: courses.NewProvider{Name: "University of Westminster", UKPRN: "10007165"}}).(*courses.Provider)
	c := h.ok(registrar, fsm.AddCourse{NewCourse: courses.NewCourse{Provider: p.ID, Title: "Level 4 Certificate in Social Prescribing",
		Level: courses.Level{Framework: courses.RQF, Number: 4}, Mode: "part-time", Standing: courses.StandingChange{Standing: courses.Aligned}}}).(*courses.Course)
	return c.ID
}

func TestCatalogueChangesAreAuditedAndKeepHistory(t *testing.T) {
	h := newHarness(t)
	id := h.catalogue()
	assert.Equal(t, "C1", id)
	ev := h.lastEvents()[0]
	assert.Equal(t, "course.add", ev.Action)
	assert.Equal(t, "aligned", ev.Details["standing"])
	assert.Equal(t, "RQF 4", ev.Details["level"])

	before := h.state().Index("courses")
	res := h.apply(registrar, fsm.AddCourse{NewCourse: courses.NewCourse{Provider: "P9", Title: "X", Level: courses.Level{Framework: courses.RQF, Number: 4}, Mode: "part-time", Standing: courses.StandingChange{Standing: courses.Aligned}}})
	require.ErrorIs(t, res.(error), register.ErrNotFound, "a course of an unknown provider is refused")
	assert.Equal(t, before, h.state().Index("courses"))
	cs, err := h.state().Courses()
	require.NoError(t, err)
	assert.Len(t, cs, 1, "nothing half-saved")

	stored, err := h.state().Course(id)
	require.NoError(t, err)
	acc := courses.StandingChange{Standing: courses.Accredited, Reference: "NALW-ACC-2026-004", From: "2026-01-01", Until: "2028-12-31"}
	c := h.ok(registrar, fsm.SetStanding{Course: id, Standing: acc}).(*courses.Course)
	require.Len(t, c.History, 2)
	assert.Equal(t, registrar.TokenID, c.Current().By)
	assert.Len(t, stored.History, 1, "what a read returned never changes")
	ev = h.lastEvents()[0]
	assert.Equal(t, "course.standing", ev.Action)
	assert.Equal(t, "aligned", ev.Details["from_standing"])
	assert.Equal(t, "NALW-ACC-2026-004", ev.Details["reference"])

	res = h.apply(registrar, fsm.SetStanding{Course: id, Standing: acc})
	assert.ErrorIs(t, res.(error), register.ErrConflict)
}

func TestCriteriaAreSetInSettings(t *testing.T) {
	h := newHarness(t)
	assert.False(t, h.state().Settings().Criteria.Required, "off until an admin sets them")
	h.ok(admin, fsm.SetCriteria{Criteria: register.DefaultCriteria})
	assert.Equal(t, register.DefaultCriteria, h.state().Settings().Criteria)
	assert.Equal(t, "criteria.set", h.lastEvents()[0].Action)
	res := h.apply(admin, fsm.SetCriteria{Criteria: register.Criteria{Required: true, MinRQFLevel: 0}})
	assert.ErrorIs(t, res.(error), register.ErrInvalid)
	assert.Equal(t, register.DefaultCriteria, h.state().Settings().Criteria)
}

func TestAddRegistrantChecksTheCriteriaInTheSameEntry(t *testing.T) {
	h := newHarness(t)
	course := h.catalogue() // aligned, RQF 4
	h.ok(admin, fsm.SetCriteria{Criteria: register.DefaultCriteria})
	person := register.NewRegistrant{Given: "Amara", Family: "Nwosu", Nation: "england", Email: "amara@example.org"}

	for name, tc := range map[string]struct {
		quals []register.Qualification
		route *register.EntryRoute
		want  error
	}{
		"nothing":           {want: register.ErrConflict},
		"unknown course":    {quals: []register.Qualification{{Course: "C99", Awarded: "2025-06-30"}}, want: register.ErrNotFound},
		"other only":        {quals: []register.Qualification{{Title: "BSc Psychology", Level: 6, Provider: "Ulster University", Accreditation: "other", Awarded: "2019-07-01", Assessment: "Related degree."}}, want: register.ErrConflict},
		"route sans reason": {route: &register.EntryRoute{Kind: "experience"}, want: register.ErrInvalid},
		"future award":      {quals: []register.Qualification{{Course: course, Awarded: "2027-01-01"}}, want: register.ErrInvalid},
	} {
		n := person
		n.Qualifications, n.EntryRoute = tc.quals, tc.route
		res := h.apply(registrar, fsm.AddRegistrant{NewRegistrant: n, CheckCriteria: true})
		err, _ := res.(error)
		require.ErrorIs(t, err, tc.want, name)
	}
	regs, err := h.state().Registrants("")
	require.NoError(t, err)
	assert.Empty(t, regs, "nobody was half added")
	evs, err := h.state().Audit(state.AuditFilter{})
	require.NoError(t, err)
	assert.Equal(t, "criteria.set", evs[len(evs)-1].Action, "refusals leave no audit event")

	n := person
	n.Qualifications = []register.Qualification{{Course: course, Awarded: "2025-06-30", Title: "what the applicant typed"}}
	r := h.ok(registrar, fsm.AddRegistrant{NewRegistrant: n, CheckCriteria: true}).(fsm.Result).Registrant
	assert.Equal(t, regno.Format(regno.FirstSerial), r.Number, "no number was used up by the refusals")
	require.Len(t, r.Qualifications, 1)
	q := r.Qualifications[0]
	assert.Equal(t, "Level 4 Certificate in Social Prescribing", q.Title, "the catalogue's title, not the typed one")
	assert.Equal(t, "University of Westminster", q.Provider)
	assert.Equal(t, "nalw-aligned", q.Accreditation)
	assert.Equal(t, course, q.Course)
	ev := h.lastEvents()[0]
	assert.Equal(t, "registrant.add", ev.Action)
	assert.Equal(t, "1", ev.Details["qualifications"])

	n = register.NewRegistrant{Given: "Bo", Family: "Lee", Nation: "wales", Email: "bo@example.org",
		EntryRoute: &register.EntryRoute{Kind: "experience", Reason: "Eight years as a community connector; references checked."}}
	r = h.ok(registrar, fsm.AddRegistrant{NewRegistrant: n, CheckCriteria: true}).(fsm.Result).Registrant
	require.NotNil(t, r.EntryRoute)
	assert.Equal(t, "experience", h.lastEvents()[0].Details["entry_route"])

	// Entries without the flag (the demo, older logs) apply as before, and
	// an import moves registrants in without the check: they were
	// registered elsewhere already.
	h.ok(registrar, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "Cy", Family: "Moss", Nation: "wales"}})
	out := h.ok(admin, fsm.ImportRegistrants{Records: []register.Imported{{ExternalRef: "OLD-1", Given: "Di", Family: "Roe", Nation: "england",
		RegisteredFrom: "2025-01-01", RegisteredUntil: "2026-12-31", Status: register.Registered}}})
	assert.Contains(t, fmt.Sprint(out), fsm.ImportAdded)
}

func TestAQualificationFromTheCatalogueTakesItsFacts(t *testing.T) {
	h := newHarness(t)
	course := h.catalogue()
	r := h.add("Amara", "Nwosu")
	r = h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpQualification, Qualification: &register.Qualification{Course: course, Awarded: "2025-06-30"}})
	require.Len(t, r.Qualifications, 1)
	assert.Equal(t, 4, r.Qualifications[0].Level)
	assert.Equal(t, "nalw-aligned", r.Qualifications[0].Accreditation)
	assert.Equal(t, course, h.lastEvents()[0].Details["course"])
	res := h.apply(registrar, fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpQualification, Qualification: &register.Qualification{Course: "C42", Awarded: "2025-06-30"}})
	assert.ErrorIs(t, res.(error), register.ErrNotFound)
	// A free-text qualification, as recorded before the catalogue, stays valid.
	r = h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpQualification, Qualification: &register.Qualification{Title: "Level 3 Award", Level: 3, Provider: "NCFE", Accreditation: "other", Awarded: "2020-01-01"}})
	assert.Len(t, r.Qualifications, 2)
}
