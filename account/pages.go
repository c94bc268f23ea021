package account

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/skip2/go-qrcode"

	"github.com/nalw/linkpass/confirmations"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/renewals"
	"github.com/nalw/linkpass/oid4vci"
	"github.com/nalw/linkpass/web"
)

// longDate turns "2026-03-12" into "12 March 2026".
func longDate(d register.Date) string {
	t, err := time.Parse(register.DateLayout, string(d))
	if err != nil {
		return string(d)
	}
	return t.Format("2 January 2006")
}

type credentialView struct {
	JTI, Issued, Expires, Status, Via string
}

type homeView struct {
	// Entry is the public entry, for the site's "entry" part; nil when the
	// public register no longer shows it.
	Entry        any
	From, Until  string
	Credentials  []credentialView
	CanOffer     bool
	Summary      register.CPDSummary
	Rule         register.CPDRule
	RenewOpen    bool
	RenewWhy     string
	Pending      *register.Renewal
	LastRenewal  *register.Renewal
	LastDecision string
	// Qualifications are the record's, each with its training provider's
	// confirmation, if it gave one.
	Qualifications []confirmations.Line
}

func (a *Account) home(w http.ResponseWriter, r *http.Request, d *pageData) {
	me := d.Me
	v := &homeView{From: longDate(me.RegisteredFrom), Until: longDate(me.RegisteredUntil)}
	if res, err := a.cfg.Public.Entry(me.Number); err == nil {
		v.Entry = web.EntryView(res)
	}
	creds, err := a.cfg.State().CredentialsOf(me.Number)
	if err != nil {
		a.fail(w, "home", d, err)
		return
	}
	answers, err := a.cfg.State().ConfirmationsOf(confirmations.Subject{Registrant: me.Number})
	if err != nil {
		a.fail(w, "home", d, err)
		return
	}
	v.Qualifications = confirmations.Zip(me.Qualifications, answers)
	for i := len(creds) - 1; i >= 0; i-- {
		c := creds[i]
		via := "Issued by the registrar"
		if c.Grant != "" {
			via = "In a wallet"
		}
		v.Credentials = append(v.Credentials, credentialView{JTI: c.JTI, Issued: c.IssuedAt.UTC().Format("2 January 2006"),
			Expires: c.ExpiresAt.UTC().Format("2 January 2006"), Status: string(c.Status), Via: via})
	}
	v.CanOffer = a.cfg.Offers != nil && me.GoodStanding(register.DateOf(a.now()))
	if chk, err := a.cfg.Renewals.Check(me.Number); err == nil {
		v.Summary, v.Rule, v.Pending = chk.Summary, chk.Policy.CPD, chk.Pending
		v.RenewOpen = chk.Pending == nil && !isNotOpen(chk.Refusal)
		if chk.Refusal != nil {
			v.RenewWhy, _ = a.problem(chk.Refusal)
		}
	}
	if rs, err := a.cfg.Renewals.RenewalsOf(me.Number); err == nil && len(rs) > 0 {
		v.LastRenewal = rs[0]
	}
	switch r.URL.Query().Get("done") {
	case "renewed":
		d.Notice = "Your registration is renewed until " + v.Until + "."
	case "pending":
		d.Notice = "Your renewal is made. A registrar will look at it; you will see their decision here."
	}
	d.Title, d.Home = "Your account", v
	a.render(w, "home", http.StatusOK, d)
}

// isNotOpen reports whether a renewal refusal is about timing or status
// (the page hides the renew button) rather than about CPD (the page shows
// what is missing).
func isNotOpen(err error) bool {
	return err != nil && !errors.Is(err, register.ErrInvalid)
}

// Adding a credential to a wallet.

type offerView struct {
	*oid4vci.CreatedOffer
	QR      template.URL
	Expires string
}

func (a *Account) wallet(w http.ResponseWriter, r *http.Request, d *pageData) {
	if a.cfg.Offers == nil {
		http.Redirect(w, r, PathHome, http.StatusSeeOther)
		return
	}
	o, err := a.cfg.Offers.CreateOffer(r.Context(), renewals.Registrant(d.Me.Number), d.Me.Number, oid4vci.OfferRequest{TTL: 30 * time.Minute})
	if err != nil {
		d.Title = "Add to your phone's wallet"
		a.fail(w, "message", d, err)
		return
	}
	v := &offerView{CreatedOffer: o, Expires: o.ExpiresAt.UTC().Format("15:04 UTC on 2 January 2006")}
	if png, err := qrcode.Encode(o.OfferURL, qrcode.Medium, 256); err == nil {
		v.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	}
	d.Title, d.Offer = "Add to your phone's wallet", v
	a.render(w, "wallet", http.StatusOK, d)
}

// CPD.

type cpdView struct {
	Activities []*register.CPDActivity
	Summary    register.CPDSummary
	Rule       register.CPDRule
	Today      string
}

func (a *Account) cpdData(d *pageData) (*cpdView, error) {
	acts, err := a.cfg.Renewals.CPD(d.Me.Number)
	if err != nil {
		return nil, err
	}
	v := &cpdView{Activities: acts, Today: string(register.DateOf(a.now()))}
	if chk, err := a.cfg.Renewals.Check(d.Me.Number); err == nil {
		v.Summary, v.Rule = chk.Summary, chk.Policy.CPD
	}
	return v, nil
}

func (a *Account) cpdPage(w http.ResponseWriter, r *http.Request, d *pageData) {
	a.showCPD(w, r, d, http.StatusOK)
}

func (a *Account) showCPD(w http.ResponseWriter, r *http.Request, d *pageData, status int) {
	v, err := a.cpdData(d)
	if err != nil {
		a.fail(w, "message", d, err)
		return
	}
	switch r.URL.Query().Get("done") {
	case "added":
		d.Notice = "The activity is recorded."
	case "saved":
		d.Notice = "The activity is saved."
	case "deleted":
		d.Notice = "The activity is deleted."
	}
	d.Title, d.CPD = "Your CPD", v
	a.render(w, "cpd", status, d)
}

// draft reads a CPD form.
func draft(r *http.Request) (register.CPDDraft, map[string]string) {
	form := map[string]string{}
	for _, k := range []string{"date", "title", "provider", "points", "kind", "reflection"} {
		form[k] = r.PostFormValue(k)
	}
	d := register.CPDDraft{Date: register.Date(strings.TrimSpace(form["date"])), Title: form["title"], Provider: form["provider"],
		Formal: form["kind"] == "formal", Reflection: strings.ReplaceAll(form["reflection"], "\r\n", "\n")}
	if p, err := strconv.ParseFloat(strings.TrimSpace(form["points"]), 64); err == nil {
		d.Points = p
	} else {
		d.Points = -1 // refused by the rule with its message
	}
	return d, form
}

// errKind refuses a CPD form that says neither formal nor informal.
func errKind(form map[string]string) error {
	if form["kind"] != "formal" && form["kind"] != "informal" {
		return fmt.Errorf("%w: choose whether the activity was formal or informal", register.ErrInvalid)
	}
	return nil
}

func (a *Account) addCPD(w http.ResponseWriter, r *http.Request, d *pageData) {
	dr, form := draft(r)
	err := errKind(form)
	if err == nil {
		_, err = a.cfg.Renewals.AddCPD(r.Context(), renewals.Registrant(d.Me.Number), d.Me.Number, dr)
	}
	if err != nil {
		d.Form = form
		msg, status := a.problem(err)
		d.Error = msg
		a.showCPD(w, r, d, status)
		return
	}
	http.Redirect(w, r, "/account/cpd?done=added", http.StatusSeeOther)
}

func (a *Account) ownActivity(w http.ResponseWriter, r *http.Request, d *pageData) (*register.CPDActivity, bool) {
	act, err := a.cfg.State().CPDActivity(mux.Vars(r)["id"])
	if err != nil || act.Registrant != d.Me.Number {
		d.Title, d.Message, d.LinkHref, d.LinkText = "No such activity", "That CPD activity is not one of yours, or it was deleted.", "/account/cpd", "Go to your CPD"
		a.render(w, "message", http.StatusNotFound, d)
		return nil, false
	}
	return act, true
}

func (a *Account) editCPDPage(w http.ResponseWriter, r *http.Request, d *pageData) {
	act, ok := a.ownActivity(w, r, d)
	if !ok {
		return
	}
	kind := "informal"
	if act.Formal {
		kind = "formal"
	}
	d.Form = map[string]string{"date": string(act.Date), "title": act.Title, "provider": act.Provider,
		"points": strconv.FormatFloat(act.Points, 'f', -1, 64), "kind": kind, "reflection": act.Reflection}
	d.Title, d.Editing = "Change a CPD activity", act
	d.CPD = &cpdView{Today: string(register.DateOf(a.now()))}
	a.render(w, "cpd-edit", http.StatusOK, d)
}

func (a *Account) editCPD(w http.ResponseWriter, r *http.Request, d *pageData) {
	act, ok := a.ownActivity(w, r, d)
	if !ok {
		return
	}
	dr, form := draft(r)
	err := errKind(form)
	if err == nil {
		_, err = a.cfg.Renewals.EditCPD(r.Context(), renewals.Registrant(d.Me.Number), d.Me.Number, act.ID, dr)
	}
	if err != nil {
		d.Form, d.Title, d.Editing = form, "Change a CPD activity", act
		d.CPD = &cpdView{Today: string(register.DateOf(a.now()))}
		a.fail(w, "cpd-edit", d, err)
		return
	}
	http.Redirect(w, r, "/account/cpd?done=saved", http.StatusSeeOther)
}

func (a *Account) deleteCPD(w http.ResponseWriter, r *http.Request, d *pageData) {
	act, ok := a.ownActivity(w, r, d)
	if !ok {
		return
	}
	if err := a.cfg.Renewals.DeleteCPD(r.Context(), renewals.Registrant(d.Me.Number), d.Me.Number, act.ID); err != nil {
		msg, status := a.problem(err)
		d.Error = msg
		a.showCPD(w, r, d, status)
		return
	}
	http.Redirect(w, r, "/account/cpd?done=deleted", http.StatusSeeOther)
}

// Renewing.

type renewView struct {
	Check   *renewals.Check
	Refusal string
	Until   string
	// Closed hides the form: renewal has not opened, or waits for a
	// registrar.
	Closed bool
}

func (a *Account) renewData(d *pageData) (*renewView, error) {
	chk, err := a.cfg.Renewals.Check(d.Me.Number)
	if err != nil {
		return nil, err
	}
	v := &renewView{Check: chk, Until: longDate(d.Me.RegisteredUntil)}
	if chk.Refusal != nil {
		v.Refusal, _ = a.problem(chk.Refusal)
	}
	v.Closed = chk.Pending != nil || isNotOpen(chk.Refusal)
	return v, nil
}

func (a *Account) renewPage(w http.ResponseWriter, r *http.Request, d *pageData) {
	v, err := a.renewData(d)
	if err != nil {
		a.fail(w, "message", d, err)
		return
	}
	d.Title, d.Renew = "Renew your registration", v
	a.render(w, "renew", http.StatusOK, d)
}

func (a *Account) renew(w http.ResponseWriter, r *http.Request, d *pageData) {
	decl := register.RenewalDeclaration{
		FitToPractise:    r.PostFormValue("fit") == "yes",
		NoNewConvictions: r.PostFormValue("convictions") == "yes",
		Health:           r.PostFormValue("health") == "yes",
		DetailsCorrect:   r.PostFormValue("details") == "yes",
	}
	out, err := a.cfg.Renewals.Submit(r.Context(), renewals.Registrant(d.Me.Number), d.Me.Number, decl)
	if err != nil && out == nil {
		v, verr := a.renewData(d)
		if verr != nil {
			a.fail(w, "message", d, verr)
			return
		}
		for k, ok := range map[string]bool{"fit": decl.FitToPractise, "convictions": decl.NoNewConvictions, "health": decl.Health, "details": decl.DetailsCorrect} {
			if ok {
				d.Form[k] = "yes"
			}
		}
		d.Title, d.Renew = "Renew your registration", v
		a.fail(w, "renew", d, err)
		return
	}
	if err != nil {
		// Renewed, but the credential was not re-issued: say so on the
		// account page rather than hide it.
		a.cfg.Logger.Warn("account: re-issuing after a renewal failed", "registrant", d.Me.Number, "err", err)
	}
	if out.Renewal.State == register.RenewalApproved {
		http.Redirect(w, r, PathHome+"?done=renewed", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, PathHome+"?done=pending", http.StatusSeeOther)
}
