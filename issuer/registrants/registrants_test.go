package registrants

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

type fixture struct {
	t     *testing.T
	srv   *issuer.Server
	svc   *Service
	clk   *clock
	actor register.Actor
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	srv, err := issuer.Open(issuer.Config{DataDir: t.TempDir(), Create: true, IssuerURL: "https://register.example", Clock: clk.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	_, bearer, err := srv.CreateToken(register.System, register.RoleRegistrar, "registrar")
	require.NoError(t, err)
	actor, err := srv.Authenticate(bearer)
	require.NoError(t, err)
	return &fixture{t: t, srv: srv, svc: New(srv), clk: clk, actor: actor}
}

func (f *fixture) add(given, family string) *register.Registrant {
	f.t.Helper()
	r, err := f.svc.Add(context.Background(), f.actor, &Add{NewRegistrant: register.NewRegistrant{Given: given, Family: family, Nation: "england", Email: given + "@example.org"}})
	require.NoError(f.t, err)
	return r
}

// unchanged asserts that nothing reached the log since index, and that the
// registrant reads as before.
func (f *fixture) unchanged(index uint64, before *register.Registrant) {
	f.t.Helper()
	assert.Equal(f.t, index, f.srv.State().Index(""), "nothing was committed")
	now, err := f.srv.State().Registrant(before.Number)
	require.NoError(f.t, err)
	assert.Equal(f.t, before, now)
}

func TestPreviewShowsWhatTheChangeDoesAndCommitsNothing(t *testing.T) {
	f := newFixture(t)
	r := f.add("Mary", "Seacole")
	iss, err := f.svc.Issue(context.Background(), f.actor, r.Number)
	require.NoError(t, err)
	r, err = f.srv.State().Registrant(r.Number)
	require.NoError(t, err)
	idx := f.srv.State().Index("")

	op := &Suspend{Reason: "Interim order", Until: "2026-06-01", Review: "2026-04-01"}
	p, err := f.svc.Preview(r.Number, op)
	require.NoError(t, err)
	f.unchanged(idx, r)
	assert.Equal(t, register.Suspended, p.After.Status)
	assert.Contains(t, p.Changes, register.Changed{Field: "Status", From: "registered", To: "suspended"})
	assert.Contains(t, p.Changes, register.Changed{Field: "Suspended until", From: "", To: "2026-06-01"})
	assert.Contains(t, p.Changes, register.Changed{Field: "Suspension review", From: "", To: "2026-04-01"})
	require.Len(t, p.Credentials, 1)
	assert.Contains(t, p.Credentials[0], iss.Record.JTI)
	assert.Contains(t, p.Credentials[0], "suspended")

	out, err := f.svc.Change(context.Background(), f.actor, r.Number, op)
	require.NoError(t, err)
	assert.Equal(t, p.After.Status, out.Registrant.Status)
	assert.Equal(t, p.After.SuspendedUntil, out.Registrant.SuspendedUntil)
	assert.Equal(t, p.After.SuspensionReview, out.Registrant.SuspensionReview)
	c, err := f.srv.State().Credential(iss.Record.JTI)
	require.NoError(t, err)
	assert.Equal(t, register.CredentialSuspended, c.Status, "the preview said so")
}

func TestBadInputIsRefusedAndNothingIsHalfSaved(t *testing.T) {
	f := newFixture(t)
	r := f.add("Ada", "Lovelace")
	other := f.add("Alan", "Turing")
	r, err := f.srv.State().Registrant(r.Number)
	require.NoError(t, err)
	idx := f.srv.State().Index("")
	for name, tc := range map[string]struct {
		op   Operation
		want error
		msg  string
	}{
		"remove without the number":        {&Remove{Reason: "Struck off"}, register.ErrInvalid, "registration_number is required"},
		"remove with another valid number": {&Remove{Reason: "Struck off", Number: other.Number}, register.ErrInvalid, "is not " + r.Number},
		"remove without a reason":          {&Remove{Number: r.Number}, register.ErrInvalid, "reason is required"},
		"suspend without a reason":         {&Suspend{Until: "2026-05-01"}, register.ErrInvalid, "reason is required"},
		"suspend until a day gone by":      {&Suspend{Reason: "Order", Until: "2026-01-01"}, register.ErrInvalid, "must be after today"},
		"suspend with a bad review date":   {&Suspend{Reason: "Order", Review: "next week"}, register.ErrInvalid, "YYYY-MM-DD"},
		"suspend with a review gone by":    {&Suspend{Reason: "Order", Review: "2026-03-01"}, register.ErrInvalid, "must be after today"},
		"restrict without wording":         {&Restrict{Reason: "Panel"}, register.ErrInvalid, "public wording"},
		"reinstate someone not suspended":  {&Reinstate{Reason: "Appeal"}, register.ErrConflict, "they are registered"},
		"unrestrict with none":             {&Unrestrict{Reason: "Review"}, register.ErrConflict, "no restrictions"},
		"qualification awarded in future": {&AddQualification{register.Qualification{Title: "Level 4 Certificate", Level: 4, Provider: "Uni",
			Accreditation: "nalw-accredited", Awarded: "2030-01-01"}}, register.ErrInvalid, "in the future"},
		"CPD formal above total":             {&RecordCPD{register.CPD{Year: 2026, Hours: 5, FormalHours: 10}}, register.ErrInvalid, "formal hours"},
		"correct nothing":                    {&Correct{Reason: "Typo"}, register.ErrInvalid, "at least one of"},
		"correct to an unknown nation":       {&Correct{Correction: register.Correction{Nation: ptr("atlantis")}, Reason: "Typo"}, register.ErrInvalid, "nation"},
		"withdraw a qualification not there": {&WithdrawQualification{Reason: "Error", Index: 3}, register.ErrNotFound, "no qualification 3"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.svc.Preview(r.Number, tc.op)
			require.ErrorIs(t, err, tc.want, "the preview refuses what the change refuses")
			assert.Contains(t, err.Error(), tc.msg)
			_, err = f.svc.Change(context.Background(), f.actor, r.Number, tc.op)
			require.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), tc.msg)
			f.unchanged(idx, r)
		})
	}
	t.Run("an addition with a bad email", func(t *testing.T) {
		q := &Add{NewRegistrant: register.NewRegistrant{Given: "Bad", Family: "Email", Nation: "wales", Email: "not an address"}}
		_, err := f.svc.PreviewAdd(q)
		require.ErrorIs(t, err, register.ErrInvalid)
		_, err = f.svc.Add(context.Background(), f.actor, q)
		require.ErrorIs(t, err, register.ErrInvalid)
		assert.Equal(t, idx, f.srv.State().Index(""))
	})
	t.Run("a likely duplicate", func(t *testing.T) {
		q := &Add{NewRegistrant: register.NewRegistrant{Given: "Ada", Family: "Lovelace", Nation: "wales", Email: "Ada@example.org"}}
		_, err := f.svc.PreviewAdd(q)
		require.ErrorIs(t, err, register.ErrConflict)
		assert.Contains(t, err.Error(), r.Number)
		_, err = f.svc.Add(context.Background(), f.actor, q)
		require.ErrorIs(t, err, register.ErrConflict)
		assert.Equal(t, idx, f.srv.State().Index(""))
	})
	t.Run("revoking a credential without a reason", func(t *testing.T) {
		_, err := f.svc.PreviewRevoke("no-such", &RevokeCredential{})
		require.ErrorIs(t, err, register.ErrInvalid)
		_, err = f.svc.Revoke(context.Background(), f.actor, "no-such", &RevokeCredential{})
		require.ErrorIs(t, err, register.ErrInvalid)
		assert.Equal(t, idx, f.srv.State().Index(""))
	})
}

func ptr[T any](v T) *T { return &v }

func TestACorrectionSupersedesAndReissuesTheCredential(t *testing.T) {
	f := newFixture(t)
	r := f.add("Siobhan", "Ofarrell")
	old, err := f.svc.Issue(context.Background(), f.actor, r.Number)
	require.NoError(t, err)

	op := &Correct{Correction: register.Correction{Family: ptr("O'Farrell")}, Reason: "Misspelt at entry"}
	p, err := f.svc.Preview(r.Number, op)
	require.NoError(t, err)
	assert.Equal(t, []register.Changed{{Field: "Family name", From: "Ofarrell", To: "O'Farrell"}}, p.Changes)
	require.Len(t, p.Credentials, 2)
	assert.Contains(t, p.Credentials[0], old.Record.JTI)
	assert.Contains(t, p.Credentials[1], "new credential")

	out, err := f.svc.Change(context.Background(), f.actor, r.Number, op)
	require.NoError(t, err)
	assert.Equal(t, []string{old.Record.JTI}, out.Superseded)
	require.NotNil(t, out.Reissued)
	assert.NotEqual(t, old.Record.JTI, out.Reissued.Record.JTI)
	was, err := f.srv.State().Credential(old.Record.JTI)
	require.NoError(t, err)
	assert.Equal(t, register.CredentialRevoked, was.Status)
	evs, err := f.srv.State().Audit(state.AuditFilter{Registrant: r.Number})
	require.NoError(t, err)
	var corrected bool
	for _, ev := range evs {
		if ev.Action == "registrant.correct" {
			corrected = true
			assert.Equal(t, "Ofarrell", ev.Details["family_name.from"], "the old value stays in the history")
			assert.Equal(t, "Misspelt at entry", ev.Reason)
		}
	}
	assert.True(t, corrected)
}

func TestPreviewOfAnIssueAndARevoke(t *testing.T) {
	f := newFixture(t)
	r := f.add("Florence", "Nightingale")
	p, err := f.svc.PreviewIssue(r.Number)
	require.NoError(t, err)
	require.Len(t, p.Credentials, 1, "nothing to supersede yet")
	iss, err := f.svc.Issue(context.Background(), f.actor, r.Number)
	require.NoError(t, err)
	p, err = f.svc.PreviewIssue(r.Number)
	require.NoError(t, err)
	require.Len(t, p.Credentials, 2)
	assert.Contains(t, p.Credentials[1], iss.Record.JTI)

	p, err = f.svc.PreviewRevoke(iss.Record.JTI, &RevokeCredential{Reason: "Lost phone"})
	require.NoError(t, err)
	assert.Contains(t, p.Credentials[0], "revoked")
	_, err = f.svc.Revoke(context.Background(), f.actor, iss.Record.JTI, &RevokeCredential{Reason: "Lost phone"})
	require.NoError(t, err)
	_, err = f.svc.PreviewRevoke(iss.Record.JTI, &RevokeCredential{Reason: "Again"})
	require.ErrorIs(t, err, register.ErrConflict)

	out, err := f.svc.Change(context.Background(), f.actor, r.Number, &Remove{Reason: "Struck off", Number: r.Number})
	require.NoError(t, err)
	_, err = f.svc.Approve(context.Background(), f.second(), out.Proposal.ID)
	require.NoError(t, err)
	_, err = f.svc.PreviewIssue(r.Number)
	require.ErrorIs(t, err, register.ErrConflict, "a removed registrant receives no credential")
}

func TestThePreviewOfAnAdditionChecksTheRegistrationCriteria(t *testing.T) {
	f := newFixture(t)
	_, err := f.srv.Apply(context.Background(), register.System, fsm.SetCriteria{Criteria: register.DefaultCriteria})
	require.NoError(t, err)
	idx := f.srv.State().Index("")
	q := &Add{NewRegistrant: register.NewRegistrant{Given: "Bo", Family: "Lee", Nation: "wales"}}
	_, err = f.svc.PreviewAdd(q)
	require.ErrorIs(t, err, register.ErrConflict, "no qualification and no route")
	assert.Contains(t, err.Error(), "registration criteria")
	_, err = f.svc.Add(context.Background(), f.actor, q)
	require.ErrorIs(t, err, register.ErrConflict, "the addition refuses what the preview refused")
	assert.Equal(t, idx, f.srv.State().Index(""))

	q.EntryRoute = &register.EntryRoute{Kind: "experience", Reason: "Eight years as a community connector"}
	p, err := f.svc.PreviewAdd(q)
	require.NoError(t, err)
	assert.Equal(t, "Bo", p.After.Given)
	_, err = f.svc.Add(context.Background(), f.actor, q)
	require.NoError(t, err)
}
