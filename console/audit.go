package console

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/nalw/linkpass/issuer/audit"
	"github.com/nalw/linkpass/staff"
)

// The audit trail for auditors: the query of GET /v1/audit (package
// audit) as a GET form, so that a filtered page can be bookmarked and
// shared, and the same export the API streams, by download link.

// auditPageSize is the console's page: shorter than the API's, as people
// read it.
const auditPageSize = 50

// auditData is what the audit page shows.
type auditData struct {
	Query   audit.Query
	Actions []string
	Events  []audit.Event
	// Next is the link to the next page, First to the first, when there
	// are such pages.
	Next, First string
	// CSV and JSONL download what the filter selects, every page.
	CSV, JSONL string
}

func init() {
	pageNames = append(pageNames, "audit")
	Routes["GET /console/audit"] = staff.ReadRegister
	Routes["GET /console/audit/export"] = staff.ReadRegister
}

// registerAudit mounts the audit trail's routes.
func (c *Console) registerAudit(h func(methods []string, path string, fn http.HandlerFunc)) {
	get := []string{http.MethodGet, http.MethodHead}
	h(get, "/console/audit", c.signedIn(staff.ReadRegister, c.auditPage))
	h(get, "/console/audit/export", c.signedIn(staff.ReadRegister, c.auditExport))
}

func (c *Console) auditPage(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	st := c.cfg.State()
	d := &pageData{Title: "Audit trail", Nav: "audit", Me: me, CSRF: ss.CSRF, Audit: &auditData{Actions: st.AuditActions()}}
	q, err := audit.ParseValues(r.URL.Query())
	d.Audit.Query = q
	if err != nil {
		c.fail(w, "audit", d, err)
		return
	}
	q.Limit = auditPageSize
	f, err := q.Filter(st)
	if err != nil {
		c.fail(w, "audit", d, err)
		return
	}
	evs, err := st.Audit(f)
	if err != nil {
		c.fail(w, "audit", d, err)
		return
	}
	d.Audit.Events = audit.Named(st, evs)
	link := func(path string, q audit.Query, extra url.Values) string {
		v := q.Values()
		v.Del("limit")
		for k, vs := range extra {
			v[k] = vs
		}
		if len(v) == 0 {
			return path
		}
		return path + "?" + v.Encode()
	}
	whole := q
	whole.After, whole.Limit = 0, 0
	if len(evs) >= f.Limit {
		next := whole
		next.After = evs[len(evs)-1].Index
		d.Audit.Next = link("/console/audit", next, nil)
	}
	if q.After > 0 {
		d.Audit.First = link("/console/audit", whole, nil)
	}
	d.Audit.CSV = link("/console/audit/export", whole, url.Values{"format": {audit.FormatCSV}})
	d.Audit.JSONL = link("/console/audit/export", whole, url.Values{"format": {audit.FormatJSONLines}})
	c.render(w, "audit", http.StatusOK, d)
}

// auditExport sends what the filter selects, every page, as a file.
func (c *Console) auditExport(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	st := c.cfg.State()
	refuse := func(err error) {
		c.fail(w, "audit", &pageData{Title: "Audit trail", Nav: "audit", Me: me, CSRF: ss.CSRF, Audit: &auditData{Actions: st.AuditActions()}}, err)
	}
	format, err := audit.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		refuse(err)
		return
	}
	q, err := audit.ParseValues(r.URL.Query())
	if err != nil {
		refuse(err)
		return
	}
	f, err := q.Filter(st)
	if err != nil {
		refuse(err)
		return
	}
	f.Limit = 0
	evs, err := st.Audit(f)
	if err != nil {
		refuse(err)
		return
	}
	ext := "jsonl"
	if format == audit.FormatCSV {
		ext = "csv"
	}
	w.Header().Set("Content-Type", audit.ContentType(format))
	w.Header().Set("Content-Disposition", `attachment; filename="linkpass-audit-`+strconv.FormatUint(st.Index(""), 10)+"."+ext+`"`)
	if err := audit.Write(w, format, audit.Named(st, evs)); err != nil {
		c.cfg.Logger.Warn("console: sending an audit export failed", "err", err)
	}
}
