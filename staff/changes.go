package staff

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"slices"
	"time"

	"github.com/nalw/linkpass/issuer/register"
)

// The changes below are the commands the leader writes to the log (the FSM
// gives each its message type). Everything random or secret-derived is
// decided by the leader first, so every member applies an entry the same
// way; the rules here are pure functions of the stored account, the change
// and the time of the entry.

// Add creates an invited account.
type Add struct {
	Account Account `json:"account"`
}

// Activate completes setup: the password hash and the second factor.
type Activate struct {
	ID string `json:"id"`
	// SetupHash is the hash of the setup link that was used; the change is
	// refused if it is no longer the account's (used, replaced, expired).
	SetupHash      []byte   `json:"setup_hash"`
	PasswordHash   string   `json:"password_hash"`
	Factor         Factor   `json:"factor"`
	TOTPSecret     string   `json:"totp_secret,omitempty"`
	TOTPStep       uint64   `json:"totp_step,omitempty"`
	Passkey        *Passkey `json:"passkey,omitempty"`
	RecoveryHashes [][]byte `json:"recovery_hashes,omitempty"`
}

// Disable stops an account for good: it cannot sign in and its sessions
// end.
type Disable struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// ResetSecondFactor removes an account's password and second factor and
// gives it a new setup link, for someone who lost their phone or passkey.
type ResetSecondFactor struct {
	ID           string    `json:"id"`
	Reason       string    `json:"reason"`
	SetupHash    []byte    `json:"setup_hash"`
	SetupExpires time.Time `json:"setup_expires"`
}

// SignIn records a completed sign-in and what it used up: the TOTP time
// step (so a code is never accepted twice), a recovery code, or a passkey's
// new signature counter.
type SignIn struct {
	ID           string   `json:"id"`
	Factor       Factor   `json:"factor"`
	TOTPStep     uint64   `json:"totp_step,omitempty"`
	RecoveryHash []byte   `json:"recovery_hash,omitempty"`
	Passkey      *Passkey `json:"passkey,omitempty"`
}

// SignOutAll ends every session of an account.
type SignOutAll struct {
	ID string `json:"id"`
}

// Lock refuses sign-in to an account until Until, after repeated failures.
type Lock struct {
	ID       string    `json:"id"`
	Until    time.Time `json:"until"`
	Failures int       `json:"failures"`
}

// Change is one of the changes above.
type Change interface{ staffChange() }

func (Add) staffChange()               {}
func (Activate) staffChange()          {}
func (Disable) staffChange()           {}
func (ResetSecondFactor) staffChange() {}
func (SignIn) staffChange()            {}
func (SignOutAll) staffChange()        {}
func (Lock) staffChange()              {}

// Create returns the account an Add makes at time at.
func (c Add) Create(at time.Time, by string, idx uint64) (*Account, error) {
	a := c.Account.clone()
	n := NewAccount{Name: a.Name, Email: a.Email, Role: a.Role, Provider: a.Provider}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	if a.ID == "" || len(a.SetupHash) == 0 || a.SetupExpires.IsZero() || len(a.WebAuthnID) == 0 {
		return nil, fmt.Errorf("%w: account id, setup hash and expiry are required", register.ErrInvalid)
	}
	a.Email = NormalEmail(a.Email)
	a.Status, a.CreatedAt, a.CreatedBy = Invited, at, by
	a.PasswordHash, a.Factor, a.TOTPSecret, a.RecoveryHashes, a.Passkeys = "", "", "", nil, nil
	a.CreateIndex, a.ModifyIndex = idx, idx
	return a, nil
}

// ErrSetupLink is wrapped when a setup link is unknown, used or expired.
var ErrSetupLink = fmt.Errorf("%w: this setup link has been used, has expired or was replaced; ask an admin for a new one", register.ErrConflict)

// Activate completes setup.
func (a *Account) Activate(c Activate, at time.Time, idx uint64) (*Account, error) {
	if a.Status != Invited || len(a.SetupHash) == 0 || subtle.ConstantTimeCompare(a.SetupHash, c.SetupHash) != 1 || !at.Before(a.SetupExpires) {
		return nil, ErrSetupLink
	}
	if c.PasswordHash == "" {
		return nil, fmt.Errorf("%w: a password is required", register.ErrInvalid)
	}
	n := a.clone()
	switch c.Factor {
	case FactorTOTP:
		if c.TOTPSecret == "" || len(c.RecoveryHashes) == 0 {
			return nil, fmt.Errorf("%w: an authenticator app needs its secret and recovery codes", register.ErrInvalid)
		}
		n.TOTPSecret, n.LastTOTPStep, n.RecoveryHashes, n.Passkeys = c.TOTPSecret, c.TOTPStep, c.RecoveryHashes, nil
	case FactorPasskey:
		if c.Passkey == nil || len(c.Passkey.ID) == 0 {
			return nil, fmt.Errorf("%w: a passkey is required", register.ErrInvalid)
		}
		n.Passkeys, n.TOTPSecret, n.RecoveryHashes = []Passkey{*c.Passkey}, "", c.RecoveryHashes
	default:
		return nil, fmt.Errorf("%w: second factor %q must be passkey or totp", register.ErrInvalid, c.Factor)
	}
	n.Status, n.Factor, n.PasswordHash = Active, c.Factor, c.PasswordHash
	n.SetupHash, n.SetupExpires = nil, time.Time{}
	n.LockedUntil = time.Time{}
	n.ModifyIndex = idx
	return n, nil
}

// Disable disables an account.
func (a *Account) Disable(reason string, at time.Time, idx uint64) (*Account, error) {
	if err := register.CheckReason(reason); err != nil {
		return nil, err
	}
	if a.Status == Disabled {
		return nil, fmt.Errorf("%w: %s is already disabled", register.ErrConflict, a.Email)
	}
	n := a.clone()
	n.Status, n.SetupHash, n.SetupExpires = Disabled, nil, time.Time{}
	n.SessionEpoch++
	n.ModifyIndex = idx
	return n, nil
}

// ResetSecondFactor clears the account's secrets and gives it a new setup
// link.
func (a *Account) ResetSecondFactor(c ResetSecondFactor, at time.Time, idx uint64) (*Account, error) {
	if err := register.CheckReason(c.Reason); err != nil {
		return nil, err
	}
	if a.Status == Disabled {
		return nil, fmt.Errorf("%w: %s is disabled; a disabled account cannot be set up again", register.ErrConflict, a.Email)
	}
	if len(c.SetupHash) == 0 || !at.Before(c.SetupExpires) {
		return nil, fmt.Errorf("%w: a new setup link is required", register.ErrInvalid)
	}
	n := a.clone()
	n.Status, n.PasswordHash, n.Factor, n.TOTPSecret, n.RecoveryHashes, n.Passkeys = Invited, "", "", "", nil, nil
	n.SetupHash, n.SetupExpires = c.SetupHash, c.SetupExpires
	n.SessionEpoch, n.LockedUntil = n.SessionEpoch+1, time.Time{}
	n.ModifyIndex = idx
	return n, nil
}

// ErrSignIn is wrapped when a sign-in is refused; its message is the same
// whatever the cause, so that it tells an attacker nothing.
var ErrSignIn = fmt.Errorf("%w: the email, password or code is not right", register.ErrUnauthenticated)

// SignIn records a sign-in, using up what it used.
func (a *Account) SignIn(c SignIn, at time.Time, idx uint64) (*Account, error) {
	if a.Status != Active || a.Locked(at) {
		return nil, ErrSignIn
	}
	n := a.clone()
	switch {
	case len(c.RecoveryHash) > 0:
		i := slices.IndexFunc(n.RecoveryHashes, func(h []byte) bool { return subtle.ConstantTimeCompare(h, c.RecoveryHash) == 1 })
		if i < 0 {
			return nil, ErrSignIn
		}
		n.RecoveryHashes = slices.Delete(n.RecoveryHashes, i, i+1)
	case c.Factor == FactorTOTP && a.Factor == FactorTOTP:
		if c.TOTPStep <= a.LastTOTPStep {
			// The same code again, or an older one: a replay.
			return nil, ErrSignIn
		}
		n.LastTOTPStep = c.TOTPStep
	case c.Factor == FactorPasskey && c.Passkey != nil:
		i := slices.IndexFunc(n.Passkeys, func(p Passkey) bool { return bytes.Equal(p.ID, c.Passkey.ID) })
		if i < 0 {
			return nil, ErrSignIn
		}
		n.Passkeys[i] = *c.Passkey
	default:
		return nil, ErrSignIn
	}
	n.LastSignInAt, n.ModifyIndex = at, idx
	return n, nil
}

// SignOutAll ends every session of the account.
func (a *Account) SignOutAll(idx uint64) *Account {
	n := a.clone()
	n.SessionEpoch, n.ModifyIndex = a.SessionEpoch+1, idx
	return n
}

// Lock refuses sign-in until until.
func (a *Account) Lock(until time.Time, idx uint64) *Account {
	n := a.clone()
	n.LockedUntil, n.ModifyIndex = until, idx
	return n
}
