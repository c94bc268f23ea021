package reminders_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/mail"
	"github.com/nalw/linkpass/notify"
	"github.com/nalw/linkpass/reminders"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(d string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, err := time.Parse("2006-01-02 15:04", d)
	if err != nil {
		panic(err)
	}
	c.t = t
}

type env struct {
	srv    *issuer.Server
	clock  *clock
	rem    *reminders.Service
	mailer *mail.Mailer
	outbox string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{clock: &clock{}}
	e.clock.set("2026-01-01 09:00")
	dir := t.TempDir()
	srv, err := issuer.Open(issuer.Config{DataDir: filepath.Join(dir, "reg"), Create: true, IssuerURL: "https://register.example.org", Clock: e.clock.Now,
		LapseCheckEvery: time.Hour, LapseConfirmShare: 1})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	e.srv = srv
	e.outbox = filepath.Join(dir, "outbox")
	e.mailer, err = mail.New(mail.Config{OutboxDir: e.outbox, From: "NALW Register <register@example.org>"})
	require.NoError(t, err)
	e.rem, err = reminders.New(srv, notify.New(srv, e.mailer, nil), reminders.Config{Days: reminders.DefaultDays})
	require.NoError(t, err)
	return e
}

func (e *env) add(t *testing.T, given, family, email string, until register.Date) *register.Registrant {
	t.Helper()
	res, err := e.srv.Apply(context.Background(), register.System, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{
		Given: given, Family: family, Nation: "wales", Email: email, RegisteredUntil: until}})
	require.NoError(t, err)
	return res.(fsm.Result).Registrant
}

// sweep runs a sweep on day d and returns the purposes and stages queued.
func (e *env) sweep(t *testing.T, d string) []string {
	t.Helper()
	e.clock.set(d + " 09:00")
	due, err := e.rem.Due(e.clock.Now())
	require.NoError(t, err)
	var got []string
	for _, r := range due {
		got = append(got, r.ID())
	}
	n, err := e.rem.Sweep(context.Background())
	require.NoError(t, err)
	require.Equal(t, len(due), n)
	return got
}

// TestRemindersGoAtTheRightDaysOnce walks a movable clock through a year:
// reminders go 60, 30 and 7 days before registered-until, once each, and a
// lapse notice after the lapse; a renewal starts the next cycle afresh.
func TestRemindersGoAtTheRightDaysOnce(t *testing.T) {
	e := newEnv(t)
	ada := e.add(t, "Siân", "Ó Súilleabháin", "sian@example.org", "2026-06-30")
	none := e.add(t, "No", "Email", "", "2026-06-30")
	later := e.add(t, "Later", "Person", "later@example.org", "2027-06-30")

	assert.Empty(t, e.sweep(t, "2026-04-30"), "61 days before: nothing yet")
	assert.Equal(t, []string{"msg-renew-" + ada.Number + "-2026-06-30-60"}, e.sweep(t, "2026-05-01"))
	assert.Empty(t, e.sweep(t, "2026-05-01"), "the same day again: nothing twice")
	assert.Empty(t, e.sweep(t, "2026-05-20"), "between stages: nothing")
	assert.Equal(t, []string{"msg-renew-" + ada.Number + "-2026-06-30-30"}, e.sweep(t, "2026-06-01"), "a day late (29 left) still sends the 30-day one")
	assert.Equal(t, []string{"msg-renew-" + ada.Number + "-2026-06-30-7"}, e.sweep(t, "2026-06-23"))
	assert.Empty(t, e.sweep(t, "2026-06-30"))

	// The lapse sweep lapses Ada (and the one with no email) after the date.
	e.clock.set("2026-07-01 09:00")
	n, err := e.srv.LapseExpired()
	require.NoError(t, err)
	require.Equal(t, 2, n)
	assert.Equal(t, []string{"msg-lapsed-" + ada.Number + "-2026-06-30"}, e.sweep(t, "2026-07-01"))
	assert.Empty(t, e.sweep(t, "2026-07-02"))

	// Every message is on the record as sent, and in the outbox once.
	e.mailer.Close()
	msgs, err := e.srv.State().MessagesOf(ada.Number)
	require.NoError(t, err)
	require.Len(t, msgs, 4)
	for _, m := range msgs {
		assert.Equal(t, register.MessageSent, m.State, m.ID)
	}
	none2, err := e.srv.State().MessagesOf(none.Number)
	require.NoError(t, err)
	assert.Empty(t, none2, "no address, no mail")
	files, err := os.ReadDir(e.outbox)
	require.NoError(t, err)
	assert.Len(t, files, 4)
	var texts []string
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(e.outbox, f.Name()))
		require.NoError(t, err)
		texts = append(texts, string(b))
	}
	all := strings.Join(texts, "\n")
	assert.Contains(t, all, "in 60 days")
	assert.Contains(t, all, "in 29 days")
	assert.Contains(t, all, "ends in 7 days")
	assert.Contains(t, all, "has not been renewed")
	assert.Contains(t, all, "/account with this email address", "reminders point to the account, where registrants renew")
	assert.NotContains(t, all, "later@example.org")

	// The audit trail names each send.
	evs, err := e.srv.State().Audit(state.AuditFilter{Registrant: ada.Number})
	require.NoError(t, err)
	sent := 0
	for _, ev := range evs {
		if ev.Action == "mail.sent" && ev.Registrant == ada.Number {
			sent++
		}
	}
	assert.Equal(t, 4, sent)
	_ = later
}

// TestRenewalStartsANewCycle: after a renewal moves registered-until, the
// next year's reminders are new messages.
func TestRenewalStartsANewCycle(t *testing.T) {
	e := newEnv(t)
	r := e.add(t, "Rhys", "Llŷr", "rhys@example.org", "2026-06-30")
	require.Len(t, e.sweep(t, "2026-06-25"), 1)
	_, err := e.srv.Apply(context.Background(), register.System, fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpRenew, Until: "2027-06-30"})
	require.NoError(t, err)
	assert.Empty(t, e.sweep(t, "2026-06-26"), "renewed: nothing due")
	assert.Equal(t, []string{"msg-renew-" + r.Number + "-2027-06-30-60"}, e.sweep(t, "2027-05-01"))
}

// TestOldLapsesAreNotMailed: a register imported with people who lapsed
// long ago does not write to them.
func TestOldLapsesAreNotMailed(t *testing.T) {
	e := newEnv(t)
	e.add(t, "Long", "Gone", "gone@example.org", "2026-01-05")
	e.clock.set("2026-03-01 09:00")
	n, err := e.srv.LapseExpired()
	require.NoError(t, err)
	require.Equal(t, 1, n)
	assert.Empty(t, e.sweep(t, "2026-03-01"), "lapsed 55 days after the date: no notice")
}

func TestStagesAreChecked(t *testing.T) {
	e := newEnv(t)
	for _, days := range [][]int{{0}, {30, 30}, {400}} {
		_, err := reminders.New(e.srv, nil, reminders.Config{Days: days})
		assert.Error(t, err, "%v", days)
	}
	// No mailer: the sweep says so instead of pretending.
	r, err := reminders.New(e.srv, notify.New(e.srv, nil, nil), reminders.Config{Days: reminders.DefaultDays})
	require.NoError(t, err)
	e.add(t, "A", "B", "a@example.org", "2026-01-20")
	_, err = r.Sweep(context.Background())
	assert.ErrorIs(t, err, notify.ErrNoMail)
}
