package fsm_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
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
