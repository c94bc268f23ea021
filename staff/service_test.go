package staff_test

import (
	"context"
	"errors"
	"net/url"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/api"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/staff"
)

// clock is a movable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }
func fast(c *staff.Config)           { c.Password = staff.PasswordParams{Time: 1, Memory: 1024, Threads: 1} }
func bg() context.Context            { return context.Background() }
func adminOf(t *testing.T, srv *issuer.Server) register.Actor {
	_, bearer, err := srv.CreateToken(register.System, register.RoleAdmin, "test admin")
	require.NoError(t, err)
	a, err := srv.Authenticate(bearer)
	require.NoError(t, err)
	return a
}

type fixture struct {
	srv   *issuer.Server
	svc   *staff.Service
	clk   *clock
	admin register.Actor
}

func newFixture(t *testing.T) *fixture {
	clk := newClock()
	srv, err := issuer.Open(issuer.Config{DataDir: t.TempDir(), Create: true, IssuerURL: "https://register.example.org", Clock: clk.Now})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	svc, err := api.NewStaff(srv, fast)
	require.NoError(t, err)
	return &fixture{srv: srv, svc: svc, clk: clk, admin: adminOf(t, srv)}
}

const password = "correct horse battery staple"

// withTOTP creates an account and sets it up with an authenticator app;
// it returns the account, its TOTP secret and recovery codes.
func (f *fixture) withTOTP(t *testing.T, email string, role register.Role) (*staff.Account, string, []string) {
	acct, link, err := f.svc.Add(bg(), f.admin, staff.NewAccount{Name: "Grace " + string(role), Email: email, Role: role})
	require.NoError(t, err)
	assert.Equal(t, staff.Invited, acct.Status)
	u, err := url.Parse(link)
	require.NoError(t, err)
	assert.Equal(t, "register.example.org", u.Host)
	sid, _, err := f.svc.OpenSetup(path.Base(u.Path))
	require.NoError(t, err)
	require.ErrorIs(t, f.svc.ChoosePassword(bg(), sid, "short", "short"), register.ErrInvalid)
	require.ErrorIs(t, f.svc.ChoosePassword(bg(), sid, password, password+"x"), register.ErrInvalid)
	require.NoError(t, f.svc.ChoosePassword(bg(), sid, password, password))
	k, err := f.svc.BeginTOTP(sid)
	require.NoError(t, err)
	_, err = f.svc.FinishTOTP(bg(), sid, "000000")
	require.ErrorIs(t, err, register.ErrInvalid)
	code, err := totp.GenerateCode(k.Secret, f.clk.Now())
	require.NoError(t, err)
	codes, err := f.svc.FinishTOTP(bg(), sid, code)
	require.NoError(t, err)
	require.Len(t, codes, staff.RecoveryCodeCount)
	// The link works once.
	_, _, err = f.svc.OpenSetup(path.Base(u.Path))
	require.ErrorIs(t, err, staff.ErrSetupLink)
	acct, err = f.svc.Account(acct.ID)
	require.NoError(t, err)
	assert.Equal(t, staff.Active, acct.Status)
	assert.NotContains(t, acct.PasswordHash, password)
	assert.True(t, strings.HasPrefix(acct.PasswordHash, "$argon2id$v=19$"))
	return acct, k.Secret, codes
}

func (f *fixture) signIn(t *testing.T, email, code string) (string, error) {
	sid, factor, err := f.svc.SignInPassword(bg(), email, password)
	if err != nil {
		return "", err
	}
	assert.Equal(t, staff.FactorTOTP, factor)
	return f.svc.SignInCode(bg(), sid, code)
}

func TestSetupThenSignInWithTOTPAndRecoveryCodes(t *testing.T) {
	f := newFixture(t)
	acct, secret, codes := f.withTOTP(t, "Grace@NALW.example", register.RoleRegistrar)
	assert.Equal(t, "grace@nalw.example", acct.Email)

	// The code used at setup cannot be used again.
	code, _ := totp.GenerateCode(secret, f.clk.Now())
	_, err := f.signIn(t, "grace@nalw.example", code)
	require.ErrorIs(t, err, staff.ErrSignIn, "a TOTP code is accepted once")

	f.clk.Add(30 * time.Second)
	code, _ = totp.GenerateCode(secret, f.clk.Now())
	sid, err := f.signIn(t, "GRACE@nalw.example", code)
	require.NoError(t, err)
	ss, who, err := f.svc.Session(sid)
	require.NoError(t, err)
	assert.Equal(t, acct.ID, who.ID)
	assert.NotEmpty(t, ss.CSRF)

	// A recovery code works once.
	f.clk.Add(30 * time.Second)
	_, err = f.signIn(t, "grace@nalw.example", strings.ToUpper(codes[0]))
	require.NoError(t, err)
	_, err = f.signIn(t, "grace@nalw.example", codes[0])
	require.ErrorIs(t, err, staff.ErrSignIn)
	acct, _ = f.svc.Account(acct.ID)
	assert.Len(t, acct.RecoveryHashes, staff.RecoveryCodeCount-1)

	// The audit trail names the person.
	evs, err := f.srv.State().Audit(state.AuditFilter{})
	require.NoError(t, err)
	var signIns int
	for _, ev := range evs {
		if ev.Action == "staff.sign-in" {
			signIns++
			assert.Equal(t, "Grace registrar", f.srv.State().ActorName(ev.Actor))
		}
		if ev.Action == "staff.add" {
			assert.Equal(t, "test admin (integration)", f.srv.State().ActorName(ev.Actor))
		}
	}
	assert.Equal(t, 2, signIns)
}

func TestSessionsEndWhenIdleOldSignedOutOrDisabled(t *testing.T) {
	f := newFixture(t)
	acct, secret, _ := f.withTOTP(t, "ida@nalw.example", register.RoleAuditor)
	signIn := func() string {
		f.clk.Add(31 * time.Second)
		code, _ := totp.GenerateCode(secret, f.clk.Now())
		sid, err := f.signIn(t, "ida@nalw.example", code)
		require.NoError(t, err)
		return sid
	}

	sid := signIn()
	f.clk.Add(staff.IdleTimeout - time.Minute)
	_, _, err := f.svc.Session(sid)
	require.NoError(t, err, "used within the idle timeout")
	f.clk.Add(staff.IdleTimeout - time.Minute)
	_, _, err = f.svc.Session(sid)
	require.NoError(t, err, "each use restarts the idle timeout")
	f.clk.Add(staff.IdleTimeout)
	_, _, err = f.svc.Session(sid)
	require.ErrorIs(t, err, staff.ErrNoSession, "idle for 30 minutes")

	sid = signIn()
	for range 12 * 3 {
		f.clk.Add(20 * time.Minute)
		if _, _, err = f.svc.Session(sid); err != nil {
			break
		}
	}
	require.ErrorIs(t, err, staff.ErrNoSession, "busy, but older than 12 hours")

	a, b := signIn(), signIn()
	require.NoError(t, f.svc.SignOutAll(bg(), a))
	for _, s := range []string{a, b} {
		_, _, err = f.svc.Session(s)
		require.ErrorIs(t, err, staff.ErrNoSession, "signed out everywhere")
	}

	sid = signIn()
	_, err = f.svc.Disable(bg(), f.admin, acct.ID, "Left NALW")
	require.NoError(t, err)
	_, _, err = f.svc.Session(sid)
	require.ErrorIs(t, err, staff.ErrNoSession, "disabled")
	_, _, err = f.svc.SignInPassword(bg(), "ida@nalw.example", password)
	require.ErrorIs(t, err, staff.ErrSignIn)
}

func TestRepeatedFailuresBackOffThenLockTheAccount(t *testing.T) {
	f := newFixture(t)
	acct, _, _ := f.withTOTP(t, "lou@nalw.example", register.RoleRegistrar)
	p := staff.DefaultLockout
	var err error
	for i := 1; i <= p.LockAfter; i++ {
		_, _, err = f.svc.SignInPassword(bg(), "lou@nalw.example", "wrong password, number x")
		if i < p.LockAfter {
			require.ErrorIs(t, err, staff.ErrSignIn, "attempt %d", i)
		}
		if i > p.FreeFailures && i < p.LockAfter {
			assert.Contains(t, err.Error(), "more failed attempts the account is locked")
			// Too soon: refused without checking the password.
			_, _, err2 := f.svc.SignInPassword(bg(), "lou@nalw.example", password)
			require.ErrorIs(t, err2, staff.ErrThrottled, "attempt %d", i)
			assert.Contains(t, err2.Error(), "wait")
			f.clk.Add(p.BaseDelay << (i - p.FreeFailures))
		}
	}
	require.ErrorIs(t, err, staff.ErrLocked)
	acct, _ = f.svc.Account(acct.ID)
	assert.True(t, acct.Locked(f.clk.Now()), "the lock is in the register")
	_, _, err = f.svc.SignInPassword(bg(), "lou@nalw.example", password)
	require.True(t, errors.Is(err, staff.ErrLocked) || errors.Is(err, staff.ErrThrottled), "even the right password: %v", err)

	f.clk.Add(p.LockFor)
	_, _, err = f.svc.SignInPassword(bg(), "lou@nalw.example", password)
	require.NoError(t, err, "the lock ends by itself")

	// An unknown email fails the same way, so failures reveal nothing.
	_, _, err = f.svc.SignInPassword(bg(), "nobody@nalw.example", password)
	require.ErrorIs(t, err, staff.ErrSignIn)
}

func TestResetGivesANewSetupLinkAndEndsTheOldPassword(t *testing.T) {
	f := newFixture(t)
	acct, _, _ := f.withTOTP(t, "max@nalw.example", register.RoleRegistrar)
	_, link, err := f.svc.ResetSecondFactor(bg(), f.admin, acct.ID, "Lost phone")
	require.NoError(t, err)
	_, _, err = f.svc.SignInPassword(bg(), "max@nalw.example", password)
	require.ErrorIs(t, err, staff.ErrSignIn)
	u, _ := url.Parse(link)
	_, _, err = f.svc.OpenSetup(path.Base(u.Path))
	require.NoError(t, err)
	// A link is valid for 24 hours.
	_, link, err = f.svc.ResetSecondFactor(bg(), f.admin, acct.ID, "Lost phone again")
	require.NoError(t, err)
	f.clk.Add(staff.SetupValidity)
	u, _ = url.Parse(link)
	_, _, err = f.svc.OpenSetup(path.Base(u.Path))
	require.ErrorIs(t, err, staff.ErrSetupLink)
}

func TestStaffTokensNameTheirOwnerAndStopWhenDisabled(t *testing.T) {
	f := newFixture(t)
	acct, _, _ := f.withTOTP(t, "nia@nalw.example", register.RoleRegistrar)
	_, _, err := f.srv.CreateTokenFor(f.admin, register.Token{Role: register.RoleAdmin, Staff: acct.ID})
	require.ErrorIs(t, err, register.ErrForbidden, "a registrar cannot hold an admin token")
	_, bearer, err := f.srv.CreateTokenFor(f.admin, register.Token{Role: register.RoleRegistrar, Staff: acct.ID})
	require.NoError(t, err)
	actor, err := f.srv.Authenticate(bearer)
	require.NoError(t, err)
	assert.Equal(t, "Grace registrar", f.srv.State().ActorName(actor))
	_, err = f.svc.Disable(bg(), f.admin, acct.ID, "Left NALW")
	require.NoError(t, err)
	_, err = f.srv.Authenticate(bearer)
	require.ErrorIs(t, err, register.ErrUnauthenticated)
}

func TestPasswordHashesVerifyInConstantTimeAndCarryTheirCost(t *testing.T) {
	p := staff.PasswordParams{Time: 1, Memory: 1024, Threads: 1}
	h := staff.HashPassword(password, p)
	assert.NotEqual(t, h, staff.HashPassword(password, p), "fresh salt each time")
	ok, err := staff.VerifyPassword(password, h)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = staff.VerifyPassword(password+".", h)
	require.NoError(t, err)
	assert.False(t, ok)
	_, err = staff.VerifyPassword(password, "$2a$10$bcrypt")
	require.Error(t, err)
	assert.Contains(t, staff.HashPassword("x", staff.DefaultPasswordParams), "m=65536,t=3,p=4")
}
