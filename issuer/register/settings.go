package register

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Settings are the register-wide facts.
type Settings struct {
	RegisterName string      `json:"register_name"`
	IssuerURL    string      `json:"issuer_url"`
	QualityMark  QualityMark `json:"quality_mark"`
	// RemovedVisibleDays is how long a removed registrant stays visible on
	// the public register, marked as removed.
	RemovedVisibleDays int `json:"removed_visible_days"`
	// Criteria are the registration criteria (education.go).
	Criteria Criteria `json:"registration_criteria"`
	// TwoPerson says which changes a second registrar must approve
	// (proposals.go).
	TwoPerson TwoPersonRule `json:"two_person_rule"`
	// AppealDays is how long a refused applicant has to appeal; 0 means
	// the default, 28 days.
	AppealDays int `json:"application_appeal_days,omitempty"`
	// GraceDays is how many days after registered-until a registration
	// that was not renewed lapses; 0, the default, lapses it at
	// registered-until (grace.go).
	GraceDays int `json:"grace_days,omitempty"`
	// Renewal is how yearly renewals are decided (cpd.go); nil until an
	// admin sets it, which means DefaultRenewalPolicy.
	Renewal     *RenewalPolicy `json:"renewal,omitempty"`
	ModifyIndex uint64         `json:"modify_index"`
}

// DefaultRegisterName names the register when the operator has not.
const DefaultRegisterName = "NALW Register of Social Prescribing Link Workers"

// DefaultRemovedVisibleDays keeps removals visible for five years.
const DefaultRemovedVisibleDays = 5 * 365

// QualityMark is the register's standing with the Professional Standards
// Authority. The mark belongs to the register; registrants may carry it
// only while the register holds it and they are in good standing.
type QualityMark struct {
	Accredited bool   `json:"accredited"`
	Since      Date   `json:"since,omitempty"`
	Until      Date   `json:"until,omitempty"`
	Reference  string `json:"reference,omitempty"`
}

// Held reports whether the register holds the Quality Mark today.
func (q QualityMark) Held(today Date) bool {
	return q.Accredited && !today.Before(q.Since) && !q.Until.Before(today)
}

// Validate checks a Quality Mark standing before it is recorded.
func (q QualityMark) Validate() error {
	if !q.Accredited {
		return nil
	}
	if _, err := ParseDate(string(q.Since)); err != nil {
		return fmt.Errorf("quality mark since: %w", err)
	}
	if _, err := ParseDate(string(q.Until)); err != nil {
		return fmt.Errorf("quality mark until: %w", err)
	}
	if q.Until.Before(q.Since) {
		return fmt.Errorf("%w: quality mark until %s is before since %s", ErrInvalid, q.Until, q.Since)
	}
	return checkText("reference", q.Reference, 100, false)
}

// ValidateIssuerURL checks the URL credentials name as their issuer.
func ValidateIssuerURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "/") {
		return fmt.Errorf("%w: issuer URL %q must be an absolute http(s) URL without a trailing slash, query or fragment, e.g. https://register.nalw.org.uk", ErrInvalid, clip(s))
	}
	return nil
}

// Role is what an API token may do.
type Role string

// The roles. Admin may do everything; a registrar runs registrants,
// qualifications and credentials; an auditor only reads. A provider is a
// training provider's staff member, who only confirms or disputes the
// qualifications claimed from its own courses (package confirmations).
const (
	RoleAdmin     Role = "admin"
	RoleRegistrar Role = "registrar"
	RoleAuditor   Role = "auditor"
	RoleProvider  Role = "provider"
)

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAdmin, RoleRegistrar, RoleAuditor, RoleProvider:
		return r, nil
	}
	return "", fmt.Errorf("%w: role %q must be one of admin, registrar, auditor, provider", ErrInvalid, clip(s))
}

// Token is an API token. The secret is never stored: only its SHA-256 hash,
// which is enough because secrets are 256 random bits.
type Token struct {
	ID   string `json:"id"`
	Role Role   `json:"role"`
	Name string `json:"name,omitempty"`
	// Staff is the staff account the token belongs to; a token without
	// one belongs to the integration Name names.
	Staff      string    `json:"staff,omitempty"`
	SecretHash []byte    `json:"secret_hash"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
	Revoked    bool      `json:"revoked"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// Actor is who made a change, as the audit trail records it.
type Actor struct {
	TokenID string `json:"token_id"`
	Role    Role   `json:"role"`
	// Staff is the staff account acting, from the console or through a
	// token that belongs to them; empty for integrations and the system.
	Staff string `json:"staff,omitempty"`
}

// System is the actor for changes the register makes by itself, such as
// lapsing registrations that were not renewed.
var System = Actor{TokenID: "system", Role: "system"}

// AuditEvent records one change. Events are append-only: never edited,
// never deleted.
type AuditEvent struct {
	// Index is the Raft log index of the change; Seq orders the events
	// one change produced (a lapse sweep touches many registrants).
	Index      uint64            `json:"index"`
	Seq        uint32            `json:"seq"`
	At         time.Time         `json:"at"`
	Actor      Actor             `json:"actor"`
	Action     string            `json:"action"`
	Registrant string            `json:"registrant,omitempty"`
	Target     string            `json:"target,omitempty"`
	Reason     string            `json:"reason,omitempty"`
	Details    map[string]string `json:"details,omitempty"`
}

// KeyState is where a signing key is in its life.
type KeyState string

// Key states: the active key signs; verifying keys are still published in
// the JWKS; retired keys are no longer published.
const (
	KeyActive    KeyState = "active"
	KeyVerifying KeyState = "verifying"
	KeyRetired   KeyState = "retired"
)

// SigningKey is the register's record of a signing key: its public half
// and state. The private half lives in the data directory, never here.
type SigningKey struct {
	KID       string    `json:"kid"`
	Alg       string    `json:"alg"`
	PublicJWK []byte    `json:"public_jwk"`
	State     KeyState  `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	RetiredAt time.Time `json:"retired_at,omitzero"`
}

// CredentialStatus is the status of one issued credential, as its entry in
// a Token Status List publishes it.
type CredentialStatus string

// Credential statuses. Revoked is permanent; a superseded credential is
// revoked with the reason that a newer one replaced it.
const (
	CredentialValid     CredentialStatus = "valid"
	CredentialSuspended CredentialStatus = "suspended"
	CredentialRevoked   CredentialStatus = "revoked"
)

// StatusValue is the entry's value in a 2-bit Token Status List:
// 0 valid, 1 invalid, 2 suspended.
func (s CredentialStatus) StatusValue() uint8 {
	switch s {
	case CredentialValid:
		return 0
	case CredentialSuspended:
		return 2
	}
	return 1
}

// IssuedCredential is the register's record of a credential it signed.
// The token itself is not kept: the record is enough to list, supersede
// and publish the status of every credential.
type IssuedCredential struct {
	JTI             string           `json:"jti"`
	Registrant      string           `json:"registrant"`
	KID             string           `json:"kid"`
	IssuedAt        time.Time        `json:"issued_at"`
	ExpiresAt       time.Time        `json:"expires_at"`
	Status          CredentialStatus `json:"status"`
	StatusReason    string           `json:"status_reason,omitempty"`
	StatusChangedAt time.Time        `json:"status_changed_at"`
	// List and Idx place the credential in a Token Status List.
	List string `json:"status_list"`
	Idx  uint64 `json:"status_idx"`
	// Grant is the wallet access it was issued through (OpenID4VCI), empty
	// for a credential a registrar issued; Holder is the thumbprint of the
	// key it is bound to. One record covers every format issued for it
	// (vc+jwt and dc+sd-jwt share the status entry), so one change of
	// status moves them all.
	Grant       string `json:"grant,omitempty"`
	Holder      string `json:"holder_jkt,omitempty"`
	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// StatusList is the register's record of one Token Status List.
type StatusList struct {
	ID        string    `json:"id"`
	Size      int       `json:"size"`
	Bits      int       `json:"bits"`
	CreatedAt time.Time `json:"created_at"`
}
