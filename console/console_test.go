package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/staff"
)

// TestRoutesListsEveryConsoleRoute keeps Routes, which the role matrix
// walks, equal to what Register mounts.
func TestRoutesListsEveryConsoleRoute(t *testing.T) {
	sys := newSystem(t, "http")
	con, err := New(Config{Staff: sys.svc, State: sys.srv.State, IssuerURL: sys.url, Registrants: sys.regs})
	require.NoError(t, err)
	r := mux.NewRouter()
	con.Register(r)
	var got []string
	require.NoError(t, r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, _ := route.GetPathTemplate()
		ms, _ := route.GetMethods()
		if strings.HasPrefix(tpl, "/console") || strings.HasPrefix(tpl, "/logout") {
			got = append(got, ms[0]+" "+tpl)
		}
		return nil
	}))
	var want []string
	for k := range Routes {
		want = append(want, k)
	}
	sort.Strings(got)
	sort.Strings(want)
	assert.Equal(t, want, got)
}

// TestRoleMatrixOverEveryConsoleRoute signs in as each role and calls
// every signed-in route: a role without the route's permission gets 403,
// one with it does not, and nobody signed in gets the sign-in page or 401.
func TestRoleMatrixOverEveryConsoleRoute(t *testing.T) {
	sys := newSystem(t, "http")
	target, _ := sys.totpAccount("Target", "target@nalw.example", register.RoleAuditor)
	for _, role := range staff.Roles {
		t.Run(string(role), func(t *testing.T) {
			c, csrf, _ := sys.signedIn(role)
			for route, perm := range Routes {
				if strings.HasPrefix(route, "POST /logout") {
					continue // they end the session; below
				}
				method, p, _ := strings.Cut(route, " ")
				p = sys.fill(p, target.ID)
				res := sys.do(c, method, p, url.Values{"csrf": {csrf}})
				if perm == "" || staff.Can(role, perm) {
					assert.NotEqual(t, http.StatusForbidden, res.StatusCode, "%s %s", role, route)
					assert.Less(t, res.StatusCode, 500, "%s %s", role, route)
				} else {
					assert.Equal(t, http.StatusForbidden, res.StatusCode, "%s %s", role, route)
					assert.Contains(t, bodyOf(res), "does not allow this page")
				}
			}
			res := sys.do(c, http.MethodPost, "/logout", url.Values{"csrf": {csrf}})
			assert.Equal(t, http.StatusSeeOther, res.StatusCode)
			res = sys.do(c, http.MethodGet, "/console", nil)
			assert.Equal(t, "/login", res.Header.Get("Location"), "signed out")
		})
	}
	anon := sys.client()
	for route := range Routes {
		method, p, _ := strings.Cut(route, " ")
		res := sys.do(anon, method, sys.fill(p, target.ID), nil)
		if method == http.MethodGet {
			assert.Equal(t, http.StatusSeeOther, res.StatusCode, route)
			assert.Equal(t, "/login", res.Header.Get("Location"), route)
		} else {
			assert.Equal(t, http.StatusUnauthorized, res.StatusCode, route)
		}
	}
	res := sys.do(anon, http.MethodGet, "/admin", nil)
	assert.Equal(t, "/console", res.Header.Get("Location"))
}

// TestStateChangesNeedTheSessionsCSRFTokenAndTheSameOrigin: a POST with
// the session cookie but without its token, or from another origin, is
// refused and changes nothing.
func TestStateChangesNeedTheSessionsCSRFTokenAndTheSameOrigin(t *testing.T) {
	sys := newSystem(t, "http")
	c, csrf, me := sys.signedIn(register.RoleAdmin)
	add := url.Values{"name": {"Mallory"}, "email": {"mallory@nalw.example"}, "role": {"admin"}}
	for name, res := range map[string]*http.Response{
		"no token":    sys.do(c, http.MethodPost, "/console/staff", add),
		"wrong token": sys.do(c, http.MethodPost, "/console/staff", url.Values{"csrf": {csrf + "x"}, "name": add["name"], "email": add["email"], "role": add["role"]}),
		"cross-site": sys.do(c, http.MethodPost, "/console/staff", url.Values{"csrf": {csrf}, "name": add["name"], "email": add["email"], "role": add["role"]},
			"Sec-Fetch-Site", "cross-site", "Origin", "http://evil.example"),
		"other origin, no fetch metadata": sys.do(c, http.MethodPost, "/console/staff", url.Values{"csrf": {csrf}, "name": add["name"], "email": add["email"], "role": add["role"]},
			"Origin", "http://evil.example"),
	} {
		assert.Equal(t, http.StatusForbidden, res.StatusCode, name)
	}
	_, err := sys.srv.State().StaffAccountByEmail("mallory@nalw.example")
	require.ErrorIs(t, err, register.ErrNotFound, "no forged request created the account")
	res := sys.do(c, http.MethodPost, "/console/staff", url.Values{"csrf": {csrf}, "name": add["name"], "email": add["email"], "role": add["role"]},
		"Sec-Fetch-Site", "same-origin")
	require.Equal(t, http.StatusOK, res.StatusCode)
	body := bodyOf(res)
	assert.Contains(t, body, sys.url+"/setup/", "the setup link is shown once")
	assert.Contains(t, body, "Created an account for Mallory")
	evs, err := sys.srv.State().Audit(stateFilter())
	require.NoError(t, err)
	last := evs[len(evs)-1]
	assert.Equal(t, "staff.add", last.Action)
	assert.Equal(t, me.Name, sys.srv.State().ActorName(last.Actor), "the audit names the admin who did it")
}

// TestSessionCookieFlags: over https the cookie is __Host- prefixed and
// Secure; on the plain http loopback demo it drops the prefix and Secure.
// Both are HttpOnly, SameSite=Lax, Path=/, host-only and without expiry.
func TestSessionCookieFlags(t *testing.T) {
	for scheme, want := range map[string]string{"https": cookieSecure, "http": cookiePlain} {
		sys := newSystem(t, scheme)
		sys.totpAccount("Flag Tester", "flags@nalw.example", register.RoleRegistrar)
		con, err := New(Config{Staff: sys.svc, State: sys.srv.State, IssuerURL: scheme + "://localhost:1"})
		require.NoError(t, err)
		r := mux.NewRouter()
		con.Register(r)
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(url.Values{"email": {"flags@nalw.example"}, "password": {password}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.ServeHTTP(rec, req)
		require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
		cookies := rec.Result().Cookies()
		require.Len(t, cookies, 1)
		ck := cookies[0]
		assert.Equal(t, want, ck.Name)
		assert.Equal(t, scheme == "https", ck.Secure, scheme)
		assert.True(t, ck.HttpOnly)
		assert.Equal(t, http.SameSiteLaxMode, ck.SameSite)
		assert.Equal(t, "/", ck.Path)
		assert.Empty(t, ck.Domain, "host-only")
		assert.Zero(t, ck.MaxAge)
		assert.True(t, ck.Expires.IsZero(), "the server ends sessions, not the cookie")
		assert.GreaterOrEqual(t, len(ck.Value), 43, "256 random bits")
	}
}

func TestConsoleRefusesPlainHTTPBeyondLoopback(t *testing.T) {
	sys := newSystem(t, "http")
	con, err := New(Config{Staff: sys.svc, State: sys.srv.State, IssuerURL: "http://register.example.org"})
	require.NoError(t, err)
	r := mux.NewRouter()
	con.Register(r)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login", nil))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Contains(t, rec.Body.String(), "only served over https")
}

var _ = context.Background
