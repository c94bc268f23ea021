package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/internal/version"
	"github.com/nalw/linkpass/issuer/audit"
	"github.com/nalw/linkpass/issuer/backup"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/registrants"
	"github.com/nalw/linkpass/issuer/state"
)

func (a *API) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *API) readyz(w http.ResponseWriter, _ *http.Request) {
	if !a.srv.Ready() {
		body := map[string]string{"status": "not ready"}
		if err := a.srv.StorageFault(); err != nil {
			body["reason"] = err.Error()
		} else if err := a.srv.ClockFault(); err != nil {
			body["reason"] = err.Error()
		} else if n := a.srv.Cluster(); n != nil && n.LeaderLost() > 0 {
			body["reason"] = fmt.Sprintf("this node has had no leader for %s: it serves what it last had, which may be behind the register, and it cannot take changes. Check that a majority of the cluster is running and reachable", n.LeaderLost().Round(time.Second))
		}
		writeJSON(w, http.StatusServiceUnavailable, body)
		return
	}
	body := map[string]any{"status": "ready", "index": a.srv.State().Index("")}
	if n := a.srv.Cluster(); n != nil {
		_, leader := n.Leader()
		body["node"], body["leader"], body["role"] = n.Self(), leader, "follower"
		if n.IsLeader() {
			body["role"] = "leader"
		}
	}
	writeJSON(w, http.StatusOK, body)
}

// version says which build is running, so that operators and integrators
// can tell what they are talking to.
func (a *API) version(*http.Request, register.Actor) (int, any, error) {
	return http.StatusOK, version.Get(), nil
}

// Registrants.

type registrantsResponse struct {
	Registrants []*register.Registrant `json:"registrants"`
}

func (a *API) listRegistrants(r *http.Request, _ register.Actor) (int, any, error) {
	var status register.Status
	if s := r.URL.Query().Get("status"); s != "" {
		var err error
		if status, err = register.ParseStatus(s); err != nil {
			return 0, nil, err
		}
	}
	regs, err := a.srv.State().Registrants(status)
	if err != nil {
		return 0, nil, err
	}
	if regs == nil {
		regs = []*register.Registrant{}
	}
	return http.StatusOK, registrantsResponse{Registrants: regs}, nil
}

func (a *API) getRegistrant(r *http.Request, _ register.Actor) (int, any, error) {
	n, err := regnoVar(r)
	if err != nil {
		return 0, nil, err
	}
	reg, err := a.srv.State().Registrant(n)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, reg, nil
}

func (a *API) addRegistrant(r *http.Request, actor register.Actor) (int, any, error) {
	req := &registrants.Add{Today: register.DateOf(a.srv.Now())}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	reg, err := a.registrants.Add(r.Context(), actor, req)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, reg, nil
}

// change decodes one registrant operation and runs it through the service
// layer, which the console calls too.
func (a *API) change(r *http.Request, actor register.Actor, op registrants.Operation) (int, any, error) {
	out, err := a.changeOutcome(r, actor, op, op)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, changedResponse{Registrant: out.Registrant, StatusPublishedAt: out.StatusPublishedAt}, nil
}

// changeOutcome decodes body (op, or op wrapped as optional) and runs op.
func (a *API) changeOutcome(r *http.Request, actor register.Actor, op registrants.Operation, body any) (*registrants.Outcome, error) {
	n, err := regnoVar(r)
	if err != nil {
		return nil, err
	}
	if err := decode(r, body); err != nil {
		return nil, err
	}
	return a.registrants.Change(r.Context(), actor, n, op)
}

// changedResponse is a registrant after a change. When the change altered
// the status of their credentials, StatusPublishedAt says when the served
// status list that carries it was signed: verifiers can see it from then.
type changedResponse struct {
	*register.Registrant
	StatusPublishedAt time.Time `json:"status_published_at,omitzero"`
}

func (a *API) suspend(r *http.Request, actor register.Actor) (int, any, error) {
	return a.change(r, actor, &registrants.Suspend{})
}

func (a *API) reinstate(r *http.Request, actor register.Actor) (int, any, error) {
	return a.change(r, actor, &registrants.Reinstate{})
}

func (a *API) remove(r *http.Request, actor register.Actor) (int, any, error) {
	return a.changeOrPropose(r, actor, &registrants.Remove{})
}

func (a *API) unrestrict(r *http.Request, actor register.Actor) (int, any, error) {
	return a.change(r, actor, &registrants.Unrestrict{})
}

func (a *API) setReview(r *http.Request, actor register.Actor) (int, any, error) {
	return a.change(r, actor, &registrants.SetReview{})
}

func (a *API) renew(r *http.Request, actor register.Actor) (int, any, error) {
	req := &registrants.Renew{}
	out, err := a.changeOutcome(r, actor, req, optional{req})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, changedResponse{Registrant: out.Registrant, StatusPublishedAt: out.StatusPublishedAt}, nil
}

func (a *API) restrict(r *http.Request, actor register.Actor) (int, any, error) {
	return a.changeOrPropose(r, actor, &registrants.Restrict{})
}

func (a *API) addQualification(r *http.Request, actor register.Actor) (int, any, error) {
	return a.change(r, actor, &registrants.AddQualification{})
}

func (a *API) recordCPD(r *http.Request, actor register.Actor) (int, any, error) {
	return a.change(r, actor, &registrants.RecordCPD{})
}

// Settings.

func (a *API) getSettings(*http.Request, register.Actor) (int, any, error) {
	return http.StatusOK, a.srv.State().Settings(), nil
}

type settingsRequest struct {
	RegisterName       *string `json:"register_name,omitempty"`
	RemovedVisibleDays *int    `json:"removed_visible_days,omitempty"`
	// TwoPersonRule turns the two-person rule on or off per change.
	TwoPersonRule *twoPersonRequest `json:"two_person_rule,omitempty"`
}

type twoPersonRequest struct {
	Remove   *bool `json:"remove,omitempty"`
	Restrict *bool `json:"restrict,omitempty"`
}

func (q *settingsRequest) Validate() error {
	if q.RegisterName == nil && q.RemovedVisibleDays == nil && q.TwoPersonRule == nil {
		return fmt.Errorf("%w: nothing to change: send register_name, removed_visible_days and/or two_person_rule", register.ErrInvalid)
	}
	if t := q.TwoPersonRule; t != nil && t.Remove == nil && t.Restrict == nil {
		return fmt.Errorf("%w: two_person_rule: say whether removal (remove) and/or restriction (restrict) needs a second registrar's approval", register.ErrInvalid)
	}
	return nil
}

// twoPerson is the rule after the request, from the rule now.
func (q *settingsRequest) twoPerson(now register.TwoPersonRule) *register.TwoPersonRule {
	t := q.TwoPersonRule
	if t == nil {
		return nil
	}
	if t.Remove != nil {
		now.SoloRemove = !*t.Remove
	}
	if t.Restrict != nil {
		now.SoloRestrict = !*t.Restrict
	}
	return &now
}

func (a *API) setSettings(r *http.Request, actor register.Actor) (int, any, error) {
	req := &settingsRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	res, err := a.srv.Apply(r.Context(), actor, fsm.SetSettings{RegisterName: req.RegisterName, RemovedVisibleDays: req.RemovedVisibleDays,
		TwoPerson: req.twoPerson(a.srv.State().Settings().TwoPerson)})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, res, nil
}

type qualityMarkRequest struct{ register.QualityMark }

func (q *qualityMarkRequest) Validate() error { return q.QualityMark.Validate() }

func (a *API) setQualityMark(r *http.Request, actor register.Actor) (int, any, error) {
	req := &qualityMarkRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	res, err := a.srv.Apply(r.Context(), actor, fsm.SetSettings{QualityMark: &req.QualityMark})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, res, nil
}

// Tokens.

type tokenView struct {
	ID   string        `json:"id"`
	Role register.Role `json:"role"`
	Name string        `json:"name,omitempty"`
	// Staff is the staff account the token belongs to, if it is not an
	// integration's.
	Staff     string `json:"staff,omitempty"`
	CreatedAt string `json:"created_at"`
	CreatedBy string `json:"created_by"`
	Revoked   bool   `json:"revoked"`
	// Token is the bearer secret, present only in the response that
	// created it.
	Token string `json:"token,omitempty"`
}

func viewToken(t *register.Token) tokenView {
	return tokenView{ID: t.ID, Role: t.Role, Name: t.Name, Staff: t.Staff, CreatedAt: t.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"), CreatedBy: t.CreatedBy, Revoked: t.Revoked}
}

func (a *API) listTokens(*http.Request, register.Actor) (int, any, error) {
	toks, err := a.srv.State().Tokens()
	if err != nil {
		return 0, nil, err
	}
	out := make([]tokenView, 0, len(toks))
	for _, t := range toks {
		out = append(out, viewToken(t))
	}
	return http.StatusOK, map[string]any{"tokens": out}, nil
}

type createTokenRequest struct {
	Role  register.Role `json:"role"`
	Name  string        `json:"name,omitempty"`
	Staff string        `json:"staff,omitempty"`
}

// Validate leaves the rules (a role, and whose token it is) to
// Server.CreateTokenFor, which the console calls too.
func (q *createTokenRequest) Validate() error { return nil }

func (a *API) createToken(r *http.Request, actor register.Actor) (int, any, error) {
	req := &createTokenRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	t, bearer, err := a.srv.CreateTokenFor(actor, register.Token{Role: req.Role, Name: req.Name, Staff: req.Staff})
	if err != nil {
		return 0, nil, err
	}
	v := viewToken(t)
	v.Token = bearer
	return http.StatusCreated, v, nil
}

func (a *API) revokeToken(r *http.Request, actor register.Actor) (int, any, error) {
	req := &struct {
		Reason string `json:"reason,omitempty"`
	}{}
	if r.ContentLength != 0 {
		if err := decode(r, req); err != nil {
			return 0, nil, err
		}
	}
	id := mux.Vars(r)["id"]
	if id == actor.TokenID {
		return 0, nil, fmt.Errorf("%w: a token cannot revoke itself; use another admin token", register.ErrConflict)
	}
	res, err := a.srv.Apply(r.Context(), actor, fsm.RevokeToken{ID: id, Reason: req.Reason})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewToken(res.(*register.Token)), nil
}

// Audit.

type auditResponse struct {
	Events []audit.Event `json:"events"`
	// NextAfter is the value of ?after= for the next page, 0 at the end.
	NextAfter uint64 `json:"next_after,omitempty"`
}

// auditFilter reads the filter of /v1/audit and its export; package audit
// owns the query, which the console shares.
func (a *API) auditFilter(r *http.Request) (state.AuditFilter, error) {
	q, err := audit.ParseValues(r.URL.Query())
	if err != nil {
		return state.AuditFilter{}, err
	}
	return q.Filter(a.srv.State())
}

func (a *API) listAudit(r *http.Request, _ register.Actor) (int, any, error) {
	f, err := a.auditFilter(r)
	if err != nil {
		return 0, nil, err
	}
	evs, err := a.srv.State().Audit(f)
	if err != nil {
		return 0, nil, err
	}
	res := auditResponse{Events: audit.Named(a.srv.State(), evs)}
	if len(evs) >= f.Limit {
		res.NextAfter = evs[len(evs)-1].Index
	}
	return http.StatusOK, res, nil
}

// exportAudit streams the events the filter selects, all of them, as JSON
// lines or (format=csv) CSV.
func (a *API) exportAudit(w http.ResponseWriter, r *http.Request) {
	if _, err := a.authorize(r, reader); err != nil {
		a.writeError(w, r, err)
		return
	}
	if err := checkQuery(r); err != nil {
		a.writeError(w, r, err)
		return
	}
	format, err := audit.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	f, err := a.auditFilter(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	f.Limit = 0
	evs, err := a.srv.State().Audit(f)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", audit.ContentType(format))
	if err := audit.Write(w, format, audit.Named(a.srv.State(), evs)); err != nil {
		a.logger.Warn("sending an audit export failed", "err", err)
	}
}

// backup streams a consistent copy of the register (docs/backup-format.md).
// It holds the private signing keys, so only admins may take one, and each
// is logged with who took it.
func (a *API) backup(w http.ResponseWriter, r *http.Request) {
	actor, err := a.authorize(r, admin)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	if r.Method == http.MethodHead {
		// HEAD says what GET would send without taking a snapshot.
		w.Header().Set("Content-Type", "application/x-tar")
		return
	}
	arc, err := a.srv.Backup()
	if err != nil {
		a.srv.RecordBackup(err)
		a.writeError(w, r, err)
		return
	}
	a.logger.Info("backup taken", "token", actor.TokenID, "index", arc.Manifest.Index)
	w.Header().Set("Content-Type", "application/x-tar")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="linkpass-%d.backup"`, arc.Manifest.Index))
	if err := backup.Write(w, arc); err != nil {
		// Headers are gone: the client sees a truncated archive, which
		// restore and verify refuse.
		a.logger.Warn("sending a backup failed", "err", err)
		a.srv.RecordBackup(err)
		return
	}
	// The CLI checks the archive whole before keeping it; this side knows
	// only that it was sent.
	a.srv.RecordBackup(nil)
}
