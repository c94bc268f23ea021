package console

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/confirmations"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/registrants"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/namefold"
	"github.com/nalw/linkpass/oid4vci"
	"github.com/nalw/linkpass/regno"
	"github.com/nalw/linkpass/staff"
)

// The registrants' pages: find a registrant, their record with its
// history, and the actions on it. Every action runs through package
// registrants, the operations the API calls too; these handlers only read
// a form, call, and render.

// Offers makes OpenID4VCI credential offers (package oid4vci's Service).
type Offers interface {
	CreateOffer(ctx context.Context, actor register.Actor, number string, req oid4vci.OfferRequest) (*oid4vci.CreatedOffer, error)
}

// maxFound is the most registrants one search lists.
const maxFound = 50

func init() {
	pageNames = append(pageNames, "find", "record", "action", "confirm", "offer", "issued")
	maps.Copy(Routes, recordRoutes())
}

// recordRoutes lists the registrants' pages with the permission each
// needs: reading for the pages that show, changing for the actions.
func recordRoutes() map[string]staff.Permission {
	out := map[string]staff.Permission{
		"GET /console/registrants":         staff.ReadRegister,
		"GET /console/registrants/new":     staff.ChangeRegister,
		"POST /console/registrants/new":    staff.ChangeRegister,
		"GET /console/registrants/{regno}": staff.ReadRegister,
	}
	for _, a := range actions {
		out["GET /console/registrants/{regno}/"+a.name] = staff.ChangeRegister
		out["POST /console/registrants/{regno}/"+a.name] = staff.ChangeRegister
	}
	return out
}

// registerRecords mounts the registrants' pages through h, which wraps
// each in the console's security (see Register).
func (c *Console) registerRecords(h func([]string, string, http.HandlerFunc)) {
	get, post := []string{"GET", "HEAD"}, []string{"POST"}
	h(get, "/console/registrants", c.signedIn(staff.ReadRegister, c.find))
	h(get, "/console/registrants/new", c.signedIn(staff.ChangeRegister, c.actionPage(addAction)))
	h(post, "/console/registrants/new", c.signedIn(staff.ChangeRegister, c.actionPost(addAction)))
	h(get, "/console/registrants/{regno}", c.signedIn(staff.ReadRegister, c.record))
	for _, a := range actions {
		h(get, "/console/registrants/{regno}/"+a.name, c.signedIn(staff.ChangeRegister, c.actionPage(a)))
		h(post, "/console/registrants/{regno}/"+a.name, c.signedIn(staff.ChangeRegister, c.actionPost(a)))
	}
}

// recordsView is what the registrants' pages show.
type recordsView struct {
	Query    string
	Searched bool
	Found    []*register.Registrant
	Total    int
	More     bool

	R           *register.Registrant
	Credentials []*register.IssuedCredential
	Timeline    []timelineEntry
	// Proposals are the changes to the record waiting for approval.
	Proposals []*register.Proposal
	// CPDActivities and Renewals are what the registrant recorded in
	// their account (package account).
	CPDActivities []*register.CPDActivity
	Renewals      []*register.Renewal
	Actions       []*actionLink
	CanChange     bool
	Today         register.Date

	Action  *actionView
	Preview *registrants.Preview
	Offer   *oid4vci.CreatedOffer
	Issued  *issuer.Issued
}

// IssuedHref is the credential just issued as a data: URL, to download
// without another request.
func (v *recordsView) IssuedHref() template.URL {
	return template.URL("data:application/vc+jwt;base64," + base64.StdEncoding.EncodeToString([]byte(v.Issued.JWT)))
}

type actionLink struct{ Name, Title string }

type actionView struct {
	Name, Title, Intro, Button, Path string
	Danger                           bool
	Fields                           []field
}

// timelineEntry is one audited change on a record.
type timelineEntry struct {
	When, ISO, Who, What, Reason string
	Details                      []detail
}

type detail struct{ Key, Value string }

func (c *Console) needRegistrants() error {
	if c.cfg.Registrants == nil {
		return fmt.Errorf("%w: this console was started without the register's operations", register.ErrUnavailable)
	}
	return nil
}

func (c *Console) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now()
	}
	return time.Now()
}

func (c *Console) find(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	v := &recordsView{Query: q, Searched: q != "", CanChange: staff.Can(me.Role, staff.ChangeRegister)}
	d := &pageData{Title: "Find a registrant", Nav: "registrants", Me: me, CSRF: ss.CSRF, Rec: v}
	if q == "" {
		c.render(w, "find", http.StatusOK, d)
		return
	}
	found, total, err := c.search(q)
	if err != nil {
		c.fail(w, "find", d, err)
		return
	}
	v.Found, v.Total, v.More = found, total, total > len(found)
	if len(found) > 0 {
		d.Title = "Find a registrant: " + fmt.Sprint(total) + " found"
	}
	c.render(w, "find", http.StatusOK, d)
}

// search finds registrants by number, by email, or by name with the
// public search's folded matching. Staff see removed entries too.
func (c *Console) search(q string) ([]*register.Registrant, int, error) {
	st := c.cfg.State()
	n, err := regno.Parse(strings.ToUpper(q))
	switch {
	case errors.Is(err, regno.ErrCheckDigit):
		return nil, 0, fmt.Errorf("%w: %v", register.ErrInvalid, err)
	case err == nil:
		r, err := st.Registrant(n)
		if errors.Is(err, register.ErrNotFound) {
			return nil, 0, nil
		}
		if err != nil {
			return nil, 0, err
		}
		return []*register.Registrant{r}, 1, nil
	case strings.Contains(q, "@"):
		all, err := st.Registrants("")
		if err != nil {
			return nil, 0, err
		}
		var out []*register.Registrant
		for _, r := range all {
			if r.Email != "" && strings.EqualFold(r.Email, q) {
				out = append(out, r)
			}
		}
		return out, len(out), nil
	}
	fq := namefold.NewQuery(q)
	if fq.Empty() || len(q) < 2 {
		return nil, 0, fmt.Errorf("%w: enter a name (at least 2 letters), a registration number such as LW1000015, or an email address", register.ErrInvalid)
	}
	res, err := st.Search(fq, maxFound, time.Time{})
	if err != nil {
		return nil, 0, err
	}
	return res.Registrants, res.Total, nil
}

// registrantData loads a registrant's record for a page.
func (c *Console) registrantData(r *http.Request, me *staff.Account) (*recordsView, error) {
	if err := c.needRegistrants(); err != nil {
		return nil, err
	}
	n, err := validNumber(mux.Vars(r)["regno"])
	if err != nil {
		return nil, err
	}
	st := c.cfg.State()
	reg, err := st.Registrant(n)
	if err != nil {
		return nil, err
	}
	creds, err := st.CredentialsOf(n)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(creds, func(i, j int) bool { return creds[i].IssuedAt.After(creds[j].IssuedAt) })
	return &recordsView{R: reg, Credentials: creds, CanChange: staff.Can(me.Role, staff.ChangeRegister), Today: register.DateOf(c.now())}, nil
}

func (c *Console) record(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	d := &pageData{Title: "Registrant", Nav: "registrants", Me: me, CSRF: ss.CSRF}
	v, err := c.registrantData(r, me)
	if err != nil {
		c.fail(w, "message", d, err)
		return
	}
	d.Rec, d.Title = v, v.R.FullName()+" ("+v.R.Number+")"
	if d.Answers, err = c.answers(confirmations.Subject{Registrant: v.R.Number}, v.R.Qualifications); err != nil {
		c.fail(w, "message", d, err)
		return
	}
	if v.Proposals, err = c.cfg.State().ProposalsOf(v.R.Number); err != nil {
		c.fail(w, "message", d, err)
		return
	}
	v.Proposals = slices.DeleteFunc(v.Proposals, func(p *register.Proposal) bool { return p.State != register.ProposalPending })
	if v.Timeline, err = c.timeline(v.R.Number); err != nil {
		c.fail(w, "message", d, err)
		return
	}
	if v.CPDActivities, err = c.cfg.State().CPDOf(v.R.Number); err == nil {
		v.Renewals, err = c.cfg.State().RenewalsOf(v.R.Number)
	}
	if err != nil {
		c.fail(w, "message", d, err)
		return
	}
	for _, a := range actions {
		if a.when(v.R) {
			v.Actions = append(v.Actions, &actionLink{Name: a.name, Title: a.title})
		}
	}
	q := r.URL.Query()
	if a := actionNamed(q.Get("done")); a != nil {
		d.Notice = a.done
	} else if q.Get("done") == addAction.name {
		d.Notice = "Added " + v.R.FullName() + " to the register as " + v.R.Number + "."
	}
	if a := actionNamed(q.Get("proposed")); a != nil {
		d.Notice = "Proposed: " + strings.ToLower(a.title[:1]) + a.title[1:] + ". Nothing has changed yet: it takes effect when a second registrar approves it."
	}
	if jti := q.Get("credential"); jti != "" && d.Notice != "" {
		d.Notice += " Credential " + jti + "."
	}
	c.render(w, "record", http.StatusOK, d)
}

// actionWords names audited actions in plain words for the timeline.
var actionWords = map[string]string{
	"registrant.add": "Added to the register", "registrant.suspend": "Suspended", "registrant.reinstate": "Reinstated",
	"registrant.remove": "Removed from the register", "registrant.renew": "Renewed", "registrant.restrict": "Restriction added",
	"registrant.unrestrict": "Restrictions lifted", "registrant.add-qualification": "Qualification added",
	"registrant.record-cpd": "CPD recorded", "registrant.correct": "Record corrected",
	"registrant.set-review": "Review date changed", "registrant.edit-qualification": "Qualification corrected", "registrant.withdraw-qualification": "Qualification withdrawn",
	"registrant.lapse": "Lapsed (not renewed)", "registrant.import": "Imported",
	"credential.issue": "Credential issued", "credential.revoke": "Credential revoked", "credential.supersede": "Credential superseded",
	"proposal.create": "Proposed for approval", "proposal.approve": "Proposal approved", "proposal.reject": "Proposal rejected",
	"credential.suspend": "Credential suspended", "credential.reinstate": "Credential valid again",
	"offer.create": "Wallet offer made", "offer.withdraw": "Wallet offer withdrawn",
	"mail.queue": "Mail queued", "mail.sent": "Mail sent", "mail.failed": "Mail failed",
}

// timeline is every audited change on a record, newest first, with who
// made it by name.
func (c *Console) timeline(number string) ([]timelineEntry, error) {
	st := c.cfg.State()
	evs, err := st.Audit(state.AuditFilter{Registrant: number})
	if err != nil {
		return nil, err
	}
	out := make([]timelineEntry, 0, len(evs))
	for _, ev := range slices.Backward(evs) {
		what := actionWords[ev.Action]
		if what == "" {
			what = ev.Action
		}
		if ev.Target != "" {
			what += " (" + ev.Target + ")"
		}
		e := timelineEntry{When: ev.At.UTC().Format("2 Jan 2006 15:04 UTC"), ISO: ev.At.UTC().Format(time.RFC3339), Who: st.ActorName(ev.Actor), What: what, Reason: ev.Reason}
		for _, k := range slices.Sorted(maps.Keys(ev.Details)) {
			e.Details = append(e.Details, detail{k, ev.Details[k]})
		}
		out = append(out, e)
	}
	return out, nil
}

// actionData loads what an action's pages need: the record (none for an
// addition) and the action's fields, with the form's values if any.
func (c *Console) actionData(r *http.Request, ss *staff.Session, me *staff.Account, a *action, form url.Values) (*pageData, error) {
	d := &pageData{Title: a.title, Nav: "registrants", Me: me, CSRF: ss.CSRF}
	v := &recordsView{CanChange: true}
	if a == addAction {
		if err := c.needRegistrants(); err != nil {
			return d, err
		}
	} else {
		var err error
		if v, err = c.registrantData(r, me); err != nil {
			return d, err
		}
		d.Title = a.title + ": " + v.R.FullName() + " (" + v.R.Number + ")"
	}
	d.Rec = v
	path := "/console/registrants/" + a.name
	if v.R != nil {
		path = "/console/registrants/" + v.R.Number + "/" + a.name
	}
	fs := a.fields(v.R, v.Credentials, r.URL.Query())
	for i := range fs {
		if fs[i].Name == "course" && fs[i].Kind == "select" {
			fs[i].Options = c.courseOptions()
		}
	}
	if form != nil {
		for i := range fs {
			fs[i].Value = form.Get(fs[i].Name)
		}
	}
	v.Action = &actionView{Name: a.name, Title: a.title, Intro: a.intro, Button: a.button, Path: path, Danger: a.danger, Fields: fs}
	return d, nil
}

func (c *Console) actionPage(a *action) authed {
	return func(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
		d, err := c.actionData(r, ss, me, a, nil)
		if err != nil {
			c.fail(w, "message", d, err)
			return
		}
		c.render(w, "action", http.StatusOK, d)
	}
}

func (c *Console) number(d *pageData) string {
	if d.Rec.R == nil {
		return ""
	}
	return d.Rec.R.Number
}

// actionPost is an action's two steps: without step=confirm it shows what
// the change will do; with it, it makes the change.
func (c *Console) actionPost(a *action) authed {
	return func(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
		if err := r.ParseForm(); err != nil {
			c.fail(w, "message", &pageData{Title: a.title, Me: me, CSRF: ss.CSRF}, errors.Join(register.ErrInvalid, err))
			return
		}
		f := r.PostForm
		d, err := c.actionData(r, ss, me, a, f)
		if err != nil {
			c.fail(w, "message", d, err)
			return
		}
		n := c.number(d)
		if f.Get("step") != "confirm" {
			p, err := c.preview(a, n, f)
			if err != nil {
				c.fail(w, "action", d, err)
				return
			}
			d.Rec.Preview, d.Title = p, "Check the change: "+d.Title
			c.render(w, "confirm", http.StatusOK, d)
			return
		}
		res, err := c.commit(r.Context(), a, staff.ActorFor(me), n, f)
		if err != nil {
			c.fail(w, "action", d, err)
			return
		}
		if res.issued != nil {
			d.Rec.Issued, d.Title = res.issued, "Credential issued: "+d.Rec.R.FullName()
			d.Notice = a.done
			if a.name != "issue-credential" {
				d.Notice += " Its credentials that stated what changed were superseded, and a new one was issued in their place."
			}
			c.render(w, "issued", http.StatusOK, d)
			return
		}
		if res.offer != nil {
			d.Rec.Offer, d.Title = res.offer, "Credential offer made: "+d.Rec.R.FullName()
			c.render(w, "offer", http.StatusOK, d)
			return
		}
		http.Redirect(w, r, "/console/registrants/"+res.number+"?"+res.query.Encode(), http.StatusSeeOther)
	}
}

func (c *Console) preview(a *action, n string, f url.Values) (*registrants.Preview, error) {
	if a.preview != nil {
		return a.preview(c, n, f)
	}
	op, err := a.op(f)
	if err != nil {
		return nil, err
	}
	return c.cfg.Registrants.Preview(n, op)
}

func (c *Console) commit(ctx context.Context, a *action, actor register.Actor, n string, f url.Values) (*actionResult, error) {
	if a.commit != nil {
		res, err := a.commit(c, ctx, actor, n, f)
		if err == nil && res.query == nil {
			res.query = url.Values{"done": {a.name}}
		}
		return res, err
	}
	op, err := a.op(f)
	if err != nil {
		return nil, err
	}
	out, err := c.cfg.Registrants.Change(ctx, actor, n, op)
	if err != nil {
		return nil, err
	}
	if out.Proposal != nil {
		return &actionResult{number: n, query: url.Values{"proposed": {a.name}}}, nil
	}
	return &actionResult{number: n, query: url.Values{"done": {a.name}}, issued: out.Reissued}, nil
}
