package fsm

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/staff"
)

// Staff account message types: 70 to 89 are theirs.
const (
	MsgStaffAdd        MessageType = 70
	MsgStaffActivate   MessageType = 71
	MsgStaffDisable    MessageType = 72
	MsgStaffReset      MessageType = 73
	MsgStaffSignIn     MessageType = 74
	MsgStaffSignOutAll MessageType = 75
	MsgStaffLock       MessageType = 76
	// MsgStaffSSOSignIn is single sign-on (110 to 119 are the console's
	// settings and sign-in through an identity provider).
	MsgStaffSSOSignIn MessageType = 110
)

// Staff wraps a staff account change (package staff) as a command.
type Staff struct{ Change staff.Change }

// MessageType implements Command.
func (c Staff) MessageType() MessageType {
	switch c.Change.(type) {
	case staff.Add:
		return MsgStaffAdd
	case staff.Activate:
		return MsgStaffActivate
	case staff.Disable:
		return MsgStaffDisable
	case staff.ResetSecondFactor:
		return MsgStaffReset
	case staff.SignIn:
		return MsgStaffSignIn
	case staff.SignOutAll:
		return MsgStaffSignOutAll
	case staff.Lock:
		return MsgStaffLock
	case staff.SSOSignIn:
		return MsgStaffSSOSignIn
	}
	panic(fmt.Sprintf("fsm: unknown staff change %T", c.Change)) // a programming error
}

// MarshalJSON writes the change itself.
func (c Staff) MarshalJSON() ([]byte, error) { return json.Marshal(c.Change) }

func init() {
	appliers[MsgStaffAdd] = decodeStaff(applyStaffAdd)
	appliers[MsgStaffActivate] = decodeStaff(applyStaffActivate)
	appliers[MsgStaffDisable] = decodeStaff(applyStaffDisable)
	appliers[MsgStaffReset] = decodeStaff(applyStaffReset)
	appliers[MsgStaffSignIn] = decodeStaff(applyStaffSignIn)
	appliers[MsgStaffSignOutAll] = decodeStaff(applyStaffSignOutAll)
	appliers[MsgStaffLock] = decodeStaff(applyStaffLock)
	appliers[MsgStaffSSOSignIn] = decodeStaff(applyStaffSSOSignIn)
}

func decodeStaff[C staff.Change](fn func(tx *state.Txn, env *envelope, c *C) (any, error)) applier {
	return decode(fn)
}

// actorID is who an entry names as having made it.
func actorID(a register.Actor) string {
	if a.Staff != "" {
		return a.Staff
	}
	return a.TokenID
}

func putStaff(tx *state.Txn, env *envelope, a *staff.Account, action, reason string, details map[string]string) (any, error) {
	if err := tx.PutStaffAccount(a); err != nil {
		return nil, err
	}
	if details == nil {
		details = map[string]string{}
	}
	details["email"] = a.Email
	return a, audit(tx, env, action, "", a.ID, reason, details)
}

func applyStaffAdd(tx *state.Txn, env *envelope, c *staff.Add) (any, error) {
	a, err := c.Create(env.At, actorID(env.Actor), tx.Index())
	if err != nil {
		return nil, err
	}
	if _, err := tx.StaffAccount(a.ID); err == nil {
		return nil, fmt.Errorf("%w: staff account %s exists", register.ErrConflict, a.ID)
	}
	if _, err := tx.StaffAccountByEmail(a.Email); err == nil {
		return nil, fmt.Errorf("%w: there is already a staff account for %s", register.ErrConflict, a.Email)
	}
	details := map[string]string{"name": a.Name, "role": string(a.Role)}
	if a.Provider != "" {
		if _, err := tx.Provider(a.Provider); err != nil {
			return nil, fmt.Errorf("the provider account's training provider: %w", err)
		}
		details["provider"] = a.Provider
	}
	return putStaff(tx, env, a, "staff.add", "", details)
}

func applyStaffActivate(tx *state.Txn, env *envelope, c *staff.Activate) (any, error) {
	old, err := tx.StaffAccount(c.ID)
	if err != nil {
		return nil, err
	}
	a, err := old.Activate(*c, env.At, tx.Index())
	if err != nil {
		return nil, err
	}
	return putStaff(tx, env, a, "staff.activate", "", map[string]string{"factor": string(a.Factor)})
}

func applyStaffDisable(tx *state.Txn, env *envelope, c *staff.Disable) (any, error) {
	old, err := tx.StaffAccount(c.ID)
	if err != nil {
		return nil, err
	}
	a, err := old.Disable(c.Reason, env.At, tx.Index())
	if err != nil {
		return nil, err
	}
	return putStaff(tx, env, a, "staff.disable", c.Reason, nil)
}

func applyStaffReset(tx *state.Txn, env *envelope, c *staff.ResetSecondFactor) (any, error) {
	old, err := tx.StaffAccount(c.ID)
	if err != nil {
		return nil, err
	}
	a, err := old.ResetSecondFactor(*c, env.At, tx.Index())
	if err != nil {
		return nil, err
	}
	return putStaff(tx, env, a, "staff.reset-second-factor", c.Reason, nil)
}

func applyStaffSignIn(tx *state.Txn, env *envelope, c *staff.SignIn) (any, error) {
	old, err := tx.StaffAccount(c.ID)
	if err != nil {
		return nil, err
	}
	a, err := old.SignIn(*c, env.At, tx.Index())
	if err != nil {
		return nil, err
	}
	details := map[string]string{"factor": string(c.Factor)}
	if len(c.RecoveryHash) > 0 {
		details["factor"] = "recovery-code"
		details["recovery_codes_left"] = strconv.Itoa(len(a.RecoveryHashes))
	}
	return putStaff(tx, env, a, "staff.sign-in", "", details)
}

func applyStaffSignOutAll(tx *state.Txn, env *envelope, c *staff.SignOutAll) (any, error) {
	old, err := tx.StaffAccount(c.ID)
	if err != nil {
		return nil, err
	}
	return putStaff(tx, env, old.SignOutAll(tx.Index()), "staff.sign-out-all", "", nil)
}

func applyStaffLock(tx *state.Txn, env *envelope, c *staff.Lock) (any, error) {
	old, err := tx.StaffAccount(c.ID)
	if err != nil {
		return nil, err
	}
	return putStaff(tx, env, old.Lock(c.Until, tx.Index()), "staff.lock", "repeated failed sign-in attempts",
		map[string]string{"until": c.Until.UTC().Format("2006-01-02T15:04:05Z"), "failures": strconv.Itoa(c.Failures)})
}

// staffMayHold checks that a token of role may belong to the staff account
// id: the account is active and its role allows everything the token's
// does.
func staffMayHold(tx *state.Txn, id string, role register.Role) error {
	a, err := tx.StaffAccount(id)
	if err != nil {
		return err
	}
	if a.Status != staff.Active {
		return fmt.Errorf("%w: %s has not finished setting up their account, or it is disabled", register.ErrConflict, a.Email)
	}
	if !staff.RoleWithin(role, a.Role) {
		return fmt.Errorf("%w: %s is %s and cannot hold a %s token", register.ErrForbidden, a.Email, a.Role, role)
	}
	return nil
}

// applyStaffSSOSignIn provisions or signs in the account a single sign-on
// names (staff/sso.go has the rule).
func applyStaffSSOSignIn(tx *state.Txn, env *envelope, c *staff.SSOSignIn) (any, error) {
	details := map[string]string{"factor": string(staff.FactorSSO), "issuer": c.Issuer, "role": string(c.Role), "group": c.Group}
	old, err := tx.StaffAccountByEmail(staff.NormalEmail(c.Email))
	switch {
	case err == nil:
		if c.ID != old.ID {
			return nil, fmt.Errorf("%w: the account for %s changed while signing in; sign in again", register.ErrConflict, old.Email)
		}
		a, err := old.SSOSignIn(*c, env.At, tx.Index())
		if err != nil {
			return nil, err
		}
		if old.Role != a.Role {
			details["old_role"] = string(old.Role)
		}
		return putStaff(tx, env, a, "staff.sign-in", "", details)
	case errors.Is(err, register.ErrNotFound):
		a, err := c.Provision(env.At, tx.Index())
		if err != nil {
			return nil, err
		}
		if _, err := tx.StaffAccount(a.ID); err == nil {
			return nil, fmt.Errorf("%w: staff account %s exists", register.ErrConflict, a.ID)
		}
		if err := audit(tx, env, "staff.provision", "", a.ID, "first single sign-on", map[string]string{"name": a.Name, "email": a.Email, "role": string(a.Role), "issuer": c.Issuer, "group": c.Group}); err != nil {
			return nil, err
		}
		return putStaff(tx, env, a, "staff.sign-in", "", details)
	default:
		return nil, err
	}
}
