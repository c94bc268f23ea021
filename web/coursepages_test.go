package web

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return string(b)
}

func TestCoursesPageShowsWhichCoursesCountAndFilters(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	res := sys.get("/courses")
	require.Equal(t, http.StatusOK, res.StatusCode)
	page := body(t, res)
	assert.Contains(t, page, "Professional Development Award in Community Link Working")
	assert.Contains(t, page, "SCQF 7 (compares with RQF 4)")
	assert.Contains(t, page, "UKPRN 10007165")
	assert.Contains(t, page, "Reference NALW-ACC-2023-001")
	assert.Contains(t, page, "Withdrawn: no longer accredited or aligned")
	assert.Contains(t, page, "6 courses in the catalogue")
	assert.Contains(t, page, `aria-current="page">Courses</a>`)

	page = body(t, sys.get("/courses?standing=aligned&min_level=4"))
	assert.Contains(t, page, "2 courses match these filters", "the RQF 5 diploma and the SCQF 7 award")
	assert.NotContains(t, page, "Level 3 Certificate in Mental Health Awareness")
	assert.Contains(t, page, `<option value="aligned" selected>`)

	// A course whose standing changes shows its new standing at once.
	_, err := sys.srv.Apply(context.Background(), register.System, fsm.SetStanding{Course: "C2", Standing: courses.StandingChange{Standing: courses.Withdrawn, Reason: "Closed."}})
	require.NoError(t, err)
	assert.Contains(t, body(t, sys.get("/courses?standing=aligned&min_level=4")), "1 course match")

	for q, want := range map[string]string{
		"standing=approved": "Choose accredited, aligned or withdrawn from the list.",
		"min_level=SCQF7":   "Choose a level from the list",
	} {
		res := sys.get("/courses?" + q)
		assert.Equal(t, http.StatusBadRequest, res.StatusCode, q)
		page := body(t, res)
		assert.Contains(t, page, want, q)
		assert.Contains(t, page, `aria-invalid="true"`, q)
	}
}
