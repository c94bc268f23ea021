package console

import (
	"net/http"

	"github.com/nalw/linkpass/internal/websession"
)

// The session cookie: "__Host-linkpass-session" over https,
// "linkpass-session" on plain http to a loopback address, the only plain
// http the console serves (websession.Cookie gives the flags). The server
// ends sessions (30 minutes idle, 12 hours at most).
const (
	cookieSecure = "__Host-linkpass-session"
	cookiePlain  = "linkpass-session"
)

func (c *Console) cookie() websession.Cookie { return websession.NewCookie(cookiePlain, c.secure) }

func (c *Console) cookieName() string { return c.cookie().Name() }

func (c *Console) setSession(w http.ResponseWriter, id string) { c.cookie().Set(w, id) }

func (c *Console) clearSession(w http.ResponseWriter) { c.cookie().Clear(w) }

func (c *Console) sessionID(r *http.Request) string { return c.cookie().Value(r) }

// csrfOK checks the request's CSRF token (form field "csrf", or header
// X-CSRF-Token for the passkey script) against the session's.
func csrfOK(r *http.Request, want string) bool { return websession.CSRFOK(r, want) }
