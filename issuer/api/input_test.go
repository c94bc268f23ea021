package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/regno"
)

const validAdd = `{"given_name":"Gareth","family_name":"Llewellyn","nation":"wales"}`

// mistyped returns number with its check digit changed.
func mistyped(number string) string {
	last := number[len(number)-1]
	return number[:len(number)-1] + string('0'+(last-'0'+1)%10)
}

func TestBadBodiesAreRefusedAndChangeNothing(t *testing.T) {
	f := newFixture(t)
	r := f.add("Amara", "Nwosu", "")
	suspend := "/v1/registrants/" + r.Number + "/suspend"
	huge := `{"given_name":"` + strings.Repeat("a", MaxBodyBytes+1) + `","family_name":"B","nation":"england"}`
	cases := []struct {
		name        string
		path        string
		contentType string
		body        string
		status      int
		code        string
		msg         []string
	}{
		{"malformed JSON", "/v1/registrants", "application/json", `{"given_name":`, 400, "invalid", []string{"not valid JSON"}},
		{"not JSON at all", "/v1/registrants", "application/json", `given_name=Gareth`, 400, "invalid", nil},
		{"unknown field", "/v1/registrants", "application/json", `{"given_name":"G","family_name":"L","nation":"wales","shoe_size":9}`, 400, "invalid", []string{"shoe_size"}},
		{"unknown field on a change", suspend, "application/json", `{"reason":"x","sanction":"struck off"}`, 400, "invalid", []string{"sanction"}},
		{"wrong field type", "/v1/registrants", "application/json", `{"given_name":7,"family_name":"L","nation":"wales"}`, 400, "invalid", nil},
		{"array instead of object", "/v1/registrants", "application/json", `[` + validAdd + `]`, 400, "invalid", nil},
		{"null", "/v1/registrants", "application/json", `null`, 400, "invalid", nil},
		{"trailing object", "/v1/registrants", "application/json", validAdd + `{}`, 400, "invalid", []string{"after the JSON object"}},
		{"trailing garbage", "/v1/registrants", "application/json", validAdd + ` x`, 400, "invalid", []string{"after the JSON object"}},
		{"trailing second object", suspend, "application/json", `{"reason":"a"}{"reason":"b"}`, 400, "invalid", []string{"after the JSON object"}},
		{"empty body", "/v1/registrants", "application/json", ``, 400, "invalid", []string{"empty"}},
		{"empty body on a change", suspend, "application/json", ``, 400, "invalid", []string{"empty"}},
		{"body over 64 KiB", "/v1/registrants", "application/json", huge, 413, "too_large", []string{"65536"}},
		{"padding over 64 KiB after the object", "/v1/registrants", "application/json", validAdd + strings.Repeat(" ", MaxBodyBytes), 413, "too_large", nil},
		{"text/plain", "/v1/registrants", "text/plain", validAdd, 415, "unsupported_media_type", []string{"application/json"}},
		{"form", suspend, "application/x-www-form-urlencoded", `reason=x`, 415, "unsupported_media_type", nil},
		{"unparseable content type", "/v1/registrants", "application/json; charset", validAdd, 415, "unsupported_media_type", nil},
		{"bad date 2026-13-40", "/v1/registrants", "application/json", `{"given_name":"G","family_name":"L","nation":"wales","registered_until":"2026-13-40"}`, 400, "invalid", []string{"YYYY-MM-DD"}},
		{"UK date 31/12/2026", "/v1/registrants", "application/json", `{"given_name":"G","family_name":"L","nation":"wales","registered_until":"31/12/2026"}`, 400, "invalid", []string{"YYYY-MM-DD"}},
		{"suspend until bad date", suspend, "application/json", `{"reason":"order","until":"2026-13-40"}`, 400, "invalid", []string{"until"}},
		{"suspend until UK date", suspend, "application/json", `{"reason":"order","until":"31/12/2026"}`, 400, "invalid", []string{"until"}},
		{"renew until bad date", "/v1/registrants/" + r.Number + "/renew", "application/json", `{"until":"2026-13-40"}`, 400, "invalid", []string{"until"}},
		{"renew until UK date", "/v1/registrants/" + r.Number + "/renew", "application/json", `{"until":"31/12/2026"}`, 400, "invalid", []string{"until"}},
		{"renew into the past", "/v1/registrants/" + r.Number + "/renew", "application/json", `{"until":"2026-03-14"}`, 400, "invalid", []string{"past"}},
		{"qualification bad awarded", "/v1/registrants/" + r.Number + "/qualifications", "application/json", `{"title":"L4","level":4,"provider":"OU","accreditation":"other","awarded":"31/12/2026"}`, 400, "invalid", nil},
		{"quality mark bad date", "/v1/settings/quality-mark", "application/json", `{"accredited":true,"since":"2026-13-40","until":"2027-01-01"}`, 400, "invalid", nil},
		{"missing reason", suspend, "application/json", `{}`, 400, "invalid", []string{"reason"}},
		{"blank reason", "/v1/registrants/" + r.Number + "/remove", "application/json", `{"reason":"   "}`, 400, "invalid", []string{"reason"}},
		{"restrict without text", "/v1/registrants/" + r.Number + "/restrict", "application/json", `{"reason":"panel"}`, 400, "invalid", []string{"text"}},
		{"bad nation", "/v1/registrants", "application/json", `{"given_name":"G","family_name":"L","nation":"Wales"}`, 400, "invalid", []string{"nation"}},
		{"cpd year zero", "/v1/registrants/" + r.Number + "/cpd", "application/json", `{"hours":3}`, 400, "invalid", []string{"year"}},
		{"token bad role", "/v1/tokens", "application/json", `{"role":"root"}`, 400, "invalid", []string{"role"}},
		// The last duplicate used to win: a proxy or log that read the
		// first saw another request than the register acted on.
		{"duplicate member", "/v1/registrants", "application/json", `{"given_name":"G","given_name":"Mallory","family_name":"L","nation":"wales"}`, 400, "invalid", []string{"duplicate", "given_name"}},
		{"duplicate member by escape", suspend, "application/json", `{"reason":"a","re\u0061son":"b"}`, 400, "invalid", []string{"duplicate", "reason"}},
		// Invalid UTF-8 used to become U+FFFD and be stored.
		{"invalid UTF-8 in a name", "/v1/registrants", "application/json", "{\"given_name\":\"\xff\xfe\",\"family_name\":\"L\",\"nation\":\"wales\"}", 400, "invalid", []string{"UTF-8"}},
		{"lone surrogate escape", "/v1/registrants", "application/json", `{"given_name":"\ud800","family_name":"L","nation":"wales"}`, 400, "invalid", []string{"surrogate"}},
		{"invalid UTF-8 in a reason", suspend, "application/json", "{\"reason\":\"order \xc3\"}", 400, "invalid", []string{"UTF-8"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := f.index()
			res := f.request(http.MethodPost, c.path, f.admin, c.contentType, strings.NewReader(c.body))
			requireError(t, res, c.status, c.code, c.msg...)
			assert.Equal(t, before, f.index(), "nothing was written")
		})
	}

	// The same requests, well formed, are accepted: the refusals above
	// were about the input, not the route.
	for _, ok := range []struct {
		path, contentType, body string
		status                  int
	}{
		{"/v1/registrants", "application/json", validAdd, http.StatusCreated},
		{"/v1/registrants", "application/json; charset=utf-8", validAdd, http.StatusCreated},
		{suspend, "application/json", `{"reason":"interim order","until":"2026-12-31"}`, http.StatusOK},
	} {
		before := f.index()
		res := f.request(http.MethodPost, ok.path, f.registrar, ok.contentType, strings.NewReader(ok.body))
		require.Equal(t, ok.status, res.status, "body: %s", res.body)
		assert.Greater(t, f.index(), before, "the accepted change was written")
	}
}

func TestNamesTypedDecomposedAreStoredComposedAndFound(t *testing.T) {
	f := newFixture(t)
	// "Siân Ó Dálaigh" as macOS and some keyboards send it: base letters
	// followed by combining accents (NFD).
	res := f.post("/v1/registrants", f.registrar, `{"given_name":"Sia\u0302n","family_name":"O\u0301 Da\u0301laigh","nation":"wales"}`)
	require.Equal(t, http.StatusCreated, res.status, "body: %s", res.body)
	body := res.json(t)
	assert.Equal(t, "Si\u00e2n", body["given_name"], "stored composed (NFC)")
	assert.Equal(t, "\u00d3 D\u00e1laigh", body["family_name"])

	found := f.get("/v1/register?q=Si%C3%A2n", "").json(t)
	results, _ := found["results"].([]any)
	assert.Len(t, results, 1, "a search typed composed finds the name typed decomposed")
}

func TestQueryParametersMustBeUTF8(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/v1/register?q=%FF%FEab", "/v1/registrants?status=%C3", "/v1/audit?registrant=%80"} {
		res := f.get(path, f.admin)
		requireError(t, res, http.StatusBadRequest, "invalid", "UTF-8")
	}
}

func TestBodyWithoutContentTypeIsReadAsJSON(t *testing.T) {
	f := newFixture(t)
	res := f.request(http.MethodPost, "/v1/registrants", f.registrar, "", strings.NewReader(validAdd))
	require.Equal(t, http.StatusCreated, res.status, "body: %s", res.body)
}

func TestBadRegistrationNumbersInPath(t *testing.T) {
	f := newFixture(t)
	r := f.add("Amara", "Nwosu", "")
	unknown := regno.Format(999999)
	paths := []struct {
		method, path string
	}{
		{"GET", "/v1/registrants/%s"},
		{"GET", "/v1/register/%s"},
		{"POST", "/v1/registrants/%s/suspend"},
		{"POST", "/v1/registrants/%s/remove"},
		{"POST", "/v1/registrants/%s/renew"},
		{"POST", "/v1/registrants/%s/cpd"},
	}
	body := map[string]string{"suspend": `{"reason":"x"}`, "remove": `{"reason":"x","registration_number":"%s"}`, "renew": `{}`, "cpd": `{"year":2026,"hours":1}`}
	bodyFor := func(p string) string {
		for k, v := range body {
			if strings.HasSuffix(p, "/"+k) {
				return v
			}
		}
		return ""
	}
	for _, p := range paths {
		t.Run(p.method+" "+p.path, func(t *testing.T) {
			do := func(number string) response {
				path := fmt.Sprintf(p.path, number)
				if p.method == http.MethodGet {
					return f.get(path, f.admin)
				}
				b := bodyFor(p.path)
				if strings.Contains(b, "%s") {
					b = fmt.Sprintf(b, number)
				}
				return f.post(path, f.admin, b)
			}
			before := f.index()
			requireError(t, do(mistyped(r.Number)), 400, "invalid", "mistyped")
			requireError(t, do("XYZ"), 400, "invalid")
			requireError(t, do("LW12"), 400, "invalid")
			requireError(t, do("LW10000x7"), 400, "invalid")
			requireError(t, do(unknown), 404, "not_found", unknown)
			assert.Equal(t, before, f.index())
		})
	}

	// Numbers are normalised as a person types them.
	res := f.get("/v1/registrants/"+strings.ToLower(r.Number), f.admin)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	assert.Equal(t, r.Number, res.json(t)["registration_number"])
}

func TestImpossibleTransitionsAreConflicts(t *testing.T) {
	f := newFixture(t)
	registered := f.add("Amara", "Nwosu", "")
	removed := f.add("Oliver", "Hartley", "")
	f.change(fsm.ChangeRegistrant{Number: removed.Number, Op: fsm.OpRemove, Reason: "struck off"})
	lapsed := f.add("Hannah", "Greenwood", "2026-03-20")
	f.clock.Advance(10 * 24 * 60 * 60 * 1e9)
	_, err := f.srv.LapseExpired()
	require.NoError(t, err)

	cases := []struct {
		name, path, body string
		msg              []string
	}{
		{"reinstate registered", "/v1/registrants/" + registered.Number + "/reinstate", `{"reason":"x"}`, []string{"cannot reinstate", "registered"}},
		{"suspend removed", "/v1/registrants/" + removed.Number + "/suspend", `{"reason":"x"}`, []string{"cannot suspend", "removed"}},
		{"suspend lapsed", "/v1/registrants/" + lapsed.Number + "/suspend", `{"reason":"x"}`, []string{"cannot suspend", "lapsed"}},
		{"renew removed", "/v1/registrants/" + removed.Number + "/renew", `{}`, []string{"cannot renew", "removed"}},
		{"remove twice", "/v1/registrants/" + removed.Number + "/remove", `{"reason":"x","registration_number":"` + removed.Number + `"}`, []string{"cannot remove", "removed"}},
		{"unrestrict unrestricted", "/v1/registrants/" + registered.Number + "/unrestrict", `{"reason":"x"}`, []string{"no restrictions"}},
		{"restrict removed", "/v1/registrants/" + removed.Number + "/restrict", `{"text":"t","reason":"x"}`, []string{"removed"}},
		{"qualification for removed", "/v1/registrants/" + removed.Number + "/qualifications", `{"title":"L4","level":4,"provider":"OU","accreditation":"other","awarded":"2024-01-01"}`, []string{"removed"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := f.index()
			requireError(t, f.post(c.path, f.registrar, c.body), http.StatusConflict, "conflict", c.msg...)
			assert.Equal(t, before, f.index())
		})
	}
}

func TestRegistrantLifecycleOverHTTP(t *testing.T) {
	f := newFixture(t)
	f.solo()
	res := f.post("/v1/registrants", f.registrar, `{"given_name":"Amara","family_name":"Nwosu","nation":"england","email":"amara@example.org"}`)
	require.Equal(t, http.StatusCreated, res.status, "body: %s", res.body)
	var r register.Registrant
	require.NoError(t, json.Unmarshal(res.body, &r))
	_, err := regno.Parse(r.Number)
	require.NoError(t, err)
	path := "/v1/registrants/" + r.Number
	steps := []struct {
		op, body string
		status   register.Status
	}{
		{"restrict", `{"text":"Must not work alone.","reason":"FTP panel"}`, register.Registered},
		{"qualifications", `{"title":"Level 4 Certificate","level":4,"provider":"OU","accreditation":"nalw-accredited","awarded":"2024-07-01"}`, register.Registered},
		{"cpd", `{"year":2025,"hours":22,"formal_hours":12}`, register.Registered},
		{"suspend", `{"reason":"interim order","until":"2026-06-30"}`, register.Suspended},
		{"reinstate", `{"reason":"order lifted"}`, register.Registered},
		{"unrestrict", `{"reason":"conditions met"}`, register.Registered},
		{"renew", `{"until":"2028-03-31"}`, register.Registered},
		{"remove", `{"reason":"struck off","registration_number":"` + r.Number + `"}`, register.Removed},
	}
	for _, s := range steps {
		res := f.post(path+"/"+s.op, f.registrar, s.body)
		require.Equal(t, http.StatusOK, res.status, "%s: %s", s.op, res.body)
		assert.Equal(t, string(s.status), res.json(t)["status"], s.op)
	}
	got := f.get(path, f.auditor).json(t)
	assert.Equal(t, "removed", got["status"])
	assert.Equal(t, "struck off", got["status_reason"])
	assert.Equal(t, "2028-03-31", got["registered_until"])

	list := f.get("/v1/registrants?status=removed", f.auditor).json(t)
	require.Len(t, list["registrants"], 1)
	list = f.get("/v1/registrants?status=registered", f.auditor).json(t)
	assert.Empty(t, list["registrants"], "an empty list, not null")
	assert.NotNil(t, list["registrants"])

	audit := f.get("/v1/audit?registrant="+r.Number, f.auditor).json(t)
	evs := audit["events"].([]any)
	require.Len(t, evs, 1+len(steps))
	last := evs[len(evs)-1].(map[string]any)
	assert.Equal(t, "registrant.remove", last["action"])
	assert.Equal(t, "struck off", last["reason"])
	assert.Equal(t, "registrar", last["actor"].(map[string]any)["role"])
}

func TestUnknownStatusFilterIsRefused(t *testing.T) {
	f := newFixture(t)
	for _, s := range []string{"struck-off", "Registered", "%00"} {
		requireError(t, f.get("/v1/registrants?status="+s, f.auditor), 400, "invalid", "status")
	}
}

func TestAuditQueryValidation(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/v1/audit", "/v1/audit/export"} {
		for _, q := range []string{"after=abc", "after=-1", "after=1.5", "after=99999999999999999999999", "limit=0", "limit=-3", "limit=abc", "limit=1001", "registrant=XYZ", "registrant=" + mistyped(regno.Format(100001))} {
			t.Run(path+"?"+q, func(t *testing.T) {
				requireError(t, f.get(path+"?"+q, f.auditor), 400, "invalid")
			})
		}
	}
}

func TestAuditPagingAndExport(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		f.add(fmt.Sprintf("Person%d", i), "Test", "")
	}
	all := f.get("/v1/audit", f.auditor).json(t)["events"].([]any)
	require.GreaterOrEqual(t, len(all), 5)

	var paged []any
	after := "0"
	for pages := 0; ; pages++ {
		require.Less(t, pages, 100)
		page := f.get("/v1/audit?limit=2&after="+after, f.auditor).json(t)
		evs := page["events"].([]any)
		paged = append(paged, evs...)
		next, ok := page["next_after"]
		if !ok {
			break
		}
		after = fmt.Sprintf("%.0f", next.(float64))
	}
	assert.Equal(t, all, paged, "paging by next_after returns every event once")

	res := f.get("/v1/audit/export", f.auditor)
	require.Equal(t, http.StatusOK, res.status)
	assert.Equal(t, "application/x-ndjson", res.header.Get("Content-Type"))
	sc := bufio.NewScanner(bytes.NewReader(res.body))
	var lines []any
	for sc.Scan() {
		var ev any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev))
		lines = append(lines, ev)
	}
	assert.Equal(t, all, lines, "the export holds the same events as the list")
}

func TestRevokeTokenOverHTTP(t *testing.T) {
	f := newFixture(t)
	created := f.post("/v1/tokens", f.admin, `{"role":"auditor","name":"temp"}`)
	require.Equal(t, http.StatusCreated, created.status, "body: %s", created.body)
	tok := created.json(t)
	bearer := tok["token"].(string)
	require.Equal(t, http.StatusOK, f.get("/v1/settings", bearer).status)

	list := f.get("/v1/tokens", f.admin)
	assert.NotContains(t, string(list.body), bearer[len(bearer)-43:], "the list never shows secrets")
	assert.NotContains(t, string(list.body), "secret_hash")

	res := f.request(http.MethodPost, "/v1/tokens/"+tok["id"].(string)+"/revoke", f.admin, "", nil)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	requireError(t, f.get("/v1/settings", bearer), 401, "unauthenticated")
	requireError(t, f.post("/v1/tokens/"+tok["id"].(string)+"/revoke", f.admin, `{"reason":"again"}`), 409, "conflict")

	self, err := f.srv.Authenticate(f.admin)
	require.NoError(t, err)
	requireError(t, f.post("/v1/tokens/"+self.TokenID+"/revoke", f.admin, `{}`), 409, "conflict", "itself")
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	f := newFixture(t)
	requireError(t, f.get("/v1/nothing-here", f.admin), 404, "not_found")
	requireError(t, f.request(http.MethodDelete, "/v1/registrants", f.admin, "", nil), 405, "method_not_allowed")
	requireError(t, f.request(http.MethodPut, "/v1/settings", f.admin, "application/json", strings.NewReader(`{}`)), 405, "method_not_allowed")
}

func TestHealthAndReadiness(t *testing.T) {
	f := newFixture(t)
	res := f.get("/healthz", "")
	require.Equal(t, http.StatusOK, res.status)
	res = f.get("/readyz", "")
	require.Equal(t, http.StatusOK, res.status)
	assert.Equal(t, float64(f.index()), res.json(t)["index"])
	require.NoError(t, f.srv.Close())
	requireNotReady := f.get("/readyz", "")
	assert.Equal(t, http.StatusServiceUnavailable, requireNotReady.status)
}
