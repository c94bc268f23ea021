package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/issuer/publicregister"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/regno"
)

// PublicRegister answers the public register's questions, for the pages
// (in RegisterMode). publicregister.Register is the one implementation;
// the JSON API renders the same answers.
type PublicRegister interface {
	Search(q string) (publicregister.SearchResult, error)
	Entry(regno string) (publicregister.EntryResult, error)
}

// searchView is the search page's state: a form, and the answer once a
// query was sent.
type searchView struct {
	Query string
	// Error says, for a person, what was wrong with the query.
	Error string
	// Done means a search ran: Said and the results are shown.
	Done        bool
	Said        string
	Refine      bool
	Entries     []entryView
	QualityMark publicregister.QualityMark
	CheckedAt   string
}

// entryView is an entry as a page shows it.
type entryView struct {
	publicregister.Entry
	StatusWord, StatusIcon string
	Since                  string
	RegisteredUntilText    string
	RemovedOnText          string
	NationName             string
	// NotPractising is the plain statement on an entry not in good standing.
	NotPractising string
	// Grace says, of an entry in its grace period, what that means.
	Grace string
	// MarkTick shows the register's Quality Mark on an entry in good
	// standing, and on no other.
	MarkTick bool
	// Link makes the name a link to the entry's own page.
	Link bool
}

var statusWords = map[string][2]string{
	"registered": {"Registered", "check"},
	"suspended":  {"Suspended", "pause"},
	"lapsed":     {"Lapsed (not renewed)", "dash"},
	"removed":    {"Removed from the register", "cross"},
}

var nationNames = map[string]string{"england": "England", "wales": "Wales", "scotland": "Scotland", "northern-ireland": "Northern Ireland"}

// longDate turns "2026-03-12" into "12 March 2026".
func longDate(d register.Date) string {
	t, err := time.Parse(register.DateLayout, string(d))
	if err != nil {
		return string(d)
	}
	return t.Format("2 January 2006")
}

func newEntryView(e publicregister.Entry, qm publicregister.QualityMark, link bool) entryView {
	v := entryView{Entry: e, Link: link, NationName: nationNames[e.Nation]}
	if v.NationName == "" {
		v.NationName = e.Nation
	}
	sw, ok := statusWords[e.Status]
	if !ok {
		sw = [2]string{e.Status, "dash"}
	}
	v.StatusWord, v.StatusIcon = sw[0], sw[1]
	if e.Status == "suspended" && e.SuspendedUntil != "" {
		v.StatusWord += " until " + longDate(e.SuspendedUntil)
	}
	v.Since = longDate(register.Date(e.StatusSince))
	v.RegisteredUntilText = longDate(e.RegisteredUntil)
	v.RemovedOnText = longDate(e.RemovedOn)
	const may = " may not practise as a registered link worker."
	switch {
	case e.Status == "removed":
		v.NotPractising = e.Name + " was removed from the register on " + v.RemovedOnText + " and" + may
	case e.Status == "suspended":
		v.NotPractising = e.Name + " is suspended from the register and" + may
	case e.Status == "lapsed":
		v.NotPractising = e.Name + "'s registration has lapsed: they" + may
	case !e.MayPractise:
		v.NotPractising = e.Name + "'s registration ended on " + v.RegisteredUntilText + ": they" + may
	}
	if e.LapsesOn != "" && e.MayPractise {
		v.Grace = "Renewal overdue: the registration ran until " + v.RegisteredUntilText + " and has not been renewed. " + e.Name +
			" is still registered during the register's grace period, and the registration lapses on " + longDate(e.LapsesOn) +
			" unless it is renewed before then. Credentials expired on " + v.RegisteredUntilText + ", so a credential check shows them expired: this entry is the check."
	}
	v.MarkTick = e.MayPractise && qm.Held
	return v
}

// EntryView is an entry as the public register's pages show it, for the
// "entry" part of a page another package renders in the site's layout.
func EntryView(res publicregister.EntryResult) any {
	return newEntryView(res.Entry, res.QualityMark, false)
}

// humanError is what a person reads of a refused query: the message
// without the error kind it wraps.
func humanError(err error) string {
	msg := err.Error()
	for _, kind := range []error{register.ErrInvalid, regno.ErrCheckDigit, regno.ErrFormat, register.ErrNotFound} {
		if errors.Is(err, kind) {
			msg = strings.TrimPrefix(msg, kind.Error()+": ")
		}
	}
	if msg == "" {
		return msg
	}
	return strings.ToUpper(msg[:1]) + msg[1:]
}

// registerPage is the search: an ordinary GET form, answered on the server,
// so that it works without JavaScript and its results can be bookmarked.
func (s *Site) registerPage(r *http.Request, d *pageData) (string, int) {
	d.Title, d.Nav = "Search the register", "register"
	d.Scripts = []string{scriptCommon, scriptRegister}
	q, asked := r.URL.Query()["q"]
	sv := &searchView{}
	d.Search = sv
	if !asked {
		return "register", http.StatusOK
	}
	sv.Query = strings.TrimSpace(q[0])
	res, err := s.cfg.Register.Search(sv.Query)
	if err != nil {
		if !errors.Is(err, register.ErrInvalid) && !errors.Is(err, regno.ErrCheckDigit) {
			s.cfg.Logger.Error("web: register search failed", "err", err)
			sv.Error = "The search failed. Try again in a moment."
			return "register", http.StatusInternalServerError
		}
		sv.Error = humanError(err)
		d.Title = "Error: " + d.Title
		return "register", http.StatusBadRequest
	}
	sv.Done, sv.QualityMark, sv.CheckedAt = true, res.QualityMark, checkedAt(res.CheckedAt)
	for _, e := range res.Results {
		sv.Entries = append(sv.Entries, newEntryView(e, res.QualityMark, true))
	}
	sv.Said, sv.Refine = said(res), res.Refine
	d.Title = sv.Query + " – " + d.Title
	return "register", http.StatusOK
}

// said is the one-line answer to a search.
func said(res publicregister.SearchResult) string {
	n := len(res.Results)
	switch {
	case n == 0:
		return "No entries found for “" + res.Query + "”. Check the spelling, or search by registration number."
	case res.Refine:
		more := "more than "
		if !res.TotalAtLeast {
			more = ""
		}
		return itoa(res.Total, more) + " entries found for “" + res.Query + "”. The best " + itoa(n, "") + " are shown."
	case n == 1:
		return "1 entry found for “" + res.Query + "”."
	}
	return itoa(n, "") + " entries found for “" + res.Query + "”."
}

func itoa(n int, prefix string) string { return prefix + strconv.Itoa(n) }

func checkedAt(rfc3339 string) string {
	t, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		return rfc3339
	}
	return t.UTC().Format("2 January 2006, 15:04 UTC")
}

// entryPageView is the entry page's state: the entry a credential's QR code and its
// "publicRegister" link point the public at.
type entryPageView struct {
	Entry       *entryView
	Missing     string
	QualityMark publicregister.QualityMark
	CheckedAt   string
}

func (s *Site) entryPage(r *http.Request, d *pageData) (string, int) {
	n, err := regno.Parse(mux.Vars(r)["regno"])
	if err != nil {
		d.Title = "Page not found"
		return "notfound", http.StatusNotFound
	}
	d.Title, d.Nav, d.Regno = "Register entry "+n, "register", n
	d.Scripts = []string{scriptCommon, scriptRegister}
	ev := &entryPageView{}
	d.EntryPage = ev
	res, err := s.cfg.Register.Entry(n)
	switch {
	case errors.Is(err, register.ErrNotFound):
		ev.Missing = n + " is not on the register."
		return "entry", http.StatusNotFound
	case err != nil:
		s.cfg.Logger.Error("web: register entry failed", "err", err)
		ev.Missing = "The entry could not be loaded. Try again in a moment."
		return "entry", http.StatusInternalServerError
	}
	v := newEntryView(res.Entry, res.QualityMark, false)
	ev.Entry, ev.QualityMark, ev.CheckedAt = &v, res.QualityMark, checkedAt(res.CheckedAt)
	return "entry", http.StatusOK
}
