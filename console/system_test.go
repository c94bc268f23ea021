package console

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/account"
	"github.com/nalw/linkpass/applications/applicant"
	"github.com/nalw/linkpass/applications/intake"
	"github.com/nalw/linkpass/confirmations/claims"
	"github.com/nalw/linkpass/courses/catalogue"
	"github.com/nalw/linkpass/cpdaudit"
	"github.com/nalw/linkpass/internal/verdict"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/api"
	"github.com/nalw/linkpass/issuer/publicregister"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/registrants"
	"github.com/nalw/linkpass/issuer/renewals"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/mail"
	"github.com/nalw/linkpass/notify"
	"github.com/nalw/linkpass/oid4vci"
	"github.com/nalw/linkpass/staff"
	"github.com/nalw/linkpass/web"
)

// clock is the register's movable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// system is the register as `linkpass serve` builds it, with the console,
// the public site and the API on one loopback test server. Its issuer URL
// names localhost, as passkeys need a host name.
type system struct {
	t     *testing.T
	srv   *issuer.Server
	svc   *staff.Service
	clk   *clock
	url   string
	admin register.Actor
	// regs is the registrant operations the console and the API share;
	// outbox is where the register's mail goes.
	regs   *registrants.Service
	outbox string
	// apps is the intake the console, /apply and /apply/status share.
	apps *intake.Service
}

const password = "correct horse battery staple"

// newSystem builds the system; opts change the console's Config, given
// the base URL the system will have.
func newSystem(t *testing.T, scheme string, opts ...func(base string, c *Config)) *system {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	_, port, _ := strings.Cut(ts.Listener.Addr().String(), ":")
	base := scheme + "://localhost:" + port
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	// The clock starts now, so that the browser's own checks of time agree.
	clk := &clock{t: time.Now()}
	srv, err := issuer.Open(issuer.Config{DataDir: t.TempDir(), Create: true, IssuerURL: base, Logger: logger, Clock: clk.Now})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	_, err = srv.SeedDemo()
	require.NoError(t, err)
	svc, err := api.NewStaff(srv, func(c *staff.Config) { c.Password = staff.PasswordParams{Time: 1, Memory: 8 * 1024, Threads: 1} })
	require.NoError(t, err)
	set := srv.State().Settings()
	outbox := t.TempDir()
	mailer, err := mail.New(mail.Config{From: "register@nalw.example", OutboxDir: outbox, Logger: logger})
	require.NoError(t, err)
	t.Cleanup(func() { mailer.Close() })
	issuance := oid4vci.New(srv, oid4vci.Config{Mailer: mailer, Logger: logger})
	regs := registrants.New(srv)
	apps := intake.New(srv, intake.Config{Mailer: mailer, Logger: logger})
	cfg := Config{Staff: svc, State: srv.State, IssuerURL: base, RegisterName: set.RegisterName, Logger: logger,
		Registrants: regs, Offers: issuance, Now: srv.Now, Renewals: renewals.New(srv), Admin: srv, Applications: apps, Catalogue: catalogue.New(srv), CPDAudit: cpdaudit.New(srv, notify.New(srv, mailer, logger), logger),
		Claims: claims.New(srv)}
	for _, o := range opts {
		o(base, &cfg)
	}
	con, err := New(cfg)
	require.NoError(t, err)
	site, err := web.New(web.Config{Mode: web.RegisterMode, RegisterName: set.RegisterName, Logger: logger,
		Verify: func(context.Context, string) verdict.Verdict { return verdict.Verdict{} }, Register: publicregister.New(srv.State, srv.Now),
		Catalogue: web.CatalogueFrom(srv.State), Applying: apps})
	require.NoError(t, err)
	// The registrant's account too, for the journeys that end there.
	acct, err := account.New(account.Config{State: srv.State, Register: srv, Notify: notify.New(srv, mailer, logger), Renewals: cfg.Renewals,
		Public: publicregister.New(srv.State, srv.Now), IssuerURL: base, RegisterName: set.RegisterName, Logger: logger, Now: srv.Now})
	require.NoError(t, err)
	r := mux.NewRouter()
	site.Register(r)
	con.Register(r)
	status, err := applicant.New(applicant.Config{Intake: apps, IssuerURL: base, RegisterName: set.RegisterName, Logger: logger, Now: srv.Now})
	require.NoError(t, err)
	status.Register(r)
	acct.Register(r)
	r.NotFoundHandler = api.New(srv, logger, api.WithStaff(svc), api.WithIssuance(issuance), api.WithRegistrants(regs), api.WithIntake(apps))
	ts.Config.Handler = r
	ts.Start()
	t.Cleanup(ts.Close)
	_, bearer, err := srv.CreateToken(register.System, register.RoleAdmin, "first admin")
	require.NoError(t, err)
	admin, err := srv.Authenticate(bearer)
	require.NoError(t, err)
	return &system{t: t, srv: srv, svc: svc, clk: clk, url: "http://localhost:" + port, admin: admin, regs: regs, outbox: outbox, apps: apps}
}

// invite creates an account and returns it with its setup link's path.
func (s *system) invite(name, email string, role register.Role) (*staff.Account, string) {
	s.t.Helper()
	n := staff.NewAccount{Name: name, Email: email, Role: role}
	if role == register.RoleProvider {
		n.Provider = "P1" // the demonstration's University of Westminster
	}
	a, link, err := s.svc.Add(context.Background(), s.admin, n)
	require.NoError(s.t, err)
	u, err := url.Parse(link)
	require.NoError(s.t, err)
	return a, u.Path
}

// totpAccount sets up an account with an authenticator app through the
// service and returns its TOTP secret.
func (s *system) totpAccount(name, email string, role register.Role) (*staff.Account, string) {
	s.t.Helper()
	a, setup := s.invite(name, email, role)
	sid, _, err := s.svc.OpenSetup(path.Base(setup))
	require.NoError(s.t, err)
	require.NoError(s.t, s.svc.ChoosePassword(context.Background(), sid, password, password))
	k, err := s.svc.BeginTOTP(sid)
	require.NoError(s.t, err)
	_, err = s.svc.FinishTOTP(context.Background(), sid, s.code(k.Secret))
	require.NoError(s.t, err)
	return a, k.Secret
}

// code returns the authenticator app's code for the next time step, moving
// the clock on so that each code is new.
func (s *system) code(secret string) string {
	s.t.Helper()
	s.clk.Add(30 * time.Second)
	c, err := totp.GenerateCode(secret, s.clk.Now())
	require.NoError(s.t, err)
	return c
}

// client is a cookie-keeping HTTP client that does not follow redirects.
func (s *system) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signedIn returns a client signed in as a new account of role, and the
// session's CSRF token.
func (s *system) signedIn(role register.Role) (*http.Client, string, *staff.Account) {
	s.t.Helper()
	email := string(role) + "-" + strings.ToLower(path.Base(s.t.Name())) + "@nalw.example"
	a, secret := s.totpAccount("Test "+string(role), email, role)
	sid, _, err := s.svc.SignInPassword(context.Background(), email, password)
	require.NoError(s.t, err)
	sid, err = s.svc.SignInCode(context.Background(), sid, s.code(secret))
	require.NoError(s.t, err)
	ss, _, err := s.svc.Session(sid)
	require.NoError(s.t, err)
	c := s.client()
	u, _ := url.Parse(s.url)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: cookiePlain, Value: sid, Path: "/"}})
	return c, ss.CSRF, a
}

func (s *system) do(c *http.Client, method, p string, form url.Values, headers ...string) *http.Response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+p, strings.NewReader(form.Encode()))
	require.NoError(s.t, err)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.Do(req)
	require.NoError(s.t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(strings.NewReader(string(body)))
	return res
}

func bodyOf(res *http.Response) string {
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func stateFilter() state.AuditFilter { return state.AuditFilter{} }
