package api

import (
	"context"

	"github.com/nalw/linkpass/internal/verdict"
	"github.com/nalw/linkpass/issuer/publicregister"
	"github.com/nalw/linkpass/web"
	"github.com/stretchr/testify/require"

	"bufio"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/register"
)

// openAPIFile is the API's documentation, relative to this package.
const openAPIFile = "../../docs/openapi.yaml"

// docOperation is one operation (method + path) of docs/openapi.yaml.
type docOperation struct {
	method string   // upper case, as the router reports it
	path   string   // OpenAPI template, e.g. /v1/registrants/{regno}
	roles  []string // x-linkpass-roles; nil if the operation has none
	line   int
}

func (o docOperation) key() string { return o.method + " " + o.path }

var (
	docPathLine   = regexp.MustCompile(`^  (/\S*):\s*$`)
	docMethodLine = regexp.MustCompile(`^    (get|put|post|delete|options|head|patch|trace):\s*$`)
	docRolesLine  = regexp.MustCompile(`^      x-linkpass-roles:\s*\[(.*)\]\s*$`)
	docPathKey    = regexp.MustCompile(`^    (summary|description|parameters|servers|\$ref):`)
)

// readOpenAPI reads the operations of docs/openapi.yaml as text: under the
// top-level "paths:" key, a path is a key indented two spaces, a method a
// key indented four, and x-linkpass-roles a flow list indented six. Any
// other key at those depths is reported, so that a typo cannot hide an
// operation.
func readOpenAPI(t *testing.T) map[string]docOperation {
	t.Helper()
	f, err := os.Open(openAPIFile)
	if err != nil {
		t.Fatalf("the API must be documented in docs/openapi.yaml: %v", err)
	}
	defer f.Close()

	ops := map[string]docOperation{}
	var inPaths, sawVersion bool
	var path string
	var cur *docOperation
	flush := func() {
		if cur != nil {
			ops[cur.key()] = *cur
			cur = nil
		}
	}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if line == "openapi: 3.0.3" {
			sawVersion = true
		}
		if line == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if !strings.HasPrefix(line, " ") { // a top-level key
			flush()
			inPaths = line == "paths:"
			path = ""
			continue
		}
		if !inPaths {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case indent == 2:
			flush()
			m := docPathLine.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s:%d: expected a path like '  /v1/x:' under paths:, got %q", openAPIFile, n, line)
				path = ""
				continue
			}
			path = m[1]
		case indent == 4:
			flush()
			if docPathKey.MatchString(line) {
				continue
			}
			m := docMethodLine.FindStringSubmatch(line)
			if m == nil || path == "" {
				t.Errorf("%s:%d: expected an HTTP method like '    get:' under a path, got %q", openAPIFile, n, line)
				continue
			}
			op := docOperation{method: strings.ToUpper(m[1]), path: path, line: n}
			if prev, dup := ops[op.key()]; dup {
				t.Errorf("%s:%d: %s is documented twice (first at line %d)", openAPIFile, n, op.key(), prev.line)
			}
			cur = &op
		case indent == 6 && cur != nil && strings.HasPrefix(line, "      x-linkpass-roles:"):
			m := docRolesLine.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s:%d: x-linkpass-roles must be a flow list like [admin, registrar], got %q", openAPIFile, n, line)
				continue
			}
			cur.roles = []string{}
			for _, r := range strings.Split(m[1], ",") {
				if r = strings.TrimSpace(r); r != "" {
					cur.roles = append(cur.roles, r)
				}
			}
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		t.Fatalf("reading %s: %v", openAPIFile, err)
	}
	if !sawVersion {
		t.Errorf("%s must declare 'openapi: 3.0.3'", openAPIFile)
	}
	if len(ops) == 0 {
		t.Fatalf("%s documents no operations under paths:", openAPIFile)
	}
	return ops
}

// openAPITemplate turns a gorilla/mux path template into an OpenAPI one:
// {name} stays, {name:pattern} becomes {name}.
func openAPITemplate(tpl string) string {
	var b strings.Builder
	depth := 0
	skipping := false
	for _, c := range tpl {
		switch {
		case c == '{':
			depth++
			if depth == 1 {
				b.WriteRune(c)
				continue
			}
		case c == '}':
			depth--
			if depth == 0 {
				skipping = false
				b.WriteRune(c)
				continue
			}
		case c == ':' && depth == 1:
			skipping = true
			continue
		}
		if !skipping {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// routerOperations walks the API's router and returns every method + path
// it serves. A route without a path template or a method restriction is an
// error: it could not be documented as an operation.
func routerOperations(t *testing.T, a *API) map[string]bool {
	t.Helper()
	return walkOperations(t, a.router, "")
}

// walkOperations returns the method + path of every route of r whose path
// starts with prefix.
func walkOperations(t *testing.T, r *mux.Router, prefix string) map[string]bool {
	t.Helper()
	ops := map[string]bool{}
	err := r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		if tpl, err := route.GetPathTemplate(); err == nil && !strings.HasPrefix(tpl, prefix) {
			return nil
		}
		tpl, err := route.GetPathTemplate()
		if err != nil {
			t.Errorf("a route has no path template (%v); every route needs Path(...) to be documented", err)
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil || len(methods) == 0 {
			t.Errorf("route %s has no method; register it with Methods(...) so it can be documented", tpl)
			return nil
		}
		for _, m := range methods {
			if strings.EqualFold(m, "HEAD") {
				continue // HEAD mirrors GET; OpenAPI documents GET
			}
			ops[strings.ToUpper(m)+" "+openAPITemplate(tpl)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking the router: %v", err)
	}
	if len(ops) == 0 {
		t.Fatal("the router has no routes")
	}
	return ops
}

func TestOpenAPITemplateConversion(t *testing.T) {
	for in, want := range map[string]string{
		"/v1/registrants":                       "/v1/registrants",
		"/v1/registrants/{regno}/suspend":       "/v1/registrants/{regno}/suspend",
		"/v1/tokens/{id:[0-9a-f]+}/revoke":      "/v1/tokens/{id}/revoke",
		"/v1/keys/{kid:[a-z]{2,8}}/x/{n:[0-9]}": "/v1/keys/{kid}/x/{n}",
	} {
		if got := openAPITemplate(in); got != want {
			t.Errorf("openAPITemplate(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOpenAPIDocumentsEveryRouteAndNoOther fails when a route is added to
// routes.go without being documented in docs/openapi.yaml, or when the
// documentation names an operation the router does not serve.
func TestOpenAPIDocumentsEveryRouteAndNoOther(t *testing.T) {
	doc := readOpenAPI(t)
	// New only registers routes; no handler runs here.
	routes := routerOperations(t, New(nil, slog.New(slog.DiscardHandler)))
	// The verify API the web package serves beside it, in both modes.
	for _, mode := range []web.Mode{web.RegisterMode, web.VerifierMode} {
		site, err := web.New(web.Config{Mode: mode, Verify: func(context.Context, string) verdict.Verdict { return verdict.Verdict{} },
			BundleInfo: func() web.BundleInfo { return web.BundleInfo{} }, Register: publicregister.New(nil, nil)})
		require.NoError(t, err)
		r := mux.NewRouter()
		site.Register(r)
		for op := range walkOperations(t, r, "/v1/") {
			routes[op] = true
		}
	}

	var missing, extra []string
	for op := range routes {
		if _, ok := doc[op]; !ok {
			missing = append(missing, op)
		}
	}
	for op, d := range doc {
		if !routes[op] {
			extra = append(extra, fmt.Sprintf("%s (line %d)", op, d.line))
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, op := range missing {
		t.Errorf("route %s is served but not documented in docs/openapi.yaml", op)
	}
	for _, op := range extra {
		t.Errorf("docs/openapi.yaml documents %s, which the router does not serve", op)
	}
}

// TestOpenAPIRolesMatchAccess checks each documented operation's
// x-linkpass-roles against what the running API does: without a token a
// protected operation answers 401 and a public one does not; with a token
// of each role, 403 comes back exactly for the roles not listed.
func TestOpenAPIRolesMatchAccess(t *testing.T) {
	doc := readOpenAPI(t)
	srv, err := issuer.Open(issuer.Config{DataDir: filepath.Join(t.TempDir(), "reg"), Create: true, IssuerURL: "https://register.example.org"})
	if err != nil {
		t.Fatalf("opening a register: %v", err)
	}
	t.Cleanup(func() { srv.Close() })

	b, err := os.ReadFile(srv.AdminTokenPath)
	if err != nil {
		t.Fatal(err)
	}
	adminBearer := strings.TrimSpace(string(b))
	admin, err := srv.Authenticate(adminBearer)
	if err != nil {
		t.Fatal(err)
	}
	bearers := map[register.Role]string{register.RoleAdmin: adminBearer}
	for _, role := range []register.Role{register.RoleRegistrar, register.RoleAuditor} {
		_, bearer, err := srv.CreateToken(admin, role, "openapi test")
		if err != nil {
			t.Fatal(err)
		}
		bearers[role] = bearer
	}
	bearers[register.RoleProvider] = newProviderToken(t, srv, admin, "st_openapi", "P1", "University of Westminster")
	a := New(srv, slog.New(slog.DiscardHandler))

	// Path values that parse but name nothing, so no handler changes state.
	fill := strings.NewReplacer("{regno}", "LW1000015", "{id}", "0000000000000000", "{code}", "no-such-code")
	param := regexp.MustCompile(`\{[^}]*\}`)
	do := func(method, path, bearer string) int {
		req := httptest.NewRequest(method, path, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		return rec.Code
	}

	// wallet: a wallet's OpenID4VCI access token, never an API token.
	known := []string{"public", "wallet", string(register.RoleAdmin), string(register.RoleRegistrar), string(register.RoleAuditor), string(register.RoleProvider)}
	for _, op := range doc {
		t.Run(op.key(), func(t *testing.T) {
			if op.roles == nil {
				t.Fatalf("line %d: no x-linkpass-roles; list the roles that may call it, or [public]", op.line)
			}
			for _, r := range op.roles {
				if !slices.Contains(known, r) {
					t.Fatalf("line %d: x-linkpass-roles has %q; use public, wallet, admin, registrar, auditor or provider", op.line, r)
				}
			}
			public := slices.Contains(op.roles, "public")
			if public && len(op.roles) > 1 {
				t.Fatalf("line %d: public cannot be combined with roles: %v", op.line, op.roles)
			}
			path := param.ReplaceAllString(fill.Replace(op.path), "x")

			code := do(op.method, path, "")
			switch {
			case public && (code == http.StatusUnauthorized || code == http.StatusForbidden):
				t.Errorf("documented as public but answers %d without a token", code)
			case !public && code != http.StatusUnauthorized:
				t.Errorf("documented as needing a token but answers %d without one", code)
			}
			for role, bearer := range bearers {
				code := do(op.method, path, bearer)
				allowed := public || slices.Contains(op.roles, string(role))
				if got := code != http.StatusForbidden && code != http.StatusUnauthorized; got != allowed {
					t.Errorf("a %s token gets %d, but x-linkpass-roles is %v", role, code, op.roles)
				}
			}
		})
	}
}
