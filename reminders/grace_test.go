package reminders_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/publicregister"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/registrants"
)

// TestAGracePeriodDelaysTheLapseAndItsNotice walks a movable clock past
// registered-until with 14 days' grace: the person stays registered, the
// public entry says until when, no credential is issued, and the lapse
// and its notice come after the grace, not at registered-until.
func TestAGracePeriodDelaysTheLapseAndItsNotice(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.srv.Apply(ctx, register.System, fsm.SetGracePeriod{Days: -1})
	require.ErrorIs(t, err, register.ErrInvalid)
	_, err = e.srv.Apply(ctx, register.System, fsm.SetGracePeriod{Days: 91})
	require.ErrorIs(t, err, register.ErrInvalid)
	_, err = e.srv.Apply(ctx, register.System, fsm.SetGracePeriod{Days: 14})
	require.NoError(t, err)
	ada := e.add(t, "Ada", "Evans", "ada@example.org", "2026-06-30")
	pub := publicregister.New(e.srv.State, e.srv.Now)
	entry := func() publicregister.Entry {
		t.Helper()
		res, err := pub.Entry(ada.Number)
		require.NoError(t, err)
		return res.Entry
	}

	seven := e.sweep(t, "2026-06-23")
	require.Len(t, seven, 1)
	assert.Empty(t, entry().LapsesOn, "not in grace before registered-until")

	// The day after registered-until: in grace, still registered.
	e.clock.set("2026-07-01 09:00")
	n, err := e.srv.LapseExpired()
	require.NoError(t, err)
	assert.Zero(t, n, "no lapse in the grace period")
	got := entry()
	assert.Equal(t, "registered", got.Status)
	assert.True(t, got.MayPractise, "registered during the grace period")
	assert.Equal(t, register.Date("2026-07-15"), got.LapsesOn)
	assert.Empty(t, e.sweep(t, "2026-07-01"), "no lapse notice in the grace period")
	// Its credentials expired at registered-until, and no new one is
	// issued: a verifier is never told VALID beyond the registration.
	_, err = registrants.New(e.srv).Issue(ctx, register.System, ada.Number)
	require.ErrorIs(t, err, register.ErrConflict)
	assert.Contains(t, err.Error(), "renew it first")

	// The last day of grace, still; the day after, lapsed, and the notice.
	e.clock.set("2026-07-14 23:00")
	n, err = e.srv.LapseExpired()
	require.NoError(t, err)
	assert.Zero(t, n)
	e.clock.set("2026-07-15 00:30")
	n, err = e.srv.LapseExpired()
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	got = entry()
	assert.Equal(t, "lapsed", got.Status)
	assert.False(t, got.MayPractise)
	assert.Empty(t, got.LapsesOn)
	assert.Equal(t, []string{"msg-lapsed-" + ada.Number + "-2026-06-30"}, e.sweep(t, "2026-07-15"))

	// The mails say when the registration lapses, grace included.
	e.mailer.Close()
	files, err := os.ReadDir(e.outbox)
	require.NoError(t, err)
	var all strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(e.outbox, f.Name()))
		require.NoError(t, err)
		all.Write(b)
	}
	text := strings.ReplaceAll(all.String(), "=\r\n", "") // quoted-printable's soft line breaks
	assert.Contains(t, text, "after 14 days' grace your registration lapses on Wednesday 15 July 2026")
	assert.Contains(t, text, "grace the register allows ended on Tuesday 14 July 2026")
}

// With no grace period the registration lapses the day after
// registered-until, as before the setting existed.
func TestWithoutGraceTheRegistrationLapsesAtRegisteredUntil(t *testing.T) {
	e := newEnv(t)
	ada := e.add(t, "Ada", "Evans", "ada@example.org", "2026-06-30")
	e.clock.set("2026-07-01 00:30")
	res, err := publicregister.New(e.srv.State, e.srv.Now).Entry(ada.Number)
	require.NoError(t, err)
	assert.False(t, res.Entry.MayPractise, "past registered-until, before the sweep")
	assert.Empty(t, res.Entry.LapsesOn)
	n, err := e.srv.LapseExpired()
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}
