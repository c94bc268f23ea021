package cpdaudit_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/cpdaudit"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/mail"
	"github.com/nalw/linkpass/notify"
)

func open(t *testing.T) (*issuer.Server, *mail.Mailer) {
	t.Helper()
	dir := t.TempDir()
	srv, err := issuer.Open(issuer.Config{DataDir: filepath.Join(dir, "reg"), Create: true, IssuerURL: "https://register.example.org",
		Clock: func() time.Time { return time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC) }})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	m, err := mail.New(mail.Config{OutboxDir: filepath.Join(dir, "outbox"), From: "register@example.org"})
	require.NoError(t, err)
	return srv, m
}

// TestTheYearlyDrawIsRecordedMailedDecidedAndReproducible renews 40 of 50
// registrants, draws 5%: two are drawn from the renewed only, each is
// asked for evidence, outcomes are recorded, a second draw of the year is
// refused, and Verify re-runs the draw from the audit trail.
func TestTheYearlyDrawIsRecordedMailedDecidedAndReproducible(t *testing.T) {
	srv, m := open(t)
	ctx := context.Background()
	renewed := map[string]bool{}
	for i := range 50 {
		res, err := srv.Apply(ctx, register.System, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{
			Given: "Person", Family: fmt.Sprintf("Number%02d", i), Nation: "scotland", Email: fmt.Sprintf("p%d@example.org", i)}})
		require.NoError(t, err)
		n := res.(fsm.Result).Registrant.Number
		if i < 40 {
			_, err := srv.Apply(ctx, register.System, fsm.ChangeRegistrant{Number: n, Op: fsm.OpRenew})
			require.NoError(t, err)
			renewed[n] = true
		}
	}
	svc := cpdaudit.New(srv, notify.New(srv, m, nil), nil)
	_, err := svc.Draw(ctx, register.System, 2026, 1.5)
	assert.ErrorIs(t, err, register.ErrInvalid)
	_, err = svc.Draw(ctx, register.System, 2025, 0)
	assert.ErrorIs(t, err, register.ErrConflict, "nobody renewed in 2025")

	d, err := svc.Draw(ctx, register.System, 2026, 0.05)
	require.NoError(t, err)
	assert.Equal(t, 40, d.Renewals)
	require.Len(t, d.Drawn, 2)
	for _, a := range d.Drawn {
		assert.True(t, renewed[a.Registrant], "only renewals are drawn")
		assert.Equal(t, register.CPDAuditRequested, a.State)
	}
	_, err = svc.Draw(ctx, register.System, 2026, 0.05)
	assert.ErrorIs(t, err, register.ErrConflict, "a year is drawn once")

	// A renewal after the draw does not change what Verify recomputes.
	_, err = srv.Apply(ctx, register.System, fsm.ChangeRegistrant{Number: d.Drawn[0].Registrant, Op: fsm.OpRenew})
	require.NoError(t, err)
	v, err := svc.Verify(2026)
	require.NoError(t, err)
	assert.True(t, v.OK, "%+v", v)
	assert.Equal(t, d.Seed, v.Seed)
	assert.Equal(t, []string{d.Drawn[0].Registrant, d.Drawn[1].Registrant}, v.Drawn)
	_, err = svc.Verify(2024)
	assert.ErrorIs(t, err, register.ErrNotFound)

	first, second := d.Drawn[0].Registrant, d.Drawn[1].Registrant
	_, err = svc.Decide(ctx, register.System, 2026, first, false, "")
	assert.ErrorIs(t, err, register.ErrInvalid)
	p, err := svc.Decide(ctx, register.System, 2026, first, true, "certificates seen")
	require.NoError(t, err)
	assert.Equal(t, register.CPDAuditPassed, p.State)
	f, err := svc.Decide(ctx, register.System, 2026, second, false, "no evidence of formal CPD")
	require.NoError(t, err)
	assert.Equal(t, register.CPDAuditFailed, f.State)
	_, err = svc.Decide(ctx, register.System, 2026, second, true, "")
	assert.ErrorIs(t, err, register.ErrConflict)
	got, err := srv.State().Registrant(second)
	require.NoError(t, err)
	assert.Equal(t, register.Registered, got.Status, "a failed audit changes no registration by itself")

	m.Close()
	for _, n := range []string{first, second} {
		msgs, err := srv.State().MessagesOf(n)
		require.NoError(t, err)
		require.Len(t, msgs, 1, n)
		assert.Equal(t, "cpd-audit", msgs[0].Purpose)
		assert.Equal(t, register.MessageSent, msgs[0].State)
	}
	list, err := svc.List(2026)
	require.NoError(t, err)
	assert.Len(t, list, 2)
}
