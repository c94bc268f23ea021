package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/fsm"
)

func TestAReviewDateIsMovedThroughTheAPI(t *testing.T) {
	f := newFixture(t)
	r := f.add("Eilidh", "MacLeod", "2027-03-31")
	path := "/v1/registrants/" + r.Number
	_, err := f.srv.Apply(context.Background(), f.adminActor, fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpRestrict, Text: "Must not work alone.", Reason: "FTP panel", Review: "2026-06-01"})
	require.NoError(t, err)

	before := f.index()
	requireError(t, f.post(path+"/review", f.registrar, `{"reason":"panel adjourned","restriction":3,"review":"2026-09-01"}`), 400, "invalid", "no restriction 4")
	requireError(t, f.post(path+"/review", f.registrar, `{"reason":"panel adjourned","restriction":0}`), 400, "invalid", "review date is required")
	requireError(t, f.post(path+"/review", f.registrar, `{"restriction":0,"review":"2026-09-01"}`), 400, "invalid", "reason")
	requireError(t, f.post(path+"/review", f.registrar, `{"reason":"hearing moved","review":"2026-09-01"}`), 409, "conflict", "suspension review")
	requireError(t, f.post(path+"/review", f.auditor, `{"reason":"x","restriction":0,"review":"2026-09-01"}`), 403, "forbidden")
	assert.Equal(t, before, f.index(), "nothing refused was written")

	res := f.post(path+"/review", f.registrar, `{"reason":"panel adjourned","restriction":0,"review":"2026-09-01"}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	got := res.json(t)["restrictions"].([]any)[0].(map[string]any)
	assert.Equal(t, "2026-09-01", got["review"])
	evs := f.get("/v1/audit?registrant="+r.Number+"&action=registrant.set-review", f.auditor).json(t)["events"].([]any)
	require.Len(t, evs, 1)
	assert.Equal(t, "panel adjourned", evs[0].(map[string]any)["reason"])
}
