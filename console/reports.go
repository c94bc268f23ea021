package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/nalw/linkpass/cpdaudit"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/reports"
	"github.com/nalw/linkpass/staff"
)

// The PSA report as a printable page with a CSV download, and the yearly
// CPD audit: draw, outcomes, and the re-run an assessor can ask for. Both
// call the same packages the API does (reports, cpdaudit).

// reportsView is what the report and CPD audit pages show.
type reportsView struct {
	From, To string
	Report   *reports.Report
	CSV      string

	Year   int
	Audits []*register.CPDAudit
	Check  *cpdaudit.Verification
	// Drawn is set once the year has a draw.
	Drawn bool
}

func init() {
	pageNames = append(pageNames, "reports", "cpd-audits")
	Routes["GET /console/reports"] = staff.ReadRegister
	Routes["GET /console/reports/export"] = staff.ReadRegister
	Routes["GET /console/cpd-audits"] = staff.ReadRegister
	Routes["POST /console/cpd-audits/draw"] = staff.ChangeRegister
	Routes["POST /console/cpd-audits/outcome"] = staff.ChangeRegister
}

func (c *Console) registerReports(h func(methods []string, path string, fn http.HandlerFunc)) {
	get, post := []string{http.MethodGet, http.MethodHead}, []string{http.MethodPost}
	h(get, "/console/reports", c.signedIn(staff.ReadRegister, c.reportPage))
	h(get, "/console/reports/export", c.signedIn(staff.ReadRegister, c.reportExport))
	h(get, "/console/cpd-audits", c.signedIn(staff.ReadRegister, c.cpdAuditPage))
	h(post, "/console/cpd-audits/draw", c.signedIn(staff.ChangeRegister, c.cpdAuditDraw))
	h(post, "/console/cpd-audits/outcome", c.signedIn(staff.ChangeRegister, c.cpdAuditOutcome))
}

func (c *Console) today() register.Date { return register.DateOf(c.now()) }

// report reads ?from= and ?to= (this year so far by default) and builds
// the report.
func (c *Console) report(q url.Values) (*reportsView, error) {
	today := c.today()
	v := &reportsView{From: q.Get("from"), To: q.Get("to")}
	if v.From == "" {
		v.From = string(today[:4]) + "-01-01"
	}
	if v.To == "" {
		v.To = string(today)
	}
	for _, d := range []struct {
		name string
		v    *string
	}{{"From", &v.From}, {"To", &v.To}} {
		if _, err := register.ParseDate(*d.v); err != nil {
			// The date field cannot show what is not a date: the message
			// quotes it instead.
			bad := *d.v
			*d.v = ""
			return v, fmt.Errorf("%s %q: %w", d.name, bad, err)
		}
	}
	var err error
	v.Report, err = reports.Read(c.cfg.State(), register.Date(v.From), register.Date(v.To), c.now())
	v.CSV = "/console/reports/export?" + url.Values{"from": {v.From}, "to": {v.To}}.Encode()
	return v, err
}

func (c *Console) reportPage(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	d := c.page("Report for the PSA", "reports", ss, me)
	v, err := c.report(r.URL.Query())
	d.Reports = v
	if err != nil {
		v.Report = nil
		c.fail(w, "reports", d, err)
		return
	}
	c.render(w, "reports", http.StatusOK, d)
}

func (c *Console) reportExport(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	v, err := c.report(r.URL.Query())
	if err != nil {
		d := c.page("Report for the PSA", "reports", ss, me)
		d.Reports = v
		v.Report = nil
		c.fail(w, "reports", d, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="psa-report-%s-%s.csv"`, v.From, v.To))
	if err := v.Report.WriteCSV(w); err != nil {
		c.cfg.Logger.Warn("sending a report failed", "err", err)
	}
}

// page starts a signed-in page's data.
func (c *Console) page(title, nav string, ss *staff.Session, me *staff.Account) *pageData {
	return &pageData{Title: title, Nav: nav, Me: me, CSRF: ss.CSRF, ManageStaff: staff.Can(me.Role, staff.ManageStaff),
		ManageSettings: staff.Can(me.Role, staff.ManageSettings), Form: map[string]string{}}
}

func (c *Console) cpdAuditView(year int) (*reportsView, error) {
	v := &reportsView{Year: year}
	if err := c.needAudits(); err != nil {
		return v, err
	}
	list, err := c.cfg.CPDAudit.List(year)
	if err != nil {
		return v, err
	}
	v.Audits = list
	if check, err := c.cfg.CPDAudit.Verify(year); err == nil {
		v.Check, v.Drawn = check, true
	}
	return v, nil
}

func (c *Console) yearOf(s string) (int, error) {
	if s == "" {
		y, _ := strconv.Atoi(string(c.today()[:4]))
		return y, nil
	}
	y, err := strconv.Atoi(s)
	if err != nil || y < 2000 || y > 9999 {
		return 0, fmt.Errorf("%w: %q is not a year; give four digits, e.g. 2026", register.ErrInvalid, s)
	}
	return y, nil
}

func (c *Console) cpdAuditPage(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	d := c.page("CPD audit", "cpd-audits", ss, me)
	d.Reports = &reportsView{}
	y, err := c.yearOf(r.URL.Query().Get("year"))
	if err != nil {
		c.fail(w, "cpd-audits", d, err)
		return
	}
	if d.Reports, err = c.cpdAuditView(y); err != nil {
		c.fail(w, "cpd-audits", d, err)
		return
	}
	switch r.URL.Query().Get("done") {
	case "draw":
		d.Notice = fmt.Sprintf("The %d CPD audit was drawn. Each person drawn has been emailed for their evidence.", y)
	case "outcome":
		d.Notice = "The outcome was recorded."
	}
	c.render(w, "cpd-audits", http.StatusOK, d)
}

func (c *Console) cpdAuditDraw(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	d := c.page("CPD audit", "cpd-audits", ss, me)
	y, err := c.yearOf(r.PostFormValue("year"))
	share := register.DefaultCPDAuditShare
	if s := r.PostFormValue("share"); err == nil && s != "" {
		pc, perr := strconv.ParseFloat(s, 64)
		if perr != nil {
			err = fmt.Errorf("%w: the share %q is not a number of per cent, e.g. 2.5", register.ErrInvalid, s)
		}
		share = pc / 100
	}
	if err == nil {
		err = c.needAudits()
	}
	if err == nil {
		_, err = c.cfg.CPDAudit.Draw(r.Context(), staff.ActorFor(me), y, share)
	}
	if err != nil {
		d.Form["share"] = r.PostFormValue("share")
		d.Reports, _ = c.cpdAuditView(y)
		c.fail(w, "cpd-audits", d, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/console/cpd-audits?year=%d&done=draw", y), http.StatusSeeOther)
}

func (c *Console) cpdAuditOutcome(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	d := c.page("CPD audit", "cpd-audits", ss, me)
	y, err := c.yearOf(r.PostFormValue("year"))
	n, outcome := r.PostFormValue("registrant"), r.PostFormValue("outcome")
	if err == nil && outcome != "passed" && outcome != "failed" {
		err = fmt.Errorf("%w: choose passed or failed", register.ErrInvalid)
	}
	if err == nil {
		err = c.needAudits()
	}
	if err == nil {
		_, err = c.cfg.CPDAudit.Decide(r.Context(), staff.ActorFor(me), y, n, outcome == "passed", r.PostFormValue("note"))
	}
	if err != nil {
		d.Form["registrant"], d.Form["note"] = n, r.PostFormValue("note")
		d.Reports, _ = c.cpdAuditView(y)
		c.fail(w, "cpd-audits", d, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/console/cpd-audits?year=%d&done=outcome", y), http.StatusSeeOther)
}

func (c *Console) needAudits() error {
	if c.cfg.CPDAudit == nil {
		return fmt.Errorf("%w: this register runs no CPD audits", register.ErrUnavailable)
	}
	return nil
}
