package console

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/confirmations"
	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/staff"
)

// The education pages: the course catalogue, and the queue of
// applications to join with a registrar's decisions. Every change runs
// through courses/catalogue and applications/intake, the operations the
// API calls too; these handlers only read a form, call, and render.

func init() {
	pageNames = append(pageNames, "courses", "applications", "application")
	maps.Copy(Routes, educationRoutes)
}

var educationRoutes = map[string]staff.Permission{
	"GET /console/courses":                    staff.ReadRegister,
	"POST /console/providers":                 staff.ChangeRegister,
	"POST /console/courses":                   staff.ChangeRegister,
	"POST /console/courses/standing":          staff.ChangeRegister,
	"GET /console/applications":               staff.ReadRegister,
	"GET /console/applications/{ref}":         staff.ReadRegister,
	"POST /console/applications/{ref}/{step}": staff.ChangeRegister,
}

// registerEducation mounts the education pages through h, which wraps
// each in the console's security (see Register).
func (c *Console) registerEducation(h func([]string, string, http.HandlerFunc)) {
	get, post := []string{"GET", "HEAD"}, []string{"POST"}
	h(get, "/console/courses", c.signedIn(staff.ReadRegister, c.coursesPage))
	h(post, "/console/providers", c.signedIn(staff.ChangeRegister, c.addProvider))
	h(post, "/console/courses", c.signedIn(staff.ChangeRegister, c.addCourse))
	h(post, "/console/courses/standing", c.signedIn(staff.ChangeRegister, c.setStanding))
	h(get, "/console/applications", c.signedIn(staff.ReadRegister, c.applicationsPage))
	h(get, "/console/applications/{ref}", c.signedIn(staff.ReadRegister, c.applicationPage))
	h(post, "/console/applications/{ref}/{step}", c.signedIn(staff.ChangeRegister, c.applicationStep))
}

// eduView is what the education pages show.
type eduView struct {
	CanChange bool
	Entries   []courses.Entry
	Providers []*courses.Provider
	Modes     []string
	Standings []courses.Standing
	Criteria  register.Criteria

	State  string
	States []applications.State
	Apps   []*applications.Application
	App    *applications.Application
	// Mail is what was emailed to the application's applicant, and what
	// became of each message.
	Mail   []*register.Message
	Routes []string
	// Open is the count of applications waiting for a decision.
	Open int
}

// standingForm is the standing fields of one form.
type standingForm struct {
	P    string
	Form map[string]string
	V    *eduView
}

// Fields gives the standing fields of the form whose ids start with p.
func (v *eduView) Fields(p string, form map[string]string) standingForm {
	return standingForm{P: p, Form: form, V: v}
}

func (c *Console) eduData(title, nav string, ss *staff.Session, me *staff.Account) (*pageData, *eduView) {
	v := &eduView{CanChange: staff.Can(me.Role, staff.ChangeRegister), Modes: courses.Modes, Standings: courses.Standings,
		States: applications.States, Routes: register.EntryRoutes}
	return &pageData{Title: title, Nav: nav, Me: me, CSRF: ss.CSRF, Edu: v, Form: map[string]string{}}, v
}

func (c *Console) fillCourses(v *eduView) error {
	st := c.cfg.State()
	es, err := courses.Read(st, courses.Filter{})
	if err != nil {
		return err
	}
	ps, err := st.Providers()
	if err != nil {
		return err
	}
	v.Entries, v.Providers, v.Criteria = es, ps, st.Settings().Criteria
	return nil
}

func (c *Console) coursesPage(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	d, v := c.eduData("Courses and training providers", "courses", ss, me)
	switch r.URL.Query().Get("done") {
	case "provider":
		d.Notice = "Provider " + r.URL.Query().Get("id") + " added."
	case "course":
		d.Notice = "Course " + r.URL.Query().Get("id") + " added."
	case "standing":
		d.Notice = "The standing of course " + r.URL.Query().Get("id") + " is recorded."
	}
	if err := c.fillCourses(v); err != nil {
		c.fail(w, "courses", d, err)
		return
	}
	c.render(w, "courses", http.StatusOK, d)
}

// catalogueFail shows the catalogue page again with the form's values and
// what was wrong.
func (c *Console) catalogueFail(w http.ResponseWriter, ss *staff.Session, me *staff.Account, f url.Values, form string, err error) {
	d, v := c.eduData("Courses and training providers", "courses", ss, me)
	for k := range f {
		d.Form[k] = f.Get(k)
	}
	d.Form["form"] = form
	if ferr := c.fillCourses(v); ferr != nil {
		err = ferr
	}
	c.fail(w, "courses", d, err)
}

func (c *Console) addProvider(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	f := r.PostForm
	p, err := c.cfg.Catalogue.AddProvider(r.Context(), staff.ActorFor(me), courses.NewProvider{Name: f.Get("name"), UKPRN: strings.TrimSpace(f.Get("ukprn"))})
	if err != nil {
		c.catalogueFail(w, ss, me, f, "provider", err)
		return
	}
	http.Redirect(w, r, "/console/courses?done=provider&id="+url.QueryEscape(p.ID), http.StatusSeeOther)
}

// standingFrom reads a standing from a form's fields.
func standingFrom(f url.Values) courses.StandingChange {
	return courses.StandingChange{Standing: courses.Standing(f.Get("standing")), Reference: strings.TrimSpace(f.Get("reference")),
		From: register.Date(strings.TrimSpace(f.Get("from"))), Until: register.Date(strings.TrimSpace(f.Get("until"))), Reason: f.Get("reason")}
}

func (c *Console) addCourse(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	f := r.PostForm
	n := courses.NewCourse{Provider: f.Get("provider"), Title: f.Get("title"), Mode: f.Get("mode"), Standing: standingFrom(f)}
	l, err := courses.ParseLevel(f.Get("framework") + ":" + f.Get("number"))
	if err == nil {
		n.Level = l
		var co *courses.Course
		if co, err = c.cfg.Catalogue.AddCourse(r.Context(), staff.ActorFor(me), n); err == nil {
			http.Redirect(w, r, "/console/courses?done=course&id="+url.QueryEscape(co.ID), http.StatusSeeOther)
			return
		}
	}
	c.catalogueFail(w, ss, me, f, "course", err)
}

func (c *Console) setStanding(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	f := r.PostForm
	id := f.Get("course")
	if _, err := c.cfg.Catalogue.SetStanding(r.Context(), staff.ActorFor(me), id, standingFrom(f)); err != nil {
		c.catalogueFail(w, ss, me, f, "standing", err)
		return
	}
	http.Redirect(w, r, "/console/courses?done=standing&id="+url.QueryEscape(id), http.StatusSeeOther)
}

func (c *Console) applicationsPage(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	d, v := c.eduData("Applications to join", "applications", ss, me)
	v.State = r.URL.Query().Get("state")
	var st applications.State
	if v.State != "" {
		var err error
		if st, err = applications.ParseState(v.State); err != nil {
			c.fail(w, "applications", d, err)
			return
		}
	}
	apps, err := c.cfg.State().Applications(st)
	if err != nil {
		c.fail(w, "applications", d, err)
		return
	}
	// The queue: open applications first, oldest first.
	slices.SortFunc(apps, func(a, b *applications.Application) int {
		return cmp.Or(-cmp.Compare(btoi(a.State.Open()), btoi(b.State.Open())), cmp.Compare(a.CreateIndex, b.CreateIndex))
	})
	v.Apps = apps
	for _, a := range apps {
		if a.State.Open() {
			v.Open++
		}
	}
	c.render(w, "applications", http.StatusOK, d)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (c *Console) applicationPage(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	d, v := c.eduData("Application", "applications", ss, me)
	a, err := c.cfg.State().Application(mux.Vars(r)["ref"])
	if err != nil {
		c.fail(w, "applications", d, err)
		return
	}
	v.App = a
	if v.Mail, err = c.cfg.State().MessagesOfApplication(a.Ref); err != nil {
		c.fail(w, "applications", d, err)
		return
	}
	d.Title = "Application " + a.Ref
	if d.Answers, err = c.answers(confirmations.Subject{Application: a.Ref}, a.Qualifications); err != nil {
		c.fail(w, "applications", d, err)
		return
	}
	if done := r.URL.Query().Get("done"); done != "" {
		d.Notice = stepNotices[done]
		if n := r.URL.Query().Get("registrant"); n != "" {
			d.Notice += " Registration number " + n + "."
		}
	}
	if err := c.fillCourses(v); err != nil {
		c.fail(w, "application", d, err)
		return
	}
	c.render(w, "application", http.StatusOK, d)
}

var stepNotices = map[string]string{
	"approve":             "Approved: the registrant is on the register and has been emailed a welcome.",
	"request-information": "The applicant has been emailed your request for more information.",
	"refuse":              "Refused: the applicant has been emailed the reasons and the date to appeal by.",
	"appeal":              "The appeal is recorded.",
	"appeal-decision":     "The appeal decision is recorded and the applicant emailed.",
}

var stepOps = map[string]fsm.ApplicationOp{
	"request-information": fsm.AppRequestInfo,
	"refuse":              fsm.AppRefuse,
	"appeal":              fsm.AppAppeal,
}

func (c *Console) applicationStep(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	ref, step := mux.Vars(r)["ref"], mux.Vars(r)["step"]
	f := r.PostForm
	actor := staff.ActorFor(me)
	q := url.Values{"done": {step}}
	var err error
	switch step {
	case "approve":
		var route *register.EntryRoute
		if k := f.Get("route"); k != "" {
			route = &register.EntryRoute{Kind: k, Reason: f.Get("route-reason")}
		}
		res, aerr := c.cfg.Applications.Approve(r.Context(), actor, ref, route, f.Get("note"))
		if err = aerr; err == nil {
			q.Set("registrant", res.Registrant.Number)
		}
	case "appeal-decision":
		op := fsm.AppAppealDismissed
		switch f.Get("upheld") {
		case "yes":
			op = fsm.AppAppealUpheld
		case "no":
		default:
			err = fmt.Errorf("%w: choose whether the appeal is upheld or dismissed", register.ErrInvalid)
		}
		if err == nil {
			_, err = c.cfg.Applications.Step(r.Context(), actor, ref, op, f.Get("note"))
		}
	default:
		op, ok := stepOps[step]
		if !ok {
			err = fmt.Errorf("%w: no such step %q", register.ErrNotFound, step)
			break
		}
		_, err = c.cfg.Applications.Step(r.Context(), actor, ref, op, f.Get("note"))
	}
	if err != nil {
		d, v := c.eduData("Application "+ref, "applications", ss, me)
		for k := range f {
			d.Form[k] = f.Get(k)
		}
		d.Form["form"] = step
		if v.App, _ = c.cfg.State().Application(ref); v.App == nil && !errors.Is(err, register.ErrNotFound) {
			err = fmt.Errorf("%w: no application %s", register.ErrNotFound, ref)
		}
		_ = c.fillCourses(v)
		if v.App != nil {
			v.Mail, _ = c.cfg.State().MessagesOfApplication(ref)
		}
		page := "application"
		if v.App == nil {
			page = "applications"
		}
		c.fail(w, page, d, err)
		return
	}
	http.Redirect(w, r, "/console/applications/"+url.PathEscape(ref)+"?"+q.Encode(), http.StatusSeeOther)
}

// Answer is the applicant's answer to the latest request for more
// information, when they answered it and the registrars have not yet
// acted since.
func (v *eduView) Answer() *applications.Event {
	if v.App == nil || v.App.State != applications.Answered {
		return nil
	}
	h := v.App.History
	return &h[len(h)-1]
}

// CourseName names catalogue course id as the application page shows it.
func (v *eduView) CourseName(id string) string {
	for _, e := range v.Entries {
		if e.ID == id {
			return e.ID + ": " + e.Title + ", " + e.ProviderName + " (" + e.Level.String() + ", " + string(e.StandingOn(v.awarded(id)).Standing) + " on the award date)"
		}
	}
	return "catalogue course " + id + " (no longer in the catalogue)"
}

func (v *eduView) awarded(id string) register.Date {
	if v.App != nil {
		for _, q := range v.App.Qualifications {
			if q.Course == id {
				return q.Awarded
			}
		}
	}
	return ""
}
