package api

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadyzSaysTheClockIsBehindAndChangesAreRefused(t *testing.T) {
	f := newFixture(t)
	r := f.add("Amara", "Nwosu", "")
	f.clock.Advance(-30 * 24 * time.Hour)
	res := f.get("/readyz", "")
	require.Equal(t, http.StatusServiceUnavailable, res.status, "%s", res.body)
	assert.Contains(t, res.json(t)["reason"], "clock reads")
	requireError(t, f.post("/v1/registrants/"+r.Number+"/suspend", f.registrar, `{"reason":"x"}`), http.StatusServiceUnavailable, "unavailable", "earlier than its last committed change", "nothing was changed")

	f.clock.Advance(30*24*time.Hour + time.Second)
	assert.Equal(t, http.StatusOK, f.get("/readyz", "").status, "ready again once the clock has caught up")
}

func TestLapseSweepEndpointShowsAndConfirmsAHeldSweep(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 21; i++ {
		f.add("Test", fmt.Sprintf("Person%d", i), "")
	}
	f.clock.Advance(400 * 24 * time.Hour)
	_, err := f.srv.LapseExpired()
	require.NoError(t, err)
	res := f.get("/v1/lapse-sweep", f.auditor)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	body := res.json(t)
	assert.Equal(t, true, body["held"])
	assert.EqualValues(t, 21, body["due"])

	requireError(t, f.post("/v1/lapse-sweep", f.admin, `{"confirm":false}`), http.StatusBadRequest, "invalid", `"confirm": true`)
	assert.Equal(t, http.StatusForbidden, f.post("/v1/lapse-sweep", f.registrar, `{"confirm":true}`).status)
	res = f.post("/v1/lapse-sweep", f.admin, `{"confirm":true}`)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.EqualValues(t, 21, res.json(t)["lapsed"])
}
