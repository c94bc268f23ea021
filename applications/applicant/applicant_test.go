package applicant_test

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
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/applications/applicant"
	"github.com/nalw/linkpass/applications/intake"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/mail"
)

// clock is the register's movable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// system is the register with the applicant's pages on a loopback test
// server, mail to an outbox.
type system struct {
	t      *testing.T
	srv    *issuer.Server
	clk    *clock
	apps   *intake.Service
	url    string
	outbox string
	admin  register.Actor
}

func newSystem(t *testing.T) *system {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	clk := &clock{t: time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)}
	srv, err := issuer.Open(issuer.Config{DataDir: t.TempDir(), Create: true, IssuerURL: base, Logger: logger, Clock: clk.Now})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	outbox := t.TempDir()
	mailer, err := mail.New(mail.Config{From: "register@nalw.example", OutboxDir: outbox, Logger: logger})
	require.NoError(t, err)
	t.Cleanup(mailer.Close)
	apps := intake.New(srv, intake.Config{Mailer: mailer, Logger: logger})
	pages, err := applicant.New(applicant.Config{Intake: apps, IssuerURL: base, Logger: logger, Now: srv.Now})
	require.NoError(t, err)
	r := mux.NewRouter()
	pages.Register(r)
	ts.Config.Handler = r
	ts.Start()
	t.Cleanup(ts.Close)
	_, bearer, err := srv.CreateToken(register.System, register.RoleAdmin, "first admin")
	require.NoError(t, err)
	admin, err := srv.Authenticate(bearer)
	require.NoError(t, err)
	return &system{t: t, srv: srv, clk: clk, apps: apps, url: base, outbox: outbox, admin: admin}
}

var codeLine = regexp.MustCompile(`(?m)^ {4}(\d{6})\r?$`)

// code waits for the newest mail with subject and returns its code.
func (s *system) code(subject string) string {
	s.t.Helper()
	var code string
	require.Eventually(s.t, func() bool {
		files, _ := filepath.Glob(filepath.Join(s.outbox, "*.eml"))
		var newest time.Time
		for _, p := range files {
			b, _ := os.ReadFile(p)
			fi, _ := os.Stat(p)
			if m := codeLine.FindSubmatch(b); m != nil && strings.Contains(string(b), subject) && fi.ModTime().After(newest) {
				code, newest = string(m[1]), fi.ModTime()
			}
		}
		return code != ""
	}, 10*time.Second, 20*time.Millisecond, "no mail %q", subject)
	return code
}

// application records an application made through its email code.
func (s *system) application(email string) *applications.Application {
	s.t.Helper()
	ctx := context.Background()
	require.NoError(s.t, s.apps.SendCode(ctx, email, "192.0.2.1"))
	a, err := s.apps.Submit(ctx, applications.New{Given: "Amara", Family: "Nwosu", Nation: "england", Email: email, DateOfBirth: "1990-04-01",
		Qualifications: []register.Qualification{{Title: "Level 4 Certificate in Social Prescribing", Level: 4, Provider: "Open University", Accreditation: "other", Awarded: "2025-06-30"}},
		Declarations:   applications.Declarations{Truthful: true}, PrivacyConsent: true}, s.code("Your code to apply"))
	require.NoError(s.t, err)
	return a
}

func (s *system) step(ref string, op fsm.ApplicationOp, note string) {
	s.t.Helper()
	_, err := s.apps.Step(context.Background(), s.admin, ref, op, note)
	require.NoError(s.t, err)
}

// browser is a browser without script.
type browser struct {
	t   *testing.T
	s   *system
	hc  *http.Client
	got string
}

func (s *system) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, s: s, hc: &http.Client{Jar: jar}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) get(p string) int {
	b.t.Helper()
	res, err := b.hc.Get(b.s.url + p)
	require.NoError(b.t, err)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	b.got = string(body)
	return res.StatusCode
}

// post sends a form from the last page, with its CSRF token unless the
// form says otherwise; redirects are followed.
func (b *browser) post(p string, form url.Values) int {
	b.t.Helper()
	if _, ok := form["csrf"]; !ok {
		if m := csrfField.FindStringSubmatch(b.got); m != nil {
			form.Set("csrf", m[1])
		}
	}
	req, err := http.NewRequest(http.MethodPost, b.s.url+p, strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := b.hc.Do(req)
	require.NoError(b.t, err)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	b.got = string(body)
	return res.StatusCode
}

// signIn signs in to application ref with the code it is emailed.
func (b *browser) signIn(ref string) {
	b.t.Helper()
	require.Equal(b.t, http.StatusOK, b.get(applicant.PathStatus))
	require.Equal(b.t, http.StatusOK, b.post(applicant.PathCode, url.Values{"ref": {ref}}))
	require.Contains(b.t, b.got, "we have sent a code")
	require.Equal(b.t, http.StatusOK, b.post(applicant.PathSignIn, url.Values{"code": {b.s.code("Your code to see application " + strings.ToUpper(ref))}}))
	require.Contains(b.t, b.got, `id="app-ref">`+strings.ToUpper(ref)+`<`)
}

func TestAnApplicantAnswersARequestWithoutScript(t *testing.T) {
	s := newSystem(t)
	a := s.application("amara@example.org")
	s.step(a.Ref, fsm.AppRequestInfo, "Send the number on your certificate.")
	b := s.browser()
	b.signIn(strings.ToLower(a.Ref))
	assert.Contains(t, b.got, "Send the number on your certificate.")
	assert.Contains(t, b.got, `id="answer-form"`)
	assert.NotContains(t, b.got, s.admin.TokenID, "no registrar is named")

	// An empty answer is refused with a message, and nothing is saved.
	assert.Equal(t, http.StatusBadRequest, b.post(applicant.PathAnswer, url.Values{"answer": {"  "}}))
	assert.Contains(t, b.got, "Answer is required")
	got, err := s.srv.State().Application(a.Ref)
	require.NoError(t, err)
	assert.Equal(t, applications.MoreInfo, got.State)
	// A form without the session's token changes nothing.
	assert.Equal(t, http.StatusForbidden, b.post(applicant.PathAnswer, url.Values{"answer": {"Cert 4471."}, "csrf": {"forged"}}))
	// From another site, neither.
	req, _ := http.NewRequest(http.MethodPost, s.url+applicant.PathAnswer, strings.NewReader("answer=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := b.hc.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusForbidden, res.StatusCode)

	require.Equal(t, http.StatusOK, b.get(applicant.PathStatus))
	assert.Equal(t, http.StatusOK, b.post(applicant.PathAnswer, url.Values{"answer": {"Certificate OU-4471."}}))
	assert.Contains(t, b.got, "Your answer is sent")
	assert.Contains(t, b.got, `data-state="answered"`)
	assert.NotContains(t, b.got, `id="answer-form"`, "nothing more to answer")
	got, err = s.srv.State().Application(a.Ref)
	require.NoError(t, err)
	assert.Equal(t, applications.Answered, got.State)

	// Signed out, the page asks for a reference again and forms refuse.
	require.Equal(t, http.StatusOK, b.post(applicant.PathSignOut, url.Values{}))
	assert.Contains(t, b.got, "You have signed out")
	assert.Equal(t, http.StatusUnauthorized, b.post(applicant.PathAnswer, url.Values{"answer": {"Again."}, "csrf": {"x"}}))
	assert.Contains(t, b.got, "Your session has ended, so nothing was changed")
}

func TestAnApplicantAppealsInTimeAndNotAfter(t *testing.T) {
	s := newSystem(t)
	a := s.application("amara@example.org")
	late := s.application("bo@example.org")
	s.step(a.Ref, fsm.AppRefuse, "The qualification does not meet the criteria.")
	s.step(late.Ref, fsm.AppRefuse, "No qualification at level 4.")
	s.clk.Add(28 * 24 * time.Hour) // the last day to appeal

	b := s.browser()
	b.signIn(a.Ref)
	assert.Contains(t, b.got, `id="appeal-by">13 April 2026<`)
	assert.Equal(t, http.StatusBadRequest, b.post(applicant.PathAppeal, url.Values{"grounds": {""}}))
	assert.Contains(t, b.got, "Grounds of appeal is required")
	assert.Equal(t, http.StatusOK, b.post(applicant.PathAppeal, url.Values{"grounds": {"My course is aligned with NALW standards."}}))
	assert.Contains(t, b.got, "Your appeal is lodged")
	got, err := s.srv.State().Application(a.Ref)
	require.NoError(t, err)
	assert.Equal(t, applications.Appealed, got.State)

	s.clk.Add(24 * time.Hour)
	c := s.browser()
	c.signIn(late.Ref)
	assert.NotContains(t, c.got, `id="appeal-form"`)
	assert.Contains(t, c.got, "The appeal period ended on 13 April 2026")
	// A form sent anyway, from a page kept open, is refused, saying why.
	assert.Equal(t, http.StatusConflict, c.post(applicant.PathAppeal, url.Values{"grounds": {"Late grounds."}}))
	assert.Contains(t, c.got, "ended on 2026-04-13, so the refusal can no longer be appealed")
	assert.Contains(t, c.got, "Late grounds.", "what was typed is kept on the page")
	got, err = s.srv.State().Application(late.Ref)
	require.NoError(t, err)
	assert.Equal(t, applications.Refused, got.State)
}

func TestSigningInRefusesBadReferencesAndWrongCodes(t *testing.T) {
	s := newSystem(t)
	a := s.application("amara@example.org")
	b := s.browser()
	require.Equal(t, http.StatusOK, b.get(applicant.PathStatus))
	assert.Equal(t, http.StatusBadRequest, b.post(applicant.PathCode, url.Values{"ref": {""}}))
	assert.Contains(t, b.got, "Enter your application reference")
	assert.Equal(t, http.StatusBadRequest, b.post(applicant.PathCode, url.Values{"ref": {"LW1000015"}}))
	assert.Contains(t, b.got, "for example A1001")

	// A reference that is no application gets the page a real one gets.
	require.Equal(t, http.StatusOK, b.post(applicant.PathCode, url.Values{"ref": {"A9999"}}))
	unknown := strings.ReplaceAll(b.got, "A9999", "REF")
	assert.Equal(t, http.StatusBadRequest, b.post(applicant.PathSignIn, url.Values{"code": {"123456"}}))
	assert.Contains(t, b.got, "No code is waiting")

	c := s.browser()
	require.Equal(t, http.StatusOK, c.get(applicant.PathStatus))
	require.Equal(t, http.StatusOK, c.post(applicant.PathCode, url.Values{"ref": {a.Ref}}))
	assert.Equal(t, normal(unknown), normal(strings.ReplaceAll(c.got, a.Ref, "REF")), "the page does not say whether the reference is an application")
	code := s.code("Your code to see application " + a.Ref)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for i := range 4 {
		assert.Equal(t, http.StatusBadRequest, c.post(applicant.PathSignIn, url.Values{"code": {wrong}}), "try %d", i+1)
	}
	assert.Contains(t, c.got, "1 tries left")
	assert.Equal(t, http.StatusBadRequest, c.post(applicant.PathSignIn, url.Values{"code": {wrong}}))
	assert.Contains(t, c.got, "no longer works")
	assert.Contains(t, c.got, `id="new-code"`)
	assert.Equal(t, http.StatusBadRequest, c.post(applicant.PathSignIn, url.Values{"code": {code}}), "the right code after five wrong ones")
	assert.Contains(t, c.got, "No code is waiting")
}

// normal is a page with its CSRF token taken out.
func normal(page string) string { return csrfField.ReplaceAllString(page, `name="csrf" value=""`) }
