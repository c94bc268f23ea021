package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

func roleOf(s string) register.Role { return register.Role(s) }

// routeAccess lists every route of routes.go with who may call it. A route
// added to the router without a line here fails
// TestRoleMatrixListsEveryRoute, so every route is in the role matrix.
var routeAccess = []struct {
	method, path string
	acc          access
}{
	{"GET", "/healthz", public},
	{"GET", "/readyz", public},
	{"GET", "/v1/version", public},
	{"GET", "/v1/register", public},
	{"GET", "/v1/register/{regno}", public},

	{"GET", "/v1/courses", public},
	{"GET", "/v1/courses/{course}", public},
	{"GET", "/v1/providers", public},
	{"POST", "/v1/providers", registrar},
	{"POST", "/v1/courses", registrar},
	{"POST", "/v1/courses/{course}/standing", registrar},
	{"POST", "/v1/settings/registration-criteria", admin},
	{"POST", "/v1/applications/codes", public},
	{"POST", "/v1/applications", public},
	{"GET", "/v1/applications", reader},
	{"GET", "/v1/applications/{ref}", reader},
	{"GET", "/v1/applications/{ref}/messages", reader},
	{"POST", "/v1/applications/{ref}/approve", registrar},
	{"POST", "/v1/applications/{ref}/request-information", registrar},
	{"POST", "/v1/applications/{ref}/refuse", registrar},
	{"POST", "/v1/applications/{ref}/appeal", registrar},
	{"POST", "/v1/applications/{ref}/appeal-decision", registrar},
	{"POST", "/v1/settings/applications", admin},
	{"GET", "/v1/settings/grace-period", reader},
	{"POST", "/v1/settings/grace-period", admin},

	{"GET", "/v1/provider/claims", provider},
	{"POST", "/v1/applications/{ref}/qualifications/{index}/confirm", provider},
	{"POST", "/v1/applications/{ref}/qualifications/{index}/dispute", provider},
	{"POST", "/v1/registrants/{regno}/qualifications/{index}/confirm", provider},
	{"POST", "/v1/registrants/{regno}/qualifications/{index}/dispute", provider},
	{"GET", "/v1/applications/{ref}/confirmations", reader},
	{"GET", "/v1/registrants/{regno}/confirmations", reader},

	{"GET", "/v1/renewals", reader},
	{"GET", "/v1/renewals/{renewal}", reader},
	{"POST", "/v1/renewals/{renewal}/approve", registrar},
	{"POST", "/v1/renewals/{renewal}/refuse", registrar},
	{"GET", "/v1/registrants/{regno}/cpd", reader},
	{"POST", "/v1/settings/renewal", admin},

	{"GET", "/v1/registrants", reader},
	{"GET", "/v1/proposals", reader},
	{"GET", "/v1/proposals/{id}", reader},
	{"POST", "/v1/proposals/{id}/approve", registrar},
	{"POST", "/v1/proposals/{id}/reject", registrar},
	{"GET", "/v1/lapse-sweep", reader},
	{"POST", "/v1/lapse-sweep", admin},
	{"GET", "/v1/registrants/{regno}", reader},
	{"GET", "/v1/settings", reader},
	{"GET", "/v1/audit", reader},
	{"GET", "/v1/audit/export", reader},
	{"GET", "/v1/reports/psa", reader},
	{"GET", "/v1/reports/psa/export", reader},
	{"GET", "/v1/cpd-audits/{year}", reader},
	{"GET", "/v1/cpd-audits/{year}/verify", reader},
	{"POST", "/v1/cpd-audits", registrar},
	{"POST", "/v1/cpd-audits/{year}/{regno}/outcome", registrar},
	{"GET", "/v1/backup", admin},
	{"GET", "/v1/cluster/members", admin},
	{"POST", "/v1/cluster/members", admin},
	{"POST", "/v1/cluster/members/{id}/remove", admin},
	{"POST", "/v1/cluster/transfer-leadership", admin},

	{"POST", "/v1/registrants", registrar},
	{"POST", "/v1/registrants/import", admin},
	{"POST", "/v1/registrants/{regno}/suspend", registrar},
	{"POST", "/v1/registrants/{regno}/reinstate", registrar},
	{"POST", "/v1/registrants/{regno}/remove", registrar},
	{"POST", "/v1/registrants/{regno}/renew", registrar},
	{"POST", "/v1/registrants/{regno}/restrict", registrar},
	{"POST", "/v1/registrants/{regno}/unrestrict", registrar},
	{"POST", "/v1/registrants/{regno}/review", registrar},
	{"POST", "/v1/registrants/{regno}/qualifications", registrar},
	{"POST", "/v1/registrants/{regno}/cpd", registrar},
	{"POST", "/v1/registrants/{regno}/correct", registrar},
	{"PUT", "/v1/registrants/{regno}/qualifications/{index}", registrar},
	{"POST", "/v1/registrants/{regno}/qualifications/{index}/withdraw", registrar},

	{"GET", "/.well-known/jwks.json", public},
	{"GET", "/.well-known/jwt-vc-issuer", public},
	{"GET", "/ns/link-worker/v1", public},
	{"GET", "/status/{list}", public},
	{"GET", "/trust-bundle", public},
	{"GET", "/v1/registrants/{regno}/credentials", reader},
	{"POST", "/v1/registrants/{regno}/credentials", registrar},
	{"POST", "/v1/credentials/{jti}/revoke", registrar},

	{"POST", "/v1/settings", admin},
	{"POST", "/v1/settings/quality-mark", admin},
	{"GET", "/v1/keys", admin},
	{"POST", "/v1/keys/rotate", admin},
	{"POST", "/v1/keys/{kid}/retire", admin},
	{"GET", "/v1/staff", admin},
	{"POST", "/v1/staff", admin},
	{"POST", "/v1/staff/{id}/disable", admin},
	{"POST", "/v1/staff/{id}/reset-2fa", admin},
	{"POST", "/v1/registrants/{regno}/offers", registrar},
	{"GET", "/v1/registrants/{regno}/wallets", reader},
	{"POST", "/v1/offers/{id}/withdraw", registrar},
	{"POST", "/v1/grants/{id}/revoke", registrar},
	{"GET", "/.well-known/openid-credential-issuer", public},
	{"GET", "/.well-known/oauth-authorization-server", public},
	{"GET", "/vct/link-worker-registration", public},
	{"GET", "/oid4vci/offers/{code}", public},
	{"POST", "/oid4vci/token", public},
	{"OPTIONS", "/oid4vci/token", public},
	{"POST", "/oid4vci/nonce", public},
	{"OPTIONS", "/oid4vci/nonce", public},
	{"POST", "/oid4vci/credential", wallet},
	{"OPTIONS", "/oid4vci/credential", public},
	{"POST", "/oid4vci/notification", wallet},
	{"OPTIONS", "/oid4vci/notification", public},

	{"GET", "/v1/tokens", admin},
	{"POST", "/v1/tokens", admin},
	{"POST", "/v1/tokens/{id}/revoke", admin},
}

func TestRoleMatrixListsEveryRoute(t *testing.T) {
	f := newFixture(t)
	var routed []string
	require.NoError(t, f.api.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := route.GetPathTemplate()
		require.NoError(t, err)
		methods, err := route.GetMethods()
		require.NoError(t, err, "route %s has no method: every route must say its method", path)
		for _, m := range methods {
			if m != http.MethodHead { // HEAD mirrors GET: TestHEADOnEveryGETRoute
				routed = append(routed, m+" "+path)
			}
		}
		return nil
	}))
	var listed []string
	for _, r := range routeAccess {
		listed = append(listed, r.method+" "+r.path)
	}
	slices.Sort(routed)
	slices.Sort(listed)
	require.Equal(t, listed, routed, "routeAccess must list exactly the routes of routes.go")
}

func TestRoleMatrix(t *testing.T) {
	f := newFixture(t).withProvider()
	r := f.add("Amara", "Nwosu", "")
	// A claim to the provider's course, so that its routes have one to
	// answer.
	_, err := f.srv.Apply(context.Background(), f.adminActor, fsm.AddCourse{NewCourse: courses.NewCourse{Provider: "P1", Title: "Level 4 Certificate in Social Prescribing",
		Level: courses.Level{Framework: courses.RQF, Number: 4}, Mode: "part-time", Standing: courses.StandingChange{Standing: courses.Aligned}}})
	require.NoError(t, err)
	_, err = f.srv.Apply(context.Background(), f.adminActor, fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpQualification, Qualification: &register.Qualification{Course: "C1", Awarded: "2024-06-30"}})
	require.NoError(t, err)
	concrete := func(path string) string {
		path = strings.ReplaceAll(path, "{regno}", r.Number)
		path = strings.ReplaceAll(path, "{id}", "0000000000000000")
		path = strings.ReplaceAll(path, "{index}", "0")
		path = strings.ReplaceAll(path, "{jti}", "no-such-credential")
		path = strings.ReplaceAll(path, "{kid}", "no-such-key")
		path = strings.ReplaceAll(path, "{list}", "no-such-list")
		path = strings.ReplaceAll(path, "{code}", "no-such-code")
		path = strings.ReplaceAll(path, "{course}", "no-such-course")
		path = strings.ReplaceAll(path, "{year}", "2026")
		path = strings.ReplaceAll(path, "{ref}", "A0")
		path = strings.ReplaceAll(path, "{renewal}", "no-such-renewal")
		if path == "/v1/register" {
			path += "?q=nwosu"
		}
		return path
	}
	callers := []struct {
		name  string
		token string
		role  string // "" for no valid token
	}{
		{"no token", "", ""},
		{"malformed token", "lpt_not-a-token", ""},
		{"revoked token", f.revoked, ""},
		{"admin", f.admin, "admin"},
		{"registrar", f.registrar, "registrar"},
		{"auditor", f.auditor, "auditor"},
		{"provider", f.provider, "provider"},
	}
	for _, rt := range routeAccess {
		if rt.method == http.MethodOptions {
			continue // CORS preflight: oid4vci's TestMetadataIsCacheableAndCORSEnabled
		}
		for _, c := range callers {
			t.Run(rt.method+" "+rt.path+"/"+c.name, func(t *testing.T) {
				var res response
				if rt.method == http.MethodGet {
					res = f.get(concrete(rt.path), c.token)
				} else {
					res = f.request(rt.method, concrete(rt.path), c.token, "application/json", strings.NewReader("{}"))
				}
				switch {
				case rt.acc == wallet:
					// No API token is a wallet's access token.
					assert.Equal(t, http.StatusUnauthorized, res.status, "body: %s", res.body)
					assert.Contains(t, string(res.body), "invalid_token")
				case rt.acc != public && c.role == "":
					requireError(t, res, http.StatusUnauthorized, "unauthenticated")
					assert.Equal(t, `Bearer realm="linkpass"`, res.header.Get("WWW-Authenticate"))
				case rt.acc != public && !rt.acc.allows(roleOf(c.role)):
					requireError(t, res, http.StatusForbidden, "forbidden", c.role)
				default:
					assert.NotContains(t, []int{401, 403}, res.status, "body: %s", res.body)
					assert.Less(t, res.status, 500, "body: %s", res.body)
					if rt.method == http.MethodGet {
						want := http.StatusOK
						if strings.Contains(rt.path, "{list}") || strings.Contains(rt.path, "{code}") || strings.Contains(rt.path, "{course}") || strings.Contains(rt.path, "{ref}") ||
							strings.HasPrefix(rt.path, "/v1/proposals/{id}") || strings.HasSuffix(rt.path, "{year}/verify") || strings.Contains(rt.path, "{renewal}") {
							want = http.StatusNotFound // placeholder names nothing
						}
						assert.Equal(t, want, res.status, "body: %s", res.body)
					}
				}
				assert.Equal(t, "nosniff", res.header.Get("X-Content-Type-Options"))
				if rt.acc != public {
					assert.Equal(t, "no-store", res.header.Get("Cache-Control"), "private answers are never cached")
				}
			})
		}
	}
}

func TestAccessAllows(t *testing.T) {
	// The expected matrix, written out: a change to access.allows that
	// widened or narrowed a role shows up here.
	want := map[access][]string{
		public:    {"admin", "registrar", "auditor", "provider", "", "system"},
		reader:    {"admin", "registrar", "auditor"},
		registrar: {"admin", "registrar"},
		admin:     {"admin"},
		provider:  {"provider"},
	}
	for acc, roles := range want {
		for _, role := range []string{"admin", "registrar", "auditor", "provider", "", "system"} {
			assert.Equal(t, slices.Contains(roles, role), acc.allows(roleOf(role)), "access %d role %q", acc, role)
		}
	}
}

func TestAuthorizationHeaderMustBeBearer(t *testing.T) {
	f := newFixture(t)
	for _, h := range []string{"", "Bearer", "Bearer ", "bearer " + f.admin, "Basic " + f.admin, f.admin} {
		req, err := http.NewRequest(http.MethodGet, f.ts.URL+"/v1/settings", nil)
		require.NoError(t, err)
		if h != "" {
			req.Header.Set("Authorization", h)
		}
		resp, err := f.ts.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%q", h)
	}
}
