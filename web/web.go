// Package web is the register's website: the public register search, the
// front-desk credential checker (camera, photo upload or pasted text), and
// the same checker run by a practice on its own machine against a synced
// trust bundle.
//
// A Site mounts its pages, static assets and two small JSON endpoints
// (POST /v1/verify and POST /v1/verify/image) on the caller's gorilla/mux
// router, beside the register's /v1 API. Pages are plain HTML rendered on
// the server, with vanilla JavaScript and CSS embedded in the binary; the
// camera and photo decoding uses the vendored jsQR library. Every response
// carries a strict Content-Security-Policy: the pages load nothing from any
// other host and run no inline script or style. See docs/web.md.
package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/internal/verdict"
)

// Mode says which site to serve.
type Mode int

const (
	// RegisterMode is the register's own site (`linkpass serve`): the
	// public register search, register entries and the checker.
	RegisterMode Mode = iota + 1
	// VerifierMode is a practice's own checker (`linkpass verify serve`):
	// the checker and how fresh its trust bundle is, and no register.
	VerifierMode
)

// String returns "register" or "verifier".
func (m Mode) String() string {
	switch m {
	case RegisterMode:
		return "register"
	case VerifierMode:
		return "verifier"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// DefaultRegisterName is shown when Config.RegisterName is empty.
const DefaultRegisterName = "NALW Register of Social Prescribing Link Workers"

// BundleInfo says how fresh a verifier's trust bundle is. It is the JSON of
// GET /v1/verifier/status.
type BundleInfo struct {
	// SyncedAt is when the bundle was last fetched from the register; zero
	// means never.
	SyncedAt time.Time `json:"synced_at"`
	// Issuer is the register the bundle came from.
	Issuer string `json:"issuer"`
	// Stale is true when the bundle's status information is out of date.
	Stale bool `json:"stale"`
	// StaleReason says why, for a person.
	StaleReason string `json:"stale_reason,omitempty"`
}

// Config configures a Site.
type Config struct {
	// Mode is RegisterMode or VerifierMode.
	Mode Mode
	// RegisterName names the register in page titles and headings; empty
	// means DefaultRegisterName.
	RegisterName string
	// Verify checks a credential: text is what was scanned or pasted, the
	// QR compact text ("LP1:...") or a compact JWS, untrimmed. It must not
	// keep any record of whom it checked. VerifyWith builds one from a
	// verifier.Verifier.
	Verify func(ctx context.Context, text string) verdict.Verdict
	// Register answers the public register's searches and entries.
	// Required in RegisterMode, ignored in VerifierMode.
	Register PublicRegister
	// Applying takes applications at /apply in RegisterMode; nil says
	// the register takes none online.
	Applying Applying
	// Client names the client of a request for /apply's rate limits,
	// through the proxies the operator trusts (fairshare.Proxies.Client);
	// nil means the connection's address, which behind a proxy would put
	// every applicant under one limit.
	Client func(*http.Request) netip.Addr
	// Catalogue is the course catalogue, shown at /courses in
	// RegisterMode; nil shows an empty catalogue.
	Catalogue Catalogue
	// BundleInfo reports the trust bundle's freshness. Required in
	// VerifierMode, ignored in RegisterMode.
	BundleInfo func() BundleInfo
	// Logger receives operational logs; nil discards them. Nothing about
	// the credentials checked is logged.
	Logger *slog.Logger
	// Now returns the current time, for "3 days ago"; nil means time.Now.
	Now func() time.Time
}

// Validate returns the first problem with c.
func (c Config) Validate() error {
	switch c.Mode {
	case RegisterMode, VerifierMode:
	default:
		return fmt.Errorf("web: config: mode must be RegisterMode or VerifierMode, not %v", c.Mode)
	}
	if c.Verify == nil {
		return errors.New("web: config: Verify is required")
	}
	if c.Mode == RegisterMode && c.Register == nil {
		return errors.New("web: config: Register is required in RegisterMode")
	}
	if c.Mode == VerifierMode && c.BundleInfo == nil {
		return errors.New("web: config: BundleInfo is required in VerifierMode")
	}
	return nil
}

func (c *Config) init() {
	if c.RegisterName == "" {
		c.RegisterName = DefaultRegisterName
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Site is the website. It is safe for concurrent use.
type Site struct {
	cfg     Config
	pages   map[string]*template.Template
	static  *staticFiles
	uploads chan struct{} // bounds image requests in progress
	images  chan struct{} // bounds concurrent image decoding
}

// New builds a Site from cfg, parsing its templates and indexing its
// static files once.
func New(cfg Config) (*Site, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.init()
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	static, err := loadStatic()
	if err != nil {
		return nil, err
	}
	return &Site{cfg: cfg, pages: pages, static: static, uploads: make(chan struct{}, maxImageRequests), images: make(chan struct{}, imageDecoders())}, nil
}

// Register mounts the site's routes on r. Every route is listed here, so
// the site reads in one screen; each response carries the security headers
// (see headers.go).
func (s *Site) Register(r *mux.Router) {
	get := []string{"GET", "HEAD"}
	page := func(path string, h pageHandler) {
		r.Methods(get...).Path(path).Handler(secure(s.page(h)))
	}

	page("/", s.home)
	page("/verify", s.verifyPage)
	if s.cfg.Mode == RegisterMode {
		page("/register", s.registerPage)
		page("/register/{regno}", s.entryPage)
		page("/courses", s.coursesPage)
		page("/apply", s.applyPage)
		// The application form posts to the site itself only.
		cop := http.NewCrossOriginProtection()
		r.Methods("POST").Path("/apply/code").Handler(secure(cop.Handler(s.page(s.applyCode))))
		r.Methods("POST").Path("/apply").Handler(secure(cop.Handler(s.page(s.applySubmit))))
		page(PathWallet, s.walletPage)
		r.Methods(get...).Path(PathWalletWorker).Handler(secure(http.HandlerFunc(s.serviceWorker)))
		r.Methods("POST").Path(PathWalletQR).Handler(secure(s.api(s.walletQR)))
	}
	r.Methods(get...).PathPrefix("/static/").Handler(secure(s.static))

	r.Methods("POST").Path("/v1/verify").Handler(secure(s.api(s.verifyText)))
	r.Methods("POST").Path("/v1/verify/image").Handler(secure(s.api(s.verifyImage)))
	if s.cfg.Mode == VerifierMode {
		r.Methods(get...).Path("/v1/verifier/status").Handler(secure(s.api(s.verifierStatus)))
	}
}
