package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/applications/intake"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/mail"
)

// withOutbox serves the fixture's register through an API whose intake
// writes mail to an outbox folder, which it returns.
func withOutbox(t *testing.T, f *fixture) string {
	t.Helper()
	dir := t.TempDir()
	m, err := mail.New(mail.Config{OutboxDir: dir, From: "register@nalw.example"})
	require.NoError(t, err)
	t.Cleanup(m.Close)
	f.api = New(f.srv, f.api.logger, WithIntake(intake.New(f.srv, intake.Config{Mailer: m})))
	f.ts = httptest.NewServer(f.api)
	t.Cleanup(f.ts.Close)
	return dir
}

var codeLine = regexp.MustCompile(`(?m)^ {4}(\d{6})\r?$`)

// lastCode reads the newest code in the outbox sent to email.
func lastCode(t *testing.T, dir, email string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*code-*.eml"))
	require.NoError(t, err)
	code := ""
	for _, p := range files {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		if m := codeLine.FindSubmatch(b); m != nil && strings.Contains(string(b), email) {
			code = string(m[1])
		}
	}
	require.NotEmpty(t, code, "no code for %s in the outbox", email)
	return code
}

func mailTo(t *testing.T, dir, email, subject string) bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	for _, p := range files {
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), email) && strings.Contains(string(b), subject) {
			return true
		}
	}
	return false
}

func TestAnApplicationFromCodeToRegistrant(t *testing.T) {
	f := newFixture(t)
	outbox := withOutbox(t, f)
	require.Equal(t, http.StatusCreated, f.post("/v1/providers", f.registrar, `{"name":"Open University"}`).status)
	require.Equal(t, http.StatusCreated, f.post("/v1/courses", f.registrar, `{"provider":"P1","title":"Level 4 Certificate","level":{"framework":"rqf","number":4},"mode":"distance","standing":{"standing":"aligned"}}`).status)
	require.Equal(t, http.StatusOK, f.post("/v1/settings/registration-criteria", f.admin, `{"required":true,"min_rqf_level":4,"allow_alternative_route":true}`).status)

	res := f.post("/v1/applications/codes", "", `{"email":"amara@example.org"}`)
	require.Equal(t, http.StatusAccepted, res.status, "body: %s", res.body)
	code := lastCode(t, outbox, "amara@example.org")

	app := `{"given_name":"Amara","family_name":"Nwosu","nation":"england","email":"amara@example.org","date_of_birth":"1990-04-01",
		"qualifications":[{"course":"C1","awarded":"2025-06-30"}],"declarations":{"truthful":true},"privacy_consent":true,"code":"%s"}`
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	requireError(t, f.post("/v1/applications", "", strings.Replace(app, "%s", wrong, 1)), http.StatusBadRequest, "invalid", "code is not right", "4 tries left")
	// The wrong try is counted in the log (so that every member counts
	// it); an application refused for what it says records nothing.
	before := f.index()
	requireError(t, f.post("/v1/applications", "", strings.Replace(strings.Replace(app, "%s", code, 1), `"privacy_consent":true`, `"privacy_consent":false`, 1)),
		http.StatusBadRequest, "invalid", "privacy notice")
	assert.Equal(t, before, f.index(), "nothing recorded")

	res = f.post("/v1/applications", "", strings.Replace(app, "%s", code, 1))
	require.Equal(t, http.StatusCreated, res.status, "body: %s", res.body)
	ref := res.json(t)["reference"].(string)
	assert.Equal(t, "A1001", ref)
	requireError(t, f.post("/v1/applications", "", strings.Replace(app, "%s", code, 1)), http.StatusBadRequest, "invalid", "no code is waiting")

	// Not on the public register until approved.
	assert.Empty(t, f.get("/v1/register?q=nwosu", "").json(t)["results"])
	got := f.get("/v1/applications/"+ref, f.auditor).json(t)
	assert.Equal(t, "submitted", got["state"])
	assert.Nil(t, got["previously_removed"])
	assert.Len(t, f.get("/v1/applications?state=submitted", f.auditor).json(t)["applications"], 1)

	res = f.post("/v1/applications/"+ref+"/request-information", f.registrar, `{"note":"Send a copy of your certificate."}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	res = f.post("/v1/applications/"+ref+"/approve", f.registrar, "")
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	reg := res.json(t)["registrant"].(map[string]any)
	n := reg["registration_number"].(string)
	assert.Equal(t, "Level 4 Certificate", reg["qualifications"].([]any)[0].(map[string]any)["title"])
	assert.Len(t, f.get("/v1/register?q=nwosu", "").json(t)["results"], 1, "on the public register once approved")
	requireError(t, f.post("/v1/applications/"+ref+"/approve", f.registrar, ""), http.StatusConflict, "conflict", "approved")
	assert.Eventually(t, func() bool { return mailTo(t, outbox, "amara@example.org", "Welcome to") }, 10e9, 50e6)
	assert.True(t, mailTo(t, outbox, "amara@example.org", "/account\r\n"), "the welcome offers the credential through the account")
	// Every email to the applicant is on the application.
	assert.Eventually(t, func() bool {
		var got []string
		for _, m := range f.get("/v1/applications/"+ref+"/messages", f.auditor).json(t)["messages"].([]any) {
			if m := m.(map[string]any); m["state"] == "sent" {
				got = append(got, m["purpose"].(string))
			}
		}
		return slices.Equal(got, []string{"application-received", "more-information", "welcome"})
	}, 10e9, 50e6)
	requireError(t, f.get("/v1/applications/A9999/messages", f.auditor), http.StatusNotFound, "not_found")

	// Every step is audited.
	var actions []string
	for _, ev := range f.get("/v1/audit", f.auditor).json(t)["events"].([]any) {
		actions = append(actions, ev.(map[string]any)["action"].(string))
	}
	for _, a := range []string{"application.submit", "application.request-information", "registrant.add", "application.approve"} {
		assert.Contains(t, actions, a)
	}

	// Removed later, the same person applies again: the registrar is told.
	_, err := f.srv.Apply(context.Background(), f.adminActor, fsm.ChangeRegistrant{Number: n, Op: fsm.OpRemove, Reason: "Removed by panel decision FTP-9."})
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, f.post("/v1/applications/codes", "", `{"email":"amara.n@example.net"}`).status)
	again := strings.Replace(strings.Replace(app, "amara@example.org", "amara.n@example.net", 1), "%s", lastCode(t, outbox, "amara.n@example.net"), 1)
	again = strings.Replace(again, `"Amara"`, `"AMARA"`, 1)
	res = f.post("/v1/applications", "", again)
	require.Equal(t, http.StatusCreated, res.status, "body: %s", res.body)
	flagged := f.get("/v1/applications/"+res.json(t)["reference"].(string), f.registrar).json(t)["previously_removed"].([]any)
	require.Len(t, flagged, 1, "same folded name and date of birth as the removed registrant's application")
	assert.Equal(t, n, flagged[0].(map[string]any)["registration_number"])
	assert.Equal(t, "name and date of birth", flagged[0].(map[string]any)["matched_on"])

	// Refusal, appeal in time, dismissal.
	ref2 := f.get("/v1/applications?state=submitted", f.registrar).json(t)["applications"].([]any)[0].(map[string]any)["reference"].(string)
	requireError(t, f.post("/v1/applications/"+ref2+"/refuse", f.registrar, `{"note":""}`), http.StatusBadRequest, "invalid", "reasons for refusing")
	res = f.post("/v1/applications/"+ref2+"/refuse", f.registrar, `{"note":"Previously removed for poor practice."}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	assert.Equal(t, "2026-04-12", res.json(t)["appeal_by"])
	require.Equal(t, http.StatusOK, f.post("/v1/applications/"+ref2+"/appeal", f.registrar, `{"note":"I have retrained."}`).status)
	requireError(t, f.post("/v1/applications/"+ref2+"/appeal-decision", f.registrar, `{"note":"x"}`), http.StatusBadRequest, "invalid", "upheld is required")
	res = f.post("/v1/applications/"+ref2+"/appeal-decision", f.registrar, `{"upheld":false,"note":"The panel's reasons still apply."}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	assert.Equal(t, "appeal-dismissed", res.json(t)["state"])
}

func TestApprovalThatFailsTheCriteriaAddsNobody(t *testing.T) {
	f := newFixture(t)
	outbox := withOutbox(t, f)
	require.Equal(t, http.StatusOK, f.post("/v1/settings/registration-criteria", f.admin, `{"required":true,"min_rqf_level":4,"allow_alternative_route":true}`).status)
	require.Equal(t, http.StatusAccepted, f.post("/v1/applications/codes", "", `{"email":"bo@example.org"}`).status)
	res := f.post("/v1/applications", "", `{"given_name":"Bo","family_name":"Lee","nation":"wales","email":"bo@example.org","date_of_birth":"1985-01-02",
		"qualifications":[{"title":"BSc Psychology","level":6,"provider":"Cardiff University","accreditation":"other","awarded":"2010-07-01"}],
		"declarations":{"health":true,"details":"Managed condition; no effect on practice.","truthful":true},"privacy_consent":true,"code":"`+lastCode(t, outbox, "bo@example.org")+`"}`)
	require.Equal(t, http.StatusCreated, res.status, "body: %s", res.body)
	ref := res.json(t)["reference"].(string)
	before := len(f.get("/v1/registrants", f.auditor).json(t)["registrants"].([]any))
	requireError(t, f.post("/v1/applications/"+ref+"/approve", f.registrar, ""), http.StatusConflict, "conflict", "cannot be approved", "RQF Level 4")
	assert.Len(t, f.get("/v1/registrants", f.auditor).json(t)["registrants"], before)
	assert.Equal(t, "submitted", f.get("/v1/applications/"+ref, f.auditor).json(t)["state"])
	res = f.post("/v1/applications/"+ref+"/approve", f.registrar, `{"entry_route":{"kind":"equivalent-qualification","reason":"Psychology degree and six years in social prescribing."}}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)

	// Codes are rate-limited per address.
	for range 2 {
		require.Equal(t, http.StatusAccepted, f.post("/v1/applications/codes", "", `{"email":"cy@example.org"}`).status)
	}
	require.Equal(t, http.StatusAccepted, f.post("/v1/applications/codes", "", `{"email":"cy@example.org"}`).status)
	requireError(t, f.post("/v1/applications/codes", "", `{"email":"cy@example.org"}`), http.StatusTooManyRequests, "throttled", "wait an hour")
}
