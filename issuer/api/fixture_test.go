package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/staff"
)

// clock is a Config.Clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// logBuffer collects logs from every goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fixture is a real register (Raft, bolt log in a temp dir) behind the
// HTTP API on a loopback test server, with a token for every role.
type fixture struct {
	t     *testing.T
	srv   *issuer.Server
	api   *API
	ts    *httptest.Server
	clock *clock
	logs  *logBuffer

	admin, registrar, auditor, revoked string
	adminActor                         register.Actor
	// provider is the token of a provider account of catalogue provider
	// P1, once a test made it (withProvider).
	provider string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: &clock{t: time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)}, logs: &logBuffer{}}
	logger := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := issuer.Open(issuer.Config{DataDir: filepath.Join(t.TempDir(), "data"), Create: true, IssuerURL: "http://127.0.0.1:8080", Clock: f.clock.Now, Logger: logger})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	f.srv = srv

	b, err := os.ReadFile(srv.AdminTokenPath)
	require.NoError(t, err)
	f.admin = strings.TrimSpace(string(b))
	f.adminActor, err = srv.Authenticate(f.admin)
	require.NoError(t, err)
	_, f.registrar, err = srv.CreateToken(f.adminActor, register.RoleRegistrar, "registrar")
	require.NoError(t, err)
	_, f.auditor, err = srv.CreateToken(f.adminActor, register.RoleAuditor, "auditor")
	require.NoError(t, err)
	rev, revBearer, err := srv.CreateToken(f.adminActor, register.RoleAdmin, "revoked admin")
	require.NoError(t, err)
	_, err = srv.Apply(context.Background(), f.adminActor, fsm.RevokeToken{ID: rev.ID, Reason: "left"})
	require.NoError(t, err)
	f.revoked = revBearer

	f.api = New(srv, logger)
	f.ts = httptest.NewServer(f.api)
	t.Cleanup(f.ts.Close)
	t.Cleanup(func() {
		// Whatever a test did, no bearer secret reached the log.
		logs := f.logs.String()
		for _, b := range []string{f.admin, f.registrar, f.auditor, f.revoked, f.provider} {
			if b != "" && strings.Contains(logs, b[len(b)-43:]) {
				t.Errorf("a token secret is in the log")
			}
		}
	})
	return f
}

// withProvider adds training provider P1 (University of Westminster) and
// a provider account of it, whose token is f.provider.
func (f *fixture) withProvider() *fixture {
	f.t.Helper()
	f.provider = f.providerToken("st_provider1", "P1", "University of Westminster")
	return f
}

// providerToken makes an active provider staff account id of catalogue
// provider p (adding the provider, named name, if it is not there) and
// returns a token of it.
func (f *fixture) providerToken(id, p, name string) string {
	f.t.Helper()
	return newProviderToken(f.t, f.srv, f.adminActor, id, p, name)
}

func newProviderToken(t *testing.T, srv *issuer.Server, admin register.Actor, id, p, name string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := srv.State().Provider(p); err != nil {
		res, err := srv.Apply(ctx, admin, fsm.AddProvider{NewProvider: courses.NewProvider{Name: name}})
		require.NoError(t, err)
		require.Equal(t, p, res.(*courses.Provider).ID)
	}
	hash := []byte("setup-" + id)
	_, err := srv.Apply(ctx, admin, fsm.Staff{Change: staff.Add{Account: staff.Account{ID: id, Name: "Staff of " + name, Email: id + "@provider.example",
		Role: register.RoleProvider, Provider: p, SetupHash: hash, SetupExpires: srv.Now().Add(time.Hour), WebAuthnID: []byte(id)}}})
	require.NoError(t, err)
	_, err = srv.Apply(ctx, register.Actor{Staff: id, Role: register.RoleProvider}, fsm.Staff{Change: staff.Activate{ID: id, SetupHash: hash,
		PasswordHash: "$argon2id$unused", Factor: staff.FactorTOTP, TOTPSecret: "JBSWY3DPEHPK3PXP", RecoveryHashes: [][]byte{[]byte("r")}}})
	require.NoError(t, err)
	_, bearer, err := srv.CreateTokenFor(admin, register.Token{Role: register.RoleProvider, Staff: id})
	require.NoError(t, err)
	return bearer
}

// add adds a registrant through the server and returns it.
func (f *fixture) add(given, family string, until register.Date) *register.Registrant {
	f.t.Helper()
	res, err := f.srv.Apply(context.Background(), f.adminActor, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{
		Given: given, Family: family, Nation: "england", Email: strings.ToLower(given) + "@example.org", RegisteredUntil: until,
	}})
	require.NoError(f.t, err)
	return res.(fsm.Result).Registrant
}

func (f *fixture) change(c fsm.ChangeRegistrant) *register.Registrant {
	f.t.Helper()
	res, err := f.srv.Apply(context.Background(), f.adminActor, c)
	require.NoError(f.t, err)
	return res.(fsm.Result).Registrant
}

func (f *fixture) index() uint64 { return f.srv.State().Index("") }

// response is what a request returned.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), "body: %s", r.body)
	return m
}

// request sends a request; token "" sends no Authorization header, and a
// non-empty contentType is set as the Content-Type.
func (f *fixture) request(method, path, token, contentType string, body io.Reader) response {
	f.t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+path, body)
	require.NoError(f.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := f.ts.Client().Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (f *fixture) get(path, token string) response {
	f.t.Helper()
	return f.request(http.MethodGet, path, token, "", nil)
}

func (f *fixture) post(path, token, body string) response {
	f.t.Helper()
	return f.request(http.MethodPost, path, token, "application/json", strings.NewReader(body))
}

// requireError asserts a JSON error of exactly the shape
// {"error":{"code","message"}} with the given status and code, whose
// message contains each of msg.
func requireError(t *testing.T, r response, status int, code string, msg ...string) {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	var body map[string]map[string]any
	require.NoError(t, json.Unmarshal(r.body, &body), "body: %s", r.body)
	require.Len(t, body, 1, "only an error object: %s", r.body)
	e, ok := body["error"]
	require.True(t, ok, "body: %s", r.body)
	require.Len(t, e, 2, "code and message only: %s", r.body)
	require.Equal(t, code, e["code"])
	m, ok := e["message"].(string)
	require.True(t, ok)
	require.NotEmpty(t, m)
	for _, s := range msg {
		require.Contains(t, m, s)
	}
}
