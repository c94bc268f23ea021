package staff

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nalw/linkpass/issuer/register"
)

// Single sign-on: a staff member signs in through the organisation's own
// identity provider (OpenID Connect; package sso checks the provider's
// answer). The rule, kept here and documented in docs/operator-guide.md:
//
//   - The account is the one whose email is the provider's verified email
//     (compared as NormalEmail does). None: one is made (provisioned),
//     active, with the provider's name for the person.
//   - A disabled account stays disabled: sign-in is refused.
//   - An account is bound to the provider's subject at its first single
//     sign-on; a later sign-in with the same email but another subject (the
//     address given to someone else) is refused.
//   - The role is the one the provider's groups map to, at every sign-in,
//     so that a change of group in the provider takes effect at the next
//     sign-in. A change of role is audited with the old and the new.
//   - An invited account signed in this way is set up: its setup link stops
//     working.
//
// The second factor is the provider's: package sso refuses a sign-in
// whose ID token does not show multi-factor authentication, unless the
// operator says the provider enforces it (docs/threat-model.md).

// FactorSSO is a sign-in through the identity provider, whose own
// multi-factor authentication stands for the register's second factor.
const FactorSSO Factor = "sso"

// Identity is who the identity provider says signed in, after package sso
// has checked the ID token.
type Identity struct {
	Issuer, Subject string
	// Email is verified by the provider.
	Email, Name string
	// Role is what the provider's groups map to; Group is the group that
	// gave it.
	Role  register.Role
	Group string
}

// SSOSignIn records a sign-in through the identity provider: it provisions
// the account (New) or signs in the existing one (ID).
type SSOSignIn struct {
	ID      string        `json:"id,omitempty"`
	New     *Account      `json:"new,omitempty"`
	Email   string        `json:"email"`
	Name    string        `json:"name,omitempty"`
	Role    register.Role `json:"role"`
	Group   string        `json:"group,omitempty"`
	Issuer  string        `json:"issuer"`
	Subject string        `json:"subject"`
}

func (SSOSignIn) staffChange() {}

// ErrSSORefused is wrapped when the provider's identity may not sign in.
var ErrSSORefused = fmt.Errorf("%w: single sign-on refused", register.ErrForbidden)

// Provision returns the account a first single sign-on makes.
func (c SSOSignIn) Provision(at time.Time, idx uint64) (*Account, error) {
	if c.New == nil || c.New.ID == "" || len(c.New.WebAuthnID) == 0 {
		return nil, fmt.Errorf("%w: a provisioned account needs its id", register.ErrInvalid)
	}
	name := strings.TrimSpace(c.Name)
	if name == "" {
		name = c.Email
	}
	n := NewAccount{Name: name, Email: c.Email, Role: c.Role}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	a := &Account{ID: c.New.ID, WebAuthnID: c.New.WebAuthnID, Name: name, Email: NormalEmail(c.Email), Role: c.Role,
		Status: Active, Factor: FactorSSO, OIDCIssuer: c.Issuer, OIDCSubject: c.Subject,
		CreatedAt: at, CreatedBy: "sso", LastSignInAt: at, CreateIndex: idx, ModifyIndex: idx}
	return a, nil
}

// SSOSignIn signs an existing account in through the identity provider.
func (a *Account) SSOSignIn(c SSOSignIn, at time.Time, idx uint64) (*Account, error) {
	if _, err := register.ParseRole(string(c.Role)); err != nil {
		return nil, err
	}
	switch {
	case a.Status == Disabled:
		return nil, fmt.Errorf("%w: the account of %s is disabled; an admin made it so, and only a new account can replace it", ErrSSORefused, a.Email)
	case a.Role == register.RoleProvider || c.Role == register.RoleProvider:
		// A provider account is a training provider's, outside the
		// organisation: its role and provider come from an admin alone,
		// never from the organisation's groups.
		return nil, fmt.Errorf("%w: %s has a training provider's account, which signs in with its password and second factor", ErrSSORefused, a.Email)
	case a.OIDCSubject != "" && (a.OIDCSubject != c.Subject || a.OIDCIssuer != c.Issuer):
		return nil, fmt.Errorf("%w: the account of %s belongs to another identity at the provider; ask an admin", ErrSSORefused, a.Email)
	}
	n := a.clone()
	if n.Status == Invited {
		n.Status, n.SetupHash, n.SetupExpires = Active, nil, time.Time{}
		n.Factor = FactorSSO
	}
	n.Role, n.OIDCIssuer, n.OIDCSubject = c.Role, c.Issuer, c.Subject
	n.LockedUntil, n.LastSignInAt, n.ModifyIndex = time.Time{}, at, idx
	return n, nil
}

// SignInSSO signs in the staff member the identity provider vouches for,
// under the rule above, and returns a signed-in session id: the same kind
// of session as after a password and second factor.
func (s *Service) SignInSSO(ctx context.Context, id Identity) (string, error) {
	email := NormalEmail(id.Email)
	if email == "" || id.Subject == "" || id.Issuer == "" {
		return "", fmt.Errorf("%w: the provider did not say who signed in", ErrSSORefused)
	}
	ch := SSOSignIn{Email: email, Name: strings.TrimSpace(id.Name), Role: id.Role, Group: id.Group, Issuer: id.Issuer, Subject: id.Subject}
	actor := register.Actor{Role: id.Role}
	switch a, err := s.cfg.State().StaffAccountByEmail(email); {
	case err == nil:
		ch.ID, actor.Staff = a.ID, a.ID
	case errors.Is(err, register.ErrNotFound):
		ch.New = &Account{ID: newID(), WebAuthnID: randomBytes(32)}
		actor.Staff = ch.New.ID
	default:
		return "", err
	}
	n, err := s.apply(ctx, actor, ch)
	if err != nil {
		return "", err
	}
	s.limiter.succeed(email)
	return s.sessions.create(&Session{AccountID: n.ID, Epoch: n.SessionEpoch, Stage: StageSignedIn}, s.now())
}
