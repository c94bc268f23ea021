// Package staff is the register's staff accounts: the people (admins,
// registrars, auditors) who run the register from the console, how they
// set up their account, sign in with a password and a second factor
// (passkey or authenticator app with recovery codes), and the sessions
// that follow.
//
// Accounts are register state: every change is a command written to the
// Raft log by the leader and applied by the FSM (issuer/fsm), audited
// there. This package holds the records and their rules (pure functions of
// the old record, the change and its time), the secrets' hashing, and the
// Service that the API, the CLI and the console all call. Nothing secret
// that a person types reaches the log: passwords are hashed with argon2id
// on the leader before the entry is written; setup links and recovery codes
// are stored as SHA-256 hashes. Sessions and sign-in attempt counters are
// held in the memory of the node serving the console (see sessions.go and
// docs/threat-model.md).
package staff

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/nalw/linkpass/issuer/register"
)

// Status is where an account is in its life.
type Status string

// Account statuses. An invited account has a setup link and cannot sign in
// until its owner has chosen a password and registered a second factor.
const (
	Invited  Status = "invited"
	Active   Status = "active"
	Disabled Status = "disabled"
)

// Factor is a kind of second factor.
type Factor string

// Second factors.
const (
	FactorPasskey Factor = "passkey"
	FactorTOTP    Factor = "totp"
)

// Account is one member of staff.
type Account struct {
	ID    string        `json:"id"`
	Name  string        `json:"name"`
	Email string        `json:"email"`
	Role  register.Role `json:"role"`
	// Provider is the catalogue provider a provider account belongs to;
	// empty for every other role.
	Provider string `json:"provider,omitempty"`
	Status   Status `json:"status"`

	// SetupHash is the SHA-256 of the one-time setup link's secret, valid
	// until SetupExpires. Empty once used.
	SetupHash    []byte    `json:"setup_hash,omitempty"`
	SetupExpires time.Time `json:"setup_expires,omitzero"`

	// PasswordHash is an argon2id hash in PHC string form.
	PasswordHash string `json:"password_hash,omitempty"`
	Factor       Factor `json:"factor,omitempty"`
	// TOTPSecret is the authenticator app's shared secret (base32). It
	// must be kept to check codes; it is as secret as the data directory.
	TOTPSecret string `json:"totp_secret,omitempty"`
	// LastTOTPStep is the time step of the last accepted code, so that a
	// code cannot be used twice.
	LastTOTPStep uint64 `json:"last_totp_step,omitempty"`
	// RecoveryHashes are the SHA-256 hashes of the unused recovery codes.
	RecoveryHashes [][]byte  `json:"recovery_hashes,omitempty"`
	Passkeys       []Passkey `json:"passkeys,omitempty"`
	// WebAuthnID is the random user handle given to authenticators.
	WebAuthnID []byte `json:"webauthn_id,omitempty"`
	// OIDCIssuer and OIDCSubject are the identity provider's name for the
	// person, bound at their first single sign-on (sso.go).
	OIDCIssuer  string `json:"oidc_issuer,omitempty"`
	OIDCSubject string `json:"oidc_subject,omitempty"`

	// SessionEpoch counts sign-outs of every session (sign out everywhere,
	// disabling, a reset of the second factor): a session started in an
	// earlier epoch has ended.
	SessionEpoch uint64 `json:"session_epoch"`
	// LockedUntil refuses sign-in until then, after repeated failures.
	LockedUntil time.Time `json:"locked_until,omitzero"`

	CreatedAt    time.Time `json:"created_at"`
	CreatedBy    string    `json:"created_by"`
	LastSignInAt time.Time `json:"last_sign_in_at,omitzero"`
	CreateIndex  uint64    `json:"create_index"`
	ModifyIndex  uint64    `json:"modify_index"`
}

// Passkey is a registered WebAuthn credential.
type Passkey struct {
	// ID is the credential id.
	ID []byte `json:"id"`
	// Credential is the go-webauthn credential record (public key, sign
	// count, flags), kept as JSON.
	Credential json.RawMessage `json:"credential"`
	AddedAt    time.Time       `json:"added_at"`
}

// clone returns a deep enough copy for the rules to change.
func (a *Account) clone() *Account {
	c := *a
	c.RecoveryHashes = append([][]byte(nil), a.RecoveryHashes...)
	c.Passkeys = append([]Passkey(nil), a.Passkeys...)
	return &c
}

// Locked reports whether sign-in is refused at t after repeated failures.
func (a *Account) Locked(t time.Time) bool { return t.Before(a.LockedUntil) }

// Roles staff accounts may hold. They are the register's API roles, so that
// a staff member's API token and console session can do the same things.
var Roles = []register.Role{register.RoleAdmin, register.RoleRegistrar, register.RoleAuditor, register.RoleProvider}

// Permission is something the console or API lets a role do.
type Permission string

// Permissions. Each role has its row below; the provider role's one
// permission reaches only its own provider's courses, which package
// confirmations enforces on every answer.
const (
	// ReadRegister is reading registrants, the audit trail and counts.
	ReadRegister Permission = "register.read"
	// ChangeRegister is changing registrants and their credentials.
	ChangeRegister Permission = "register.change"
	// ManageStaff is creating, disabling and resetting staff accounts.
	ManageStaff Permission = "staff.manage"
	// ManageSettings is changing the register's details, Quality Mark,
	// signing keys and API tokens.
	ManageSettings Permission = "settings.manage"
	// ConfirmQualifications is seeing the qualifications claimed from
	// one's own provider's courses (with the claimant's name and award
	// date, nothing else of them) and confirming or disputing them.
	ConfirmQualifications Permission = "qualifications.confirm"
)

var permissions = map[register.Role][]Permission{
	register.RoleAdmin:     {ReadRegister, ChangeRegister, ManageStaff, ManageSettings},
	register.RoleRegistrar: {ReadRegister, ChangeRegister},
	register.RoleAuditor:   {ReadRegister},
	register.RoleProvider:  {ConfirmQualifications},
}

// Can reports whether role has permission p.
func Can(role register.Role, p Permission) bool {
	for _, q := range permissions[role] {
		if q == p {
			return true
		}
	}
	return false
}

// RoleWithin reports whether every permission of role is also one of
// within's, so that a staff member's token never does more than they may.
func RoleWithin(role, within register.Role) bool {
	if len(permissions[role]) == 0 {
		return false
	}
	for _, p := range permissions[role] {
		if !Can(within, p) {
			return false
		}
	}
	return true
}

// MaxNameLen bounds a staff member's name.
const MaxNameLen = 100

// NewAccount is what an admin gives to create an account.
type NewAccount struct {
	Name  string        `json:"name"`
	Email string        `json:"email"`
	Role  register.Role `json:"role"`
	// Provider is the catalogue provider (its id, like P1) a provider
	// account belongs to; required for that role and refused for others.
	Provider string `json:"provider,omitempty"`
}

// Validate checks a new account's details.
func (n NewAccount) Validate() error {
	if err := register.CheckLine("name", n.Name, MaxNameLen, true); err != nil {
		return err
	}
	if a, err := mail.ParseAddress(n.Email); err != nil || a.Address != n.Email || len(n.Email) > 254 {
		return fmt.Errorf("%w: email %q is not a plain work address like name@nalw.org.uk", register.ErrInvalid, clip(n.Email))
	}
	if _, err := ParseRole(string(n.Role)); err != nil {
		return err
	}
	switch {
	case n.Role == register.RoleProvider && n.Provider == "":
		return fmt.Errorf("%w: a provider account belongs to one training provider: give its catalogue id (provider, like P1; `linkpass provider list` shows them)", register.ErrInvalid)
	case n.Role != register.RoleProvider && n.Provider != "":
		return fmt.Errorf("%w: only a provider account belongs to a training provider; leave provider out for the %s role", register.ErrInvalid, n.Role)
	}
	return register.CheckLine("provider", n.Provider, 20, false)
}

// ParseRole validates the role of a staff account.
func ParseRole(s string) (register.Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("%w: role %q must be one of admin, registrar, auditor, provider", register.ErrInvalid, clip(s))
}

// NormalEmail is the form emails are compared in.
func NormalEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
