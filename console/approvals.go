package console

import (
	"maps"
	"net/http"
	"net/url"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/registrants"
	"github.com/nalw/linkpass/staff"
)

// The two-person rule in the console: the queue of removals and
// restrictions waiting for a second registrar, and the home page's list of
// what needs a registrar's attention (approvals, suspensions that ended,
// reviews due).

func init() {
	pageNames = append(pageNames, "approvals")
	maps.Copy(Routes, map[string]staff.Permission{
		"GET /console/approvals":               staff.ReadRegister,
		"POST /console/approvals/{id}/approve": staff.ChangeRegister,
		"POST /console/approvals/{id}/reject":  staff.ChangeRegister,
	})
}

func (c *Console) registerApprovals(h func([]string, string, http.HandlerFunc)) {
	h([]string{"GET", "HEAD"}, "/console/approvals", c.signedIn(staff.ReadRegister, c.approvals))
	h([]string{"POST"}, "/console/approvals/{id}/approve", c.signedIn(staff.ChangeRegister, c.approve))
	h([]string{"POST"}, "/console/approvals/{id}/reject", c.signedIn(staff.ChangeRegister, c.reject))
}

// pendingView is one proposal in the queue.
type pendingView struct {
	P          *register.Proposal
	Registrant *register.Registrant
	ProposedBy string
	When       string
	// Mine says the signed-in person proposed it: they cannot approve.
	Mine    bool
	Preview *registrants.Preview
	// Problem says why it cannot be approved as it stands, if it cannot.
	Problem string
}

// decidedView is a proposal already approved or rejected.
type decidedView struct {
	P                   *register.Proposal
	ProposedBy, Decider string
	When                string
}

type approvalsView struct {
	Pending   []pendingView
	Decided   []decidedView
	CanChange bool
}

func (c *Console) approvalsData(ss *staff.Session, me *staff.Account) (*pageData, error) {
	d := &pageData{Title: "Approvals", Nav: "approvals", Me: me, CSRF: ss.CSRF}
	if err := c.needRegistrants(); err != nil {
		return d, err
	}
	st := c.cfg.State()
	all, err := c.cfg.Registrants.Proposals("")
	if err != nil {
		return d, err
	}
	v := &approvalsView{CanChange: staff.Can(me.Role, staff.ChangeRegister)}
	for _, p := range all {
		if p.State != register.ProposalPending {
			v.Decided = append([]decidedView{{P: p, ProposedBy: st.ActorName(p.ProposedBy), Decider: st.ActorName(p.DecidedBy), When: p.DecidedAt.UTC().Format("2 Jan 2006 15:04 UTC")}}, v.Decided...)
			continue
		}
		pv := pendingView{P: p, ProposedBy: st.ActorName(p.ProposedBy), When: p.ProposedAt.UTC().Format("2 Jan 2006 15:04 UTC"),
			Mine: register.SamePerson(staff.ActorFor(me), p.ProposedBy)}
		pv.Registrant, _ = st.Registrant(p.Registrant)
		if pv.Preview, err = c.cfg.Registrants.PreviewProposal(p.ID); err != nil {
			pv.Problem, _ = c.problem(err)
		}
		v.Pending = append(v.Pending, pv)
	}
	if len(v.Decided) > 20 {
		v.Decided = v.Decided[:20]
	}
	d.Approvals = v
	return d, nil
}

func (c *Console) approvals(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	d, err := c.approvalsData(ss, me)
	if err != nil {
		c.fail(w, "message", d, err)
		return
	}
	switch r.URL.Query().Get("done") {
	case "approved":
		d.Notice = "Approved. The change is made."
	case "rejected":
		d.Notice = "Rejected. The change will not be made."
	}
	c.render(w, "approvals", http.StatusOK, d)
}

// decision runs an approval or rejection and shows the queue again.
func (c *Console) decision(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account, done string, act func(id string) error) {
	if err := act(mux.Vars(r)["id"]); err != nil {
		d, derr := c.approvalsData(ss, me)
		if derr != nil {
			c.fail(w, "message", d, derr)
			return
		}
		c.fail(w, "approvals", d, err)
		return
	}
	http.Redirect(w, r, "/console/approvals?"+url.Values{"done": {done}}.Encode(), http.StatusSeeOther)
}

func (c *Console) approve(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	c.decision(w, r, ss, me, "approved", func(id string) error {
		if err := c.needRegistrants(); err != nil {
			return err
		}
		_, err := c.cfg.Registrants.Approve(r.Context(), staff.ActorFor(me), id)
		return err
	})
}

func (c *Console) reject(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	c.decision(w, r, ss, me, "rejected", func(id string) error {
		if err := c.needRegistrants(); err != nil {
			return err
		}
		_, err := c.cfg.Registrants.Reject(r.Context(), staff.ActorFor(me), id, r.PostFormValue("reason"))
		return err
	})
}

// attention is what the home page lists for a registrar to act on.
type attention struct {
	Pending int
	// Due are suspensions whose end date has come (the register ends them
	// by itself, and lists them for 30 days after) and reviews due.
	Due []dueItem
}

// recentDays is how long the home page lists a suspension the register
// ended by itself.
const recentDays = 30

type dueItem struct {
	R    *register.Registrant
	What []string
}

func (c *Console) attention() (*attention, error) {
	a := &attention{}
	if c.cfg.Registrants == nil {
		return a, nil
	}
	ps, err := c.cfg.Registrants.Proposals(register.ProposalPending)
	if err != nil {
		return nil, err
	}
	a.Pending = len(ps)
	regs, err := c.cfg.State().Registrants("")
	if err != nil {
		return nil, err
	}
	now := c.now()
	today := register.DateOf(now)
	for _, r := range regs {
		var what []string
		switch {
		case r.SuspensionEnded(today):
			what = append(what, "suspension reached its end date "+string(r.SuspendedUntil)+"; the register ends it within minutes")
		case r.EndedBySweep(now.AddDate(0, 0, -recentDays)):
			what = append(what, "suspension ended by itself: "+r.StatusReason)
		}
		what = append(what, r.ReviewsDue(today)...)
		if len(what) > 0 {
			a.Due = append(a.Due, dueItem{R: r, What: what})
		}
	}
	return a, nil
}
