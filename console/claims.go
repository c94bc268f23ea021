package console

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/confirmations"
	"github.com/nalw/linkpass/confirmations/claims"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/regno"
	"github.com/nalw/linkpass/staff"
)

// A training provider's pages: the queue of qualifications claimed from its
// courses, and the confirm-or-dispute form, checked before it is recorded.
// What a provider may see is cut down by package confirmations/claims, not
// here: these handlers only decode, call and render.

func init() {
	pageNames = append(pageNames, "claims", "claim")
	Routes["GET /console/claims"] = staff.ConfirmQualifications
	Routes["GET /console/claims/{subject}/{index}"] = staff.ConfirmQualifications
	Routes["POST /console/claims/{subject}/{index}"] = staff.ConfirmQualifications
}

func (c *Console) registerClaims(h func(methods []string, path string, fn http.HandlerFunc)) {
	get := []string{http.MethodGet, http.MethodHead}
	h(get, "/console/claims", c.signedIn(staff.ConfirmQualifications, c.claimsPage))
	h(get, "/console/claims/{subject}/{index}", c.signedIn(staff.ConfirmQualifications, c.claimPage))
	h([]string{http.MethodPost}, "/console/claims/{subject}/{index}", c.signedIn(staff.ConfirmQualifications, c.answerClaim))
}

// claimsView is the provider pages' own data.
type claimsView struct {
	Provider string
	Filter   string
	Filters  []string
	Claims   []claims.Claim
	// Claim is the one the form answers; Checking shows the check page.
	Claim    *claims.Claim
	Checking bool
	Outcome  string
	Reason   string
}

var appRef = regexp.MustCompile(`^A[0-9]+$`)

// subjectOf parses a claim's subject in a path: an application reference
// or a registration number.
func subjectOf(s string) (confirmations.Subject, error) {
	if appRef.MatchString(s) {
		return confirmations.Subject{Application: s}, nil
	}
	n, err := regno.Parse(s)
	if err != nil {
		return confirmations.Subject{}, fmt.Errorf("%w: %q in the address is neither an application reference (like A1001) nor a registration number; go back to your queue", register.ErrInvalid, s)
	}
	return confirmations.Subject{Registrant: n}, nil
}

// subjectPath is a subject as the claim pages' paths name it.
func subjectPath(s confirmations.Subject) string {
	if s.Application != "" {
		return s.Application
	}
	return s.Registrant
}

// ClaimPath is the form of claim cl.
func (v *claimsView) ClaimPath(cl claims.Claim) string {
	return "/console/claims/" + subjectPath(cl.Subject) + "/" + strconv.Itoa(cl.Index)
}

func (c *Console) claimsData(d *pageData, actor register.Actor, filter string) error {
	d.Title, d.Nav = "Claims to confirm", "claims"
	v := &claimsView{Filters: []string{claims.FilterAwaiting, claims.FilterAnswered, claims.FilterAll}}
	d.Claims = v
	if c.cfg.Claims == nil {
		v.Claims = []claims.Claim{}
		return nil
	}
	p, err := c.cfg.Claims.Provider(actor)
	if err != nil {
		return err
	}
	v.Provider = p.Name
	if v.Filter, err = claims.ParseFilter(filter); err != nil {
		v.Filter = claims.FilterAwaiting
		return err
	}
	v.Claims, err = c.cfg.Claims.Claims(actor, v.Filter)
	return err
}

func (c *Console) claimsPage(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	d := &pageData{Me: me, CSRF: ss.CSRF}
	if err := c.claimsData(d, staff.ActorFor(me), r.URL.Query().Get("filter")); err != nil {
		c.fail(w, "claims", d, err)
		return
	}
	switch r.URL.Query().Get("done") {
	case string(confirmations.Confirmed):
		d.Notice = "Confirmed. The registrar sees your confirmation on the application or record."
	case string(confirmations.Disputed):
		d.Notice = "Disputed. The registrar reads your reason before deciding."
	}
	c.render(w, "claims", http.StatusOK, d)
}

// claimData fills d with the claim the path names, or says why not.
func (c *Console) claimData(r *http.Request, d *pageData, me *staff.Account) error {
	d.Title, d.Nav = "Confirm or dispute a qualification", "claims"
	v := &claimsView{}
	d.Claims = v
	if c.cfg.Claims == nil {
		return errNoClaims
	}
	sub, err := subjectOf(mux.Vars(r)["subject"])
	if err != nil {
		return err
	}
	idx, err := strconv.Atoi(mux.Vars(r)["index"])
	if err != nil {
		return errBadIndex
	}
	actor := staff.ActorFor(me)
	p, err := c.cfg.Claims.Provider(actor)
	if err != nil {
		return err
	}
	v.Provider = p.Name
	v.Claim, err = c.cfg.Claims.Claim(actor, sub, idx)
	return err
}

func (c *Console) claimPage(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	d := &pageData{Me: me, CSRF: ss.CSRF}
	if err := c.claimData(r, d, me); err != nil {
		c.fail(w, "message", d, err)
		return
	}
	c.render(w, "claim", http.StatusOK, d)
}

// answerClaim checks an answer (step=check) and shows what it will record,
// or records it (step=confirm) and returns to the queue.
func (c *Console) answerClaim(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	d := &pageData{Me: me, CSRF: ss.CSRF}
	if err := c.claimData(r, d, me); err != nil {
		c.fail(w, "message", d, err)
		return
	}
	v, cl := d.Claims, d.Claims.Claim
	v.Outcome, v.Reason = r.PostFormValue("outcome"), r.PostFormValue("reason")
	outcome, err := confirmations.ParseOutcome(v.Outcome)
	if v.Outcome == "" {
		err = errNoOutcome
	}
	a := confirmations.Answer{Subject: cl.Subject, Index: cl.Index, Course: cl.Course, Outcome: outcome}
	if outcome == confirmations.Disputed {
		a.Reason = v.Reason
	}
	if err == nil {
		err = a.Validate()
	}
	if err != nil {
		c.fail(w, "claim", d, err)
		return
	}
	if r.PostFormValue("step") != "confirm" {
		v.Checking = true
		c.render(w, "claim", http.StatusOK, d)
		return
	}
	if _, err := c.cfg.Claims.Answer(r.Context(), staff.ActorFor(me), a); err != nil {
		c.fail(w, "claim", d, err)
		return
	}
	http.Redirect(w, r, "/console/claims?done="+string(outcome), http.StatusSeeOther)
}

// answers returns the providers' answers about qs, subject's
// qualifications, line by line, for a registrar's page.
func (c *Console) answers(sub confirmations.Subject, qs []register.Qualification) ([]*confirmations.Confirmation, error) {
	cs, err := c.cfg.State().ConfirmationsOf(sub)
	if err != nil {
		return nil, err
	}
	return confirmations.Lines(qs, cs), nil
}

// AnswerAt is the provider's answer about qualification i of the page's
// application or record, if there is one.
func (d *pageData) AnswerAt(i int) *confirmations.Confirmation {
	if i < 0 || i >= len(d.Answers) {
		return nil
	}
	return d.Answers[i]
}

var (
	errNoClaims  = fmt.Errorf("%w: this register does not take providers' confirmations here", register.ErrUnavailable)
	errBadIndex  = fmt.Errorf("%w: the qualification's number in the address must be a number from 0; go back to your queue", register.ErrInvalid)
	errNoOutcome = fmt.Errorf("%w: choose whether you confirm or dispute the qualification", register.ErrInvalid)
)
