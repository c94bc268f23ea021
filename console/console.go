// Package console is the registrars' console: the sign-in pages, account
// setup (password and second factor) and the signed-in pages under
// /console. Pages are rendered on the server in the public site's layout
// (package web) and work without JavaScript, except the passkey ceremony,
// which browsers only offer to script.
//
// Every rule lives in package staff; the handlers only decode a form, call
// the staff service and render. Sessions are held by the service behind a
// cookie that carries only a random id (see cookies.go for its flags).
// Every state-changing request passes http.CrossOriginProtection and, once
// there is a session, must carry the session's CSRF token.
package console

import (
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/applications/intake"
	"github.com/nalw/linkpass/confirmations"
	"github.com/nalw/linkpass/confirmations/claims"
	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/courses/catalogue"
	"github.com/nalw/linkpass/cpdaudit"
	"github.com/nalw/linkpass/internal/websession"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/registrants"
	"github.com/nalw/linkpass/issuer/renewals"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/sso"
	"github.com/nalw/linkpass/staff"
	"github.com/nalw/linkpass/web"
)

// PathSetup starts every setup link: PathSetup + the link's secret. Logs
// must show IsSetupLink paths without the secret.
const PathSetup = "/setup/"

// IsSetupLink reports whether path is a setup link, which carries a secret.
func IsSetupLink(path string) bool {
	rest, ok := strings.CutPrefix(path, PathSetup)
	return ok && setupToken.MatchString(rest)
}

var setupToken = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

//go:embed templates
var templateFS embed.FS

// Config configures a Console.
type Config struct {
	// Staff is the staff account service, shared with the API.
	Staff *staff.Service
	// State returns the register's current state, for the counts.
	State func() *state.Store
	// IssuerURL is the register's public base URL; its scheme decides the
	// cookie's flags.
	IssuerURL string
	// RegisterName names the register in page titles.
	RegisterName string
	// Logger receives operational logs; never secrets.
	Logger *slog.Logger
	// Registrants is the register's one set of registrant operations,
	// shared with the API (records.go).
	Registrants *registrants.Service
	// Offers makes credential offers to wallets; nil sends none.
	Offers Offers
	// Now is the register's clock; nil means the system's.
	Now func() time.Time
	// Admin changes settings, keys and tokens (settings.go); without it
	// the settings page only shows them.
	Admin Admin
	// SSO is single sign-on through the organisation's identity provider
	// (sso.go); nil offers only passwords. SSOLabel names it on the button.
	SSO      *sso.Provider
	SSOLabel string
	// Catalogue and Applications are the course catalogue's and the
	// applications' operations, shared with the API (education.go).
	Catalogue    *catalogue.Service
	Applications *intake.Service
	// CPDAudit runs the yearly CPD audit (reports.go); nil shows none.
	CPDAudit *cpdaudit.Service
	// Renewals decides pending renewals (renewals.go); nil shows none.
	Renewals *renewals.Service
	// Claims is training providers' confirmations (claims.go), shared
	// with the API; nil takes none.
	Claims *claims.Service
}

// Console serves the console's pages.
type Console struct {
	cfg    Config
	pages  map[string]*template.Template
	secure bool
	// refuse says why the console will not serve, if it will not: a
	// session cookie must not travel in clear beyond this machine.
	refuse string
}

var pageNames = []string{"login", "code", "setup-password", "setup-factor", "setup-done", "home", "staff", "message"}

// New returns a Console.
func New(cfg Config) (*Console, error) {
	if cfg.Staff == nil || cfg.State == nil {
		return nil, errors.New("console: config: Staff and State are required")
	}
	u, err := websession.SiteURL("console", cfg.IssuerURL)
	if err != nil {
		return nil, err
	}
	websession.Defaults(&cfg.Logger, &cfg.RegisterName)
	pages, err := web.Pages(templateFS, pageNames)
	if err != nil {
		return nil, err
	}
	c := &Console{cfg: cfg, pages: pages, secure: u.Scheme == "https"}
	if websession.InClear(u) {
		c.refuse = "The console is only served over https, so that passwords and sessions never cross the network in clear. Start the register with an https --issuer-url behind a TLS proxy."
	}
	return c, nil
}

// pageData is what every console page receives. Its first fields are the
// ones the shared layout uses.
type pageData struct {
	Title        string
	RegisterName string
	Mode         string
	Nav          string
	Scripts      []string

	// Me is the signed-in account; CSRF the token its forms carry.
	Me   *staff.Account
	CSRF string
	// Error is shown in an error summary at the top of the page.
	Error string
	// Notice is a confirmation shown at the top of the page.
	Notice string
	// Form holds values to show again after an error.
	Form map[string]string

	Counts     []count
	Total      int
	Accounts   []*staff.Account
	SetupURL   string
	SetupFor   *staff.Account
	Factor     staff.Factor
	TOTPSecret string
	TOTPQR     template.URL
	PasskeysOK bool
	NoPasskeys string
	Codes      []string
	Roles      []register.Role
	// Providers are the catalogue's, one of which a provider account
	// belongs to (the staff page).
	Providers   []*courses.Provider
	Message     string
	LinkHref    string
	LinkText    string
	ManageStaff bool

	// ManageSettings shows the settings in the menu (admins).
	ManageSettings bool
	Audit          *auditData
	Settings       *settingsData
	// Rec is the registrants' pages' own (records.go); Approvals the
	// queue's and Attention the home page's list of what is due
	// (approvals.go).
	Rec       *recordsView
	Approvals *approvalsView
	Attention *attention
	// SSOLabel names the single sign-on button, if there is one.
	SSOLabel string
	// Edu is the catalogue's and applications' pages' own (education.go).
	Edu *eduView
	// Reports is the PSA report's and the CPD audit's (reports.go).
	Reports *reportsView
	// Renewals are the renewals waiting (renewals.go).
	Renewals  []*register.Renewal
	CanDecide bool
	// Claims is a training provider's pages' own (claims.go); Answers the
	// providers' answers about an application's or a record's
	// qualifications, line by line (AnswerAt).
	Claims  *claimsView
	Answers []*confirmations.Confirmation
	// ReadRegister and ConfirmQualifications choose the menu's links.
	ReadRegister          bool
	ConfirmQualifications bool
}

// RegisterMode tells the layout this is the register's own site.
func (pageData) RegisterMode() bool { return true }

// Register mounts the console's routes on r. Every route is here, with
// what it needs: a signed-in session, and which permission.
func (c *Console) Register(r *mux.Router) {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.render(w, "message", http.StatusForbidden, &pageData{Title: "Request refused",
			Message:  "This request came from another website, so it was refused to protect your account. Go back to the console and try again from there.",
			LinkHref: "/console", LinkText: "Go to the console"})
	}))
	get, post := []string{"GET", "HEAD"}, "POST"
	h := func(methods []string, path string, fn http.HandlerFunc) {
		r.Methods(methods...).Path(path).Handler(web.Secure(websession.NoStore(cop.Handler(c.available(fn)))))
	}
	p := []string{post}

	r.Methods(get...).Path("/admin").Handler(web.Secure(http.RedirectHandler("/console", http.StatusSeeOther)))

	// Signing in: email and password, then the second factor.
	h(get, "/login", c.loginPage)
	h(p, "/login", c.login)
	h(get, "/login/code", c.codePage)
	h(p, "/login/code", c.code)
	h(p, "/login/passkey/begin", c.passkeySignInBegin)
	h(p, "/login/passkey/finish", c.passkeySignInFinish)
	h(p, "/logout", c.signedIn("", c.logout))
	h(p, "/logout/all", c.signedIn("", c.logoutAll))

	// Account setup from a one-time link.
	h(get, "/setup/done", c.setupDone)
	h(get, "/setup/{token:[A-Za-z0-9_-]{43}}", c.openSetup)
	h(get, "/setup", c.setupPage)
	h(p, "/setup/password", c.setupPassword)
	h(p, "/setup/totp", c.setupTOTP)
	h(p, "/setup/passkey/begin", c.setupPasskeyBegin)
	h(p, "/setup/passkey/finish", c.setupPasskeyFinish)

	// The signed-in console.
	h(get, "/console", c.signedIn("", c.home))
	h(get, "/console/staff", c.signedIn(staff.ManageStaff, c.staffPage))
	h(p, "/console/staff", c.signedIn(staff.ManageStaff, c.addStaff))
	h(p, "/console/staff/{id}/disable", c.signedIn(staff.ManageStaff, c.disableStaff))
	h(p, "/console/staff/{id}/reset-2fa", c.signedIn(staff.ManageStaff, c.resetStaff))

	c.registerAudit(h)
	c.registerRecords(h)
	c.registerSettings(h)
	c.registerApprovals(h)
	c.registerSSO(h)
	c.registerEducation(h)
	c.registerReports(h)
	c.registerRenewals(h)
	c.registerClaims(h)
}

// Routes lists the signed-in console's routes as "METHOD /path", with the
// permission each needs ("" for any signed-in session): the role matrix
// test walks it, and a test keeps it equal to what Register mounts.
var Routes = map[string]staff.Permission{
	// Any role: a provider's staff are sent on to their queue (home).
	"GET /console":                       "",
	"GET /console/staff":                 staff.ManageStaff,
	"POST /console/staff":                staff.ManageStaff,
	"POST /console/staff/{id}/disable":   staff.ManageStaff,
	"POST /console/staff/{id}/reset-2fa": staff.ManageStaff,
	"POST /logout":                       "",
	"POST /logout/all":                   "",
}

// available refuses every console page when the register is served over
// plain http beyond loopback.
func (c *Console) available(h http.HandlerFunc) http.HandlerFunc {
	if c.refuse == "" {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		c.render(w, "message", http.StatusServiceUnavailable, &pageData{Title: "The console needs https", Message: c.refuse})
	}
}

// render writes a page, rendered into a buffer first so that a template
// error never sends half a page.
func (c *Console) render(w http.ResponseWriter, name string, status int, d *pageData) {
	d.RegisterName, d.Mode = c.cfg.RegisterName, "register"
	if c.cfg.SSO != nil {
		d.SSOLabel = c.cfg.SSOLabel
		if d.SSOLabel == "" {
			d.SSOLabel = "your organisation's account"
		}
	}
	// The live name, so that a change on the settings page shows at once.
	if n := c.cfg.State().Settings().RegisterName; n != "" {
		d.RegisterName = n
	}
	if d.Me != nil {
		d.ManageStaff = staff.Can(d.Me.Role, staff.ManageStaff)
		d.ManageSettings = staff.Can(d.Me.Role, staff.ManageSettings)
		d.ReadRegister = staff.Can(d.Me.Role, staff.ReadRegister)
		d.ConfirmQualifications = staff.Can(d.Me.Role, staff.ConfirmQualifications)
	}
	var header func(http.Header)
	if name == "login" && c.cfg.SSO != nil {
		// The single sign-on button's form is answered by a redirect to
		// the provider, which form-action must allow.
		header = func(h http.Header) { h.Set("Content-Security-Policy", c.ssoCSP()) }
	}
	web.WritePage(w, c.pages[name], status, d, c.cfg.Logger, "console", name, header)
}

// kinds are the error kinds of the console's pages.
var kinds = append([]websession.Kind{{Err: staff.ErrThrottled, Status: http.StatusTooManyRequests}, {Err: staff.ErrLocked, Status: http.StatusForbidden}}, websession.Kinds...)

// problem is an error as a person should read it, with its status.
func (c *Console) problem(err error) (string, int) {
	return websession.Explain(err, kinds, c.cfg.Logger, "console", "tell the register's operator")
}
