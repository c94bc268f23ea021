package account_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/account"
	"github.com/nalw/linkpass/internal/verdict"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/api"
	"github.com/nalw/linkpass/issuer/publicregister"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/registrants"
	"github.com/nalw/linkpass/issuer/renewals"
	"github.com/nalw/linkpass/mail"
	"github.com/nalw/linkpass/notify"
	"github.com/nalw/linkpass/oid4vci"
	"github.com/nalw/linkpass/web"
)

// clock is the register's movable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// system is the register as `linkpass serve` builds it: the account, the
// public site and the API on one loopback test server, mail to an outbox.
type system struct {
	t      *testing.T
	srv    *issuer.Server
	url    string
	outbox string
	admin  register.Actor
	adminT string
	// amara is a registrant whose registration ends in 30 days.
	amara *register.Registrant
	// seen is the mails read from the outbox.
	seen map[string]bool
}

const amaraEmail = "amara.nwosu@example.org"

func newSystem(t *testing.T) *system {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	clk := &clock{t: time.Now()}
	srv, err := issuer.Open(issuer.Config{DataDir: t.TempDir(), Create: true, IssuerURL: base, Logger: logger, Clock: clk.Now})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	outbox := t.TempDir()
	mailer, err := mail.New(mail.Config{From: "register@nalw.example", OutboxDir: outbox, Logger: logger})
	require.NoError(t, err)
	t.Cleanup(func() { mailer.Close() })
	set := srv.State().Settings()
	issuance := oid4vci.New(srv, oid4vci.Config{Mailer: mailer, Logger: logger})
	regs, renew := registrants.New(srv), renewals.New(srv)
	acct, err := account.New(account.Config{State: srv.State, Register: srv, Notify: notify.New(srv, mailer, logger), Renewals: renew,
		Public: publicregister.New(srv.State, srv.Now), Offers: issuance, IssuerURL: base, RegisterName: set.RegisterName, Logger: logger, Now: srv.Now})
	require.NoError(t, err)
	site, err := web.New(web.Config{Mode: web.RegisterMode, RegisterName: set.RegisterName, Logger: logger,
		Verify: func(context.Context, string) verdict.Verdict { return verdict.Verdict{} }, Register: publicregister.New(srv.State, srv.Now)})
	require.NoError(t, err)
	r := mux.NewRouter()
	site.Register(r)
	acct.Register(r)
	r.NotFoundHandler = api.New(srv, logger, api.WithIssuance(issuance), api.WithRegistrants(regs), api.WithRenewals(renew))
	ts.Config.Handler = r
	ts.Start()
	t.Cleanup(ts.Close)
	bearer := ""
	_, bearer, err = srv.CreateToken(register.System, register.RoleAdmin, "first admin")
	require.NoError(t, err)
	admin, err := srv.Authenticate(bearer)
	require.NoError(t, err)
	s := &system{t: t, srv: srv, url: base, outbox: outbox, admin: admin, adminT: bearer, seen: map[string]bool{}}
	until := register.DateOf(clk.Now()).AddDays(30)
	s.amara, err = regs.Add(context.Background(), admin, &registrants.Add{NewRegistrant: register.NewRegistrant{
		Given: "Amara", Family: "Nwosu", Nation: "england", Email: amaraEmail, RegisteredUntil: until}})
	require.NoError(t, err)
	_, err = regs.Issue(context.Background(), admin, s.amara.Number)
	require.NoError(t, err)
	return s
}

// client is a browser without script: a cookie jar, no redirects
// followed unless asked.
type client struct {
	t   *testing.T
	s   *system
	hc  *http.Client
	got string // the last page's body
}

func (s *system) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: s.t, s: s, hc: &http.Client{Jar: jar}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get fetches path and returns the status, following redirects.
func (c *client) get(path string) int {
	c.t.Helper()
	res, err := c.hc.Get(c.s.url + path)
	require.NoError(c.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	c.got = string(b)
	return res.StatusCode
}

// post sends a form as the site's own pages do (same origin), with the
// CSRF token of the last page unless form has one.
func (c *client) post(path string, form url.Values) int {
	c.t.Helper()
	if _, ok := form["csrf"]; !ok {
		if m := csrfField.FindStringSubmatch(c.got); m != nil {
			form.Set("csrf", m[1])
		}
	}
	req, err := http.NewRequest(http.MethodPost, c.s.url+path, strings.NewReader(form.Encode()))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.s.url)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := c.hc.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	c.got = string(b)
	return res.StatusCode
}

var codeLine = regexp.MustCompile(`(?m)^\s+(\d{6})\s*$`)

// nextCode waits for a sign-in code mailed to email that was not read
// before and returns it.
func (s *system) nextCode(email string) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(s.outbox, "*.eml"))
		for _, f := range files {
			if s.seen[f] {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil || !strings.Contains(string(b), email) || !strings.Contains(string(b), "sign-in code") {
				continue
			}
			if m := codeLine.FindStringSubmatch(string(b)); m != nil {
				s.seen[f] = true
				return m[1]
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("no sign-in code mailed to %s", email)
	return ""
}

// signIn signs c in as amara with the emailed code.
func (c *client) signIn() {
	c.t.Helper()
	require.Equal(c.t, http.StatusOK, c.get(account.PathSignIn))
	require.Equal(c.t, http.StatusOK, c.post(account.PathSignIn, url.Values{"email": {amaraEmail}}))
	code := c.s.nextCode(amaraEmail)
	require.Equal(c.t, http.StatusOK, c.post(account.PathCode, url.Values{"code": {code}}))
	require.Contains(c.t, c.got, "<h1>Your account</h1>")
}
