package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/nalw/linkpass/sso"
	"github.com/nalw/linkpass/staff"
	"github.com/nalw/linkpass/web"
)

// Single sign-on through the organisation's identity provider (package
// sso checks the provider's answer; staff.Service.SignInSSO finds or makes
// the account). The session it starts is the same server-side session as
// after a password and second factor.

// The state cookie binds a sign-in to the browser that started it, for
// the ten minutes the provider may take. Like the session cookie it is
// __Host- over https.
const (
	ssoCookieSecure = "__Host-linkpass-sso"
	ssoCookiePlain  = "linkpass-sso"
)

func (c *Console) ssoCookie() string {
	if c.secure {
		return ssoCookieSecure
	}
	return ssoCookiePlain
}

// ssoCSP is the site's policy with the provider's sign-in page added to
// the places a form may lead.
func (c *Console) ssoCSP() string {
	return strings.Replace(web.ContentSecurityPolicy, "form-action 'self'", "form-action 'self' "+c.cfg.SSO.AuthOrigin(), 1)
}

// registerSSO mounts the sign-in button's target and the callback, when
// single sign-on is configured.
func (c *Console) registerSSO(h func(methods []string, path string, fn http.HandlerFunc)) {
	if c.cfg.SSO == nil {
		return
	}
	h([]string{http.MethodPost}, "/login/sso", c.ssoBegin)
	h([]string{http.MethodGet}, sso.CallbackPath, c.ssoCallback)
}

// ssoBegin sends the browser to the provider. It is a POST from the
// sign-in page's button, so another site cannot start it.
func (c *Console) ssoBegin(w http.ResponseWriter, r *http.Request) {
	state, u := c.cfg.SSO.Begin()
	http.SetCookie(w, &http.Cookie{Name: c.ssoCookie(), Value: state, Path: "/", MaxAge: 600, HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, u, http.StatusSeeOther)
}

func (c *Console) ssoCallback(w http.ResponseWriter, r *http.Request) {
	var cookieState string
	if ck, err := r.Cookie(c.ssoCookie()); err == nil {
		cookieState = ck.Value
	}
	// The state works once, whatever happens next.
	http.SetCookie(w, &http.Cookie{Name: c.ssoCookie(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		c.render(w, "message", http.StatusUnauthorized, &pageData{Title: "Single sign-on did not finish",
			Message:  "Your organisation's sign-in did not finish (it said: " + clip(e) + "). Nothing was changed. Try again, or sign in with your password.",
			LinkHref: "/login", LinkText: "Go to the sign-in page"})
		return
	}
	id, err := c.cfg.SSO.Finish(r.Context(), cookieState, q.Get("state"), q.Get("code"))
	if err == nil {
		var sid string
		if sid, err = c.cfg.Staff.SignInSSO(r.Context(), id); err == nil {
			c.setSession(w, sid)
			http.Redirect(w, r, "/console", http.StatusSeeOther)
			return
		}
	}
	msg, status := c.problem(err)
	title := "You cannot sign in this way"
	if errors.Is(err, sso.ErrNoRole) {
		title = "Your account has no role in the console"
		msg += " Ask your organisation's administrator to add you to the group for your role (admin, registrar or auditor)."
	}
	if !errors.Is(err, staff.ErrSSORefused) {
		c.cfg.Logger.Warn("console: single sign-on refused", "err", err)
	}
	c.render(w, "message", status, &pageData{Title: title, Message: msg, LinkHref: "/login", LinkText: "Go to the sign-in page"})
}
