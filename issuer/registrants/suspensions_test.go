package registrants

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

func TestASuspensionEndsByItselfOnItsEndDate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.add("Grace", "Adeyemi")
	iss, err := f.svc.Issue(ctx, f.actor, r.Number)
	require.NoError(t, err)
	today := register.DateOf(f.clk.Now())
	_, err = f.svc.Change(ctx, f.actor, r.Number, &Suspend{Reason: "Interim order", Until: today.AddDays(10), Review: today.AddDays(5)})
	require.NoError(t, err)
	open := f.add("Lewis", "Baird")
	_, err = f.svc.Change(ctx, f.actor, open.Number, &Suspend{Reason: "Order without end"})
	require.NoError(t, err)

	// Before the end date: nothing ends, nothing is written.
	f.clk.Add(9 * 24 * time.Hour)
	idx := f.srv.State().Index("")
	n, err := f.svc.EndSuspensions(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Equal(t, idx, f.srv.State().Index(""), "no log entry when nothing is due")
	now, err := f.srv.State().Registrant(r.Number)
	require.NoError(t, err)
	assert.Equal(t, []string{"suspension review due " + string(today.AddDays(5))}, now.ReviewsDue(register.DateOf(f.clk.Now())))

	// On it: the register reinstates, by itself, and the credential is
	// valid again.
	f.clk.Add(24 * time.Hour)
	due, err := f.svc.SuspensionsEnded()
	require.NoError(t, err)
	require.Len(t, due, 1)
	n, err = f.svc.EndSuspensions(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	now, err = f.srv.State().Registrant(r.Number)
	require.NoError(t, err)
	assert.Equal(t, register.Registered, now.Status)
	assert.Empty(t, now.SuspendedUntil)
	assert.Empty(t, now.SuspensionReview, "the review went with the suspension")
	assert.True(t, now.EndedBySweep(f.clk.Now().Add(-time.Hour)))
	c, err := f.srv.State().Credential(iss.Record.JTI)
	require.NoError(t, err)
	assert.Equal(t, register.CredentialValid, c.Status)
	still, err := f.srv.State().Registrant(open.Number)
	require.NoError(t, err)
	assert.Equal(t, register.Suspended, still.Status, "a suspension without an end date stays")

	evs, err := f.srv.State().Audit(state.AuditFilter{Registrant: r.Number})
	require.NoError(t, err)
	last := func(action string) *register.AuditEvent {
		for i := len(evs) - 1; i >= 0; i-- {
			if evs[i].Action == action {
				return evs[i]
			}
		}
		return nil
	}
	ev := last("registrant.reinstate")
	require.NotNil(t, ev)
	assert.Equal(t, register.System, ev.Actor, "audited as the register's own change")
	assert.Equal(t, "true", ev.Details["automatic"])
	assert.Equal(t, "suspension ended on "+string(today.AddDays(10)), ev.Reason)
	assert.Equal(t, "the register (automatic)", f.srv.State().ActorName(ev.Actor))

	n, err = f.svc.EndSuspensions(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "done once")
}

func TestASuspensionThatOutlivesTheRegistrationEndsAsLapsed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	today := register.DateOf(f.clk.Now())
	r, err := f.svc.Add(ctx, f.actor, &Add{NewRegistrant: register.NewRegistrant{Given: "Hannah", Family: "Greenwood", Nation: "england", RegisteredUntil: today.AddDays(5)}})
	require.NoError(t, err)
	_, err = f.svc.Change(ctx, f.actor, r.Number, &Suspend{Reason: "Interim order", Until: today.AddDays(20)})
	require.NoError(t, err)
	f.clk.Add(20 * 24 * time.Hour)
	n, err := f.svc.EndSuspensions(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	now, err := f.srv.State().Registrant(r.Number)
	require.NoError(t, err)
	assert.Equal(t, register.Lapsed, now.Status, "they must renew")
}

func TestARestrictionReviewComesDue(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.add("Tomasz", "Kowalczyk")
	today := register.DateOf(f.clk.Now())
	out, err := f.svc.Change(ctx, f.actor, r.Number, &Restrict{Text: "Supervised practice", Reason: "Panel", Review: today.AddDays(3)})
	require.NoError(t, err)
	_, err = f.svc.Approve(ctx, f.second(), out.Proposal.ID)
	require.NoError(t, err)
	now, err := f.srv.State().Registrant(r.Number)
	require.NoError(t, err)
	assert.Empty(t, now.ReviewsDue(today))
	assert.Equal(t, []string{"restriction review due " + string(today.AddDays(3))}, now.ReviewsDue(today.AddDays(3)))
}
