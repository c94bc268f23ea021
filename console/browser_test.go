package console

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/internal/browsertest"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/staff"
)

// These tests drive the console in a real headless Chromium. Each tab
// fails its test if a page logs an error or warning, or asks for anything
// off the loopback host.

const wait = 15 * time.Second

func where(tb *browsertest.Tab) string { return browsertest.Eval[string](tb, `location.pathname`) }

func (s *system) open(tb *browsertest.Tab, p string) {
	tb.Do(wait, chromedp.Navigate(s.url+p))
}

// submit fills fields (id → value) and clicks the form's submit button.
func submit(tb *browsertest.Tab, form string, fields map[string]string) {
	tb.T.Helper()
	var acts []chromedp.Action[chromedp.Void]
	for id, v := range fields {
		acts = append(acts, chromedp.SetValue(chromedp.CSS(form+" #"+id), v))
	}
	acts = append(acts, chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))
	tb.Do(wait, acts...)
}

// waitPath waits for the page at p to have loaded.
func waitPath(tb *browsertest.Tab, p string) {
	tb.T.Helper()
	tb.WaitFor(wait, fmt.Sprintf(`location.pathname === %q && document.readyState === "complete"`, p))
}

// tabTo presses Tab until the element with id has the focus, checking on
// the way that the focus is always visible.
func tabTo(tb *browsertest.Tab, id string, most int) {
	tb.T.Helper()
	for range most {
		tb.Do(5*time.Second, chromedp.KeyEvent(kb.Tab))
		f := browsertest.Eval[[]string](tb, `(() => { const e = document.activeElement; const s = getComputedStyle(e);
			return [e.id, String(s.outlineStyle !== "none" || s.boxShadow !== "none" || s.textDecorationLine.includes("underline"))] })()`)
		assert.Equal(tb.T, "true", f[1], "focus on #%s is not visible", f[0])
		if f[0] == id {
			return
		}
	}
	tb.T.Fatalf("#%s not reached in %d presses of Tab", id, most)
}

// setupPassword opens a setup link and chooses the password.
func (s *system) setupPassword(tb *browsertest.Tab, setup string) {
	s.open(tb, setup)
	waitPath(tb, "/setup")
	assert.Contains(tb.T, tb.Text("h1"), "Choose a password")
	submit(tb, "#password-form", map[string]string{"password": "too short", "confirm": "too short"})
	tb.WaitFor(wait, `!!document.getElementById("error-message")`)
	assert.Contains(tb.T, tb.Text("#error-message"), "at least 12 characters")
	submit(tb, "#password-form", map[string]string{"password": password, "confirm": password})
	tb.WaitFor(wait, `!!document.getElementById("totp-form")`)
}

// signInKeyboard signs in with the keyboard alone: Tab, type, Enter.
func (s *system) signInKeyboard(tb *browsertest.Tab, email, secret string) {
	s.signInKeyboardTo(tb, email, secret, "/console")
}

// signInKeyboardTo signs in as signInKeyboard does, landing on landing.
func (s *system) signInKeyboardTo(tb *browsertest.Tab, email, secret, landing string) {
	s.open(tb, "/login")
	tabTo(tb, "email", 12)
	tb.Do(wait, chromedp.KeyEvent(email), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(password), chromedp.KeyEvent(kb.Enter))
	waitPath(tb, "/login/code")
	tabTo(tb, "code", 12)
	tb.Do(wait, chromedp.KeyEvent(s.code(secret)), chromedp.KeyEvent(kb.Enter))
	waitPath(tb, landing)
}

func TestBrowserSetupAndSignInWithPasswordAndAuthenticatorApp(t *testing.T) {
	sys := newSystem(t, "http")
	acct, setup := sys.invite("Grace Hopper", "grace@nalw.example", register.RoleRegistrar)
	tb := browsertest.Start(t).NewTab(t)
	tb.Expect("status of 400") // the wrong password and code on purpose

	sys.setupPassword(tb, setup)
	assert.True(t, browsertest.Eval[bool](tb, `document.querySelector("img.totp-qr").naturalWidth > 0`), "the QR code is drawn")
	browsertest.Shoot(tb, "console-setup-factor", 1280, 800)
	secret := tb.Text("#totp-secret")
	submit(tb, "#totp-form", map[string]string{"code": "000000"})
	tb.WaitFor(wait, `!!document.getElementById("error-message")`)
	assert.Contains(t, tb.Text("#error-message"), "not right")
	submit(tb, "#totp-form", map[string]string{"code": sys.code(secret)})
	waitPath(tb, "/setup/done")
	assert.Equal(t, staff.RecoveryCodeCount, browsertest.Eval[int](tb, `document.querySelectorAll("#recovery-codes li").length`))
	browsertest.Shoot(tb, "console-recovery-codes", 1280, 800)
	sys.open(tb, "/setup/done")
	assert.Contains(t, tb.Text("#message"), "shown once", "the codes are not shown twice")

	sys.open(tb, "/login")
	browsertest.Shoot(tb, "console-login", 1280, 800)
	browsertest.Shoot(tb, "console-login-360", 360, 740)
	tb.Do(wait, chromedp.EmulateViewport(1280, 800))
	sys.signInKeyboard(tb, "grace@nalw.example", secret)
	assert.Equal(t, "Grace Hopper", tb.Text("#me-name"))
	regs, err := sys.srv.State().Registrants(register.Registered)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprint(len(regs)), tb.Text(`#counts tr[data-status="registered"] td`))
	assert.NotContains(t, tb.Text("nav"), "Staff accounts", "a registrar does not manage staff")
	browsertest.Shoot(tb, "console-home", 1280, 800)
	browsertest.Shoot(tb, "console-home-360", 360, 740)
	tb.Do(wait, chromedp.EmulateViewport(1280, 800))

	t.Run("the session cookie's flags", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(tb.Ctx, wait)
		defer cancel()
		res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{sys.url}})
		require.NoError(t, err)
		require.Len(t, res.Cookies, 1)
		ck := res.Cookies[0]
		assert.Equal(t, cookiePlain, ck.Name, "plain http loopback: no __Host- prefix, which needs Secure")
		assert.True(t, ck.HTTPOnly)
		assert.False(t, ck.Secure)
		assert.Equal(t, network.CookieSameSiteLax, ck.SameSite)
		assert.Equal(t, "/", ck.Path)
		assert.True(t, ck.Session, "no expiry: the server ends sessions")
		assert.False(t, browsertest.Eval[bool](tb, `document.cookie.includes("linkpass")`), "script cannot read it")
	})

	t.Run("idle for 30 minutes signs out", func(t *testing.T) {
		sys.clk.Add(staff.IdleTimeout - time.Minute)
		sys.open(tb, "/console")
		waitPath(tb, "/console")
		sys.clk.Add(staff.IdleTimeout)
		sys.open(tb, "/console")
		waitPath(tb, "/login")
	})

	t.Run("12 hours signs out however busy", func(t *testing.T) {
		sys.signInKeyboard(tb, "grace@nalw.example", secret)
		start := sys.clk.Now()
		for sys.clk.Now().Sub(start) < staff.AbsoluteTimeout-25*time.Minute {
			sys.clk.Add(25 * time.Minute)
			sys.open(tb, "/console")
			require.Equal(t, "/console", where(tb), "still signed in after %s", sys.clk.Now().Sub(start))
		}
		sys.clk.Add(25 * time.Minute)
		sys.open(tb, "/console")
		waitPath(tb, "/login")
	})

	t.Run("sign out", func(t *testing.T) {
		sys.signInKeyboard(tb, "grace@nalw.example", secret)
		tb.Do(wait, chromedp.Click(chromedp.CSS(`nav form[action="/logout"] button`)))
		waitPath(tb, "/login")
		assert.Contains(t, tb.Text("#notice"), "signed out")
		sys.open(tb, "/console")
		waitPath(tb, "/login")
	})

	evs, err := sys.srv.State().Audit(state.AuditFilter{})
	require.NoError(t, err)
	var signIns int
	for _, ev := range evs {
		if ev.Action == "staff.sign-in" && ev.Target == acct.ID {
			signIns++
			assert.Equal(t, "Grace Hopper", sys.srv.State().ActorName(ev.Actor))
		}
	}
	assert.Equal(t, 3, signIns)
}

func TestBrowserPasskeySetupAndSignInWithTheVirtualAuthenticator(t *testing.T) {
	sys := newSystem(t, "http")
	acct, setup := sys.invite("Ada Lovelace", "ada@nalw.example", register.RoleAdmin)
	tb := browsertest.Start(t).NewTab(t)
	tb.Expect("status of 400") // the short password on purpose
	ctx, cancel := context.WithTimeout(tb.Ctx, wait)
	defer cancel()
	_, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{})
	require.NoError(t, err)
	_, err = chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
	}})
	require.NoError(t, err)

	sys.setupPassword(tb, setup)
	tb.WaitFor(wait, `!document.getElementById("passkey-button").disabled`)
	tb.Do(wait, chromedp.Click(chromedp.ID("passkey-button")))
	waitPath(tb, "/setup/done")
	a, err := sys.svc.Account(acct.ID)
	require.NoError(t, err)
	assert.Equal(t, staff.FactorPasskey, a.Factor)
	require.Len(t, a.Passkeys, 1)

	sys.open(tb, "/login")
	submit(tb, "#login-form", map[string]string{"email": "ada@nalw.example", "password": password})
	waitPath(tb, "/login/code")
	tb.WaitFor(wait, `!document.getElementById("passkey-button").disabled`)
	browsertest.Shoot(tb, "console-passkey", 1280, 800)
	tb.Do(wait, chromedp.Click(chromedp.ID("passkey-button")))
	waitPath(tb, "/console")
	assert.Equal(t, "Ada Lovelace", tb.Text("#me-name"))
	assert.Contains(t, tb.Text("nav"), "Staff accounts", "an admin manages staff")

	sys.open(tb, "/console/staff")
	submit(tb, "#add-staff-form", map[string]string{"name": "Ida Auditor", "email": "ida@nalw.example", "role": "auditor"})
	tb.WaitFor(wait, `!!document.getElementById("setup-url")`)
	assert.Contains(t, tb.Text("#setup-url"), sys.url+"/setup/")
	browsertest.Shoot(tb, "console-staff", 1280, 800)
	ida, err := sys.srv.State().StaffAccountByEmail("ida@nalw.example")
	require.NoError(t, err)
	assert.Equal(t, staff.Invited, ida.Status)
}

func TestBrowserRepeatedFailuresBackOffThenLockOutAndSaySo(t *testing.T) {
	sys := newSystem(t, "http")
	sys.totpAccount("Lou Locked", "lou@nalw.example", register.RoleRegistrar)
	tb := browsertest.Start(t).NewTab(t)
	tb.Expect("status of 401")
	tb.Expect("status of 403")
	tb.Expect("status of 429")
	p := staff.DefaultLockout
	try := func(pw string) string {
		sys.open(tb, "/login")
		submit(tb, "#login-form", map[string]string{"email": "lou@nalw.example", "password": pw})
		tb.WaitFor(wait, `!!document.getElementById("error-message") || location.pathname === "/login/code"`)
		if where(tb) == "/login/code" {
			return "signed in"
		}
		return tb.Text("#error-message")
	}
	for i := 1; i < p.LockAfter; i++ {
		msg := try("not the password at all")
		assert.Contains(t, msg, "not right", "attempt %d", i)
		if i > p.FreeFailures {
			assert.Contains(t, msg, fmt.Sprintf("After %d more failed attempts the account is locked for 15 minutes", p.LockAfter-i))
			assert.Contains(t, try(password), "wait", "too soon after a failure, even the right password waits")
		}
		sys.clk.Add(time.Hour)
	}
	msg := try("not the password at all")
	assert.Contains(t, msg, "locked")
	assert.Contains(t, msg, "ask an admin to reset your second factor")
	browsertest.Shoot(tb, "console-locked", 1280, 800)
	assert.NotEqual(t, "signed in", try(password), "locked: the right password does not sign in")
	sys.clk.Add(p.LockFor + time.Minute)
	assert.Equal(t, "signed in", try(password), "the lock ends by itself")
}

func TestBrowserForgedCrossSitePostIsRefused(t *testing.T) {
	sys := newSystem(t, "http")
	_, secret := sys.totpAccount("Rita Registrar", "rita@nalw.example", register.RoleAdmin)
	tb := browsertest.Start(t).NewTab(t)
	tb.Expect("status of 403")
	sys.signInKeyboard(tb, "rita@nalw.example", secret)

	// Another site (another origin on this machine) posts a form to the
	// console as soon as it is opened.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Prize</title><form method="post" action="%s/console/staff">
<input name="csrf" value="guessed"><input name="name" value="Mallory"><input name="email" value="mallory@nalw.example"><input name="role" value="admin">
</form><script>document.forms[0].submit()</script>`, sys.url)
	}))
	defer evil.Close()
	require.True(t, strings.HasPrefix(evil.URL, "http://127.0.0.1:"))
	tb.Do(wait, chromedp.Navigate(evil.URL))
	waitPath(tb, "/console/staff")
	assert.Contains(t, tb.Text("h1"), "Request refused")
	_, err := sys.srv.State().StaffAccountByEmail("mallory@nalw.example")
	require.ErrorIs(t, err, register.ErrNotFound)
	sys.open(tb, "/console")
	waitPath(tb, "/console")
	assert.Equal(t, "Rita Registrar", tb.Text("#me-name"), "still signed in")
}
