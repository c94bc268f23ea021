package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// confirmationsFixture is the fixture with two providers' courses (C1 of
// P1, whose token is f.provider, and C2 of P2, with its own token) and an
// application claiming both and an "other" qualification.
func confirmationsFixture(t *testing.T) (f *fixture, otherProvider, ref string) {
	f = newFixture(t).withProvider()
	ctx := context.Background()
	otherProvider = f.providerToken("st_provider2", "P2", "Open University")
	for _, p := range []string{"P1", "P2"} {
		_, err := f.srv.Apply(ctx, f.adminActor, fsm.AddCourse{NewCourse: courses.NewCourse{Provider: p, Title: "Certificate of " + p,
			Level: courses.Level{Framework: courses.RQF, Number: 4}, Mode: "part-time", Standing: courses.StandingChange{Standing: courses.Aligned}}})
		require.NoError(t, err)
	}
	res, err := f.srv.Apply(ctx, register.Actor{TokenID: "applicant"}, fsm.SubmitApplication{New: applications.New{Given: "Bea", Family: "Okafor", Nation: "england",
		Email: "bea.private@example.org", DateOfBirth: "1990-05-01", Employer: "Leeds PCN",
		Qualifications: []register.Qualification{{Course: "C1", Awarded: "2025-06-30"}, {Course: "C2", Awarded: "2024-01-31"},
			{Title: "Diploma in Counselling", Level: 4, Provider: "Leeds College", Accreditation: "other", Awarded: "2020-07-01"}},
		Declarations: applications.Declarations{Health: true, Details: "Private health details.", Truthful: true}, PrivacyConsent: true}})
	require.NoError(t, err)
	return f, otherProvider, res.(*applications.Application).Ref
}

func TestAProviderSeesOnlyItsOwnClaimsAndNothingElseOfThePerson(t *testing.T) {
	f, other, ref := confirmationsFixture(t)
	res := f.get("/v1/provider/claims", f.provider)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	body := string(res.body)
	got := res.json(t)
	assert.Equal(t, "University of Westminster", got["provider"])
	cs := got["claims"].([]any)
	require.Len(t, cs, 1, "only the line of its own course")
	c := cs[0].(map[string]any)
	assert.Equal(t, ref, c["application"])
	assert.Equal(t, "Bea Okafor", c["name"])
	assert.Equal(t, "C1", c["course"])
	assert.Equal(t, "2025-06-30", c["awarded"])
	assert.EqualValues(t, 0, c["index"])
	for _, private := range []string{"bea.private@example.org", "Private health details", "Leeds PCN", "1990-05-01", "Counselling", "C2", "Open University"} {
		assert.NotContains(t, body, private, "a provider sees nothing else of the person")
	}
	assert.Len(t, f.get("/v1/provider/claims", other).json(t)["claims"], 1)
	requireError(t, f.get("/v1/provider/claims?filter=mine", f.provider), http.StatusBadRequest, "invalid", "awaiting, answered or all")

	// What only registrars and auditors read is refused to a provider.
	for _, p := range []string{"/v1/applications/" + ref, "/v1/applications", "/v1/applications/" + ref + "/confirmations", "/v1/registrants", "/v1/audit"} {
		requireError(t, f.get(p, f.provider), http.StatusForbidden, "forbidden", "provider token may not do this")
	}
	// And registrar-only actions.
	for _, p := range []string{"/v1/applications/" + ref + "/approve", "/v1/registrants", "/v1/courses"} {
		requireError(t, f.post(p, f.provider, `{}`), http.StatusForbidden, "forbidden", "provider token may not do this")
	}
}

func TestAProviderConfirmsAndDisputesThroughTheAPI(t *testing.T) {
	f, other, ref := confirmationsFixture(t)
	app := "/v1/applications/" + ref + "/qualifications/"
	before := f.index()
	for name, tc := range map[string]struct {
		path, token, body string
		status            int
		code              string
		says              string
	}{
		"another provider's course":  {app + "1/confirm", f.provider, "", http.StatusForbidden, "forbidden", "not a claim to one of your provider's courses"},
		"an other qualification":     {app + "2/confirm", f.provider, "", http.StatusForbidden, "forbidden", "not a claim to one of your provider's courses"},
		"unknown qualification":      {app + "7/confirm", f.provider, "", http.StatusForbidden, "forbidden", "not a claim to one of your provider's courses"},
		"not an index":               {app + "first/confirm", f.provider, "", http.StatusBadRequest, "invalid", "must be a number"},
		"unknown application":        {"/v1/applications/A9999/qualifications/0/confirm", f.provider, "", http.StatusNotFound, "not_found", "A9999"},
		"dispute without reason":     {app + "0/dispute", f.provider, "", http.StatusBadRequest, "invalid", "say why you dispute"},
		"dispute with a blank":       {app + "0/dispute", f.provider, `{"reason":"  "}`, http.StatusBadRequest, "invalid", "say why you dispute"},
		"a stale form":               {app + "0/confirm", f.provider, `{"course":"C2"}`, http.StatusConflict, "conflict", "reload"},
		"a registrar cannot confirm": {app + "0/confirm", f.registrar, "", http.StatusForbidden, "forbidden", "registrar token may not do this"},
		"an admin cannot confirm":    {app + "0/confirm", f.admin, "", http.StatusForbidden, "forbidden", "admin token may not do this"},
		"unknown member":             {app + "0/confirm", f.provider, `{"outcome":"confirmed"}`, http.StatusBadRequest, "invalid", "unknown"},
	} {
		t.Run(name, func(t *testing.T) {
			requireError(t, f.post(tc.path, tc.token, tc.body), tc.status, tc.code, tc.says)
		})
	}
	assert.Equal(t, before, f.index(), "no refusal recorded anything")

	res := f.post(app+"0/confirm", f.provider, "")
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	got := res.json(t)
	assert.Equal(t, true, got["changed"])
	assert.Equal(t, "confirmed", got["confirmation"].(map[string]any)["outcome"])
	at := f.index()
	res = f.post(app+"0/confirm", f.provider, `{"course":"C1"}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	assert.Equal(t, false, res.json(t)["changed"], "confirming twice is harmless")

	res = f.post(app+"1/dispute", other, `{"reason":"No record of Bea Okafor on this course."}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	assert.Greater(t, f.index(), at)

	// The registrar reads both answers, line by line.
	lines := f.get("/v1/applications/"+ref+"/confirmations", f.registrar).json(t)["qualifications"].([]any)
	require.Len(t, lines, 3)
	c0 := lines[0].(map[string]any)["confirmation"].(map[string]any)
	assert.Equal(t, "University of Westminster", c0["provider_name"])
	assert.Equal(t, "confirmed", c0["outcome"])
	c1 := lines[1].(map[string]any)["confirmation"].(map[string]any)
	assert.Equal(t, "disputed", c1["outcome"])
	assert.Equal(t, "No record of Bea Okafor on this course.", c1["reason"])
	assert.Nil(t, lines[2].(map[string]any)["confirmation"])

	var actions []string
	for _, ev := range f.get("/v1/audit", f.auditor).json(t)["events"].([]any) {
		actions = append(actions, ev.(map[string]any)["action"].(string))
	}
	assert.Contains(t, actions, "qualification.confirm")
	assert.Contains(t, actions, "qualification.dispute")

	// Approved, the application's answers are the registrant's; the
	// provider answers on the record from then on.
	res = f.post("/v1/applications/"+ref+"/approve", f.registrar, "")
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	n := res.json(t)["registrant"].(map[string]any)["registration_number"].(string)
	requireError(t, f.post(app+"0/confirm", f.provider, ""), http.StatusConflict, "conflict", "answer on their record instead", n)
	lines = f.get("/v1/registrants/"+n+"/confirmations", f.auditor).json(t)["qualifications"].([]any)
	c0 = lines[0].(map[string]any)["confirmation"].(map[string]any)
	assert.Equal(t, "confirmed", c0["outcome"])
	assert.Equal(t, ref, c0["carried_from"])
	res = f.post("/v1/registrants/"+n+"/qualifications/1/confirm", other, "")
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	hist := res.json(t)["confirmation"].(map[string]any)["history"].([]any)
	require.Len(t, hist, 1, "the earlier dispute is kept")
	requireError(t, f.post("/v1/registrants/"+n+"/qualifications/1/confirm", f.provider, ""), http.StatusForbidden, "forbidden", "not a claim")
	claims := f.get("/v1/provider/claims?filter=answered", f.provider).json(t)["claims"].([]any)
	require.Len(t, claims, 1)
	assert.Equal(t, n, claims[0].(map[string]any)["registration_number"])
	assert.Empty(t, f.get("/v1/provider/claims", f.provider).json(t)["claims"], "nothing awaits")
}

func TestAProviderAccountIsTiedToAProvider(t *testing.T) {
	f := newFixture(t).withProvider()
	requireError(t, f.post("/v1/staff", f.admin, `{"name":"Pat","email":"pat@uni.example","role":"provider"}`), http.StatusBadRequest, "invalid", "belongs to one training provider")
	requireError(t, f.post("/v1/staff", f.admin, `{"name":"Pat","email":"pat@uni.example","role":"registrar","provider":"P1"}`), http.StatusBadRequest, "invalid", "only a provider account")
	requireError(t, f.post("/v1/staff", f.admin, `{"name":"Pat","email":"pat@uni.example","role":"provider","provider":"P9"}`), http.StatusNotFound, "not_found", "training provider")
	requireError(t, f.post("/v1/staff", f.registrar, `{"name":"Pat","email":"pat@uni.example","role":"provider","provider":"P1"}`), http.StatusForbidden, "forbidden")
	res := f.post("/v1/staff", f.admin, `{"name":"Pat","email":"pat@uni.example","role":"provider","provider":"P1"}`)
	require.Equal(t, http.StatusCreated, res.status, "body: %s", res.body)
	assert.Equal(t, "P1", res.json(t)["provider"])
	assert.True(t, strings.HasPrefix(res.json(t)["setup_url"].(string), "http://127.0.0.1:8080/setup/"))
	requireError(t, f.post("/v1/tokens", f.admin, `{"role":"provider","name":"an integration"}`), http.StatusBadRequest, "invalid", "belongs to a provider's staff account")
}
