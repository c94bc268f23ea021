package console

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

func TestAnAdminSetsTheGracePeriodOnTheSettingsPage(t *testing.T) {
	sys := newSystem(t, "http")
	c, csrf, _ := sys.signedIn(register.RoleAdmin)
	res := sys.do(c, http.MethodPost, "/console/settings/grace-period", url.Values{"csrf": {csrf}, "grace_days": {"a fortnight"}})
	body := bodyOf(res)
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Contains(t, body, "whole number of days, from 0 to 90")
	assert.Contains(t, body, `value="a fortnight"`, "what was typed is kept")
	res = sys.do(c, http.MethodPost, "/console/settings/grace-period", url.Values{"csrf": {csrf}, "grace_days": {"120"}})
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Contains(t, bodyOf(res), "from 0 to 90 days, not 120")
	assert.Zero(t, sys.srv.State().Settings().GraceDays, "nothing saved")

	res = sys.do(c, http.MethodPost, "/console/settings/grace-period", url.Values{"csrf": {csrf}, "grace_days": {"21"}})
	body = bodyOf(res)
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	assert.Contains(t, body, "lapses 21 days after registered-until")
	assert.Equal(t, 21, sys.srv.State().Settings().GraceDays)
	evs, err := sys.srv.State().Audit(state.AuditFilter{Action: "settings.grace-period"})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.NotEmpty(t, evs[0].Actor.Staff, "under the admin's name")

	// A registrar may not.
	rc, rcsrf, _ := sys.signedIn(register.RoleRegistrar)
	res = sys.do(rc, http.MethodPost, "/console/settings/grace-period", url.Values{"csrf": {rcsrf}, "grace_days": {"0"}})
	bodyOf(res)
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
	assert.Equal(t, 21, sys.srv.State().Settings().GraceDays)
}
