// Package account is the registrant's own account at /account: signing in
// with a one-time code sent to the private email on record (no password to
// forget), their entry as the public sees it, their private details and
// credentials, getting a credential into a wallet, recording CPD, and
// renewing each year. Pages are rendered on the server in the public
// site's layout (package web) and work without JavaScript.
//
// No rule lives here: CPD and renewals go through package
// issuer/renewals, offers through oid4vci, mail through notify. Sessions
// and codes are held in memory on the node serving the pages
// (internal/websession); each sign-in step is audited on the register.
// Every state-changing request passes http.CrossOriginProtection and, once
// there is a session, must carry the session's CSRF token.
package account

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/mail"
	"net/netip"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/internal/fairshare"
	"github.com/nalw/linkpass/internal/websession"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/publicregister"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/renewals"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/notify"
	"github.com/nalw/linkpass/oid4vci"
	"github.com/nalw/linkpass/web"
)

// Paths of the account.
const (
	PathHome   = "/account"
	PathSignIn = "/account/sign-in"
	PathCode   = "/account/sign-in/code"
)

//go:embed templates
var templateFS embed.FS

// Register is what the account needs to write to the register.
type Register interface {
	Apply(ctx context.Context, actor register.Actor, cmd fsm.Command) (any, error)
}

// Offers makes credential offers to wallets (oid4vci.Service).
type Offers interface {
	CreateOffer(ctx context.Context, actor register.Actor, number string, req oid4vci.OfferRequest) (*oid4vci.CreatedOffer, error)
}

// Config configures an Account.
type Config struct {
	State    func() *state.Store
	Register Register
	// Notify sends the sign-in codes.
	Notify   *notify.Notifier
	Renewals *renewals.Service
	Public   *publicregister.Register
	// Offers makes wallet offers; nil hides "add to my phone's wallet".
	Offers Offers
	// IssuerURL is the register's public base URL; its scheme decides the
	// cookie's flags.
	IssuerURL    string
	RegisterName string
	// Client names the client of a request, for rate limits; nil means the
	// connection's address (fairshare.Proxies{}.Client).
	Client func(*http.Request) netip.Addr
	Logger *slog.Logger
	Now    func() time.Time
}

// Account serves the registrant's account pages.
type Account struct {
	cfg      Config
	pages    map[string]*template.Template
	cookie   websession.Cookie
	sessions *websession.Store[session]
	limits   *limits
	// inClear is set when the register's address is plain http beyond
	// this machine: sign-in codes and session cookies would cross the
	// network readable, so the pages refuse to serve.
	inClear bool
}

var pageNames = []string{"sign-in", "code", "home", "wallet", "cpd", "cpd-edit", "renew", "message"}

// New returns an Account.
func New(cfg Config) (*Account, error) {
	if cfg.State == nil || cfg.Register == nil || cfg.Notify == nil || cfg.Renewals == nil || cfg.Public == nil {
		return nil, errors.New("account: config: State, Register, Notify, Renewals and Public are required")
	}
	u, err := websession.SiteURL("account", cfg.IssuerURL)
	if err != nil {
		return nil, err
	}
	websession.Defaults(&cfg.Logger, &cfg.RegisterName)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Client == nil {
		cfg.Client = fairshare.Proxies{}.Client
	}
	cfg.IssuerURL = strings.TrimSuffix(cfg.IssuerURL, "/")
	pages, err := web.Pages(templateFS, pageNames)
	if err != nil {
		return nil, err
	}
	a := &Account{cfg: cfg, pages: pages,
		cookie:   websession.NewCookie("linkpass-account", u.Scheme == "https"),
		sessions: websession.NewStore[session](websession.Timeouts{Idle: IdleTimeout, Absolute: AbsoluteTimeout}, maxSessions),
		limits:   newLimits(), inClear: websession.InClear(u)}
	return a, nil
}

func (a *Account) now() time.Time { return a.cfg.Now() }

func parseEmail(e string) (string, error) {
	m, err := mail.ParseAddress(e)
	if err != nil || m.Address != e || len(e) > 254 {
		return "", fmt.Errorf("%w: enter your email address like name@example.org", register.ErrInvalid)
	}
	return e, nil
}

// pageData is what every account page receives; its first fields are the
// ones the shared layout uses.
type pageData struct {
	Title        string
	RegisterName string
	Mode         string
	Nav          string
	Scripts      []string

	// Me is the signed-in registrant; CSRF the token their forms carry.
	Me     *register.Registrant
	CSRF   string
	Error  string
	Notice string
	Form   map[string]string

	Message  string
	LinkHref string
	LinkText string

	Home    *homeView
	Offer   *offerView
	CPD     *cpdView
	Renew   *renewView
	Editing *register.CPDActivity
}

// RegisterMode tells the layout this is the register's own site.
func (pageData) RegisterMode() bool { return true }

// Register mounts the account's routes on r.
func (a *Account) Register(r *mux.Router) {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.render(w, "message", http.StatusForbidden, &pageData{Title: "Request refused",
			Message:  "This request came from another website, so it was refused to protect your account. Go back to your account and try again from there.",
			LinkHref: PathHome, LinkText: "Go to your account"})
	}))
	get, post := []string{"GET", "HEAD"}, []string{"POST"}
	h := func(methods []string, path string, fn http.HandlerFunc) {
		if a.inClear {
			fn = a.refuseInClear
		}
		r.Methods(methods...).Path(path).Handler(web.Secure(websession.NoStore(cop.Handler(fn))))
	}
	h(get, PathSignIn, a.signInPage)
	h(post, PathSignIn, a.signIn)
	h(get, PathCode, a.codePage)
	h(post, PathCode, a.code)
	h(post, "/account/sign-out", a.signedIn(a.signOut))

	h(get, PathHome, a.signedIn(a.home))
	h(post, "/account/wallet", a.signedIn(a.wallet))
	h(get, "/account/cpd", a.signedIn(a.cpdPage))
	h(post, "/account/cpd", a.signedIn(a.addCPD))
	h(get, "/account/cpd/{id}", a.signedIn(a.editCPDPage))
	h(post, "/account/cpd/{id}", a.signedIn(a.editCPD))
	h(post, "/account/cpd/{id}/delete", a.signedIn(a.deleteCPD))
	h(get, "/account/renew", a.signedIn(a.renewPage))
	h(post, "/account/renew", a.signedIn(a.renew))
}

// maxForm bounds a request body: no form comes near it.
const maxForm = 32 << 10

// authed is a handler for a signed-in registrant.
type authed func(w http.ResponseWriter, r *http.Request, d *pageData)

// signedIn runs h for a signed-in session. A GET without one goes to the
// sign-in page; a POST must carry the session's CSRF token.
func (a *Account) signedIn(h authed) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ss, ok := a.sessions.Get(a.cookie.Value(r), a.now())
		var me *register.Registrant
		if ok && ss.Data.Stage == stageSignedIn {
			me, _ = a.cfg.State().Registrant(ss.Data.Number)
		}
		if me == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, PathSignIn, http.StatusSeeOther)
				return
			}
			a.render(w, "message", http.StatusUnauthorized, &pageData{Title: "Your session has ended",
				Message: "Your session has ended, so nothing was changed. Sign in again, then try once more.", LinkHref: PathSignIn, LinkText: "Sign in"})
			return
		}
		d := &pageData{Me: me, CSRF: ss.CSRF, Form: map[string]string{}}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if !websession.CSRFOK(r, ss.CSRF) {
				d.Title, d.Message, d.LinkHref, d.LinkText = "Request refused", "This form is out of date or did not come from your account, so nothing was changed. Go back, reload the page and try again.", PathHome, "Go to your account"
				a.render(w, "message", http.StatusForbidden, d)
				return
			}
		}
		h(w, r, d)
	}
}

// render writes a page, rendered into a buffer first so that a template
// error never sends half a page.
func (a *Account) render(w http.ResponseWriter, name string, status int, d *pageData) {
	d.RegisterName, d.Mode = a.cfg.RegisterName, "register"
	if d.Nav == "" {
		d.Nav = "account"
	}
	web.WritePage(w, a.pages[name], status, d, a.cfg.Logger, "account", name, nil)
}

// kinds are the error kinds of the account's pages: too many codes
// (register.ErrForbidden) is 429 here.
var kinds = append([]websession.Kind{{Err: register.ErrForbidden, Status: http.StatusTooManyRequests}}, websession.Kinds...)

// problem is an error as a person should read it, with its status.
func (a *Account) problem(err error) (string, int) {
	return websession.Explain(err, kinds, a.cfg.Logger, "account", "contact the registrar")
}

func (a *Account) fail(w http.ResponseWriter, page string, d *pageData, err error) {
	msg, status := a.problem(err)
	d.Error = msg
	a.render(w, page, status, d)
}

// Signing in.

func (a *Account) signInPage(w http.ResponseWriter, r *http.Request) {
	if ss, ok := a.sessions.Get(a.cookie.Value(r), a.now()); ok && ss.Data.Stage == stageSignedIn {
		http.Redirect(w, r, PathHome, http.StatusSeeOther)
		return
	}
	d := &pageData{Title: "Sign in to your account", Form: map[string]string{}}
	if r.URL.Query().Get("signed_out") == "1" {
		d.Notice = "You have signed out."
	}
	a.render(w, "sign-in", http.StatusOK, d)
}

func (a *Account) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	email := r.PostFormValue("email")
	id, err := a.startSignIn(email, a.cfg.Client(r))
	if err != nil {
		a.fail(w, "sign-in", &pageData{Title: "Sign in to your account", Form: map[string]string{"email": email}}, err)
		return
	}
	if old := a.cookie.Value(r); old != "" {
		a.sessions.Delete(old)
	}
	a.cookie.Set(w, id)
	http.Redirect(w, r, PathCode, http.StatusSeeOther)
}

func (a *Account) codePage(w http.ResponseWriter, r *http.Request) {
	ss, ok := a.sessions.Get(a.cookie.Value(r), a.now())
	if !ok || ss.Data.Stage != stageCode {
		http.Redirect(w, r, PathSignIn, http.StatusSeeOther)
		return
	}
	a.render(w, "code", http.StatusOK, &pageData{Title: "Check your email", CSRF: ss.CSRF})
}

func (a *Account) code(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	id := a.cookie.Value(r)
	ss, ok := a.sessions.Get(id, a.now())
	if !ok || ss.Data.Stage != stageCode {
		a.render(w, "message", http.StatusUnauthorized, &pageData{Title: "Your sign-in has ended",
			Message: "This sign-in has ended. Ask for a new code.", LinkHref: PathSignIn, LinkText: "Sign in"})
		return
	}
	if !websession.CSRFOK(r, ss.CSRF) {
		a.render(w, "message", http.StatusForbidden, &pageData{Title: "Request refused",
			Message: "This form is out of date or did not come from this site. Go back, reload the page and try again.", LinkHref: PathSignIn, LinkText: "Sign in"})
		return
	}
	nid, err := a.finishSignIn(r.Context(), id, r.PostFormValue("code"), a.cfg.Client(r))
	if err != nil {
		d := &pageData{Title: "Check your email", CSRF: ss.CSRF}
		if errors.Is(err, ErrCodeExpired) {
			d.LinkHref, d.LinkText = PathSignIn, "Ask for a new code"
		}
		a.fail(w, "code", d, err)
		return
	}
	a.cookie.Set(w, nid)
	http.Redirect(w, r, PathHome, http.StatusSeeOther)
}

func (a *Account) signOut(w http.ResponseWriter, r *http.Request, d *pageData) {
	a.sessions.Delete(a.cookie.Value(r))
	a.cookie.Clear(w)
	a.event(r.Context(), d.Me.Number, fsm.EventSignedOut)
	http.Redirect(w, r, PathSignIn+"?signed_out=1", http.StatusSeeOther)
}

func (a *Account) refuseInClear(w http.ResponseWriter, _ *http.Request) {
	a.render(w, "message", http.StatusServiceUnavailable, &pageData{Title: "Your account needs https",
		Message: "Accounts are only served over https, so that sign-in codes and sessions never cross the network in clear. Ask the register to start with an https address."})
}
