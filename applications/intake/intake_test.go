package intake_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/applications/intake"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/mail"
)

const issuerURL = "http://127.0.0.1:8080"

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

// reg is a register in a data directory that outlives its servers, with
// an intake that writes mail to an outbox.
type reg struct {
	t      *testing.T
	dir    string
	clk    *clock
	outbox string
	srv    *issuer.Server
	svc    *intake.Service
	admin  register.Actor
}

func newReg(t *testing.T) *reg {
	r := &reg{t: t, dir: filepath.Join(t.TempDir(), "reg"), clk: &clock{t: time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)}, outbox: t.TempDir()}
	r.open()
	_, bearer, err := r.srv.CreateToken(register.System, register.RoleAdmin, "first admin")
	require.NoError(t, err)
	r.admin, err = r.srv.Authenticate(bearer)
	require.NoError(t, err)
	return r
}

// open starts the register (again) on its data directory.
func (r *reg) open() {
	srv, err := issuer.Open(issuer.Config{DataDir: r.dir, Create: true, IssuerURL: issuerURL, Clock: r.clk.Now})
	require.NoError(r.t, err)
	m, err := mail.New(mail.Config{OutboxDir: r.outbox, From: "register@nalw.example"})
	require.NoError(r.t, err)
	r.srv, r.svc = srv, intake.New(srv, intake.Config{Mailer: m})
	r.t.Cleanup(func() { m.Close(); srv.Close() })
}

// restart stops the register and starts it again from its data directory:
// nothing in memory survives.
func (r *reg) restart() {
	require.NoError(r.t, r.srv.Close())
	r.open()
}

var codeLine = regexp.MustCompile(`(?m)^ {4}(\d{6})\r?$`)

// code waits for the newest mail whose subject has subject and returns
// the code in it.
func (r *reg) code(subject string) string {
	r.t.Helper()
	var code string
	require.Eventually(r.t, func() bool {
		files, _ := filepath.Glob(filepath.Join(r.outbox, "*.eml"))
		var newest time.Time
		for _, p := range files {
			b, _ := os.ReadFile(p)
			fi, _ := os.Stat(p)
			if m := codeLine.FindSubmatch(b); m != nil && strings.Contains(string(b), subject) && !fi.ModTime().Before(newest) {
				code, newest = string(m[1]), fi.ModTime()
			}
		}
		return code != ""
	}, 10*time.Second, 20*time.Millisecond, "no mail %q", subject)
	return code
}

func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// apply makes an application through the code its email is sent.
func (r *reg) apply(email string) *applications.Application {
	r.t.Helper()
	ctx := context.Background()
	require.NoError(r.t, r.svc.SendCode(ctx, email, "192.0.2.1"))
	code := r.code("Your code to apply")
	a, err := r.svc.Submit(ctx, applications.New{Given: "Amara", Family: "Nwosu", Nation: "england", Email: email, DateOfBirth: "1990-04-01",
		Qualifications: []register.Qualification{{Title: "Level 4 Certificate in Social Prescribing", Level: 4, Provider: "Open University", Accreditation: "other", Awarded: "2025-06-30"}},
		Declarations:   applications.Declarations{Truthful: true}, PrivacyConsent: true}, code)
	require.NoError(r.t, err)
	return a
}

func (r *reg) audited(action string) int {
	evs, err := r.srv.State().Audit(state.AuditFilter{Action: action})
	require.NoError(r.t, err)
	n := 0
	for _, e := range evs {
		if e.Action == action {
			n++
		}
	}
	return n
}

func TestASignInCodeSentBeforeARestartStillWorks(t *testing.T) {
	r := newReg(t)
	a := r.apply("amara@example.org")
	require.NoError(t, r.svc.SendStatusCode(context.Background(), a.Ref, "192.0.2.1"))
	code := r.code("Your code to see application " + a.Ref)

	r.restart()
	r.clk.Add(time.Minute)
	got, err := r.svc.SignIn(context.Background(), strings.ToLower(a.Ref), code)
	require.NoError(t, err, "a code emailed a minute before the restart")
	assert.Equal(t, a.Ref, got.Ref)
	_, err = r.svc.SignIn(context.Background(), a.Ref, code)
	require.ErrorIs(t, err, intake.ErrNoCode, "a code works once")
	assert.Equal(t, 1, r.audited("applicant.signed-in"))
}

func TestFiveWrongTriesEndACodeAcrossARestart(t *testing.T) {
	r := newReg(t)
	a := r.apply("amara@example.org")
	require.NoError(t, r.svc.SendStatusCode(context.Background(), a.Ref, "192.0.2.1"))
	code := r.code("Your code to see application " + a.Ref)
	ctx := context.Background()
	for i := range 3 {
		_, err := r.svc.SignIn(ctx, a.Ref, wrongCode(code))
		require.ErrorIs(t, err, register.ErrInvalid)
		assert.Contains(t, err.Error(), []string{"4 tries left", "3 tries left", "2 tries left"}[i])
	}
	// A restart, or another member, gives a guesser no fresh tries.
	r.restart()
	_, err := r.svc.SignIn(ctx, a.Ref, wrongCode(code))
	assert.ErrorContains(t, err, "1 tries left")
	_, err = r.svc.SignIn(ctx, a.Ref, wrongCode(code))
	assert.ErrorContains(t, err, "wrong 5 times, so it no longer works")
	_, err = r.svc.SignIn(ctx, a.Ref, code)
	assert.ErrorIs(t, err, intake.ErrNoCode, "the right code no longer works after five wrong ones")
	assert.Equal(t, 4, r.audited("applicant.code-wrong"))
	assert.Equal(t, 1, r.audited("applicant.code-locked"))
	assert.Zero(t, r.audited("applicant.signed-in"))
}

func TestAnExpiredCodeIsRefused(t *testing.T) {
	r := newReg(t)
	a := r.apply("amara@example.org")
	require.NoError(t, r.svc.SendStatusCode(context.Background(), a.Ref, "192.0.2.1"))
	code := r.code("Your code to see application " + a.Ref)
	r.clk.Add(applications.CodeTTL)
	_, err := r.svc.SignIn(context.Background(), a.Ref, code)
	assert.ErrorIs(t, err, intake.ErrCodeGone)
}

func TestAStrangerLearnsNothingFromAReference(t *testing.T) {
	r := newReg(t)
	a := r.apply("amara@example.org")
	ctx := context.Background()
	// The receipt's outcome is recorded in the background: wait for it.
	require.Eventually(t, func() bool {
		ms, err := r.svc.Messages(a.Ref)
		return err == nil && len(ms) == 1 && ms[0].State == register.MessageSent
	}, 10*time.Second, 20*time.Millisecond)
	// The same answer for a reference that is not an application; no code
	// is recorded or sent.
	before := r.srv.State().Index("")
	require.NoError(t, r.svc.SendStatusCode(ctx, "A9999", "192.0.2.9"))
	assert.Equal(t, before, r.srv.State().Index(""))
	_, err := r.svc.SignIn(ctx, "A9999", "123456")
	assert.ErrorIs(t, err, intake.ErrNoCode)
	// A malformed reference gets a clear message.
	err = r.svc.SendStatusCode(ctx, "LW1000015", "192.0.2.9")
	require.ErrorIs(t, err, register.ErrInvalid)
	assert.Contains(t, err.Error(), "for example A1001")
	// Codes asked for too often are refused, per reference.
	for range 2 {
		require.NoError(t, r.svc.SendStatusCode(ctx, a.Ref, "192.0.2.1"))
	}
	require.NoError(t, r.svc.SendStatusCode(ctx, a.Ref, "192.0.2.2"))
	assert.ErrorIs(t, r.svc.SendStatusCode(ctx, a.Ref, "192.0.2.3"), intake.ErrThrottled)
}

func TestAnApplicantAnswersAndAppealsAndEveryMailIsRecorded(t *testing.T) {
	r := newReg(t)
	ctx := context.Background()
	a := r.apply("amara@example.org")

	_, err := r.svc.Answer(ctx, a.Ref, "Here is my certificate number.")
	require.ErrorIs(t, err, register.ErrConflict, "nothing was asked")
	assert.Contains(t, err.Error(), "has not asked for more information")

	_, err = r.svc.Step(ctx, r.admin, a.Ref, fsm.AppRequestInfo, "Send your certificate number.")
	require.NoError(t, err)
	_, err = r.svc.Answer(ctx, a.Ref, "  ")
	require.ErrorIs(t, err, register.ErrInvalid, "an empty answer")
	got, err := r.svc.Answer(ctx, a.Ref, "Certificate OU-4471.\r\nAwarded June 2025.")
	require.NoError(t, err)
	assert.Equal(t, applications.Answered, got.State)
	assert.Equal(t, "Certificate OU-4471.\nAwarded June 2025.", got.History[len(got.History)-1].Note)
	assert.True(t, got.State.Open(), "back in the registrars' queue")
	_, err = r.svc.Answer(ctx, a.Ref, "And again.")
	assert.ErrorContains(t, err, "answered already")
	assert.Equal(t, 1, r.audited("application.answer"))

	_, err = r.svc.Step(ctx, r.admin, a.Ref, fsm.AppRefuse, "The qualification does not meet the criteria.")
	require.NoError(t, err)
	// On the last day of the period the appeal is taken; a day later a
	// second application's is refused, saying why.
	r.clk.Add(28 * 24 * time.Hour)
	got, err = r.svc.Appeal(ctx, a.Ref, "My course is aligned with NALW standards.")
	require.NoError(t, err)
	assert.Equal(t, applications.Appealed, got.State)
	assert.Equal(t, "applicant", got.History[len(got.History)-1].By)

	b := r.apply("bo@example.org")
	_, err = r.svc.Step(ctx, r.admin, b.Ref, fsm.AppRefuse, "No qualification at level 4.")
	require.NoError(t, err)
	r.clk.Add(29 * 24 * time.Hour)
	_, err = r.svc.Appeal(ctx, b.Ref, "Late grounds.")
	require.ErrorIs(t, err, register.ErrConflict)
	assert.Contains(t, err.Error(), "appeal period for application "+b.Ref+" ended on 2026-05-11")

	// Every mail to the applicant is on the application: which, and what
	// became of it.
	want := []string{"application-received", "more-information", "answer-received", "refused", "appeal-received"}
	require.Eventually(t, func() bool {
		ms, err := r.svc.Messages(a.Ref)
		if err != nil || len(ms) != len(want) {
			return false
		}
		for i, m := range ms {
			if m.Purpose != want[i] || m.State != register.MessageSent || m.Registrant != "" {
				return false
			}
		}
		return true
	}, 10*time.Second, 20*time.Millisecond)
}

func TestAMailThatFailsIsRecordedAsFailed(t *testing.T) {
	r := newReg(t)
	a := r.apply("amara@example.org")
	// The relay goes away: nothing listens on port 1.
	m, err := mail.New(mail.Config{URL: "smtp://127.0.0.1:1?tls=none", From: "register@nalw.example", Attempts: 1, Timeout: 5 * time.Second})
	require.NoError(t, err)
	t.Cleanup(m.Close)
	svc := intake.New(r.srv, intake.Config{Mailer: m})
	_, err = svc.Step(context.Background(), r.admin, a.Ref, fsm.AppRequestInfo, "Send your certificate number.")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		ms, _ := svc.Messages(a.Ref)
		return len(ms) == 2 && ms[1].Purpose == "more-information" && ms[1].State == register.MessageFailed && ms[1].LastError != ""
	}, 20*time.Second, 20*time.Millisecond)
	assert.Equal(t, 1, r.audited("mail.failed"))
}
