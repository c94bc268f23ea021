package console

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/staff"
)

// Settings (admins): the register's details, the Quality Mark, signing
// keys and API tokens. Every change is the operation the API's handler
// calls (Admin, which *issuer.Server is), so it is validated and audited
// in the one place, under the signed-in admin's name.

// Admin is what the settings pages change the register through.
type Admin interface {
	Apply(ctx context.Context, actor register.Actor, cmd fsm.Command) (any, error)
	RotateKey(actor register.Actor, alg string) (*register.SigningKey, error)
	RetireKey(actor register.Actor, kid string, force bool) (*register.SigningKey, error)
	CreateTokenFor(actor register.Actor, t register.Token) (*register.Token, string, error)
}

// settingsData is what the settings page shows.
type settingsData struct {
	Settings register.Settings
	Keys     []*register.SigningKey
	Algs     []string
	Tokens   []tokenRow
	// Staff are the active accounts a token may belong to.
	Staff []*staff.Account
	// NewToken is a token just created, with its secret, shown once.
	NewToken *tokenRow
	Secret   string
	// What the CLI says about keys, said here too.
	RotateAdvice, RetireAdvice, RetiredEffect string
}

// tokenRow is an API token with the names of who holds it and who made it.
type tokenRow struct {
	*register.Token
	Holder, MadeBy string
}

func init() {
	pageNames = append(pageNames, "settings")
	for _, r := range []string{"GET /console/settings", "POST /console/settings/register", "POST /console/settings/quality-mark", "POST /console/settings/two-person",
		"POST /console/settings/grace-period", "POST /console/settings/keys/rotate", "POST /console/settings/keys/{kid}/retire",
		"POST /console/settings/tokens", "POST /console/settings/tokens/{id}/revoke"} {
		Routes[r] = staff.ManageSettings
	}
}

// registerSettings mounts the settings' routes.
func (c *Console) registerSettings(h func(methods []string, path string, fn http.HandlerFunc)) {
	get, p := []string{http.MethodGet, http.MethodHead}, []string{http.MethodPost}
	s := func(fn authed) http.HandlerFunc { return c.signedIn(staff.ManageSettings, fn) }
	h(get, "/console/settings", s(c.settingsPage))
	h(p, "/console/settings/register", s(c.setRegister))
	h(p, "/console/settings/quality-mark", s(c.setQualityMark))
	h(p, "/console/settings/two-person", s(c.setTwoPerson))
	h(p, "/console/settings/grace-period", s(c.setGracePeriod))
	h(p, "/console/settings/keys/rotate", s(c.rotateKey))
	h(p, "/console/settings/keys/{kid}/retire", s(c.retireKey))
	h(p, "/console/settings/tokens", s(c.createToken))
	h(p, "/console/settings/tokens/{id}/revoke", s(c.revokeToken))
}

func (c *Console) settingsData(ss *staff.Session, me *staff.Account) (*pageData, error) {
	st := c.cfg.State()
	d := &settingsData{Settings: st.Settings(), Algs: []string{keys.AlgEdDSA, keys.AlgES256},
		RotateAdvice: issuer.RotateAdvice, RetireAdvice: issuer.RetireAdvice, RetiredEffect: issuer.RetiredEffect}
	var err error
	if d.Keys, err = st.Keys(); err != nil {
		return nil, err
	}
	// Newest first: the active key, then those still verifying.
	sort.SliceStable(d.Keys, func(i, j int) bool { return d.Keys[i].CreatedAt.After(d.Keys[j].CreatedAt) })
	toks, err := st.Tokens()
	if err != nil {
		return nil, err
	}
	sort.SliceStable(toks, func(i, j int) bool {
		if toks[i].Revoked != toks[j].Revoked {
			return !toks[i].Revoked
		}
		return toks[i].CreatedAt.After(toks[j].CreatedAt)
	})
	for _, t := range toks {
		d.Tokens = append(d.Tokens, c.tokenRow(t))
	}
	accts, err := c.cfg.Staff.Accounts()
	if err != nil {
		return nil, err
	}
	for _, a := range accts {
		if a.Status == staff.Active {
			d.Staff = append(d.Staff, a)
		}
	}
	sort.SliceStable(d.Staff, func(i, j int) bool { return d.Staff[i].Name < d.Staff[j].Name })
	return &pageData{Title: "Settings", Nav: "settings", Me: me, CSRF: ss.CSRF, Settings: d, Roles: staff.Roles, Form: map[string]string{}}, nil
}

func (c *Console) tokenRow(t *register.Token) tokenRow {
	st := c.cfg.State()
	holder := st.ActorName(register.Actor{TokenID: t.ID, Staff: t.Staff})
	by := register.Actor{TokenID: t.CreatedBy}
	if strings.HasPrefix(t.CreatedBy, "st_") {
		by = register.Actor{Staff: t.CreatedBy}
	}
	return tokenRow{Token: t, Holder: holder, MadeBy: st.ActorName(by)}
}

func (c *Console) settingsPage(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	d, err := c.settingsData(ss, me)
	if err != nil {
		c.fail(w, "message", &pageData{Title: "Settings", Me: me, CSRF: ss.CSRF}, err)
		return
	}
	c.render(w, "settings", http.StatusOK, d)
}

// settingsAction runs one change and shows the settings page again with
// its outcome: the notice, or the error and what was typed.
func (c *Console) settingsAction(w http.ResponseWriter, ss *staff.Session, me *staff.Account, form map[string]string, act func(d *pageData) (string, error)) {
	if c.cfg.Admin == nil {
		c.fail(w, "message", &pageData{Title: "Settings", Me: me, CSRF: ss.CSRF}, fmt.Errorf("%w: this console cannot change settings; use the linkpass command", register.ErrUnavailable))
		return
	}
	d, err := c.settingsData(ss, me)
	if err != nil {
		c.fail(w, "message", &pageData{Title: "Settings", Me: me, CSRF: ss.CSRF}, err)
		return
	}
	notice, err := act(d)
	if err != nil {
		d.Form = form
		c.fail(w, "settings", d, err)
		return
	}
	// Show what the change made, read again.
	fresh, ferr := c.settingsData(ss, me)
	if ferr != nil {
		c.fail(w, "message", &pageData{Title: "Settings", Me: me, CSRF: ss.CSRF}, ferr)
		return
	}
	fresh.Settings.NewToken, fresh.Settings.Secret = d.Settings.NewToken, d.Settings.Secret
	fresh.Notice = notice
	c.render(w, "settings", http.StatusOK, fresh)
}

func (c *Console) setRegister(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	name, days := r.PostFormValue("register_name"), r.PostFormValue("removed_visible_days")
	c.settingsAction(w, ss, me, map[string]string{"register_name": name, "removed_visible_days": days}, func(d *pageData) (string, error) {
		cur := d.Settings.Settings
		cmd := fsm.SetSettings{}
		if name = strings.TrimSpace(name); name != cur.RegisterName {
			cmd.RegisterName = &name
		}
		n, err := strconv.Atoi(strings.TrimSpace(days))
		if err != nil {
			return "", fmt.Errorf("%w: days removed entries stay visible must be a whole number of days, such as 30", register.ErrInvalid)
		}
		if n != cur.RemovedVisibleDays {
			cmd.RemovedVisibleDays = &n
		}
		if cmd.RegisterName == nil && cmd.RemovedVisibleDays == nil {
			return "Nothing changed: the register's details are as they were.", nil
		}
		if _, err := c.cfg.Admin.Apply(r.Context(), staff.ActorFor(me), cmd); err != nil {
			return "", err
		}
		return "Saved the register's details.", nil
	})
}

// setTwoPerson sets which changes need a second registrar's approval. The
// form sends both choices (an unticked box sends nothing, so a marker
// field says the form was sent whole).
func (c *Console) setTwoPerson(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	form := map[string]string{"two_person": r.PostFormValue("two_person"), "two_person_remove": r.PostFormValue("two_person_remove"),
		"two_person_restrict": r.PostFormValue("two_person_restrict")}
	c.settingsAction(w, ss, me, form, func(d *pageData) (string, error) {
		if form["two_person"] != "both" {
			return "", fmt.Errorf("%w: the two-person form was sent incomplete; reload the settings page and save it again", register.ErrInvalid)
		}
		rule := register.TwoPersonRule{SoloRemove: form["two_person_remove"] != "yes", SoloRestrict: form["two_person_restrict"] != "yes"}
		if rule == d.Settings.Settings.TwoPerson {
			return "Nothing changed: the two-person rule is as it was.", nil
		}
		if _, err := c.cfg.Admin.Apply(r.Context(), staff.ActorFor(me), fsm.SetSettings{TwoPerson: &rule}); err != nil {
			return "", err
		}
		return "Saved the two-person rule.", nil
	})
}

func (c *Console) setQualityMark(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	form := map[string]string{"accredited": r.PostFormValue("accredited"), "since": r.PostFormValue("since"),
		"until": r.PostFormValue("until"), "reference": r.PostFormValue("reference")}
	c.settingsAction(w, ss, me, form, func(*pageData) (string, error) {
		q := register.QualityMark{Since: register.Date(strings.TrimSpace(form["since"])), Until: register.Date(strings.TrimSpace(form["until"])), Reference: strings.TrimSpace(form["reference"])}
		switch form["accredited"] {
		case "yes":
			q.Accredited = true
		case "no":
		default:
			return "", fmt.Errorf("%w: say whether the register holds the Quality Mark (yes or no)", register.ErrInvalid)
		}
		if _, err := c.cfg.Admin.Apply(r.Context(), staff.ActorFor(me), fsm.SetSettings{QualityMark: &q}); err != nil {
			return "", err
		}
		if q.Accredited {
			return "Saved: the register holds the Quality Mark from " + string(q.Since) + " to " + string(q.Until) + ".", nil
		}
		return "Saved: the register does not hold the Quality Mark.", nil
	})
}

func (c *Console) setGracePeriod(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	form := map[string]string{"grace_days": r.PostFormValue("grace_days")}
	c.settingsAction(w, ss, me, form, func(*pageData) (string, error) {
		if c.cfg.Renewals == nil {
			return "", fmt.Errorf("%w: this console cannot change the grace period; use linkpass renewal grace-period", register.ErrUnavailable)
		}
		days, err := strconv.Atoi(strings.TrimSpace(form["grace_days"]))
		if err != nil {
			return "", fmt.Errorf("%w: the grace period must be a whole number of days, from 0 to %d", register.ErrInvalid, register.MaxGraceDays)
		}
		if days, err = c.cfg.Renewals.SetGracePeriod(r.Context(), staff.ActorFor(me), days); err != nil {
			return "", err
		}
		if days == 0 {
			return "Saved: no grace period. A registration that is not renewed lapses at registered-until.", nil
		}
		return fmt.Sprintf("Saved: a registration that is not renewed lapses %d days after registered-until.", days), nil
	})
}

func (c *Console) rotateKey(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	alg := r.PostFormValue("alg")
	c.settingsAction(w, ss, me, map[string]string{"alg": alg}, func(*pageData) (string, error) {
		k, err := c.cfg.Admin.RotateKey(staff.ActorFor(me), alg)
		if err != nil {
			return "", err
		}
		return "New signing key " + k.KID + " (" + k.Alg + ") is active. Older keys keep verifying until you retire them.", nil
	})
}

func (c *Console) retireKey(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	kid, force := mux.Vars(r)["kid"], r.PostFormValue("force") == "yes"
	c.settingsAction(w, ss, me, nil, func(*pageData) (string, error) {
		if !keys.ValidKeyID(kid) {
			return "", fmt.Errorf("%w: %q is not a key id", register.ErrInvalid, clip(kid))
		}
		k, err := c.cfg.Admin.RetireKey(staff.ActorFor(me), kid, force)
		if err != nil {
			return "", err
		}
		return "Retired key " + k.KID + ": " + issuer.RetiredEffect + ".", nil
	})
}

func (c *Console) createToken(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	form := map[string]string{"role": r.PostFormValue("role"), "holder": r.PostFormValue("holder"),
		"staff": r.PostFormValue("staff"), "name": r.PostFormValue("name")}
	c.settingsAction(w, ss, me, form, func(d *pageData) (string, error) {
		t := register.Token{Role: register.Role(form["role"])}
		switch form["holder"] {
		case "staff":
			t.Staff = form["staff"]
			if t.Staff == "" {
				return "", fmt.Errorf("%w: choose the member of staff the token belongs to", register.ErrInvalid)
			}
		case "integration":
			t.Name = strings.TrimSpace(form["name"])
		default:
			return "", fmt.Errorf("%w: say whose token this is: a member of staff, or a named integration", register.ErrInvalid)
		}
		tok, secret, err := c.cfg.Admin.CreateTokenFor(staff.ActorFor(me), t)
		if err != nil {
			return "", err
		}
		row := c.tokenRow(tok)
		d.Settings.NewToken, d.Settings.Secret = &row, secret
		return "Created a " + string(tok.Role) + " token for " + row.Holder + ".", nil
	})
}

func (c *Console) revokeToken(w http.ResponseWriter, r *http.Request, ss *staff.Session, me *staff.Account) {
	id, reason := mux.Vars(r)["id"], strings.TrimSpace(r.PostFormValue("reason"))
	c.settingsAction(w, ss, me, nil, func(*pageData) (string, error) {
		res, err := c.cfg.Admin.Apply(r.Context(), staff.ActorFor(me), fsm.RevokeToken{ID: id, Reason: reason})
		if err != nil {
			return "", err
		}
		row := c.tokenRow(res.(*register.Token))
		return "Revoked token " + row.ID + " of " + row.Holder + ". It stopped working at once.", nil
	})
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
