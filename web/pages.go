package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"
)

//go:embed templates
var templateFS embed.FS

// pageNames are the templates under templates/, each rendered inside
// layout.html.
var pageNames = []string{"home", "register", "entry", "verify", "notfound", "courses", "wallet", "apply"}

func parsePages() (map[string]*template.Template, error) {
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(pageFuncs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: parsing page %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// Templates parses a page of another package (the console) inside the
// site's layout, so every page shares one look: files are the page's
// templates in fsys, which define "main" and may define "nav". The site's
// parts ("entry", "icon") are there too. The data a
// page renders with must have the fields and methods layout.html uses
// (Title, RegisterName, Mode, Nav, Scripts, RegisterMode).
func Templates(fsys fs.FS, files ...string) (*template.Template, error) {
	t, err := template.New("layout").ParseFS(templateFS, "templates/layout.html", "templates/parts.html")
	if err != nil {
		return nil, fmt.Errorf("web: parsing the layout: %w", err)
	}
	if t, err = t.ParseFS(fsys, files...); err != nil {
		return nil, fmt.Errorf("web: parsing %v: %w", files, err)
	}
	return t, nil
}

// Pages parses each named page of a signed-in site (templates/NAME.html
// in fsys) with the shared layout and the site's own templates/nav.html.
func Pages(fsys fs.FS, names []string) (map[string]*template.Template, error) {
	out := make(map[string]*template.Template, len(names))
	for _, name := range names {
		t, err := Templates(fsys, "templates/nav.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}

// pageData is what every page template receives.
type pageData struct {
	// Title is the page's own title; the layout adds the register's name.
	Title        string
	RegisterName string
	Mode         string
	// Nav is the nav entry of this page: "home", "register" or "verify".
	Nav string
	// Scripts are the page's scripts, in order.
	Scripts []string

	// Bundle is the trust bundle's freshness, in VerifierMode.
	Bundle *bundleView
	// Regno is the registration number of an entry page.
	Regno string
	// Search is the register search page's state; EntryPage an entry's.
	Search    *searchView
	EntryPage *entryPageView
	// Courses is the course catalogue page's state; Apply the
	// application form's.
	Courses *coursesView
	Apply   *applyView
}

// RegisterMode reports whether the page belongs to the register's site.
func (d pageData) RegisterMode() bool { return d.Mode == RegisterMode.String() }

// WritePage renders t's layout with d into a buffer, so that a template
// error never sends half a page, and writes it with status. header, if
// not nil, adds the page's own headers; site names the caller in the log.
func WritePage(w http.ResponseWriter, t *template.Template, status int, d any, logger *slog.Logger, site, name string, header func(http.Header)) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		logger.Error(site+": rendering page failed", "page", name, "err", err)
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if header != nil {
		header(w.Header())
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// pageHandler picks the page to render for a request, with its status.
type pageHandler func(r *http.Request, d *pageData) (page string, status int)

// page adapts h: it fills what every page shares, renders into a buffer so
// that a template error never sends half a page, and writes it.
func (s *Site) page(h pageHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := &pageData{RegisterName: s.cfg.RegisterName, Mode: s.cfg.Mode.String()}
		name, status := h(r, d)
		WritePage(w, s.pages[name], status, d, s.cfg.Logger, "web", name, func(h http.Header) { h.Set("Cache-Control", "no-cache") })
	})
}

// Scripts of the pages. common.js comes first: the others use it.
const (
	scriptCommon   = "/static/common.js"
	scriptRegister = "/static/register.js"
	scriptJSQR     = "/static/vendor/jsQR.js"
	scriptVerify   = "/static/verify.js"
)

func (s *Site) home(_ *http.Request, d *pageData) (string, int) {
	d.Nav = "home"
	if s.cfg.Mode == VerifierMode {
		d.Title = "Credential checker"
		d.Bundle = s.bundleView()
	} else {
		d.Title = "The public register of social prescribing link workers"
	}
	return "home", http.StatusOK
}

func (s *Site) verifyPage(_ *http.Request, d *pageData) (string, int) {
	d.Title, d.Nav = "Check a link worker's credential", "verify"
	d.Scripts = []string{scriptCommon, scriptJSQR, scriptVerify}
	if s.cfg.Mode == VerifierMode {
		d.Bundle = s.bundleView()
	}
	return "verify", http.StatusOK
}

// bundleView is the trust bundle's freshness as a page shows it.
type bundleView struct {
	Never       bool
	SyncedAt    string // "12 March 2026, 09:00 UTC"
	SyncedAtISO string
	Ago         string // "3 days ago"
	Issuer      string
	Stale       bool
	StaleReason string
}

func (s *Site) bundleView() *bundleView {
	info := s.cfg.BundleInfo()
	v := &bundleView{Issuer: info.Issuer, Stale: info.Stale, StaleReason: info.StaleReason, Never: info.SyncedAt.IsZero()}
	if !v.Never {
		t := info.SyncedAt.UTC()
		v.SyncedAt = t.Format("2 January 2006, 15:04 UTC")
		v.SyncedAtISO = t.Format(time.RFC3339)
		v.Ago = ago(s.cfg.Now().Sub(t))
	}
	if v.Never {
		v.Stale = true
		if v.StaleReason == "" {
			v.StaleReason = "This checker has never synced a trust bundle from the register."
		}
	}
	return v
}

// ago says how long d is, roughly, as people say it.
func ago(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit + " ago"
		}
		return fmt.Sprintf("%d %ss ago", n, unit)
	}
	switch {
	case d < 0:
		return "in the future: check this computer's clock"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d/(24*time.Hour)), "day")
}
