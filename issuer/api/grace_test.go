package api

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTheGracePeriodIsSetByAdminsOnlyCheckedAndAudited(t *testing.T) {
	f := newFixture(t)
	assert.Equal(t, float64(0), f.get("/v1/settings/grace-period", f.auditor).json(t)["days"], "none by default")
	requireError(t, f.post("/v1/settings/grace-period", f.registrar, `{"days":14}`), http.StatusForbidden, "forbidden")
	requireError(t, f.post("/v1/settings/grace-period", f.admin, `{}`), http.StatusBadRequest, "invalid", "days is required")
	requireError(t, f.post("/v1/settings/grace-period", f.admin, `{"days":91}`), http.StatusBadRequest, "invalid", "from 0 to 90 days")
	requireError(t, f.post("/v1/settings/grace-period", f.admin, `{"days":"14"}`), http.StatusBadRequest, "invalid")
	res := f.post("/v1/settings/grace-period", f.admin, `{"days":14}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	assert.Equal(t, float64(14), res.json(t)["days"])
	assert.Equal(t, float64(14), f.get("/v1/settings", f.auditor).json(t)["grace_days"])
	var found map[string]any
	for _, ev := range f.get("/v1/audit", f.auditor).json(t)["events"].([]any) {
		if e := ev.(map[string]any); e["action"] == "settings.grace-period" {
			found = e
		}
	}
	require.NotNil(t, found, "audited")
	assert.Equal(t, map[string]any{"from_days": "0", "to_days": "14"}, found["details"])
}
