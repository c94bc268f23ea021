package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/internal/verdict"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/api"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/publicregister"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/oid4vci"
	"github.com/nalw/linkpass/verifier"
)

// system is the system under test, built in-process as `linkpass serve`
// builds it: a real register (Raft, bolt log in a temp dir) seeded with the
// demonstration registrants and publishing its status lists, the register
// API for /v1, and a Site beside it, on a loopback test server.
type system struct {
	t   testing.TB
	srv *issuer.Server
	// issuance is OpenID4VCI on the register, for the web wallet.
	issuance *oid4vci.Service
	// offline, while set, drops every connection to the server unanswered,
	// as a phone with no network sees it.
	offline *atomic.Bool
	// drop drops requests for dropPath while it is above 0, counting
	// down (a browser tries a dropped request again once by itself).
	dropPath atomic.Value // string
	drop     *atomic.Int32
	ts       *httptest.Server
	url      string
	site     *Site
	verify   func(context.Context, string) verdict.Verdict
}

// sysOption adjusts the Site's config before it is built.
type sysOption func(*Config)

func newSystem(t testing.TB, mode Mode, opts ...sysOption) *system {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	issuerURL := "http://" + ts.Listener.Addr().String()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	srv, err := issuer.Open(issuer.Config{DataDir: t.TempDir(), Create: true, IssuerURL: issuerURL, Logger: logger})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	_, err = srv.SeedDemo()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go srv.Run(ctx) // the publisher republishes status lists after changes

	cfg := Config{Mode: mode, RegisterName: srv.State().Settings().RegisterName, Verify: bundleVerifier(t, srv), Logger: logger,
		Register: publicregister.New(srv.State, srv.Now), Catalogue: CatalogueFrom(srv.State)}
	for _, o := range opts {
		o(&cfg)
	}
	site, err := New(cfg)
	require.NoError(t, err)
	r := mux.NewRouter()
	site.Register(r)
	issuance := oid4vci.New(srv, oid4vci.Config{Logger: logger})
	r.NotFoundHandler = api.New(srv, logger, api.WithIssuance(issuance))
	offline, drop := new(atomic.Bool), new(atomic.Int32)
	sys := &system{t: t, srv: srv, issuance: issuance, offline: offline, drop: drop, ts: ts, site: site, verify: cfg.Verify}
	ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if offline.Load() || (req.URL.Path == sys.dropPath.Load() && drop.Add(-1) >= 0) {
			// Read the body first: closing with it unread makes the
			// kernel reset the connection, which the browser logs as
			// ERR_CONNECTION_RESET rather than the ERR_EMPTY_RESPONSE
			// of a dropped answer, depending on how much had arrived.
			_, _ = io.Copy(io.Discard, req.Body)
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		r.ServeHTTP(w, req)
	})
	ts.Start()
	t.Cleanup(ts.Close)
	sys.url = ts.URL
	return sys
}

// registered returns the numbers of the registrants in good standing.
func (s *system) registered() []string {
	regs, err := s.srv.State().Registrants(register.Registered)
	require.NoError(s.t, err)
	var out []string
	for _, r := range regs {
		if len(r.Restrictions) == 0 {
			out = append(out, r.Number)
		}
	}
	require.NotEmpty(s.t, out)
	return out
}

// registrant returns the registrant of the given status whose name
// contains name.
func (s *system) registrant(status register.Status, name string) *register.Registrant {
	regs, err := s.srv.State().Registrants(status)
	require.NoError(s.t, err)
	for _, r := range regs {
		if strings.Contains(r.FullName(), name) {
			return r
		}
	}
	s.t.Fatalf("no %s registrant named %q in the demo register", status, name)
	return nil
}

// issue signs a credential for regno and returns its JWS once its status
// can be checked.
func (s *system) issue(regno string) string {
	iss, err := s.srv.IssueCredential(context.Background(), register.System, regno)
	require.NoError(s.t, err)
	// A credential in a new status list can be checked once the publisher
	// has published the list, a moment after issuance.
	require.Eventually(s.t, func() bool {
		return s.verify(context.Background(), iss.JWT).Outcome != verifier.OutcomeStatusUnknown
	}, 15*time.Second, 20*time.Millisecond, "the publisher never published the new credential's status list")
	return iss.JWT
}

// suspend suspends regno and waits until the published status list says
// so for jws, as a front desk would see it.
func (s *system) suspend(regno, jws string) {
	_, err := s.srv.Apply(context.Background(), register.System, fsm.ChangeRegistrant{Number: regno, Op: fsm.OpSuspend, Reason: "Interim order pending a hearing"})
	require.NoError(s.t, err)
	require.Eventually(s.t, func() bool {
		return s.verify(context.Background(), jws).Outcome == verifier.OutcomeSuspended
	}, 15*time.Second, 50*time.Millisecond, "the publisher never republished the suspension")
}

// bundleVerifier returns a Config.Verify that checks credentials as a
// practice's own checker does: against a trust bundle, here taken fresh
// from the register for every check so that a suspension shows as soon as
// the register has republished its status lists. The bundle's keys and
// status lists are verified (trustbundle.Bundle.Check) before use.
func bundleVerifier(t testing.TB, srv *issuer.Server) func(context.Context, string) verdict.Verdict {
	return func(ctx context.Context, text string) verdict.Verdict {
		v, err := func() (*verifier.Verifier, error) {
			b, err := srv.TrustBundle()
			if err != nil {
				return nil, err
			}
			checked, err := b.Check(time.Now())
			if err != nil {
				return nil, err
			}
			return checked.Verifier(nil)
		}()
		if err != nil {
			t.Errorf("building the verifier from the register's trust bundle: %v", err)
			return verdict.Verdict{}
		}
		return VerifyWith(v, nil)(ctx, text)
	}
}

// get fetches path from the system.
func (s *system) get(path string) *http.Response {
	s.t.Helper()
	res, err := s.ts.Client().Get(s.url + path)
	require.NoError(s.t, err)
	s.t.Cleanup(func() { res.Body.Close() })
	return res
}

// post sends body to path with the content type.
func (s *system) post(path, ctype string, body io.Reader) *http.Response {
	s.t.Helper()
	res, err := s.ts.Client().Post(s.url+path, ctype, body)
	require.NoError(s.t, err)
	s.t.Cleanup(func() { res.Body.Close() })
	return res
}

// jsonBody encodes v as a request body.
func jsonBody(v any) (io.Reader, error) {
	b, err := json.Marshal(v)
	return bytes.NewReader(b), err
}

// decode reads a JSON response body into a value of type T.
func decode[T any](t *testing.T, res *http.Response) T {
	t.Helper()
	var v T
	require.NoError(t, json.NewDecoder(res.Body).Decode(&v))
	return v
}
