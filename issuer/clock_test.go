package issuer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

// TestClockBehindTakesNoChangeAndPublishesNoStaleList sets the clock 30
// days back: the register refuses changes and is not ready, saying why,
// and keeps serving the lists it had. Restarted with the clock still
// behind it publishes no list at all (one dated 30 days ago would be
// expired). When the clock catches up it recovers by itself.
func TestClockBehindTakesNoChangeAndPublishesNoStaleList(t *testing.T) {
	e := newEnv(t)
	srv := e.open(t)
	admin := adminActor(t, srv)
	r := addRegistrant(t, srv, admin, register.NewRegistrant{Given: "Hannah", Family: "Greenwood", Nation: "england"})
	_, err := srv.IssueCredential(context.Background(), admin, r.Number)
	require.NoError(t, err)
	before, ok := srv.Published("1")
	require.True(t, ok)
	require.True(t, srv.Ready())

	e.clock.Advance(-30 * 24 * time.Hour)
	_, err = srv.Apply(context.Background(), admin, fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpSuspend, Reason: "interim order"})
	require.ErrorIs(t, err, register.ErrUnavailable)
	assert.Contains(t, err.Error(), "clock reads 2026-02-13")
	assert.Contains(t, err.Error(), "nothing was changed")
	_, err = srv.IssueCredential(context.Background(), admin, r.Number)
	require.ErrorIs(t, err, register.ErrUnavailable, "issuing is refused too")
	assert.False(t, srv.Ready())
	require.Error(t, srv.ClockFault())
	assert.Contains(t, srv.ClockFault().Error(), "720h0m0s behind")
	got, err := srv.State().Registrant(r.Number)
	require.NoError(t, err)
	assert.Equal(t, register.Registered, got.Status)
	time.Sleep(1200 * time.Millisecond) // the publisher retries each second: give it a chance to misbehave
	now, _ := srv.Published("1")
	assert.Equal(t, before.Token, now.Token, "the list published before is still served")

	// Restarted with the clock still behind: no list rather than an expired one.
	require.NoError(t, srv.Close())
	srv = e.open(t)
	_, ok = srv.Published("1")
	assert.False(t, ok, "no status list is published with the clock behind")
	assert.False(t, srv.Ready())
	assert.Contains(t, e.logs.String(), "not publishing status lists: the clock is behind")

	e.clock.Advance(30*24*time.Hour + time.Second)
	assert.NoError(t, srv.ClockFault())
	assert.True(t, srv.Ready())
	deadline := time.Now().Add(10 * time.Second)
	for _, ok = srv.Published("1"); !ok && time.Now().Before(deadline); _, ok = srv.Published("1") {
		time.Sleep(20 * time.Millisecond)
	}
	require.True(t, ok, "lists are published again once the clock has caught up")
	_, err = srv.Apply(context.Background(), admin, fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpSuspend, Reason: "interim order"})
	require.NoError(t, err)
}

// TestLapseSweepOfMoreThanTheShareWaitsForConfirmation moves the clock
// 400 days on: every registration looks past its end, and the automatic
// sweep lapses nobody; it logs once what it would do. An admin's
// confirmation lapses them, audited with the admin's token.
func TestLapseSweepOfMoreThanTheShareWaitsForConfirmation(t *testing.T) {
	e := newEnv(t)
	srv := e.open(t)
	admin := adminActor(t, srv)
	const n = 25
	for i := 0; i < n; i++ {
		addRegistrant(t, srv, admin, register.NewRegistrant{Given: "Test", Family: fmt.Sprintf("Person%d", i), Nation: "wales"})
	}
	e.clock.Advance(400 * 24 * time.Hour)
	for i := 0; i < 2; i++ {
		lapsed, err := srv.LapseExpired()
		require.NoError(t, err)
		assert.Zero(t, lapsed)
	}
	regs, err := srv.State().Registrants(register.Registered)
	require.NoError(t, err)
	assert.Len(t, regs, n, "nobody lapsed without confirmation")
	assert.Equal(t, 1, strings.Count(e.logs.String(), "automatic lapse sweep held: it would lapse 25 of 25"), e.logs.String())

	p, err := srv.PendingLapse()
	require.NoError(t, err)
	assert.Equal(t, 25, p.Due)
	assert.Equal(t, 1, p.Limit, "5% of 25, at least one")
	assert.True(t, p.Held)

	done, err := srv.ConfirmLapse(context.Background(), admin)
	require.NoError(t, err)
	assert.Equal(t, 25, done.Lapsed)
	regs, err = srv.State().Registrants(register.Lapsed)
	require.NoError(t, err)
	assert.Len(t, regs, n)
	evs, err := srv.State().Audit(state.AuditFilter{Registrant: regs[0].Number})
	require.NoError(t, err)
	last := evs[len(evs)-1]
	assert.Equal(t, "registrant.lapse", last.Action)
	assert.Equal(t, admin.TokenID, last.Actor.TokenID, "the confirmation is audited with who gave it")
}

// TestLapseSweepWithinTheShareRunsByItself: one registration of twenty
// past its end lapses without anyone's confirmation.
func TestLapseSweepWithinTheShareRunsByItself(t *testing.T) {
	e := newEnv(t)
	srv := e.open(t)
	admin := adminActor(t, srv)
	for i := 0; i < 19; i++ {
		addRegistrant(t, srv, admin, register.NewRegistrant{Given: "Test", Family: fmt.Sprintf("Person%d", i), Nation: "wales"})
	}
	addRegistrant(t, srv, admin, register.NewRegistrant{Given: "Due", Family: "Soon", Nation: "wales", RegisteredUntil: "2026-03-20"})
	e.clock.Advance(10 * 24 * time.Hour)
	lapsed, err := srv.LapseExpired()
	require.NoError(t, err)
	assert.Equal(t, 1, lapsed)
}
