// Package websession is what the register's signed-in pages share: the
// session cookie's flags, the per-session CSRF token check, and an
// in-memory session store with idle and absolute timeouts. The registrars'
// console (staff accounts) and the registrant's account use it, so both
// set their cookies and check their forms the same way.
package websession

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/nalw/linkpass/issuer/register"
)

// Cookie is a session cookie. Over https its name is "__Host-" + the base
// name: Secure, host-only (no Domain), Path=/, so no other site or
// subdomain can set or read it. Browsers take a __Host- cookie only with
// Secure, and send a Secure cookie only over https, so on plain http (a
// demonstration on a loopback address) the name is the base name, without
// Secure but otherwise the same. Both are HttpOnly and SameSite=Lax, and
// carry no expiry: the server ends sessions, and closing the browser drops
// them.
type Cookie struct {
	base   string
	secure bool
}

// NewCookie returns the cookie named base, Secure when secure.
func NewCookie(base string, secure bool) Cookie { return Cookie{base: base, secure: secure} }

// Name is the cookie's name.
func (c Cookie) Name() string {
	if c.secure {
		return "__Host-" + c.base
	}
	return c.base
}

// Set sends the session id.
func (c Cookie) Set(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{Name: c.Name(), Value: id, Path: "/", HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

// Clear removes the cookie from the browser.
func (c Cookie) Clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: c.Name(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

// Value is the session id the request carries, or "".
func (c Cookie) Value(r *http.Request) string {
	ck, err := r.Cookie(c.Name())
	if err != nil {
		return ""
	}
	return ck.Value
}

// CSRFOK checks the request's CSRF token (form field "csrf", or header
// X-CSRF-Token for script) against the session's.
func CSRFOK(r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// NewSecret returns 256 random bits, URL-safe.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("websession: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Session is one browser's session, held on the server: the browser holds
// only a random id, and the store keys sessions by its hash, so a memory
// dump of the store gives no working cookies.
type Session[T any] struct {
	Created  time.Time
	LastSeen time.Time
	// CSRF is the token every state-changing form of the session carries.
	CSRF string
	Data T
}

// Timeouts end sessions: Idle after no use, Absolute after creation.
type Timeouts struct {
	Idle, Absolute time.Duration
}

// ErrFull means the store holds as many live sessions as it may.
var ErrFull = errors.New("too many sessions; try again later")

// Store is an in-memory session store of at most Max sessions.
type Store[T any] struct {
	timeouts Timeouts
	max      int
	mu       sync.Mutex
	byKey    map[string]*Session[T]
}

// NewStore returns an empty store.
func NewStore[T any](t Timeouts, max int) *Store[T] {
	return &Store[T]{timeouts: t, max: max, byKey: map[string]*Session[T]{}}
}

func key(id string) string {
	h := sha256.Sum256([]byte("session:" + id))
	return hex.EncodeToString(h[:])
}

func (s *Store[T]) expired(ss *Session[T], now time.Time) bool {
	return now.Sub(ss.LastSeen) >= s.timeouts.Idle || now.Sub(ss.Created) >= s.timeouts.Absolute
}

// Create stores a new session holding data and returns its id, the
// cookie's value.
func (s *Store[T]) Create(data T, now time.Time) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byKey) >= s.max {
		for k, old := range s.byKey {
			if s.expired(old, now) {
				delete(s.byKey, k)
			}
		}
		if len(s.byKey) >= s.max {
			return "", ErrFull
		}
	}
	id := NewSecret()
	s.byKey[key(id)] = &Session[T]{Created: now, LastSeen: now, CSRF: NewSecret(), Data: data}
	return id, nil
}

// Get returns a copy of the session id, if it exists and has not
// expired, and records its use.
func (s *Store[T]) Get(id string, now time.Time) (Session[T], bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		return Session[T]{}, false
	}
	k := key(id)
	ss, ok := s.byKey[k]
	if !ok {
		return Session[T]{}, false
	}
	if s.expired(ss, now) {
		delete(s.byKey, k)
		return Session[T]{}, false
	}
	ss.LastSeen = now
	return *ss, true
}

// Update changes the data of session id in place, if it exists.
func (s *Store[T]) Update(id string, fn func(data *T)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.byKey[key(id)]
	if ok {
		fn(&ss.Data)
	}
	return ok
}

// Delete ends session id.
func (s *Store[T]) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byKey, key(id))
}

// InClear says whether a register at issuerURL would send session cookies
// in clear beyond this machine: plain http to a host that is not loopback.
// Signed-in pages refuse to serve then (say what to do), rather than let a
// session be read off the network.
func InClear(issuerURL *url.URL) bool {
	if issuerURL.Scheme == "https" {
		return false
	}
	host := issuerURL.Hostname()
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// SiteURL parses the register's public base URL for a signed-in site
// (site names it in the error): its scheme decides the cookies' flags, so
// it must be absolute.
func SiteURL(site, issuerURL string) (*url.URL, error) {
	u, err := url.Parse(issuerURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%s: config: issuer URL %q is not an absolute URL", site, issuerURL)
	}
	return u, nil
}

// Defaults fills in what a signed-in site's config may leave out: a
// logger that discards, and the register's default name.
func Defaults(logger **slog.Logger, registerName *string) {
	if *logger == nil {
		*logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if *registerName == "" {
		*registerName = register.DefaultRegisterName
	}
}
