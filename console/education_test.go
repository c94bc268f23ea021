package console

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer/register"
)

// The catalogue's forms in the console: a registrar adds a provider and a
// course and withdraws it; bad input is refused with the reason on the
// page and nothing written; an auditor may look but not change.
func TestCatalogueFormsChangeTheCatalogueOrSayWhyNot(t *testing.T) {
	sys := newSystem(t, "http")
	c, csrf, _ := sys.signedIn(register.RoleRegistrar)
	before := sys.srv.State().Index("")
	for _, tc := range []struct {
		path string
		form url.Values
		want string
	}{
		{"/console/providers", url.Values{"name": {"Nowhere College"}, "ukprn": {"99"}}, "eight digits starting with 1"},
		{"/console/courses", url.Values{"provider": {"P1"}, "title": {"T"}, "framework": {"scqf"}, "number": {"13"}, "mode": {"blended"}, "standing": {"aligned"}}, "SCQF levels run from 1 to 12"},
		{"/console/courses", url.Values{"provider": {"P1"}, "title": {"T"}, "framework": {"rqf"}, "number": {"4"}, "mode": {"blended"}, "standing": {"accredited"}}, "reference"},
		{"/console/courses/standing", url.Values{"course": {"C1"}, "standing": {"withdrawn"}}, "reason is required to withdraw"},
	} {
		tc.form.Set("csrf", csrf)
		res := sys.do(c, http.MethodPost, tc.path, tc.form)
		assert.Equal(t, http.StatusBadRequest, res.StatusCode, tc.path)
		assert.Contains(t, bodyOf(res), tc.want, tc.path)
	}
	assert.Equal(t, before, sys.srv.State().Index(""), "nothing was written")

	res := sys.do(c, http.MethodPost, "/console/providers", url.Values{"csrf": {csrf}, "name": {"Sheffield Hallam University"}, "ukprn": {"10005790"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode, bodyOf(res))
	assert.Equal(t, "/console/courses?done=provider&id=P6", res.Header.Get("Location"))
	res = sys.do(c, http.MethodPost, "/console/courses", url.Values{"csrf": {csrf}, "provider": {"P6"}, "title": {"PGCert Social Prescribing"},
		"framework": {"rqf"}, "number": {"7"}, "mode": {"part-time"}, "standing": {"accredited"}, "reference": {"NALW-ACC-9"}, "from": {"2026-01-01"}, "until": {"2028-12-31"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode, bodyOf(res))
	res = sys.do(c, http.MethodPost, "/console/courses/standing", url.Values{"csrf": {csrf}, "course": {"C7"}, "standing": {"withdrawn"}, "reason": {"Closed."}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode, bodyOf(res))
	co, err := sys.srv.State().Course("C7")
	require.NoError(t, err)
	assert.Equal(t, courses.Withdrawn, co.Current().Standing)
	assert.Len(t, co.History, 2)
	page := bodyOf(sys.do(c, http.MethodGet, "/console/courses", nil))
	assert.Contains(t, page, "PGCert Social Prescribing")

	a, acsrf, _ := sys.signedIn(register.RoleAuditor)
	assert.Equal(t, http.StatusOK, sys.do(a, http.MethodGet, "/console/courses", nil).StatusCode)
	res = sys.do(a, http.MethodPost, "/console/providers", url.Values{"csrf": {acsrf}, "name": {"X"}})
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
}
