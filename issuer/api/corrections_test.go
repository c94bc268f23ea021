package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

const l4 = `"title":"Level 4 Certificate","level":4,"provider":"OU","accreditation":"nalw-accredited"`

func TestQualificationsCanBeCorrectedAndWithdrawnButNotAwardedInTheFuture(t *testing.T) {
	f := newFixture(t) // the fixture's today is 2026-03-15
	r := f.add("Amara", "Nwosu", "")
	path := "/v1/registrants/" + r.Number + "/qualifications"

	before := f.index()
	requireError(t, f.post(path, f.registrar, `{`+l4+`,"awarded":"2030-01-01"}`), http.StatusBadRequest, "invalid", "2030-01-01", "future")
	assert.Equal(t, before, f.index(), "nothing written")
	res := f.post(path, f.registrar, `{`+l4+`,"awarded":"2026-03-15"}`)
	require.Equal(t, http.StatusOK, res.status, "awarded today is fine: %s", res.body)

	put := func(i, body string) response {
		return f.request(http.MethodPut, path+"/"+i, f.registrar, "application/json", strings.NewReader(body))
	}
	requireError(t, put("0", `{`+l4+`,"awarded":"2027-01-01","reason":"typo"}`), http.StatusBadRequest, "invalid", "future")
	requireError(t, put("0", `{`+l4+`,"awarded":"2026-01-10"}`), http.StatusBadRequest, "invalid", "reason")
	requireError(t, put("3", `{`+l4+`,"awarded":"2026-01-10","reason":"typo"}`), http.StatusNotFound, "not_found", "no qualification 3")
	requireError(t, put("-1", `{`+l4+`,"awarded":"2026-01-10","reason":"typo"}`), http.StatusBadRequest, "invalid")
	requireError(t, put("0", `{`+l4+`,"awarded":"2026-03-15","reason":"typo"}`), http.StatusBadRequest, "invalid", "nothing to change")
	requireError(t, f.request(http.MethodPut, path+"/0", f.auditor, "application/json", strings.NewReader(`{`+l4+`,"awarded":"2026-01-10","reason":"typo"}`)), http.StatusForbidden, "forbidden")

	res = put("0", `{`+l4+`,"awarded":"2026-01-10","reason":"award letter says 10 January"}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	got := res.json(t)
	assert.Equal(t, "2026-01-10", got["qualifications"].([]any)[0].(map[string]any)["awarded"])
	assert.Equal(t, []any{map[string]any{"field": "qualification.awarded", "from": "2026-03-15", "to": "2026-01-10"}}, got["changed"])

	requireError(t, f.post(path+"/0/withdraw", f.registrar, `{}`), http.StatusBadRequest, "invalid", "reason")
	res = f.post(path+"/0/withdraw", f.registrar, `{"reason":"awarding body withdrew it"}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	assert.Empty(t, res.json(t)["qualifications"])

	evs, err := f.srv.State().Audit(state.AuditFilter{Registrant: r.Number})
	require.NoError(t, err)
	last := evs[len(evs)-1]
	assert.Equal(t, "registrant.withdraw-qualification", last.Action)
	assert.Equal(t, "awarding body withdrew it", last.Reason)
	assert.Contains(t, last.Details["qualification.from"], "Level 4 Certificate")
}

func TestCorrectionRefusesBadValuesAndKeepsTheOld(t *testing.T) {
	f := newFixture(t)
	r := f.add("Amara", "Nwosu", "")
	path := "/v1/registrants/" + r.Number + "/correct"
	before := f.index()
	requireError(t, f.post(path, f.registrar, `{"reason":"x"}`), http.StatusBadRequest, "invalid", "at least one")
	requireError(t, f.post(path, f.registrar, `{"nation":"Wales","reason":"x"}`), http.StatusBadRequest, "invalid", "nation")
	requireError(t, f.post(path, f.registrar, `{"email":"not an address","reason":"x"}`), http.StatusBadRequest, "invalid", "email")
	requireError(t, f.post(path, f.registrar, `{"given_name":"  ","reason":"x"}`), http.StatusBadRequest, "invalid", "given name")
	requireError(t, f.post(path, f.registrar, `{"nation":"wales"}`), http.StatusBadRequest, "invalid", "reason")
	assert.Equal(t, before, f.index(), "nothing written")

	res := f.post(path, f.registrar, `{"nation":"wales","email":"amara.n@example.org","reason":"moved before joining; form misread"}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	got := res.json(t)
	assert.Equal(t, "wales", got["nation"])
	assert.Equal(t, "Amara", got["given_name"], "fields not given are kept")
	assert.Len(t, got["changed"], 2)
	assert.Equal(t, []any{}, got["superseded_credentials"], "no credential was outstanding")
	assert.Nil(t, got["reissued_credential"])
}

func TestRemovalNeedsTheNumberRepeated(t *testing.T) {
	f := newFixture(t)
	f.solo()
	r := f.add("Amara", "Nwosu", "")
	other := f.add("Ola", "Ben", "")
	path := "/v1/registrants/" + r.Number + "/remove"
	before := f.index()
	requireError(t, f.post(path, f.registrar, `{"reason":"struck off"}`), http.StatusBadRequest, "invalid", "registration_number is required")
	requireError(t, f.post(path, f.registrar, `{"reason":"struck off","registration_number":"`+other.Number+`"}`), http.StatusBadRequest, "invalid", "is not "+r.Number, "nothing was changed")
	requireError(t, f.post(path, f.registrar, `{"reason":"struck off","registration_number":"`+mistyped(r.Number)+`"}`), http.StatusBadRequest, "invalid")
	assert.Equal(t, before, f.index())
	res := f.post(path, f.registrar, `{"reason":"struck off","registration_number":"`+r.Number+`"}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	assert.Equal(t, string(register.Removed), res.json(t)["status"])
}
