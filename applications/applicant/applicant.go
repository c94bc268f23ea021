// Package applicant is the applicant's own page at /apply/status: they
// sign in with their application's reference and a one-time code emailed
// to the address on the application, see where the application stands,
// answer a registrar's request for more information, and appeal a refusal
// within the appeal period. Pages are rendered on the server in the public
// site's layout (package web) and work without JavaScript.
//
// No rule lives here: codes, answers and appeals are package
// applications/intake's, which the console and the API call too, and each
// step is audited there. The codes live in the register's log; the
// session a right code opens lives in the memory of the node serving the
// pages (internal/websession), so a restart asks the applicant to sign in
// again. Every state-changing request passes http.CrossOriginProtection
// and must carry the session's CSRF token.
package applicant

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/applications/intake"
	"github.com/nalw/linkpass/internal/fairshare"
	"github.com/nalw/linkpass/internal/websession"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/web"
)

// Paths of the applicant's pages.
const (
	PathStatus  = intake.PathStatus
	PathCode    = PathStatus + "/code"
	PathSignIn  = PathStatus + "/sign-in"
	PathAnswer  = PathStatus + "/answer"
	PathAppeal  = PathStatus + "/appeal"
	PathSignOut = PathStatus + "/sign-out"
)

// Session timeouts: long enough to write an answer or grounds of appeal.
const (
	IdleTimeout     = 30 * time.Minute
	AbsoluteTimeout = 2 * time.Hour
	maxSessions     = 20000
	maxForm         = 32 << 10
)

//go:embed templates
var templateFS embed.FS

// Intake is what the pages do (intake.Service).
type Intake interface {
	SendStatusCode(ctx context.Context, ref, client string) error
	SignIn(ctx context.Context, ref, code string) (*applications.Application, error)
	Application(ref string) (*applications.Application, error)
	Answer(ctx context.Context, ref, answer string) (*applications.Application, error)
	Appeal(ctx context.Context, ref, grounds string) (*applications.Application, error)
}

// Config configures the pages.
type Config struct {
	Intake Intake
	// IssuerURL is the register's public base URL; its scheme decides the
	// cookie's flags.
	IssuerURL    string
	RegisterName string
	// Client names the client of a request, for the code limits; nil
	// means the connection's address.
	Client func(*http.Request) netip.Addr
	Logger *slog.Logger
	Now    func() time.Time
}

// Pages serves /apply/status.
type Pages struct {
	cfg      Config
	pages    map[string]*template.Template
	cookie   websession.Cookie
	sessions *websession.Store[session]
	// inClear: codes and cookies would cross the network readable, so the
	// pages refuse to serve (websession.InClear).
	inClear bool
}

// session is what the server keeps of a browser: the reference it asked
// a code for, and whether the right code was typed.
type session struct {
	Ref      string
	SignedIn bool
}

var pageNames = []string{"sign-in", "code", "status", "message"}

// New returns the pages.
func New(cfg Config) (*Pages, error) {
	if cfg.Intake == nil {
		return nil, errors.New("applicant: config: Intake is required")
	}
	u, err := url.Parse(cfg.IssuerURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("applicant: config: issuer URL %q is not an absolute URL", cfg.IssuerURL)
	}
	websession.Defaults(&cfg.Logger, &cfg.RegisterName)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Client == nil {
		cfg.Client = fairshare.Proxies{}.Client
	}
	p := &Pages{cfg: cfg, pages: map[string]*template.Template{},
		cookie:   websession.NewCookie("linkpass-applicant", u.Scheme == "https"),
		sessions: websession.NewStore[session](websession.Timeouts{Idle: IdleTimeout, Absolute: AbsoluteTimeout}, maxSessions),
		inClear:  websession.InClear(u)}
	for _, name := range pageNames {
		t, err := web.Templates(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		p.pages[name] = t
	}
	return p, nil
}

// pageData is what every page receives; its first fields are the ones the
// shared layout uses.
type pageData struct {
	Title        string
	RegisterName string
	Mode         string
	Nav          string
	Scripts      []string

	CSRF   string
	Error  string
	Notice string
	Form   map[string]string

	Message  string
	LinkHref string
	LinkText string

	Ref    string
	Status *statusView
}

// RegisterMode tells the layout this is the register's own site.
func (pageData) RegisterMode() bool { return true }

// Register mounts the pages' routes on r.
func (p *Pages) Register(r *mux.Router) {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.render(w, "message", http.StatusForbidden, &pageData{Title: "Request refused",
			Message:  "This request came from another website, so it was refused to protect your application. Go back to your application's page and try again from there.",
			LinkHref: PathStatus, LinkText: "Go to your application"})
	}))
	get, post := []string{"GET", "HEAD"}, []string{"POST"}
	h := func(methods []string, path string, fn http.HandlerFunc) {
		if p.inClear {
			fn = p.refuseInClear
		}
		r.Methods(methods...).Path(path).Handler(web.Secure(websession.NoStore(cop.Handler(fn))))
	}
	h(get, PathStatus, p.statusPage)
	h(post, PathCode, p.sendCode)
	h(get, PathSignIn, p.codePage)
	h(post, PathSignIn, p.signIn)
	h(post, PathAnswer, p.signedIn(p.answer))
	h(post, PathAppeal, p.signedIn(p.appeal))
	h(post, PathSignOut, p.signedIn(p.signOut))
}

func (p *Pages) now() time.Time { return p.cfg.Now() }

func (p *Pages) client(r *http.Request) string {
	if a := p.cfg.Client(r); a.IsValid() {
		return a.String()
	}
	return r.RemoteAddr
}

// render writes a page, rendered into a buffer first so that a template
// error never sends half a page.
func (p *Pages) render(w http.ResponseWriter, name string, status int, d *pageData) {
	d.RegisterName, d.Mode, d.Nav = p.cfg.RegisterName, "register", "apply"
	if d.Form == nil {
		d.Form = map[string]string{}
	}
	web.WritePage(w, p.pages[name], status, d, p.cfg.Logger, "applicant", name, nil)
}

// kinds are the error kinds of the applicant's pages.
var kinds = append([]websession.Kind{{Err: intake.ErrThrottled, Status: http.StatusTooManyRequests}}, websession.Kinds...)

// problem is an error as a person should read it, with its status.
func (p *Pages) problem(err error) (string, int) {
	return websession.Explain(err, kinds, p.cfg.Logger, "applicant", "contact the register")
}

func (p *Pages) fail(w http.ResponseWriter, page string, d *pageData, err error) {
	msg, status := p.problem(err)
	d.Error = msg
	p.render(w, page, status, d)
}

func (p *Pages) refuseInClear(w http.ResponseWriter, _ *http.Request) {
	p.render(w, "message", http.StatusServiceUnavailable, &pageData{Title: "This page needs https",
		Message: "Your application's page is only served over https, so that codes and sessions never cross the network in clear. Contact the register."})
}

// Signing in.

func (p *Pages) statusPage(w http.ResponseWriter, r *http.Request) {
	ss, ok := p.sessions.Get(p.cookie.Value(r), p.now())
	if !ok || !ss.Data.SignedIn {
		d := &pageData{Title: "Your application", Form: map[string]string{"ref": r.URL.Query().Get("ref")}}
		if r.URL.Query().Get("signed_out") == "1" {
			d.Notice = "You have signed out."
		}
		p.render(w, "sign-in", http.StatusOK, d)
		return
	}
	p.showStatus(w, r, ss, http.StatusOK, nil)
}

func (p *Pages) sendCode(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	ref := strings.ToUpper(strings.TrimSpace(r.PostFormValue("ref")))
	d := &pageData{Title: "Your application", Form: map[string]string{"ref": ref}}
	if ref == "" {
		d.Error = "Enter your application reference, for example A1001: it is in the email we sent when you applied."
		p.render(w, "sign-in", http.StatusBadRequest, d)
		return
	}
	if err := p.cfg.Intake.SendStatusCode(r.Context(), ref, p.client(r)); err != nil {
		p.fail(w, "sign-in", d, err)
		return
	}
	if old := p.cookie.Value(r); old != "" {
		p.sessions.Delete(old)
	}
	id, err := p.sessions.Create(session{Ref: ref}, p.now())
	if err != nil {
		p.fail(w, "sign-in", d, fmt.Errorf("%w: %v", register.ErrUnavailable, err))
		return
	}
	p.cookie.Set(w, id)
	http.Redirect(w, r, PathSignIn, http.StatusSeeOther)
}

func (p *Pages) codePage(w http.ResponseWriter, r *http.Request) {
	ss, ok := p.sessions.Get(p.cookie.Value(r), p.now())
	if !ok || ss.Data.SignedIn {
		http.Redirect(w, r, PathStatus, http.StatusSeeOther)
		return
	}
	p.render(w, "code", http.StatusOK, &pageData{Title: "Check your email", CSRF: ss.CSRF, Ref: ss.Data.Ref})
}

func (p *Pages) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	id := p.cookie.Value(r)
	ss, ok := p.sessions.Get(id, p.now())
	if !ok || ss.Data.SignedIn {
		p.render(w, "message", http.StatusUnauthorized, &pageData{Title: "Your sign-in has ended",
			Message: "This sign-in has ended. Ask for a new code.", LinkHref: PathStatus, LinkText: "Ask for a code"})
		return
	}
	if !websession.CSRFOK(r, ss.CSRF) {
		p.render(w, "message", http.StatusForbidden, &pageData{Title: "Request refused",
			Message: "This form is out of date or did not come from this site. Go back, reload the page and try again.", LinkHref: PathStatus, LinkText: "Go to your application"})
		return
	}
	if _, err := p.cfg.Intake.SignIn(r.Context(), ss.Data.Ref, r.PostFormValue("code")); err != nil {
		d := &pageData{Title: "Check your email", CSRF: ss.CSRF, Ref: ss.Data.Ref}
		if errors.Is(err, intake.ErrNoCode) || errors.Is(err, intake.ErrCodeGone) || strings.Contains(err.Error(), "no longer works") {
			d.LinkHref, d.LinkText = PathStatus+"?ref="+url.QueryEscape(ss.Data.Ref), "Ask for a new code"
		}
		p.fail(w, "code", d, err)
		return
	}
	p.sessions.Delete(id)
	nid, err := p.sessions.Create(session{Ref: ss.Data.Ref, SignedIn: true}, p.now())
	if err != nil {
		p.fail(w, "message", &pageData{Title: "Your application"}, fmt.Errorf("%w: %v", register.ErrUnavailable, err))
		return
	}
	p.cookie.Set(w, nid)
	http.Redirect(w, r, PathStatus, http.StatusSeeOther)
}

// signedIn runs h for a signed-in session whose form carries its CSRF
// token.
func (p *Pages) signedIn(h func(w http.ResponseWriter, r *http.Request, ss websession.Session[session])) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ss, ok := p.sessions.Get(p.cookie.Value(r), p.now())
		if !ok || !ss.Data.SignedIn {
			p.render(w, "message", http.StatusUnauthorized, &pageData{Title: "Your session has ended",
				Message: "Your session has ended, so nothing was changed. Sign in again with your reference and a new code, then try once more.", LinkHref: PathStatus, LinkText: "Sign in"})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if !websession.CSRFOK(r, ss.CSRF) {
			p.render(w, "message", http.StatusForbidden, &pageData{Title: "Request refused",
				Message: "This form is out of date or did not come from your application's page, so nothing was changed. Go back, reload the page and try again.", LinkHref: PathStatus, LinkText: "Go to your application"})
			return
		}
		h(w, r, ss)
	}
}

func (p *Pages) signOut(w http.ResponseWriter, r *http.Request, _ websession.Session[session]) {
	p.sessions.Delete(p.cookie.Value(r))
	p.cookie.Clear(w)
	http.Redirect(w, r, PathStatus+"?signed_out=1", http.StatusSeeOther)
}

// Answering and appealing.

func (p *Pages) answer(w http.ResponseWriter, r *http.Request, ss websession.Session[session]) {
	text := r.PostFormValue("answer")
	if _, err := p.cfg.Intake.Answer(r.Context(), ss.Data.Ref, text); err != nil {
		p.showStatus(w, r, ss, 0, &failure{form: "answer", text: text, err: err})
		return
	}
	http.Redirect(w, r, PathStatus+"?done=answered", http.StatusSeeOther)
}

func (p *Pages) appeal(w http.ResponseWriter, r *http.Request, ss websession.Session[session]) {
	text := r.PostFormValue("grounds")
	if _, err := p.cfg.Intake.Appeal(r.Context(), ss.Data.Ref, text); err != nil {
		p.showStatus(w, r, ss, 0, &failure{form: "grounds", text: text, err: err})
		return
	}
	http.Redirect(w, r, PathStatus+"?done=appealed", http.StatusSeeOther)
}

// failure is a form refused, shown again with what was typed.
type failure struct {
	form, text string
	err        error
}

func (p *Pages) showStatus(w http.ResponseWriter, r *http.Request, ss websession.Session[session], status int, f *failure) {
	d := &pageData{Title: "Your application", CSRF: ss.CSRF, Ref: ss.Data.Ref, Form: map[string]string{}}
	a, err := p.cfg.Intake.Application(ss.Data.Ref)
	if err != nil {
		p.fail(w, "message", d, err)
		return
	}
	d.Status = newStatusView(a, register.DateOf(p.now()))
	switch r.URL.Query().Get("done") {
	case "answered":
		d.Notice = "Your answer is sent. A registrar will read it; we have emailed you to confirm."
	case "appealed":
		d.Notice = "Your appeal is lodged. A registrar who did not make the first decision will decide it; we have emailed you to confirm."
	}
	if f != nil {
		d.Form[f.form] = f.text
		d.Error, status = p.problem(f.err)
		d.Form["field"] = f.form
	}
	p.render(w, "status", status, d)
}
