package api

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/renewals"
)

func TestRegistrarsListAndDecidePendingRenewals(t *testing.T) {
	f := newFixture(t)
	res := f.post("/v1/settings/renewal", f.admin, `{"cpd":{"min_points":20,"min_formal_points":30},"approval":"registrar","window_days":60}`)
	requireError(t, res, http.StatusBadRequest, "invalid", "formal points")
	res = f.post("/v1/settings/renewal", f.registrar, `{"cpd":{"min_points":20,"min_formal_points":10},"approval":"registrar","window_days":60}`)
	requireError(t, res, http.StatusForbidden, "forbidden")
	res = f.post("/v1/settings/renewal", f.admin, `{"cpd":{"min_points":20,"min_formal_points":10},"approval":"registrar","window_days":60}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)

	today := register.DateOf(f.srv.Now())
	svc := renewals.New(f.srv)
	var ids []string
	for _, name := range []string{"Amara", "Ben"} {
		r := f.add(name, "Nwosu", today.AddDays(20))
		me := renewals.Registrant(r.Number)
		_, err := svc.AddCPD(context.Background(), me, r.Number, register.CPDDraft{Date: today, Title: "Course", Points: 20, Formal: true})
		require.NoError(t, err)
		out, err := svc.Submit(context.Background(), me, r.Number, register.RenewalDeclaration{FitToPractise: true, NoNewConvictions: true, Health: true, DetailsCorrect: true})
		require.NoError(t, err)
		assert.Equal(t, register.RenewalPending, out.Renewal.State)
		ids = append(ids, out.Renewal.ID)
	}

	res = f.get("/v1/renewals?state=pending", f.auditor)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	var list renewalsResponse
	require.NoError(t, json.Unmarshal(res.body, &list))
	require.Len(t, list.Renewals, 2)
	assert.Equal(t, 20.0, list.Renewals[0].CPD.FormalPoints)
	requireError(t, f.get("/v1/renewals?state=maybe", f.auditor), http.StatusBadRequest, "invalid", "pending, approved or refused")

	requireError(t, f.post("/v1/renewals/"+ids[0]+"/refuse", f.registrar, `{}`), http.StatusBadRequest, "invalid", "reason")
	requireError(t, f.post("/v1/renewals/"+ids[0]+"/approve", f.auditor, ``), http.StatusForbidden, "forbidden")
	res = f.post("/v1/renewals/"+ids[0]+"/approve", f.registrar, ``)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	var out struct {
		Renewal register.Renewal `json:"renewal"`
	}
	require.NoError(t, json.Unmarshal(res.body, &out))
	assert.Equal(t, register.RenewalApproved, out.Renewal.State)
	assert.Equal(t, today.AddDays(20).AddYears(1), out.Renewal.NewUntil)
	requireError(t, f.post("/v1/renewals/"+ids[0]+"/approve", f.registrar, ``), http.StatusConflict, "conflict", "approved already")

	res = f.post("/v1/renewals/"+ids[1]+"/refuse", f.registrar, `{"reason":"Send the course certificate"}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	rn, err := f.srv.State().Renewal(ids[1])
	require.NoError(t, err)
	assert.Equal(t, register.RenewalRefused, rn.State)
	requireError(t, f.get("/v1/renewals/no-such", f.auditor), http.StatusNotFound, "not_found")

	res = f.get("/v1/registrants/"+rn.Registrant+"/cpd", f.auditor)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	var cpd cpdResponse
	require.NoError(t, json.Unmarshal(res.body, &cpd))
	assert.Len(t, cpd.Activities, 1)
	assert.Len(t, cpd.Renewals, 1)
}
