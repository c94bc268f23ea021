package api

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCourseCatalogueThroughTheAPI(t *testing.T) {
	f := newFixture(t)
	res := f.post("/v1/providers", f.registrar, `{"name":"Glasgow Caledonian University","ukprn":"10007774"}`)
	require.Equal(t, http.StatusCreated, res.status, "body: %s", res.body)
	assert.Equal(t, "P1", res.json(t)["id"])

	res = f.post("/v1/courses", f.registrar, `{"provider":"P1","title":"PDA Community Link Working","level":{"framework":"scqf","number":7},"mode":"blended",
		"standing":{"standing":"accredited","reference":"NALW-ACC-7","from":"2025-01-01","until":"2027-12-31"}}`)
	require.Equal(t, http.StatusCreated, res.status, "body: %s", res.body)
	assert.Equal(t, "C1", res.json(t)["id"])
	res = f.post("/v1/courses", f.admin, `{"provider":"P1","title":"Level 3 Award","level":{"framework":"rqf","number":3},"mode":"distance","standing":{"standing":"aligned"}}`)
	require.Equal(t, http.StatusCreated, res.status, "body: %s", res.body)

	// Public, cacheable, filterable; SCQF 7 counts as RQF 4.
	res = f.get("/v1/courses?min_level=4", "")
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	assert.Equal(t, "public, max-age=300", res.header.Get("Cache-Control"))
	etag := res.header.Get("ETag")
	require.NotEmpty(t, etag)
	list := res.json(t)["courses"].([]any)
	require.Len(t, list, 1)
	c := list[0].(map[string]any)
	assert.EqualValues(t, 4, c["rqf_level"])
	assert.Equal(t, "Glasgow Caledonian University", c["provider_name"])
	assert.Equal(t, "accredited", c["standing"].(map[string]any)["standing"])

	req, err := http.NewRequest(http.MethodGet, f.ts.URL+"/v1/courses?min_level=4", nil)
	require.NoError(t, err)
	req.Header.Set("If-None-Match", etag)
	resp, err := f.ts.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)

	// A change of standing appends to the history and changes the ETag.
	res = f.post("/v1/courses/C1/standing", f.registrar, `{"standing":"withdrawn","reason":"The provider closed the course."}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	assert.Len(t, res.json(t)["history"], 2)
	res = f.get("/v1/courses/C1", "")
	require.Equal(t, http.StatusOK, res.status)
	assert.NotEqual(t, etag, res.header.Get("ETag"))
	assert.Equal(t, "withdrawn", res.json(t)["standing"].(map[string]any)["standing"])
	assert.Len(t, f.get("/v1/courses?standing=aligned", "").json(t)["courses"], 1)
}

func TestCourseCatalogueRefusesBadInputAndSavesNothing(t *testing.T) {
	f := newFixture(t)
	require.Equal(t, http.StatusCreated, f.post("/v1/providers", f.registrar, `{"name":"Open University"}`).status)
	before := f.index()
	for _, tc := range []struct{ path, body, want string }{
		{"/v1/providers", `{"name":"X","ukprn":"1234"}`, "eight digits"},
		{"/v1/providers", `{"name":""}`, "provider name is required"},
		{"/v1/courses", `{"provider":"P1","title":"T","level":{"framework":"scqf","number":13},"mode":"blended","standing":{"standing":"aligned"}}`, "SCQF levels run from 1 to 12"},
		{"/v1/courses", `{"provider":"P1","title":"T","level":{"framework":"rqf","number":4},"mode":"evenings","standing":{"standing":"aligned"}}`, "mode"},
		{"/v1/courses", `{"provider":"P1","title":"T","level":{"framework":"rqf","number":4},"mode":"blended","standing":{"standing":"accredited"}}`, "reference"},
		{"/v1/courses", `{"provider":"P1","title":"T","level":{"framework":"rqf","number":4},"mode":"blended","standing":{"standing":"aligned"},"extra":1}`, "unknown"},
		{"/v1/settings/registration-criteria", `{"required":true,"min_rqf_level":12}`, "RQF level from 1 to 8"},
	} {
		tok := f.registrar
		if tc.path == "/v1/settings/registration-criteria" {
			tok = f.admin
		}
		requireError(t, f.post(tc.path, tok, tc.body), http.StatusBadRequest, "invalid", tc.want)
	}
	requireError(t, f.post("/v1/courses", f.registrar, `{"provider":"P7","title":"T","level":{"framework":"rqf","number":4},"mode":"blended","standing":{"standing":"aligned"}}`),
		http.StatusNotFound, "not_found", "provider")
	requireError(t, f.post("/v1/courses/C9/standing", f.registrar, `{"standing":"aligned"}`), http.StatusNotFound, "not_found")
	requireError(t, f.get("/v1/courses?standing=approved", ""), http.StatusBadRequest, "invalid", "standing")
	requireError(t, f.post("/v1/courses", f.auditor, `{}`), http.StatusForbidden, "forbidden")
	assert.Equal(t, before, f.index(), "nothing was written")
}

func TestAddingARegistrantMeetsTheCriteriaOrAddsNobody(t *testing.T) {
	f := newFixture(t)
	require.Equal(t, http.StatusCreated, f.post("/v1/providers", f.registrar, `{"name":"Open University"}`).status)
	require.Equal(t, http.StatusCreated, f.post("/v1/courses", f.registrar, `{"provider":"P1","title":"Level 5 Diploma","level":{"framework":"rqf","number":5},"mode":"distance","standing":{"standing":"aligned"}}`).status)
	require.Equal(t, http.StatusCreated, f.post("/v1/courses", f.registrar, `{"provider":"P1","title":"PDA Link Working","level":{"framework":"scqf","number":6},"mode":"distance","standing":{"standing":"aligned"}}`).status)

	// Off by default: a register that never set criteria adds as before.
	require.Equal(t, http.StatusCreated, f.post("/v1/registrants", f.registrar, `{"given_name":"Ada","family_name":"Lovelace","nation":"england"}`).status)

	res := f.post("/v1/settings/registration-criteria", f.admin, `{"required":true,"min_rqf_level":4,"allow_alternative_route":true}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	assert.Equal(t, true, f.get("/v1/settings", f.auditor).json(t)["registration_criteria"].(map[string]any)["required"])

	before := len(f.get("/v1/registrants", f.auditor).json(t)["registrants"].([]any))
	requireError(t, f.post("/v1/registrants", f.registrar, `{"given_name":"Bo","family_name":"Lee","nation":"wales"}`),
		http.StatusConflict, "conflict", "RQF Level 4 or above", "alternative route", "nothing was saved")
	requireError(t, f.post("/v1/registrants", f.registrar, `{"given_name":"Bo","family_name":"Lee","nation":"wales","qualifications":[{"course":"C2","awarded":"2024-06-30"}]}`),
		http.StatusConflict, "conflict", "SCQF 7")
	requireError(t, f.post("/v1/registrants", f.registrar, `{"given_name":"Bo","family_name":"Lee","nation":"wales","qualifications":[{"course":"C1","awarded":"30/06/2024"}]}`),
		http.StatusBadRequest, "invalid", "qualification 1")
	requireError(t, f.post("/v1/registrants", f.registrar, `{"given_name":"Bo","family_name":"Lee","nation":"wales","entry_route":{"kind":"experience","reason":""}}`),
		http.StatusBadRequest, "invalid", "reason")
	assert.Len(t, f.get("/v1/registrants", f.auditor).json(t)["registrants"], before, "nobody was added")

	res = f.post("/v1/registrants", f.registrar, `{"given_name":"Bo","family_name":"Lee","nation":"wales","qualifications":[{"course":"C1","awarded":"2024-06-30"}]}`)
	require.Equal(t, http.StatusCreated, res.status, "body: %s", res.body)
	q := res.json(t)["qualifications"].([]any)[0].(map[string]any)
	assert.Equal(t, "Level 5 Diploma", q["title"])
	assert.Equal(t, "nalw-aligned", q["accreditation"])

	res = f.post("/v1/registrants", f.registrar, `{"given_name":"Cy","family_name":"Moss","nation":"scotland","entry_route":{"kind":"experience","reason":"Ten years as a community link worker before the register opened."}}`)
	require.Equal(t, http.StatusCreated, res.status, "body: %s", res.body)
	assert.Equal(t, "experience", res.json(t)["entry_route"].(map[string]any)["kind"])

	// A qualification from the catalogue needs only the course and the date.
	n := res.json(t)["registration_number"].(string)
	res = f.post("/v1/registrants/"+n+"/qualifications", f.registrar, `{"course":"C2","awarded":"2023-01-31"}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	assert.Equal(t, "PDA Link Working", res.json(t)["qualifications"].([]any)[0].(map[string]any)["title"])
}
