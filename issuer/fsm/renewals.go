package fsm

import (
	"fmt"
	"strconv"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

// Message types of the registrant's own account: sign-in events, CPD
// activities and yearly renewals (170-189 are theirs).
const (
	MsgAccountEvent     MessageType = 170
	MsgCPDAdd           MessageType = 171
	MsgCPDEdit          MessageType = 172
	MsgCPDDelete        MessageType = 173
	MsgRenewalSubmit    MessageType = 174
	MsgRenewalDecide    MessageType = 175
	MsgRenewalPolicySet MessageType = 176
)

func init() {
	appliers[MsgAccountEvent] = decode(applyAccountEvent)
	appliers[MsgCPDAdd] = decode(applyAddCPD)
	appliers[MsgCPDEdit] = decode(applyEditCPD)
	appliers[MsgCPDDelete] = decode(applyDeleteCPD)
	appliers[MsgRenewalSubmit] = decode(applySubmitRenewal)
	appliers[MsgRenewalDecide] = decode(applyDecideRenewal)
	appliers[MsgRenewalPolicySet] = decode(applySetRenewalPolicy)
	for _, t := range []MessageType{MsgAccountEvent, MsgCPDAdd, MsgCPDEdit, MsgCPDDelete, MsgRenewalSubmit, MsgRenewalDecide, MsgRenewalPolicySet} {
		versions[t] = 2
	}
}

// Account sign-in events, audited as "account." + the event.
const (
	EventSignInSent   = "sign-in-sent"
	EventSignedIn     = "signed-in"
	EventSignInFailed = "sign-in-failed"
	EventCodeLocked   = "code-locked"
	EventSignedOut    = "signed-out"
)

// AccountEvent records a sign-in step of a registrant's account in the
// audit trail. Codes and sessions live on the node serving the account
// pages; only the fact of each step is logged.
type AccountEvent struct {
	Number string `json:"registration_number"`
	Event  string `json:"event"`
}

// AddCPD records a CPD activity; the leader chooses its id.
type AddCPD struct {
	ID     string            `json:"id"`
	Number string            `json:"registration_number"`
	Draft  register.CPDDraft `json:"activity"`
}

// EditCPD replaces an activity of the registrant Number with Draft.
type EditCPD struct {
	ID     string            `json:"id"`
	Number string            `json:"registration_number"`
	Draft  register.CPDDraft `json:"activity"`
}

// DeleteCPD deletes an activity of the registrant Number.
type DeleteCPD struct {
	ID     string `json:"id"`
	Number string `json:"registration_number"`
}

// SubmitRenewal is a registrant's yearly renewal; the leader chooses its
// id. The FSM adds up the CPD itself from the activities on the register,
// refuses a renewal that does not meet the rule, and under automatic
// approval renews in the same entry.
type SubmitRenewal struct {
	ID          string                      `json:"id"`
	Number      string                      `json:"registration_number"`
	Declaration register.RenewalDeclaration `json:"declaration"`
}

// DecideRenewal is a registrar's decision on a pending renewal.
type DecideRenewal struct {
	ID      string `json:"id"`
	Approve bool   `json:"approve"`
	Reason  string `json:"reason,omitempty"`
}

// SetRenewalPolicy replaces how renewals are decided.
type SetRenewalPolicy struct {
	Policy register.RenewalPolicy `json:"policy"`
}

func (AccountEvent) MessageType() MessageType     { return MsgAccountEvent }
func (AddCPD) MessageType() MessageType           { return MsgCPDAdd }
func (EditCPD) MessageType() MessageType          { return MsgCPDEdit }
func (DeleteCPD) MessageType() MessageType        { return MsgCPDDelete }
func (SubmitRenewal) MessageType() MessageType    { return MsgRenewalSubmit }
func (DecideRenewal) MessageType() MessageType    { return MsgRenewalDecide }
func (SetRenewalPolicy) MessageType() MessageType { return MsgRenewalPolicySet }

func applyAccountEvent(tx *state.Txn, env *envelope, cmd *AccountEvent) (any, error) {
	switch cmd.Event {
	case EventSignInSent, EventSignedIn, EventSignInFailed, EventCodeLocked, EventSignedOut:
	default:
		return nil, fmt.Errorf("%w: unknown account event %q", register.ErrInvalid, cmd.Event)
	}
	if _, err := tx.Registrant(cmd.Number); err != nil {
		return nil, err
	}
	return nil, audit(tx, env, "account."+cmd.Event, cmd.Number, "", "", nil)
}

func cpdDetails(a *register.CPDActivity) map[string]string {
	return map[string]string{"date": string(a.Date), "title": a.Title, "points": strconv.FormatFloat(a.Points, 'f', -1, 64), "formal": strconv.FormatBool(a.Formal)}
}

// cpdOwner refuses a CPD change for a registrant who may not make one.
func cpdOwner(tx *state.Txn, number string) error {
	r, err := tx.Registrant(number)
	if err != nil {
		return err
	}
	if r.Status == register.Removed {
		return fmt.Errorf("%w: %s was removed from the register and records no more CPD", register.ErrConflict, number)
	}
	return nil
}

// ownActivity returns the activity id if it belongs to number; another
// registrant's is "not found", so that ids reveal nothing.
func ownActivity(tx *state.Txn, id, number string) (*register.CPDActivity, error) {
	a, err := tx.CPDActivity(id)
	if err != nil || a.Registrant != number {
		return nil, fmt.Errorf("%w: no CPD activity %q of yours", register.ErrNotFound, id)
	}
	return a, nil
}

func applyAddCPD(tx *state.Txn, env *envelope, cmd *AddCPD) (any, error) {
	if cmd.ID == "" {
		return nil, fmt.Errorf("%w: a CPD activity needs an id", register.ErrInvalid)
	}
	if err := cmd.Draft.Validate(register.DateOf(env.At)); err != nil {
		return nil, err
	}
	if err := cpdOwner(tx, cmd.Number); err != nil {
		return nil, err
	}
	if _, err := tx.CPDActivity(cmd.ID); err == nil {
		return nil, fmt.Errorf("%w: CPD activity %s exists", register.ErrConflict, cmd.ID)
	}
	acts, err := tx.CPDOf(cmd.Number)
	if err != nil {
		return nil, err
	}
	if len(acts) >= register.MaxCPDActivities {
		return nil, fmt.Errorf("%w: you have %d CPD activities recorded, the most the register keeps; delete old ones first", register.ErrConflict, len(acts))
	}
	a := cmd.Draft.Activity(cmd.ID, cmd.Number, env.At, tx.Index())
	if err := tx.PutCPDActivity(a); err != nil {
		return nil, err
	}
	return a, audit(tx, env, "cpd.add", a.Registrant, a.ID, "", cpdDetails(a))
}

func applyEditCPD(tx *state.Txn, env *envelope, cmd *EditCPD) (any, error) {
	if err := cmd.Draft.Validate(register.DateOf(env.At)); err != nil {
		return nil, err
	}
	if err := cpdOwner(tx, cmd.Number); err != nil {
		return nil, err
	}
	old, err := ownActivity(tx, cmd.ID, cmd.Number)
	if err != nil {
		return nil, err
	}
	a, err := old.Edited(cmd.Draft, tx.Index())
	if err != nil {
		return nil, err
	}
	if err := tx.PutCPDActivity(a); err != nil {
		return nil, err
	}
	return a, audit(tx, env, "cpd.edit", a.Registrant, a.ID, "", cpdDetails(a))
}

func applyDeleteCPD(tx *state.Txn, env *envelope, cmd *DeleteCPD) (any, error) {
	if err := cpdOwner(tx, cmd.Number); err != nil {
		return nil, err
	}
	a, err := ownActivity(tx, cmd.ID, cmd.Number)
	if err != nil {
		return nil, err
	}
	if err := a.Editable(); err != nil {
		return nil, err
	}
	if err := tx.DeleteCPDActivity(a); err != nil {
		return nil, err
	}
	return a, audit(tx, env, "cpd.delete", a.Registrant, a.ID, "", cpdDetails(a))
}

// RenewalCheck works out a renewal of r as of the entry's date, without
// storing anything: the summary of the CPD it counts, and why it would be
// refused. The renewal page shows the same check before the registrant
// submits.
func RenewalCheck(r *register.Registrant, acts []*register.CPDActivity, prior []*register.Renewal, p register.RenewalPolicy, today register.Date) (register.CPDSummary, error) {
	from, to := register.CPDYear(r, today, register.LastRenewed(prior))
	sum := register.SummariseCPD(acts, from, to)
	if err := register.RenewalOpen(r, p, today); err != nil {
		return sum, err
	}
	if miss := p.CPD.Missing(sum); miss != "" {
		return sum, fmt.Errorf("%w: %s. Record the CPD you have done, then renew", register.ErrInvalid, miss)
	}
	return sum, nil
}

func applySubmitRenewal(tx *state.Txn, env *envelope, cmd *SubmitRenewal) (any, error) {
	if cmd.ID == "" {
		return nil, fmt.Errorf("%w: a renewal needs an id", register.ErrInvalid)
	}
	if err := cmd.Declaration.Validate(); err != nil {
		return nil, err
	}
	r, err := tx.Registrant(cmd.Number)
	if err != nil {
		return nil, err
	}
	prior, err := tx.RenewalsOf(cmd.Number)
	if err != nil {
		return nil, err
	}
	for _, p := range prior {
		if p.State == register.RenewalPending {
			return nil, fmt.Errorf("%w: your renewal of %s is waiting for a registrar's decision", register.ErrConflict, register.DateOf(p.SubmittedAt))
		}
	}
	acts, err := tx.CPDOf(cmd.Number)
	if err != nil {
		return nil, err
	}
	policy := register.RenewalPolicyOf(tx.Settings())
	sum, err := RenewalCheck(r, acts, prior, policy, register.DateOf(env.At))
	if err != nil {
		return nil, err
	}
	rn := &register.Renewal{ID: cmd.ID, Registrant: r.Number, SubmittedAt: env.At, Declaration: cmd.Declaration,
		CPD: sum, Rule: policy.CPD, State: register.RenewalPending, Until: r.RegisteredUntil,
		CreateIndex: tx.Index(), ModifyIndex: tx.Index()}
	// The counted activities are marked, so that they are neither changed
	// after the decision nor counted again next year.
	for _, a := range acts {
		if a.Renewal == "" && contains(sum.Counted, a.ID) {
			c := *a
			c.Renewal, c.ModifyIndex = rn.ID, tx.Index()
			if err := tx.PutCPDActivity(&c); err != nil {
				return nil, err
			}
		}
	}
	if err := audit(tx, env, "renewal.submit", r.Number, rn.ID, "", map[string]string{
		"points": strconv.FormatFloat(sum.Points, 'f', -1, 64), "formal_points": strconv.FormatFloat(sum.FormalPoints, 'f', -1, 64),
		"activities": strconv.Itoa(sum.Activities), "approval": policy.Approval,
	}); err != nil {
		return nil, err
	}
	if policy.Approval == register.ApproveAutomatically {
		return decideRenewal(tx, env, rn, r, true, "met the CPD rule; approved automatically", "automatic")
	}
	return rn, tx.PutRenewal(rn)
}

func applyDecideRenewal(tx *state.Txn, env *envelope, cmd *DecideRenewal) (any, error) {
	rn, err := tx.Renewal(cmd.ID)
	if err != nil {
		return nil, err
	}
	if rn.State != register.RenewalPending {
		return nil, fmt.Errorf("%w: renewal %s was %s already", register.ErrConflict, rn.ID, rn.State)
	}
	if !cmd.Approve {
		if err := register.CheckReason(cmd.Reason); err != nil {
			return nil, err
		}
	} else if cmd.Reason != "" {
		if err := register.CheckReason(cmd.Reason); err != nil {
			return nil, err
		}
	}
	r, err := tx.Registrant(rn.Registrant)
	if err != nil {
		return nil, err
	}
	return decideRenewal(tx, env, rn, r, cmd.Approve, cmd.Reason, actorID(env.Actor))
}

// decideRenewal stores the decision on rn and, on approval, renews r by a
// year through the registrant renew operation, with its credential
// follow-ups, all in this one entry.
func decideRenewal(tx *state.Txn, env *envelope, pending *register.Renewal, r *register.Registrant, approve bool, reason, by string) (*register.Renewal, error) {
	rn := *pending
	rn.DecidedAt, rn.DecidedBy, rn.Reason, rn.ModifyIndex = env.At, by, reason, tx.Index()
	if !approve {
		rn.State = register.RenewalRefused
		// Refused CPD may count in a renewal made again.
		if err := releaseCPD(tx, rn.Registrant, rn.ID); err != nil {
			return nil, err
		}
		if err := tx.PutRenewal(&rn); err != nil {
			return nil, err
		}
		return &rn, audit(tx, env, "renewal.refuse", rn.Registrant, rn.ID, reason, nil)
	}
	renew := ChangeRegistrant{Number: r.Number, Op: OpRenew}
	ch, err := renew.Apply(r, env.At, tx.Index())
	if err != nil {
		return nil, err
	}
	if err := tx.PutRegistrant(ch.Registrant); err != nil {
		return nil, err
	}
	if err := audit(tx, env, "registrant.renew", r.Number, "", "renewal "+rn.ID, ch.Details); err != nil {
		return nil, err
	}
	if _, err := followRegistrant(tx, env, r, ch.Registrant, ch.Changed); err != nil {
		return nil, err
	}
	rn.State, rn.NewUntil = register.RenewalApproved, ch.Registrant.RegisteredUntil
	if err := tx.PutRenewal(&rn); err != nil {
		return nil, err
	}
	return &rn, audit(tx, env, "renewal.approve", rn.Registrant, rn.ID, reason, map[string]string{"registered_until": string(rn.NewUntil), "decided_by": by})
}

func releaseCPD(tx *state.Txn, number, renewal string) error {
	acts, err := tx.CPDOf(number)
	if err != nil {
		return err
	}
	for _, a := range acts {
		if a.Renewal == renewal {
			c := *a
			c.Renewal, c.ModifyIndex = "", tx.Index()
			if err := tx.PutCPDActivity(&c); err != nil {
				return err
			}
		}
	}
	return nil
}

func applySetRenewalPolicy(tx *state.Txn, env *envelope, cmd *SetRenewalPolicy) (any, error) {
	if err := cmd.Policy.Validate(); err != nil {
		return nil, err
	}
	s := tx.Settings()
	p := cmd.Policy
	s.Renewal = &p
	if err := tx.PutSettings(s); err != nil {
		return nil, err
	}
	return p, audit(tx, env, "renewal.policy", "", "", "", map[string]string{
		"min_points": strconv.FormatFloat(p.CPD.MinPoints, 'f', -1, 64), "min_formal_points": strconv.FormatFloat(p.CPD.MinFormal, 'f', -1, 64),
		"approval": p.Approval, "window_days": strconv.Itoa(p.WindowDays),
	})
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
