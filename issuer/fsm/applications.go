package fsm

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

// Message types of applications to join (130-149 are the catalogue's and
// theirs).
const (
	MsgApplicationSubmit   MessageType = 134
	MsgApplicationChange   MessageType = 135
	MsgApplicationApprove  MessageType = 136
	MsgApplicationSettings MessageType = 137
)

func init() {
	appliers[MsgApplicationSubmit] = decode(applySubmitApplication)
	appliers[MsgApplicationChange] = decode(applyChangeApplication)
	appliers[MsgApplicationApprove] = decode(applyApproveApplication)
	appliers[MsgApplicationSettings] = decode(applyApplicationSettings)
}

// SubmitApplication records an application whose email the service has
// proved; the FSM assigns the reference and flags removed registrants the
// applicant may be.
type SubmitApplication struct {
	applications.New
}

// ApplicationOp is a registrar's step on an application.
type ApplicationOp string

// Application steps other than approval.
const (
	AppRequestInfo     ApplicationOp = "request-information"
	AppRefuse          ApplicationOp = "refuse"
	AppAppeal          ApplicationOp = "appeal"
	AppAppealUpheld    ApplicationOp = "appeal-upheld"
	AppAppealDismissed ApplicationOp = "appeal-dismissed"
)

// ChangeApplication applies Op to application Ref; Note is the message,
// reasons or grounds the step needs.
type ChangeApplication struct {
	Ref  string        `json:"reference"`
	Op   ApplicationOp `json:"op"`
	Note string        `json:"note"`
}

// ApproveApplication approves an application: the registrant it adds is
// added, with the criteria checked, in the same entry.
type ApproveApplication struct {
	Ref string `json:"reference"`
	// Route is the alternative route the registrar records, if the
	// applicant meets the criteria that way.
	Route *register.EntryRoute `json:"entry_route,omitempty"`
	Note  string               `json:"note,omitempty"`
}

// ApprovalResult is what ApproveApplication returns.
type ApprovalResult struct {
	Application *applications.Application
	Registrant  *register.Registrant
}

// SetApplicationSettings sets the appeal period.
type SetApplicationSettings struct {
	AppealDays int `json:"appeal_days"`
}

func (SubmitApplication) MessageType() MessageType      { return MsgApplicationSubmit }
func (ChangeApplication) MessageType() MessageType      { return MsgApplicationChange }
func (ApproveApplication) MessageType() MessageType     { return MsgApplicationApprove }
func (SetApplicationSettings) MessageType() MessageType { return MsgApplicationSettings }

func applySubmitApplication(tx *state.Txn, env *envelope, cmd *SubmitApplication) (any, error) {
	if err := cmd.Validate(register.DateOf(env.At)); err != nil {
		return nil, err
	}
	for i, q := range cmd.Qualifications {
		if q.Course != "" {
			if _, err := tx.Course(q.Course); err != nil {
				return nil, fmt.Errorf("qualification %d: %w", i+1, err)
			}
		}
	}
	ref, err := tx.NextApplicationRef()
	if err != nil {
		return nil, err
	}
	a := cmd.Create(ref, env.At, tx.Index())
	if a.Removed, err = removedMatches(tx, a); err != nil {
		return nil, err
	}
	if err := tx.PutApplication(a); err != nil {
		return nil, err
	}
	details := map[string]string{"name": a.Given + " " + a.Family, "nation": a.Nation, "qualifications": strconv.Itoa(len(a.Qualifications))}
	if len(a.Removed) > 0 {
		var ns []string
		for _, m := range a.Removed {
			ns = append(ns, m.Registrant)
		}
		details["previously_removed"] = strings.Join(ns, " ")
	}
	return a, audit(tx, env, "application.submit", "", a.Ref, "", details)
}

// removedMatches finds removed registrants the applicant may be: the same
// folded name and the same email, or the same folded name and date of
// birth as an earlier application whose registrant was later removed (the
// register keeps no date of birth on a registrant's record).
func removedMatches(tx *state.Txn, a *applications.Application) ([]applications.Match, error) {
	var out []applications.Match
	seen := map[string]bool{}
	add := func(r *register.Registrant, on string) {
		if r.Status == register.Removed && !seen[r.Number] {
			seen[r.Number] = true
			out = append(out, applications.Match{Registrant: r.Number, Name: r.FullName(), RemovedAt: r.StatusChangedAt, Reason: r.StatusReason, On: on})
		}
	}
	removed, err := tx.Registrants(register.Removed)
	if err != nil {
		return nil, err
	}
	name := applications.NameKey(a.Given, a.Family)
	for _, r := range removed {
		if applications.NameKey(r.Given, r.Family) == name && r.Email != "" && strings.EqualFold(r.Email, a.Email) {
			add(r, "name and email")
		}
	}
	earlier, err := tx.ApplicationsOf(a.Key())
	if err != nil {
		return nil, err
	}
	for _, e := range earlier {
		if e.Registrant == "" {
			continue
		}
		r, err := tx.Registrant(e.Registrant)
		if err != nil {
			return nil, err
		}
		add(r, "name and date of birth")
	}
	slices.SortFunc(out, func(x, y applications.Match) int { return strings.Compare(x.Registrant, y.Registrant) })
	return out, nil
}

func applyChangeApplication(tx *state.Txn, env *envelope, cmd *ChangeApplication) (any, error) {
	old, err := tx.Application(cmd.Ref)
	if err != nil {
		return nil, err
	}
	by, at, idx := actorID(env.Actor), env.At, tx.Index()
	var a *applications.Application
	details := map[string]string{}
	switch cmd.Op {
	case AppRequestInfo:
		a, err = old.RequestInfo(cmd.Note, by, at, idx)
	case AppRefuse:
		days := tx.Settings().AppealDays
		if days == 0 {
			days = applications.DefaultAppealDays
		}
		a, err = old.Refuse(cmd.Note, by, days, at, idx)
		if err == nil {
			details["appeal_by"] = string(a.AppealBy)
		}
	case AppAppeal:
		a, err = old.Appeal(cmd.Note, by, at, idx)
	case AppAppealUpheld, AppAppealDismissed:
		a, err = old.DecideAppeal(cmd.Op == AppAppealUpheld, cmd.Note, by, at, idx)
	default:
		return nil, fmt.Errorf("%w: unknown application step %q", register.ErrInvalid, cmd.Op)
	}
	if err != nil {
		return nil, err
	}
	if err := tx.PutApplication(a); err != nil {
		return nil, err
	}
	details["from"], details["to"] = string(old.State), string(a.State)
	return a, audit(tx, env, "application."+string(cmd.Op), "", a.Ref, cmd.Note, details)
}

func applyApproveApplication(tx *state.Txn, env *envelope, cmd *ApproveApplication) (any, error) {
	old, err := tx.Application(cmd.Ref)
	if err != nil {
		return nil, err
	}
	// Checked before the registrant is built, so that a refusal says why.
	if _, err := old.Approve("", cmd.Note, "", env.At, 0); err != nil {
		return nil, err
	}
	r, err := addRegistrant(tx, env, &AddRegistrant{NewRegistrant: old.Joining(cmd.Route), RefuseDuplicate: true, CheckCriteria: true})
	if err != nil {
		return nil, fmt.Errorf("application %s cannot be approved: %w", old.Ref, err)
	}
	a, err := old.Approve(r.Number, cmd.Note, actorID(env.Actor), env.At, tx.Index())
	if err != nil {
		return nil, err
	}
	if err := tx.PutApplication(a); err != nil {
		return nil, err
	}
	if err := carryConfirmations(tx, env, a.Ref, r.Number); err != nil {
		return nil, err
	}
	return ApprovalResult{Application: a, Registrant: r}, audit(tx, env, "application.approve", r.Number, a.Ref, cmd.Note,
		map[string]string{"from": string(old.State), "to": string(a.State)})
}

func applyApplicationSettings(tx *state.Txn, env *envelope, cmd *SetApplicationSettings) (any, error) {
	if cmd.AppealDays < 1 || cmd.AppealDays > 365 {
		return nil, fmt.Errorf("%w: the appeal period must be from 1 to 365 days, not %d", register.ErrInvalid, cmd.AppealDays)
	}
	s := tx.Settings()
	s.AppealDays = cmd.AppealDays
	if err := tx.PutSettings(s); err != nil {
		return nil, err
	}
	return s, audit(tx, env, "settings.applications", "", "", "", map[string]string{"appeal_days": strconv.Itoa(s.AppealDays)})
}
