package api

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/nalw/linkpass/issuer/publicregister"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

var publicEntryKeys = []string{"registration_number", "name", "status", "status_since", "suspended_until", "restrictions", "nation", "registered_until", "may_practise", "qualifications"}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// private adds a registrant whose entry holds everything the public must
// not see: an email, a status reason with health detail, CPD.
func private(f *fixture) *register.Registrant {
	r := f.add("Tomasz", "Kowalczyk", "")
	f.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpCPD, CPD: &register.CPD{Year: 2025, Hours: 23.5, FormalHours: 11.25}})
	f.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpQualification, Qualification: &register.Qualification{Title: "Level 4 Certificate in Social Prescribing", Level: 4, Provider: "University of Westminster", Accreditation: "nalw-accredited", Awarded: "2023-07-14"}})
	f.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpRestrict, Text: "Must work under the supervision of a named senior link worker.", Reason: "Panel noted a confidential health condition"})
	return f.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpSuspend, Reason: "Interim order: confidential health condition", Until: "2026-09-01"})
}

func assertNoPrivateData(t *testing.T, body []byte, r *register.Registrant) {
	t.Helper()
	s := string(body)
	for _, secret := range []string{r.Email, "email", "confidential", "status_reason", "cpd", "formal_hours", "23.5", "create_index", "modify_index", "provider", "Westminster", "registered_from"} {
		assert.NotContains(t, s, secret, "the public register shows only what public protection needs")
	}
}

func TestPublicEntryShowsOnlyPublicFields(t *testing.T) {
	f := newFixture(t)
	r := private(f)
	res := f.get("/v1/register/"+r.Number, "")
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	body := res.json(t)
	assert.Equal(t, []string{"checked_at", "entry", "quality_mark", "register"}, keysOf(body))
	entry := body["entry"].(map[string]any)
	assert.Equal(t, sorted(publicEntryKeys), keysOf(entry))
	assert.Equal(t, r.Number, entry["registration_number"])
	assert.Equal(t, "Tomasz Kowalczyk", entry["name"])
	assert.Equal(t, "suspended", entry["status"])
	assert.Equal(t, "2026-09-01", entry["suspended_until"])
	assert.Equal(t, []any{"Must work under the supervision of a named senior link worker."}, entry["restrictions"], "restrictions are on the entry itself")
	assert.Equal(t, []any{"Level 4 Certificate in Social Prescribing"}, entry["qualifications"])
	assert.Equal(t, "2026-03-15", entry["status_since"])
	assert.Equal(t, register.DefaultRegisterName, body["register"])
	assertNoPrivateData(t, res.body, r)

	// The admin API, by contrast, does show them to a reader.
	adminView := f.get("/v1/registrants/"+r.Number, f.auditor)
	assert.Contains(t, string(adminView.body), r.Email)
}

func TestPublicSearchShowsOnlyPublicFields(t *testing.T) {
	f := newFixture(t)
	r := private(f)
	for _, q := range []string{r.Number, "kowalczyk"} {
		res := f.get("/v1/register?q="+url.QueryEscape(q), "")
		require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
		body := res.json(t)
		assert.Equal(t, []string{"checked_at", "quality_mark", "query", "refine", "register", "results", "total", "truncated"}, keysOf(body))
		results := body["results"].([]any)
		require.Len(t, results, 1, q)
		assert.Equal(t, sorted(publicEntryKeys), keysOf(results[0].(map[string]any)))
		assertNoPrivateData(t, res.body, r)
	}
}

func TestPublicSearchByNumberAndName(t *testing.T) {
	f := newFixture(t)
	amara := f.add("Amara", "Nwosu", "")
	f.add("Ciaran", "O'Neill", "")
	f.add("Ann", "O'Neill", "")
	numbers := func(q string) []string {
		t.Helper()
		res := f.get("/v1/register?q="+url.QueryEscape(q), "")
		require.Equal(t, http.StatusOK, res.status, "q=%q body: %s", q, res.body)
		out := []string{}
		for _, e := range res.json(t)["results"].([]any) {
			out = append(out, e.(map[string]any)["name"].(string))
		}
		return out
	}
	assert.Equal(t, []string{"Amara Nwosu"}, numbers(amara.Number))
	typed := strings.ToLower(amara.Number[:5] + " " + amara.Number[5:])
	assert.Equal(t, []string{"Amara Nwosu"}, numbers(typed), "a number as a person types it")
	assert.Equal(t, []string{"Amara Nwosu"}, numbers("nwosu"))
	assert.Equal(t, []string{"Amara Nwosu"}, numbers("NWOSU amara"))
	assert.Equal(t, []string{"Ciaran O'Neill", "Ann O'Neill"}, numbers("o'neill"))
	for _, q := range []string{"oneill", "O Neill", "O’Neill", "o‘neill", "Oʼneill"} {
		assert.Equal(t, []string{"Ciaran O'Neill", "Ann O'Neill"}, numbers(q), q)
	}
	assert.Equal(t, []string{"Ann O'Neill"}, numbers("ann o'neill"), "exact full name")
	assert.Equal(t, []string{"Ann O'Neill"}, numbers("an"), "a prefix of a part")
	assert.Equal(t, []string{"Amara Nwosu"}, numbers("nw am"), "prefixes of parts, any order")
	assert.Empty(t, numbers("zzzz"))
	assert.Empty(t, numbers("mara"), "words match from the start of a part of the name")
	// A mistyped number is reported as mistyped, not as "nobody found".
	requireError(t, f.get("/v1/register?q="+mistyped(amara.Number), ""), 400, "invalid", "mistyped")

	for _, q := range []string{"", "a", "  a  ", strings.Repeat("x", 101)} {
		requireError(t, f.get("/v1/register?q="+url.QueryEscape(q), ""), 400, "invalid", "2 to 100")
	}
	requireError(t, f.get("/v1/register?q="+url.QueryEscape("’ - ."), ""), 400, "invalid", "enter a name")
	requireError(t, f.get("/v1/register?q="+url.QueryEscape("a b c d e f g h i"), ""), 400, "invalid", "at most 8 words")
	requireError(t, f.get("/v1/register", ""), 400, "invalid")
}

func TestPublicSearchIsCapped(t *testing.T) {
	f := newFixture(t)
	for i := range publicregister.MaxResults + 1 {
		f.add(fmt.Sprintf("Person%02d", i), "Smith", "")
	}
	body := f.get("/v1/register?q=smith", "").json(t)
	assert.Len(t, body["results"], publicregister.MaxResults)
	assert.Equal(t, true, body["truncated"])
	assert.Equal(t, true, body["refine"])
	assert.Equal(t, float64(publicregister.MaxResults+1), body["total"])
	body = f.get("/v1/register?q=person00", "").json(t)
	assert.Len(t, body["results"], 1)
	assert.Equal(t, false, body["truncated"])
	assert.Equal(t, false, body["refine"])
	assert.Equal(t, float64(1), body["total"])
}

func TestRemovedVisibleThenHiddenAfterRemovedVisibleDays(t *testing.T) {
	f := newFixture(t)
	days := 30
	_, err := f.srv.Apply(context.Background(), f.adminActor, fsm.SetSettings{RemovedVisibleDays: &days})
	require.NoError(t, err)
	r := f.add("Oliver", "Hartley", "")
	f.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpRemove, Reason: "Removed by panel decision"})

	visible := func() bool {
		t.Helper()
		res := f.get("/v1/register/"+r.Number, "")
		byNumber := f.get("/v1/register?q="+r.Number, "").json(t)["results"].([]any)
		byName := f.get("/v1/register?q=hartley", "").json(t)["results"].([]any)
		if res.status == http.StatusNotFound {
			requireError(t, res, 404, "not_found", "not on the register")
			assert.Empty(t, byNumber)
			assert.Empty(t, byName)
			return false
		}
		require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
		assert.Equal(t, "removed", res.json(t)["entry"].(map[string]any)["status"], "shown as removed")
		require.Len(t, byNumber, 1)
		require.Len(t, byName, 1)
		assert.Equal(t, "removed", byName[0].(map[string]any)["status"])
		e := res.json(t)["entry"].(map[string]any)
		assert.NotContains(t, e, "registered_until", "a removed entry shows no registered-until date")
		assert.Equal(t, "2026-03-15", e["removed_on"])
		assert.Equal(t, false, e["may_practise"])
		return true
	}
	assert.True(t, visible(), "removed today")
	f.clock.Advance(time.Duration(days) * 24 * time.Hour)
	assert.True(t, visible(), "still visible on the last day")
	f.clock.Advance(time.Second)
	assert.False(t, visible(), "hidden once RemovedVisibleDays have passed")

	// The register itself keeps the removal and its reason.
	got := f.get("/v1/registrants/"+r.Number, f.auditor).json(t)
	assert.Equal(t, "removed", got["status"])
	assert.Equal(t, "Removed by panel decision", got["status_reason"])
}

func TestRemovedHiddenAfterDefaultFiveYears(t *testing.T) {
	f := newFixture(t)
	r := f.add("Niamh", "Doherty", "")
	f.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpRemove, Reason: "struck off"})
	f.clock.Advance(4 * 365 * 24 * time.Hour)
	require.Equal(t, http.StatusOK, f.get("/v1/register/"+r.Number, "").status)
	f.clock.Advance(366 * 24 * time.Hour)
	requireError(t, f.get("/v1/register/"+r.Number, ""), 404, "not_found")
}

func TestPublicShowsLapsedAndQualityMark(t *testing.T) {
	f := newFixture(t)
	r := f.add("Hannah", "Greenwood", "2026-03-20")
	res := f.post("/v1/settings/quality-mark", f.admin, `{"accredited":true,"since":"2025-04-01","until":"2026-03-31","reference":"PSA-AR-1"}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)

	body := f.get("/v1/register/"+r.Number, "").json(t)
	assert.Equal(t, map[string]any{"held": true, "until": "2026-03-31", "reference": "PSA-AR-1"}, body["quality_mark"])
	assert.Equal(t, "registered", body["entry"].(map[string]any)["status"])

	f.clock.Advance(6 * 24 * time.Hour) // 2026-03-21
	_, err := f.srv.LapseExpired()
	require.NoError(t, err)
	body = f.get("/v1/register/"+r.Number, "").json(t)
	assert.Equal(t, "lapsed", body["entry"].(map[string]any)["status"])
	assert.Equal(t, "2026-03-21", body["entry"].(map[string]any)["status_since"])

	f.clock.Advance(11 * 24 * time.Hour) // 2026-04-01: the mark has ended
	body = f.get("/v1/register/"+r.Number, "").json(t)
	assert.Equal(t, map[string]any{"held": false}, body["quality_mark"])
	assert.Equal(t, "2026-04-01T12:00:00Z", body["checked_at"], "the check is dated by the register's clock")
}

// TestPublicAnswersAreTheEncodersBytes checks that the public register's
// answers, which write their own JSON, reach the client byte for byte as
// the API's encoder writes every other body (indented, HTML escaped, a
// closing newline), with a Content-Length that matches.
func TestPublicAnswersAreTheEncodersBytes(t *testing.T) {
	f := newFixture(t)
	r := private(f)
	f.add("Siân", "O'Neill", "")
	f.add("Tom", "Kowalczyk & <Jones>", "")
	for _, p := range []string{"/v1/register?q=kowalczyk", "/v1/register?q=" + url.QueryEscape("Sian O’Neill"), "/v1/register?q=nobody",
		"/v1/register?q=" + r.Number, "/v1/register/" + r.Number} {
		res := f.get(p, "")
		require.Equal(t, http.StatusOK, res.status, "%s: %s", p, res.body)
		// The same answer in types without AppendJSON, so that
		// writeJSONAs encodes it as it does any other body.
		type searchResult publicregister.SearchResult
		type entryResult publicregister.EntryResult
		var v any = &searchResult{}
		if !strings.Contains(p, "?") {
			v = &entryResult{}
		}
		require.NoError(t, json.Unmarshal(res.body, v), "%s", p)
		rec := httptest.NewRecorder()
		writeJSONAs(rec, http.StatusOK, "application/json", v)
		assert.Equal(t, rec.Body.String(), string(res.body), p)
		assert.Equal(t, fmt.Sprint(len(res.body)), res.header.Get("Content-Length"), p)
	}
}
