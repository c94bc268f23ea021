package console

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"sort"

	"github.com/gorilla/mux"
	"github.com/skip2/go-qrcode"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/staff"
)

// maxForm bounds a request body: no form comes near it.
const maxForm = 64 << 10

const scriptPasskey = "/static/passkey.js"

// authed is a handler for a signed-in session.
type authed func(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account)

// signedIn runs h for a signed-in session whose role has perm ("" for any
// role). A GET without a session goes to the sign-in page; a POST must
// carry the session's CSRF token.
func (c *Console) signedIn(perm staff.Permission, h authed) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ss, me, err := c.cfg.Staff.Session(c.sessionID(r))
		if err != nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			c.render(w, "message", http.StatusUnauthorized, &pageData{Title: "Your session has ended",
				Message: "Your session has ended, so nothing was changed. Sign in again, then try once more.", LinkHref: "/login", LinkText: "Sign in"})
			return
		}
		if perm != "" && !staff.Can(me.Role, perm) {
			c.render(w, "message", http.StatusForbidden, &pageData{Title: "You cannot do this", Me: me, CSRF: ss.CSRF,
				Message: "Your role (" + string(me.Role) + ") does not allow this page. Ask an admin if you need it.", LinkHref: "/console", LinkText: "Go to the console home"})
			return
		}
		if r.Method == http.MethodPost && !c.csrf(w, r, ss.CSRF) {
			return
		}
		h(w, r, ss, me)
	}
}

// csrf checks a POST's CSRF token and renders the refusal if it is wrong.
func (c *Console) csrf(w http.ResponseWriter, r *http.Request, want string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if csrfOK(r, want) {
		return true
	}
	c.render(w, "message", http.StatusForbidden, &pageData{Title: "Request refused",
		Message: "This form is out of date or did not come from the console, so nothing was changed. Go back, reload the page and try again.", LinkHref: "/console", LinkText: "Go to the console"})
	return false
}

func (c *Console) fail(w http.ResponseWriter, page string, d *pageData, err error) {
	msg, status := c.problem(err)
	d.Error = msg
	c.render(w, page, status, d)
}

// Signing in.

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, _, err := c.cfg.Staff.Session(c.sessionID(r)); err == nil {
		http.Redirect(w, r, "/console", http.StatusSeeOther)
		return
	}
	d := &pageData{Title: "Sign in"}
	switch r.URL.Query().Get("signed_out") {
	case "1":
		d.Notice = "You have signed out."
	case "all":
		d.Notice = "You have signed out on every device."
	}
	c.render(w, "login", http.StatusOK, d)
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	email, password := r.PostFormValue("email"), r.PostFormValue("password")
	sid, _, err := c.cfg.Staff.SignInPassword(r.Context(), email, password)
	if err != nil {
		c.fail(w, "login", &pageData{Title: "Sign in", Form: map[string]string{"email": email}}, err)
		return
	}
	c.setSession(w, sid)
	http.Redirect(w, r, "/login/code", http.StatusSeeOther)
}

func (c *Console) codeData(ss *staff.Session, a *staff.Account) *pageData {
	d := &pageData{Title: "Confirm it is you", CSRF: ss.CSRF, Factor: a.Factor}
	d.PasskeysOK, d.NoPasskeys = c.cfg.Staff.PasskeysAvailable()
	if a.Factor == staff.FactorPasskey {
		d.Scripts = []string{scriptPasskey}
	}
	return d
}

func (c *Console) codePage(w http.ResponseWriter, r *http.Request) {
	ss, a, err := c.cfg.Staff.PendingSignIn(c.sessionID(r))
	if err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	c.render(w, "code", http.StatusOK, c.codeData(ss, a))
}

func (c *Console) code(w http.ResponseWriter, r *http.Request) {
	sid := c.sessionID(r)
	ss, a, err := c.cfg.Staff.PendingSignIn(sid)
	if err != nil {
		c.fail(w, "login", &pageData{Title: "Sign in"}, err)
		return
	}
	if !c.csrf(w, r, ss.CSRF) {
		return
	}
	next, err := c.cfg.Staff.SignInCode(r.Context(), sid, r.PostFormValue("code"))
	if err != nil {
		c.fail(w, "code", c.codeData(ss, a), err)
		return
	}
	c.setSession(w, next)
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}

// The passkey ceremonies speak JSON with passkey.js.

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (c *Console) jsonError(w http.ResponseWriter, err error) {
	msg, status := c.problem(err)
	writeJSON(w, status, map[string]string{"error": msg})
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxForm))
	if err != nil {
		return nil, errors.Join(register.ErrInvalid, err)
	}
	return b, nil
}

// ceremony runs a passkey step for a session found by find, after checking
// the CSRF header.
func (c *Console) ceremony(w http.ResponseWriter, r *http.Request, find func(string) (*staff.Session, *staff.Account, error), step func(sid string, body []byte) (any, error)) {
	sid := c.sessionID(r)
	ss, _, err := find(sid)
	if err != nil {
		c.jsonError(w, err)
		return
	}
	if !csrfOK(r, ss.CSRF) {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "This page is out of date; reload it and try again."})
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		c.jsonError(w, err)
		return
	}
	res, err := step(sid, body)
	if err != nil {
		c.jsonError(w, err)
		return
	}
	if b, ok := res.([]byte); ok {
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (c *Console) passkeySignInBegin(w http.ResponseWriter, r *http.Request) {
	c.ceremony(w, r, c.cfg.Staff.PendingSignIn, func(sid string, _ []byte) (any, error) {
		return c.cfg.Staff.BeginPasskeySignIn(sid)
	})
}

func (c *Console) passkeySignInFinish(w http.ResponseWriter, r *http.Request) {
	c.ceremony(w, r, c.cfg.Staff.PendingSignIn, func(sid string, body []byte) (any, error) {
		next, err := c.cfg.Staff.FinishPasskeySignIn(r.Context(), sid, body)
		if err != nil {
			return nil, err
		}
		c.setSession(w, next)
		return map[string]string{"next": "/console"}, nil
	})
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, _ *staff.Session, _ *staff.Account) {
	c.cfg.Staff.SignOut(c.sessionID(r))
	c.clearSession(w)
	http.Redirect(w, r, "/login?signed_out=1", http.StatusSeeOther)
}

func (c *Console) logoutAll(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	if err := c.cfg.Staff.SignOutAll(r.Context(), c.sessionID(r)); err != nil {
		c.fail(w, "message", &pageData{Title: "Sign out everywhere", Me: me, CSRF: ss.CSRF}, err)
		return
	}
	c.clearSession(w)
	http.Redirect(w, r, "/login?signed_out=all", http.StatusSeeOther)
}

// Setup.

func (c *Console) setupProblem(w http.ResponseWriter, err error) {
	msg, status := c.problem(err)
	c.render(w, "message", status, &pageData{Title: "This setup link cannot be used", Message: msg})
}

func (c *Console) openSetup(w http.ResponseWriter, r *http.Request) {
	sid, _, err := c.cfg.Staff.OpenSetup(mux.Vars(r)["token"])
	if err != nil {
		c.setupProblem(w, err)
		return
	}
	c.setSession(w, sid)
	// The link's secret leaves the address bar and the history.
	http.Redirect(w, r, "/setup", http.StatusSeeOther)
}

func (c *Console) setupData(sid string, ss *staff.Session, a *staff.Account) (string, *pageData, error) {
	if !ss.HasPassword() {
		return "setup-password", &pageData{Title: "Choose a password", CSRF: ss.CSRF, SetupFor: a}, nil
	}
	k, err := c.cfg.Staff.BeginTOTP(sid)
	if err != nil {
		return "", nil, err
	}
	png, err := qrcode.Encode(k.URL, qrcode.Medium, 240)
	if err != nil {
		return "", nil, err
	}
	d := &pageData{Title: "Set up your second factor", CSRF: ss.CSRF, SetupFor: a, TOTPSecret: k.Secret,
		TOTPQR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), Scripts: []string{scriptPasskey}}
	d.PasskeysOK, d.NoPasskeys = c.cfg.Staff.PasskeysAvailable()
	return "setup-factor", d, nil
}

func (c *Console) setupPage(w http.ResponseWriter, r *http.Request) {
	sid := c.sessionID(r)
	ss, a, err := c.cfg.Staff.SetupSession(sid)
	if err != nil {
		c.setupProblem(w, err)
		return
	}
	page, d, err := c.setupData(sid, ss, a)
	if err != nil {
		c.setupProblem(w, err)
		return
	}
	c.render(w, page, http.StatusOK, d)
}

// setupStep runs a setup form's step and goes to next, or shows the page
// again with the error.
func (c *Console) setupStep(w http.ResponseWriter, r *http.Request, next string, step func(sid string) error) {
	sid := c.sessionID(r)
	ss, _, err := c.cfg.Staff.SetupSession(sid)
	if err != nil {
		c.setupProblem(w, err)
		return
	}
	if !c.csrf(w, r, ss.CSRF) {
		return
	}
	if err := step(sid); err != nil {
		// The page again, as it is now, with what was wrong.
		ss, a, err2 := c.cfg.Staff.SetupSession(sid)
		if err2 != nil {
			c.setupProblem(w, err)
			return
		}
		page, d, err2 := c.setupData(sid, ss, a)
		if err2 != nil {
			c.setupProblem(w, err2)
			return
		}
		c.fail(w, page, d, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) setupPassword(w http.ResponseWriter, r *http.Request) {
	c.setupStep(w, r, "/setup", func(sid string) error {
		return c.cfg.Staff.ChoosePassword(r.Context(), sid, r.PostFormValue("password"), r.PostFormValue("confirm"))
	})
}

func (c *Console) setupTOTP(w http.ResponseWriter, r *http.Request) {
	c.setupStep(w, r, "/setup/done", func(sid string) error {
		_, err := c.cfg.Staff.FinishTOTP(r.Context(), sid, r.PostFormValue("code"))
		return err
	})
}

func (c *Console) setupPasskeyBegin(w http.ResponseWriter, r *http.Request) {
	c.ceremony(w, r, c.cfg.Staff.SetupSession, func(sid string, _ []byte) (any, error) {
		return c.cfg.Staff.BeginPasskeySetup(sid)
	})
}

func (c *Console) setupPasskeyFinish(w http.ResponseWriter, r *http.Request) {
	c.ceremony(w, r, c.cfg.Staff.SetupSession, func(sid string, body []byte) (any, error) {
		if _, err := c.cfg.Staff.FinishPasskeySetup(r.Context(), sid, body); err != nil {
			return nil, err
		}
		return map[string]string{"next": "/setup/done"}, nil
	})
}

func (c *Console) setupDone(w http.ResponseWriter, r *http.Request) {
	codes, a, err := c.cfg.Staff.TakeRecoveryCodes(c.sessionID(r))
	if err != nil {
		c.render(w, "message", http.StatusOK, &pageData{Title: "Your account is set up",
			Message: "Your recovery codes were shown once, when you finished setting up. Sign in with your password and second factor.", LinkHref: "/login", LinkText: "Sign in"})
		return
	}
	c.clearSession(w)
	c.render(w, "setup-done", http.StatusOK, &pageData{Title: "Save your recovery codes", Codes: codes, SetupFor: a})
}

// The signed-in console.

// count is one status's number of registrants.
type count struct {
	Status register.Status
	Label  string
	N      int
}

var statusLabels = []struct {
	s     register.Status
	label string
}{
	{register.Registered, "Registered"},
	{register.Suspended, "Suspended"},
	{register.Lapsed, "Lapsed (not renewed)"},
	{register.Removed, "Removed"},
}

func (c *Console) home(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	if !staff.Can(me.Role, staff.ReadRegister) {
		// A training provider's staff see only their queue.
		if staff.Can(me.Role, staff.ConfirmQualifications) {
			http.Redirect(w, r, "/console/claims", http.StatusSeeOther)
			return
		}
		c.render(w, "message", http.StatusForbidden, &pageData{Title: "You cannot do this", Me: me, CSRF: ss.CSRF,
			Message: "Your role (" + string(me.Role) + ") does not allow this page. Ask an admin if you need it."})
		return
	}
	d := &pageData{Title: "Console", Nav: "console", Me: me, CSRF: ss.CSRF}
	n := c.cfg.State().RegistrantCounts()
	for _, sl := range statusLabels {
		d.Counts = append(d.Counts, count{Status: sl.s, Label: sl.label, N: n[sl.s]})
		d.Total += n[sl.s]
	}
	var err error
	if d.Attention, err = c.attention(); err != nil {
		c.fail(w, "home", d, err)
		return
	}
	c.render(w, "home", http.StatusOK, d)
}

func (c *Console) staffData(ss *staff.Session, me *staff.Account) (*pageData, error) {
	accts, err := c.cfg.Staff.Accounts()
	if err != nil {
		return nil, err
	}
	sort.SliceStable(accts, func(i, j int) bool { return accts[i].Name < accts[j].Name })
	ps, err := c.cfg.State().Providers()
	if err != nil {
		return nil, err
	}
	return &pageData{Title: "Staff accounts", Nav: "staff", Me: me, CSRF: ss.CSRF, Accounts: accts, Roles: staff.Roles, Providers: ps, Form: map[string]string{}}, nil
}

func (c *Console) staffPage(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	d, err := c.staffData(ss, me)
	if err != nil {
		c.fail(w, "message", &pageData{Title: "Staff accounts", Me: me, CSRF: ss.CSRF}, err)
		return
	}
	c.render(w, "staff", http.StatusOK, d)
}

// staffAction runs an admin's change to staff accounts and shows the staff
// page again, with the outcome.
func (c *Console) staffAction(w http.ResponseWriter, ss *staff.Session, me *staff.Account, form map[string]string, act func() (*staff.Account, string, string, error)) {
	acct, link, notice, err := act()
	d, derr := c.staffData(ss, me)
	if derr != nil {
		c.fail(w, "message", &pageData{Title: "Staff accounts", Me: me, CSRF: ss.CSRF}, derr)
		return
	}
	if err != nil {
		d.Form = form
		c.fail(w, "staff", d, err)
		return
	}
	d.Notice, d.SetupURL, d.SetupFor = notice, link, acct
	c.render(w, "staff", http.StatusOK, d)
}

func (c *Console) addStaff(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	n := staff.NewAccount{Name: r.PostFormValue("name"), Email: r.PostFormValue("email"), Role: register.Role(r.PostFormValue("role"))}
	if n.Role == register.RoleProvider {
		// The provider list is only for the provider role.
		n.Provider = r.PostFormValue("provider")
	}
	c.staffAction(w, ss, me, map[string]string{"name": n.Name, "email": n.Email, "role": string(n.Role), "provider": n.Provider}, func() (*staff.Account, string, string, error) {
		a, link, err := c.cfg.Staff.Add(r.Context(), staff.ActorFor(me), n)
		if err != nil {
			return nil, "", "", err
		}
		return a, link, "Created an account for " + a.Name + ".", nil
	})
}

func (c *Console) disableStaff(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	c.staffAction(w, ss, me, nil, func() (*staff.Account, string, string, error) {
		a, err := c.cfg.Staff.Disable(r.Context(), staff.ActorFor(me), mux.Vars(r)["id"], r.PostFormValue("reason"))
		if err != nil {
			return nil, "", "", err
		}
		return nil, "", "Disabled the account of " + a.Name + ". Their sessions and tokens have stopped working.", nil
	})
}

func (c *Console) resetStaff(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	c.staffAction(w, ss, me, nil, func() (*staff.Account, string, string, error) {
		a, link, err := c.cfg.Staff.ResetSecondFactor(r.Context(), staff.ActorFor(me), mux.Vars(r)["id"], r.PostFormValue("reason"))
		if err != nil {
			return nil, "", "", err
		}
		return a, link, "Reset the password and second factor of " + a.Name + ".", nil
	})
}
