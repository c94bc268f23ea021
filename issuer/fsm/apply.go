package fsm

import (
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/regno"
)

func audit(tx *state.Txn, env *envelope, action, registrant, target, reason string, details map[string]string) error {
	return tx.Audit(register.AuditEvent{
		At: env.At, Actor: env.Actor, Action: action,
		Registrant: registrant, Target: target, Reason: reason, Details: details,
	})
}

func applySettings(tx *state.Txn, env *envelope, cmd *SetSettings) (any, error) {
	s := tx.Settings()
	details := map[string]string{}
	action := "settings.update"
	if cmd.RegisterName != nil {
		if err := register.CheckLine("register name", *cmd.RegisterName, register.MaxTitleLen, true); err != nil {
			return nil, err
		}
		s.RegisterName = *cmd.RegisterName
		details["register_name"] = s.RegisterName
	}
	if cmd.IssuerURL != nil {
		if err := register.ValidateIssuerURL(*cmd.IssuerURL); err != nil {
			return nil, err
		}
		s.IssuerURL = *cmd.IssuerURL
		details["issuer_url"] = s.IssuerURL
	}
	if cmd.RemovedVisibleDays != nil {
		if *cmd.RemovedVisibleDays < 0 || *cmd.RemovedVisibleDays > 100*365 {
			return nil, fmt.Errorf("%w: removed-visible days must be between 0 and 36500", register.ErrInvalid)
		}
		s.RemovedVisibleDays = *cmd.RemovedVisibleDays
		details["removed_visible_days"] = strconv.Itoa(s.RemovedVisibleDays)
	}
	if cmd.TwoPerson != nil {
		s.TwoPerson = *cmd.TwoPerson
		details["two_person_remove"] = strconv.FormatBool(s.TwoPerson.Applies(register.ProposeRemove))
		details["two_person_restrict"] = strconv.FormatBool(s.TwoPerson.Applies(register.ProposeRestrict))
	}
	if cmd.QualityMark != nil {
		if err := cmd.QualityMark.Validate(); err != nil {
			return nil, err
		}
		s.QualityMark = *cmd.QualityMark
		action = "quality-mark.set"
		details["accredited"] = strconv.FormatBool(s.QualityMark.Accredited)
		details["since"] = string(s.QualityMark.Since)
		details["until"] = string(s.QualityMark.Until)
		details["reference"] = s.QualityMark.Reference
	}
	if err := tx.PutSettings(s); err != nil {
		return nil, err
	}
	return s, audit(tx, env, action, "", "", "", details)
}

func applyAddRegistrant(tx *state.Txn, env *envelope, cmd *AddRegistrant) (any, error) {
	r, err := addRegistrant(tx, env, cmd)
	if err != nil {
		return nil, err
	}
	return Result{Registrant: r}, nil
}

// addRegistrant adds and audits a registrant: the one way onto the
// register, for a registrar's addition and an approved application alike.
func addRegistrant(tx *state.Txn, env *envelope, cmd *AddRegistrant) (*register.Registrant, error) {
	if err := cmd.Validate(register.DateOf(env.At)); err != nil {
		return nil, err
	}
	if cmd.RefuseDuplicate {
		if err := refuseDuplicate(tx, register.DuplicateKey(cmd.Given, cmd.Family, cmd.Email)); err != nil {
			return nil, err
		}
	}
	if err := admit(tx, &cmd.NewRegistrant, cmd.CheckCriteria); err != nil {
		return nil, err
	}
	serial, err := tx.NextSerial()
	if err != nil {
		return nil, err
	}
	r := cmd.Create(regno.Format(serial), env.At, tx.Index())
	if err := tx.PutRegistrant(r); err != nil {
		return nil, err
	}
	return r, audit(tx, env, "registrant.add", r.Number, "", "", admissionDetails(r, map[string]string{
		"name": r.FullName(), "nation": r.Nation, "registered_until": string(r.RegisteredUntil),
	}))
}

func applyChangeRegistrant(tx *state.Txn, env *envelope, cmd *ChangeRegistrant) (any, error) {
	return changeRegistrant(tx, env, cmd, nil)
}

// changeRegistrant applies cmd, audits it with its details and extra, and
// moves the registrant's credentials with it.
func changeRegistrant(tx *state.Txn, env *envelope, cmd *ChangeRegistrant, extra map[string]string) (Result, error) {
	old, err := tx.Registrant(cmd.Number)
	if err != nil {
		return Result{}, err
	}
	if cmd.Qualification != nil && (cmd.Op == OpQualification || cmd.Op == OpEditQualification) {
		q, err := resolveQualification(tx, *cmd.Qualification)
		if err != nil {
			return Result{}, err
		}
		cmd.Qualification = &q
	}
	ch, err := cmd.Apply(old, env.At, tx.Index())
	if err != nil {
		return Result{}, err
	}
	if cmd.Qualification != nil && cmd.Qualification.Course != "" {
		ch.Details["course"] = cmd.Qualification.Course
	}
	r := ch.Registrant
	if err := tx.PutRegistrant(r); err != nil {
		return Result{}, err
	}
	maps.Copy(ch.Details, extra)
	if err := audit(tx, env, "registrant."+string(cmd.Op), r.Number, "", cmd.Reason, ch.Details); err != nil {
		return Result{}, err
	}
	superseded, err := followRegistrant(tx, env, old, r, ch.Changed)
	if err != nil {
		return Result{}, err
	}
	return Result{Registrant: r, Changed: ch.Changed, Superseded: superseded}, nil
}

// Change is a registrant operation worked out on a record: the record
// after it, the fields a correction altered, and the audit details.
type Change struct {
	Registrant *register.Registrant
	Changed    []register.Changed
	Details    map[string]string
}

// Apply works out cmd on old, dated at, as log entry idx, without storing
// anything. The FSM applies it; the console's previews call it so that
// "what will change" follows the very rules the change will.
func (cmd ChangeRegistrant) Apply(old *register.Registrant, at time.Time, idx uint64) (*Change, error) {
	var r *register.Registrant
	var changed []register.Changed
	var err error
	details := map[string]string{}
	switch cmd.Op {
	case OpSuspend:
		r, err = old.Suspend(cmd.Reason, cmd.Until, at, idx)
		if cmd.Until != "" {
			details["until"] = string(cmd.Until)
		}
		if err == nil && cmd.Review != "" {
			r, err = r.WithSuspensionReview(cmd.Review, at)
			details["review"] = string(cmd.Review)
		}
	case OpReinstate:
		r, err = old.Reinstate(cmd.Reason, at, idx)
	case OpRemove:
		r, err = old.Remove(cmd.Reason, at, idx)
	case OpRenew:
		r, err = old.Renew(cmd.Until, at, idx)
		if err == nil {
			details["registered_until"] = string(r.RegisteredUntil)
		}
	case OpRestrict:
		r, err = old.Restrict(cmd.Text, cmd.Reason, at, idx)
		details["text"] = cmd.Text
		if err == nil && cmd.Review != "" {
			r, err = r.WithRestrictionReview(cmd.Review, at)
			details["review"] = string(cmd.Review)
		}
	case OpUnrestrict:
		r, err = old.Unrestrict(cmd.Reason, at, idx)
	case OpQualification:
		if cmd.Qualification == nil {
			return nil, fmt.Errorf("%w: qualification is required", register.ErrInvalid)
		}
		if cmd.RefuseFutureAward {
			if err := cmd.Qualification.CheckAwarded(register.DateOf(at)); err != nil {
				return nil, err
			}
		}
		r, err = old.AddQualification(*cmd.Qualification, idx)
		details["title"] = cmd.Qualification.Title
		details["level"] = strconv.Itoa(cmd.Qualification.Level)
		details["accreditation"] = cmd.Qualification.Accreditation
	case OpCPD:
		if cmd.CPD == nil {
			return nil, fmt.Errorf("%w: CPD record is required", register.ErrInvalid)
		}
		r, err = old.RecordCPD(*cmd.CPD, idx)
		details["year"] = strconv.Itoa(cmd.CPD.Year)
		details["hours"] = strconv.FormatFloat(cmd.CPD.Hours, 'f', -1, 64)
	case OpCorrect:
		if cmd.Correction == nil {
			return nil, fmt.Errorf("%w: correction is required", register.ErrInvalid)
		}
		r, changed, err = old.Correct(*cmd.Correction, cmd.Reason, register.DateOf(at), idx)
	case OpEditQualification:
		if cmd.Qualification == nil {
			return nil, fmt.Errorf("%w: qualification is required", register.ErrInvalid)
		}
		r, changed, err = old.EditQualification(cmd.QualificationIndex, *cmd.Qualification, cmd.Reason, register.DateOf(at), idx)
	case OpWithdrawQualification:
		r, changed, err = old.WithdrawQualification(cmd.QualificationIndex, cmd.Reason, idx)
	case OpSetReview:
		which := -1
		if cmd.Restriction != nil {
			which = *cmd.Restriction
			details["restriction"] = strconv.Itoa(which)
		}
		r, err = old.SetReview(which, cmd.Review, at, idx)
		details["review"] = string(cmd.Review)
	default:
		return nil, fmt.Errorf("%w: unknown registrant operation %q", register.ErrInvalid, cmd.Op)
	}
	if err == nil && cmd.Decided != "" {
		err = checkDecided(cmd, at)
		details["decided"] = string(cmd.Decided)
	}
	if err != nil {
		return nil, err
	}
	maps.Copy(details, register.Details(changed))
	if r.Status != old.Status {
		details["from"], details["to"] = string(old.Status), string(r.Status)
	}
	return &Change{Registrant: r, Changed: changed, Details: details}, nil
}

func applyLapseSweep(tx *state.Txn, env *envelope, _ *LapseSweep) (any, error) {
	regs, err := tx.Registrants(register.Registered)
	if err != nil {
		return nil, err
	}
	n, grace := 0, tx.Settings().GraceDays
	for _, old := range regs {
		r, ok := old.LapseAfterGrace(env.At, grace, tx.Index())
		if !ok {
			continue
		}
		if err := tx.PutRegistrant(r); err != nil {
			return nil, err
		}
		if err := audit(tx, env, "registrant.lapse", r.Number, "", r.StatusReason,
			map[string]string{"from": string(old.Status), "to": string(r.Status)}); err != nil {
			return nil, err
		}
		n++
	}
	return n, nil
}

func applyCreateToken(tx *state.Txn, env *envelope, cmd *CreateToken) (any, error) {
	t := cmd.Token
	if _, err := register.ParseRole(string(t.Role)); err != nil {
		return nil, err
	}
	if t.ID == "" || len(t.SecretHash) == 0 {
		return nil, fmt.Errorf("%w: token id and hash are required", register.ErrInvalid)
	}
	if err := register.CheckLine("token name", t.Name, 100, false); err != nil {
		return nil, err
	}
	if _, err := tx.Token(t.ID); err == nil {
		return nil, fmt.Errorf("%w: token %s exists", register.ErrConflict, t.ID)
	}
	details := map[string]string{"role": string(t.Role), "name": t.Name}
	if t.Staff != "" {
		if err := staffMayHold(tx, t.Staff, t.Role); err != nil {
			return nil, err
		}
		details["staff"] = t.Staff
	}
	t.CreatedAt, t.CreatedBy = env.At, actorID(env.Actor)
	if err := tx.PutToken(&t); err != nil {
		return nil, err
	}
	return &t, audit(tx, env, "token.create", "", t.ID, "", details)
}

func applyRevokeToken(tx *state.Txn, env *envelope, cmd *RevokeToken) (any, error) {
	if cmd.Reason != "" {
		if err := register.CheckReason(cmd.Reason); err != nil {
			return nil, err
		}
	}
	old, err := tx.Token(cmd.ID)
	if err != nil {
		return nil, err
	}
	if old.Revoked {
		return nil, fmt.Errorf("%w: token %s is already revoked", register.ErrConflict, cmd.ID)
	}
	t := *old
	t.Revoked, t.RevokedAt = true, env.At
	if err := tx.PutToken(&t); err != nil {
		return nil, err
	}
	return &t, audit(tx, env, "token.revoke", "", t.ID, cmd.Reason, nil)
}

func applyAddKey(tx *state.Txn, env *envelope, cmd *AddKey) (any, error) {
	k := cmd.Key
	if k.KID == "" || k.Alg == "" || len(k.PublicJWK) == 0 {
		return nil, fmt.Errorf("%w: key id, algorithm and public key are required", register.ErrInvalid)
	}
	if _, err := tx.Key(k.KID); err == nil {
		return nil, fmt.Errorf("%w: key %s is already known", register.ErrConflict, k.KID)
	}
	all, err := tx.Keys()
	if err != nil {
		return nil, err
	}
	for _, old := range all {
		if old.State == register.KeyActive {
			c := *old
			c.State = register.KeyVerifying
			if err := tx.PutKey(&c); err != nil {
				return nil, err
			}
		}
	}
	k.State, k.CreatedAt = register.KeyActive, env.At
	if err := tx.PutKey(&k); err != nil {
		return nil, err
	}
	return &k, audit(tx, env, "key.add", "", k.KID, "", map[string]string{"alg": k.Alg})
}

func applyRetireKey(tx *state.Txn, env *envelope, cmd *RetireKey) (any, error) {
	old, err := tx.Key(cmd.KID)
	if err != nil {
		return nil, err
	}
	switch old.State {
	case register.KeyActive:
		return nil, fmt.Errorf("%w: key %s is the active signing key; rotate first, then retire it", register.ErrConflict, cmd.KID)
	case register.KeyRetired:
		return nil, fmt.Errorf("%w: key %s is already retired", register.ErrConflict, cmd.KID)
	}
	if !cmd.Force && env.At.Before(cmd.NotAfter) {
		return nil, fmt.Errorf("%w: key %s signed credentials that stay valid until %s; retire it after then, or use --force to make them fail verification now",
			register.ErrConflict, cmd.KID, cmd.NotAfter.UTC().Format(time.RFC3339))
	}
	k := *old
	k.State, k.RetiredAt = register.KeyRetired, env.At
	if err := tx.PutKey(&k); err != nil {
		return nil, err
	}
	return &k, audit(tx, env, "key.retire", "", k.KID, "", map[string]string{"force": strconv.FormatBool(cmd.Force)})
}

// checkDecided accepts a decision date only on the changes a decision
// makes, and only one that is not after the day of the change.
func checkDecided(cmd ChangeRegistrant, at time.Time) error {
	switch cmd.Op {
	case OpSuspend, OpRemove, OpRestrict:
	default:
		return fmt.Errorf("%w: a decision date is recorded only with a suspension, removal or restriction", register.ErrInvalid)
	}
	d, err := register.ParseDate(string(cmd.Decided))
	if err != nil {
		return fmt.Errorf("decided: %w", err)
	}
	if today := register.DateOf(at); today.Before(d) {
		return fmt.Errorf("%w: decided %s is after today (%s): give the date the decision was made", register.ErrInvalid, d, today)
	}
	return nil
}
