package console

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/staff"
)

// The queue of renewals waiting for a registrar, with approve and refuse;
// the same operations as the API (issuer/renewals).

func init() {
	pageNames = append(pageNames, "renewals")
	Routes["GET /console/renewals"] = staff.ReadRegister
	Routes["POST /console/renewals/{renewal}/approve"] = staff.ChangeRegister
	Routes["POST /console/renewals/{renewal}/refuse"] = staff.ChangeRegister
}

func (c *Console) registerRenewals(h func(methods []string, path string, fn http.HandlerFunc)) {
	h([]string{http.MethodGet, http.MethodHead}, "/console/renewals", c.signedIn(staff.ReadRegister, c.renewalsPage))
	h([]string{http.MethodPost}, "/console/renewals/{renewal}/approve", c.signedIn(staff.ChangeRegister, c.decideRenewal(true)))
	h([]string{http.MethodPost}, "/console/renewals/{renewal}/refuse", c.signedIn(staff.ChangeRegister, c.decideRenewal(false)))
}

func (c *Console) renewalsData(d *pageData) error {
	d.Title, d.Nav = "Renewals waiting", "renewals"
	if c.cfg.Renewals == nil {
		d.Renewals = []*register.Renewal{}
		return nil
	}
	rs, err := c.cfg.Renewals.Renewals(register.RenewalPending)
	d.Renewals, d.CanDecide = rs, d.Me != nil && staff.Can(d.Me.Role, staff.ChangeRegister)
	return err
}

func (c *Console) renewalsPage(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	d := &pageData{Me: me, CSRF: ss.CSRF, Form: map[string]string{}}
	if err := c.renewalsData(d); err != nil {
		c.fail(w, "renewals", d, err)
		return
	}
	switch r.URL.Query().Get("done") {
	case "approved":
		d.Notice = "Approved: the registration is extended by a year and the credential re-issued."
	case "refused":
		d.Notice = "Refused: the registrant sees your reason in their account."
	}
	c.render(w, "renewals", http.StatusOK, d)
}

func (c *Console) decideRenewal(approve bool) authed {
	return func(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
		d := &pageData{Me: me, CSRF: ss.CSRF, Form: map[string]string{}}
		var err error
		if c.cfg.Renewals == nil {
			http.Redirect(w, r, "/console/renewals", http.StatusSeeOther)
			return
		}
		_, err = c.cfg.Renewals.Decide(r.Context(), staff.ActorFor(me), mux.Vars(r)["renewal"], approve, r.PostFormValue("reason"))
		if err != nil {
			_ = c.renewalsData(d)
			c.fail(w, "renewals", d, err)
			return
		}
		done := "approved"
		if !approve {
			done = "refused"
		}
		http.Redirect(w, r, "/console/renewals?done="+done, http.StatusSeeOther)
	}
}
