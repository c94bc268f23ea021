package console

import (
	"crypto/subtle"
	"net/http"
)

// The session cookie. Over https it is "__Host-linkpass-session": Secure,
// host-only (no Domain), Path=/, so no other site or subdomain can set or
// read it. Browsers accept a __Host- cookie only with Secure, and send a
// Secure cookie only over https, so on plain http (the demo on a loopback
// address, the only plain http the console serves) it is
// "linkpass-session", without Secure but otherwise the same. Both are
// HttpOnly and SameSite=Lax, and carry no expiry: the server ends sessions
// (30 minutes idle, 12 hours at most), and closing the browser drops them.
const (
	cookieSecure = "__Host-linkpass-session"
	cookiePlain  = "linkpass-session"
)

func (c *Console) cookieName() string {
	if c.secure {
		return cookieSecure
	}
	return cookiePlain
}

func (c *Console) setSession(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{Name: c.cookieName(), Value: id, Path: "/", HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

func (c *Console) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: c.cookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

func (c *Console) sessionID(r *http.Request) string {
	ck, err := r.Cookie(c.cookieName())
	if err != nil {
		return ""
	}
	return ck.Value
}

// csrfOK checks the request's CSRF token (form field "csrf", or header
// X-CSRF-Token for the passkey script) against the session's.
func csrfOK(r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
