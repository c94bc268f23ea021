package console

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/internal/browsertest"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

// fresh runs acts, which load a new page, and waits until that page has
// loaded and cond holds on it (not on the page before).
func fresh(tb *browsertest.Tab, cond string, acts ...chromedp.Action[chromedp.Void]) {
	tb.T.Helper()
	browsertest.Eval[bool](tb, `document.body.dataset.stale = "1", true`)
	tb.Do(wait, acts...)
	tb.WaitFor(wait, `document.readyState === "complete" && !document.body.dataset.stale && (`+cond+`)`)
}

// submitFresh is submit, then fresh's wait.
func submitFresh(tb *browsertest.Tab, form string, fields map[string]string, cond string) {
	tb.T.Helper()
	fresh(tb, cond, func() []chromedp.Action[chromedp.Void] {
		var acts []chromedp.Action[chromedp.Void]
		for id, v := range fields {
			acts = append(acts, chromedp.SetValue(chromedp.CSS(form+" #"+id), v))
		}
		return append(acts, chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))
	}()...)
}

// key returns the signing key kid.
func (s *system) key(kid string) *register.SigningKey {
	s.t.Helper()
	ks, err := s.srv.State().Keys()
	require.NoError(s.t, err)
	for _, k := range ks {
		if k.KID == kid {
			return k
		}
	}
	s.t.Fatalf("no key %s", kid)
	return nil
}

// lastAudit returns the newest audit event of action.
func (s *system) lastAudit(action string) *register.AuditEvent {
	s.t.Helper()
	evs, err := s.srv.State().Audit(state.AuditFilter{Action: action})
	require.NoError(s.t, err)
	require.NotEmpty(s.t, evs, "no %s in the audit trail", action)
	return evs[len(evs)-1]
}

// TestBrowserAdminChangesSettingsKeysAndTokens: an admin changes the
// register's details and Quality Mark, rotates the signing key and retires
// the old one (refused while a credential it signed is valid, as the CLI
// refuses, then forced), creates an integration's token whose secret is
// shown once and works, and revokes it. Every change is audited with her
// name, and the page passes axe-core.
func TestBrowserAdminChangesSettingsKeysAndTokens(t *testing.T) {
	axe := browsertest.AxeSource(t, axeDir)
	sys := newSystem(t, "http")
	_, secret := sys.totpAccount("Ada Admin", "ada@nalw.example", register.RoleAdmin)
	sys.totpAccount("Ida Auditor", "ida@nalw.example", register.RoleAuditor)
	regs, err := sys.srv.State().Registrants(register.Registered)
	require.NoError(t, err)
	_, err = sys.srv.IssueCredential(context.Background(), sys.admin, regs[0].Number)
	require.NoError(t, err)
	oldKeys, err := sys.srv.State().Keys()
	require.NoError(t, err)
	require.Len(t, oldKeys, 1)
	oldKID := oldKeys[0].KID

	tb := browsertest.Start(t).NewTab(t)
	tb.Expect("status of 400") // the Quality Mark's dates back to front
	tb.Expect("status of 403") // a token above its holder's role
	tb.Expect("status of 409") // the key still in use
	sys.signInKeyboard(tb, "ada@nalw.example", secret)
	tb.Do(wait, chromedp.Click(chromedp.CSS(`nav a[href="/console/settings"]`)))
	waitPath(tb, "/console/settings")
	assert.Contains(t, tb.Text("#rotate-advice"), issuer.RotateAdvice)
	assert.Equal(t, "/console/staff", browsertest.Eval[string](tb, `document.getElementById("staff-link").getAttribute("href")`))
	browsertest.Shoot(tb, "console-settings", 1280, 800)
	browsertest.Shoot(tb, "console-settings-360", 360, 740)
	tb.Do(wait, chromedp.EmulateViewport(1280, 800))
	noAxeViolations(tb, axe, "the settings page")

	t.Run("register details", func(t *testing.T) {
		submitFresh(tb, "#register-form", map[string]string{"register_name": "NALW Register (test)", "removed_visible_days": "45"}, `!!document.getElementById("notice")`)
		assert.Contains(t, tb.Text("#notice"), "Saved the register's details")
		set := sys.srv.State().Settings()
		assert.Equal(t, "NALW Register (test)", set.RegisterName)
		assert.Equal(t, 45, set.RemovedVisibleDays)
		ev := sys.lastAudit("settings.update")
		assert.Equal(t, "Ada Admin", sys.srv.State().ActorName(ev.Actor))
		assert.Equal(t, "45", ev.Details["removed_visible_days"])
	})

	t.Run("the Quality Mark, refused back to front, then saved", func(t *testing.T) {
		tb.Do(wait, chromedp.Click(chromedp.ID("accredited-yes")))
		submitFresh(tb, "#quality-mark-form", map[string]string{"since": "2026-04-01", "until": "2025-04-01", "reference": "PSA-1"}, `!!document.getElementById("error-message")`)
		assert.Contains(t, tb.Text("#error-message"), "before since")
		assert.NotContains(t, tb.Text("#error-message"), "invalid request")
		assert.Equal(t, "2025-04-01", browsertest.Eval[string](tb, `document.getElementById("until").value`), "what was typed is kept")
		submitFresh(tb, "#quality-mark-form", map[string]string{"since": "2025-04-01", "until": "2028-03-31", "reference": "PSA-AR-2025-0147"}, `!!document.getElementById("notice")`)
		assert.Contains(t, tb.Text("#qm-now"), "from 2025-04-01 to 2028-03-31")
		q := sys.srv.State().Settings().QualityMark
		assert.True(t, q.Accredited)
		assert.Equal(t, register.Date("2028-03-31"), q.Until)
		assert.Equal(t, "Ada Admin", sys.srv.State().ActorName(sys.lastAudit("quality-mark.set").Actor))
	})

	t.Run("the two-person rule, off for removals", func(t *testing.T) {
		assert.Contains(t, tb.Text("#two-person-now"), "a removal waits for a second registrar's approval", "on by default")
		fresh(tb, `!!document.getElementById("notice")`, chromedp.Click(chromedp.ID("two_person_remove")), chromedp.Click(chromedp.CSS(`#two-person-form button[type=submit]`)))
		assert.Contains(t, tb.Text("#notice"), "Saved the two-person rule")
		assert.Contains(t, tb.Text("#two-person-now"), "one registrar removes alone")
		rule := sys.srv.State().Settings().TwoPerson
		assert.False(t, rule.Applies(register.ProposeRemove))
		assert.True(t, rule.Applies(register.ProposeRestrict), "the other choice is kept")
		assert.Equal(t, "Ada Admin", sys.srv.State().ActorName(sys.lastAudit("settings.update").Actor))
	})

	t.Run("rotate, then retire the old key as the CLI would", func(t *testing.T) {
		fresh(tb, `!!document.getElementById("notice")`, chromedp.Click(chromedp.CSS(`#rotate-form button[type=submit]`)))
		assert.Contains(t, tb.Text("#notice"), "is active")
		assert.Equal(t, "verifying", browsertest.Eval[string](tb, fmt.Sprintf(`document.querySelector('#keys-table tr[data-kid=%q]').dataset.state`, oldKID)))
		retire := fmt.Sprintf(`form.retire-form[data-kid=%q]`, oldKID)
		assert.Contains(t, tb.Text(retire+" .warning-text"), issuer.RetiredEffect)
		fresh(tb, `!!document.getElementById("error-message")`, chromedp.Click(chromedp.CSS(retire+` button[type=submit]`)))
		assert.Contains(t, tb.Text("#error-message"), "stay valid until")
		assert.Equal(t, register.KeyVerifying, sys.key(oldKID).State, "refused: nothing changed")
		fresh(tb, `!!document.getElementById("notice")`, chromedp.Click(chromedp.CSS(retire+` input[name=force]`)), chromedp.Click(chromedp.CSS(retire+` button[type=submit]`)))
		assert.Contains(t, tb.Text("#notice"), issuer.RetiredEffect)
		assert.Equal(t, register.KeyRetired, sys.key(oldKID).State)
		ev := sys.lastAudit("key.retire")
		assert.Equal(t, "Ada Admin", sys.srv.State().ActorName(ev.Actor))
		assert.Equal(t, "true", ev.Details["force"])
	})

	t.Run("a token for an integration, shown once, then revoked", func(t *testing.T) {
		tb.Do(wait, chromedp.SetValue(chromedp.ID("token-role"), "registrar"), chromedp.Click(chromedp.ID("holder-integration")))
		submitFresh(tb, "#token-form", map[string]string{"token-name": "HR system"}, `!!document.getElementById("token-secret")`)
		bearer := tb.Text("#token-secret")
		actor, err := sys.srv.Authenticate(bearer)
		require.NoError(t, err, "the secret shown works")
		assert.Equal(t, register.RoleRegistrar, actor.Role)
		assert.Equal(t, "HR system (integration)", sys.srv.State().ActorName(actor))
		assert.Equal(t, "Ada Admin", sys.srv.State().ActorName(sys.lastAudit("token.create").Actor))
		noAxeViolations(tb, axe, "the settings page with a new token")
		sys.open(tb, "/console/settings")
		waitPath(tb, "/console/settings")
		assert.False(t, browsertest.Eval[bool](tb, `!!document.getElementById("token-secret")`), "the secret is not shown again")
		assert.NotContains(t, browsertest.Eval[string](tb, `document.documentElement.outerHTML`), bearer)

		revoke := fmt.Sprintf(`form.revoke-form[data-id=%q]`, actor.TokenID)
		submitFresh(tb, revoke, map[string]string{"revoke-reason-" + actor.TokenID: "contract ended"}, `!!document.getElementById("notice")`)
		assert.Contains(t, tb.Text("#notice"), "HR system")
		_, err = sys.srv.Authenticate(bearer)
		require.ErrorIs(t, err, register.ErrUnauthenticated)
		assert.Equal(t, "contract ended", sys.lastAudit("token.revoke").Reason)
	})

	t.Run("a staff member's token within their role only", func(t *testing.T) {
		ida, err := sys.srv.State().StaffAccountByEmail("ida@nalw.example")
		require.NoError(t, err)
		fresh(tb, `!!document.getElementById("error-message")`, chromedp.SetValue(chromedp.ID("token-role"), "admin"), chromedp.Click(chromedp.ID("holder-staff")),
			chromedp.SetValue(chromedp.ID("token-staff"), ida.ID), chromedp.Click(chromedp.CSS(`#token-form button[type=submit]`)))
		assert.Contains(t, tb.Text("#error-message"), "cannot hold a admin token")
		fresh(tb, `!!document.getElementById("token-secret")`, chromedp.SetValue(chromedp.ID("token-role"), "auditor"), chromedp.Click(chromedp.CSS(`#token-form button[type=submit]`)))
		actor, err := sys.srv.Authenticate(tb.Text("#token-secret"))
		require.NoError(t, err)
		assert.Equal(t, ida.ID, actor.Staff)
		assert.Equal(t, "Ida Auditor", sys.srv.State().ActorName(actor))
	})
}

// TestBrowserForgedCrossSitePostToSettingsIsRefused: another site's form
// that would create an admin token for itself changes nothing.
func TestBrowserForgedCrossSitePostToSettingsIsRefused(t *testing.T) {
	sys := newSystem(t, "http")
	_, secret := sys.totpAccount("Ada Admin", "ada@nalw.example", register.RoleAdmin)
	tb := browsertest.Start(t).NewTab(t)
	tb.Expect("status of 403")
	sys.signInKeyboard(tb, "ada@nalw.example", secret)
	before, err := sys.srv.State().Tokens()
	require.NoError(t, err)
	for _, form := range []string{
		`<form method="post" action="%s/console/settings/tokens"><input name="csrf" value="guessed"><input name="role" value="admin"><input name="holder" value="integration"><input name="name" value="Mallory"></form>`,
		`<form method="post" action="%s/console/settings/keys/rotate"><input name="csrf" value="guessed"></form>`,
	} {
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><title>Prize</title>`+form+`<script>document.forms[0].submit()</script>`, sys.url)
		}))
		require.True(t, strings.HasPrefix(evil.URL, "http://127.0.0.1:"))
		tb.Do(wait, chromedp.Navigate(evil.URL))
		tb.WaitFor(wait, `location.pathname.startsWith("/console/settings/") && document.readyState === "complete"`)
		assert.Contains(t, tb.Text("h1"), "Request refused")
		evil.Close()
	}
	after, err := sys.srv.State().Tokens()
	require.NoError(t, err)
	assert.Equal(t, len(before), len(after), "no token was made")
	ks, err := sys.srv.State().Keys()
	require.NoError(t, err)
	assert.Len(t, ks, 1, "no key was made")
}
