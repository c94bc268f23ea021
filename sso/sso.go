// Package sso is single sign-on to the console through an organisation's
// own identity provider (Microsoft Entra ID, Google Workspace, or any
// OpenID Connect provider): the authorisation code flow with PKCE, state
// and nonce, and the checks of the ID token that decide whether, and as
// whom, a person may sign in. Who that is in the register (an existing
// staff account or a new one) is package staff's rule (staff/sso.go).
package sso

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/staff"
)

// MFA modes: how the provider shows that the person used more than a
// password, which stands for the register's own second factor.
const (
	// MFAClaim requires the ID token's amr claim (RFC 8176) to hold
	// "mfa", as Entra ID sends after multi-factor authentication.
	MFAClaim = "amr"
	// MFAProvider trusts the provider to enforce it by its own policy
	// (Google Workspace's enforced 2-Step Verification, which the ID token
	// does not show). The operator vouches for that policy.
	MFAProvider = "provider"
)

// Config configures a Provider.
type Config struct {
	// Issuer is the provider's issuer URL, as its discovery document
	// names it.
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is the console's callback, IssuerURL + CallbackPath.
	RedirectURL string
	// GroupsClaim names the ID token claim that lists the person's groups
	// ("groups" unless set).
	GroupsClaim string
	// Roles maps a group (as the claim names it: an Entra group's object
	// id, a Google group's email) to a staff role.
	Roles map[string]register.Role
	// MFA is MFAClaim (the default) or MFAProvider.
	MFA string
	// EmailDomains are domains whose addresses the provider owns, for
	// providers that do not send email_verified (Entra ID): an address in
	// one of them counts as verified. Empty: email_verified must be true.
	EmailDomains []string
	// HTTPClient reaches the provider; nil is http.DefaultClient.
	HTTPClient *http.Client
	// Clock is the register's clock.
	Clock func() time.Time
}

// CallbackPath is where the provider sends the browser back.
const CallbackPath = "/login/sso/callback"

// Validate returns the first problem with c.
func (c *Config) Validate() error {
	switch {
	case c.Issuer == "":
		return errors.New("sso: the provider's issuer URL is required (--oidc-issuer)")
	case c.ClientID == "" || c.ClientSecret == "":
		return errors.New("sso: the client id and secret the provider gave the register are required (--oidc-client-id, --oidc-client-secret-file)")
	case len(c.Roles) == 0:
		return errors.New("sso: map at least one group to a role (--oidc-role GROUP=admin|registrar|auditor); without one nobody could sign in")
	case c.MFA != "" && c.MFA != MFAClaim && c.MFA != MFAProvider:
		return fmt.Errorf("sso: --oidc-mfa must be %s or %s, not %q", MFAClaim, MFAProvider, c.MFA)
	}
	for g, r := range c.Roles {
		// A training provider's account is tied to its provider by an
		// admin; no group of the organisation's gives one.
		if !slices.Contains(staff.Roles, r) || r == register.RoleProvider {
			return fmt.Errorf("sso: group %q maps to %q; a role is admin, registrar or auditor", g, r)
		}
	}
	return nil
}

// Errors a sign-in is refused with; the console says which.
var (
	// ErrNoRole: the person is in no group that maps to a role.
	ErrNoRole = fmt.Errorf("%w: you are signed in at your organisation, but none of your groups gives a role in the register's console", staff.ErrSSORefused)
	// ErrFlow: the answer does not belong to a sign-in this browser
	// started (unknown, used or old state, or a refused code).
	ErrFlow = fmt.Errorf("%w: this sign-in was not started here, was already used or took too long; start again from the sign-in page", register.ErrUnauthenticated)
	// ErrToken: the provider's ID token failed a check.
	ErrToken = fmt.Errorf("%w: the identity provider's answer failed the register's checks", register.ErrUnauthenticated)
)

// pendingTTL bounds a sign-in from the button to the callback.
const pendingTTL = 10 * time.Minute

// maxPending bounds the pending sign-ins, so that a flood of button
// presses cannot exhaust memory.
const maxPending = 10000

type pending struct {
	nonce, verifier string
	started         time.Time
}

// Provider is the register's relying party at one identity provider.
type Provider struct {
	cfg      Config
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier

	mu      sync.Mutex
	pending map[string]pending
}

// New discovers the provider (its endpoints and keys) and returns a
// Provider.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	if cfg.MFA == "" {
		cfg.MFA = MFAClaim
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	op, err := oidc.NewProvider(oidc.ClientContext(ctx, cfg.HTTPClient), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("sso: discovering %s: %w", cfg.Issuer, err)
	}
	return &Provider{
		cfg: cfg,
		oauth: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: op.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"}},
		// The verifier checks the signature against the provider's
		// published keys, the issuer, the audience (our client id) and
		// expiry.
		verifier: op.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: cfg.Clock}),
		pending:  map[string]pending{},
	}, nil
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Begin starts a sign-in: it returns the state, which the console binds to
// the browser (a cookie), and the provider's address to send it to.
func (p *Provider) Begin() (state, authURL string) {
	state = random()
	pd := pending{nonce: random(), verifier: oauth2.GenerateVerifier(), started: p.cfg.Clock()}
	p.mu.Lock()
	now := p.cfg.Clock()
	for k, v := range p.pending {
		if now.Sub(v.started) >= pendingTTL {
			delete(p.pending, k)
		}
	}
	if len(p.pending) >= maxPending {
		for k := range p.pending { // drop any one: a flood's, most likely
			delete(p.pending, k)
			break
		}
	}
	p.pending[state] = pd
	p.mu.Unlock()
	return state, p.oauth.AuthCodeURL(state, oidc.Nonce(pd.nonce), oauth2.S256ChallengeOption(pd.verifier))
}

// AuthOrigin is the origin (scheme and host) of the provider's sign-in
// page, for the sign-in page's Content-Security-Policy.
func (p *Provider) AuthOrigin() string {
	u, err := url.Parse(p.oauth.Endpoint.AuthURL)
	if err != nil {
		return "'none'"
	}
	return u.Scheme + "://" + u.Host
}

// claims are the ID token's claims the register reads.
type claims struct {
	Email         string `json:"email"`
	EmailVerified *bool  `json:"email_verified"`
	Name          string `json:"name"`
	// PreferredUsername is Entra's sign-in name, used for the email when
	// the email claim is absent and it is in one of EmailDomains.
	PreferredUsername string   `json:"preferred_username"`
	AMR               []string `json:"amr"`
}

// Finish completes a sign-in from the provider's callback: the state from
// the browser's cookie and from the query must agree and be pending here
// (each works once), the code is exchanged with the PKCE verifier, and the
// ID token is checked (signature by the provider's keys, issuer, audience,
// expiry, nonce, verified email, multi-factor authentication, a mapped
// group). It returns who signed in, for staff.Service.SignInSSO.
func (p *Provider) Finish(ctx context.Context, cookieState, state, code string) (staff.Identity, error) {
	if state == "" || cookieState == "" || state != cookieState {
		return staff.Identity{}, ErrFlow
	}
	p.mu.Lock()
	pd, ok := p.pending[state]
	delete(p.pending, state)
	p.mu.Unlock()
	if !ok || p.cfg.Clock().Sub(pd.started) >= pendingTTL || code == "" {
		return staff.Identity{}, ErrFlow
	}
	ctx = oidc.ClientContext(ctx, p.cfg.HTTPClient)
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(pd.verifier))
	if err != nil {
		// A used, expired or stolen code, or a wrong verifier: the
		// provider refused it.
		return staff.Identity{}, fmt.Errorf("%w (the provider refused the code: %v)", ErrFlow, clipErr(err))
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return staff.Identity{}, fmt.Errorf("%w: no ID token in the answer", ErrToken)
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return staff.Identity{}, fmt.Errorf("%w: %v", ErrToken, err)
	}
	if idt.Nonce != pd.nonce {
		return staff.Identity{}, fmt.Errorf("%w: the nonce is not the one this sign-in sent", ErrToken)
	}
	var c claims
	if err := idt.Claims(&c); err != nil {
		return staff.Identity{}, fmt.Errorf("%w: reading claims: %v", ErrToken, err)
	}
	email, err := p.email(c)
	if err != nil {
		return staff.Identity{}, err
	}
	if p.cfg.MFA == MFAClaim && !slices.Contains(c.AMR, "mfa") {
		return staff.Identity{}, fmt.Errorf("%w: the register needs multi-factor sign-in, and the provider does not say you used it (amr has no \"mfa\"); sign in at your organisation with your second factor, or ask the operator", staff.ErrSSORefused)
	}
	var all map[string]any
	if err := idt.Claims(&all); err != nil {
		return staff.Identity{}, fmt.Errorf("%w: reading claims: %v", ErrToken, err)
	}
	role, group := p.role(all[p.cfg.GroupsClaim])
	if role == "" {
		return staff.Identity{}, ErrNoRole
	}
	return staff.Identity{Issuer: idt.Issuer, Subject: idt.Subject, Email: email, Name: c.Name, Role: role, Group: group}, nil
}

// email is the verified email of the person (the rule is in the package
// doc of staff/sso.go and the operator guide).
func (p *Provider) email(c claims) (string, error) {
	email := c.Email
	if email == "" && len(p.cfg.EmailDomains) > 0 {
		email = c.PreferredUsername
	}
	email = staff.NormalEmail(email)
	if email == "" {
		return "", fmt.Errorf("%w: the provider sent no email address; ask the operator to add the email claim", staff.ErrSSORefused)
	}
	if c.EmailVerified != nil && *c.EmailVerified {
		return email, nil
	}
	if c.EmailVerified == nil {
		_, domain, _ := strings.Cut(email, "@")
		for _, d := range p.cfg.EmailDomains {
			if strings.EqualFold(domain, d) {
				return email, nil
			}
		}
	}
	return "", fmt.Errorf("%w: the provider does not say that %s is verified", staff.ErrSSORefused, email)
}

// rank orders roles, so that someone in several mapped groups gets the
// widest role they are given.
var rank = map[register.Role]int{register.RoleAuditor: 1, register.RoleRegistrar: 2, register.RoleAdmin: 3}

func (p *Provider) role(v any) (register.Role, string) {
	var groups []string
	switch g := v.(type) {
	case string:
		groups = []string{g}
	case []any:
		for _, x := range g {
			if s, ok := x.(string); ok {
				groups = append(groups, s)
			}
		}
	}
	var best register.Role
	var from string
	for _, g := range groups {
		if r, ok := p.cfg.Roles[g]; ok && rank[r] > rank[best] {
			best, from = r, g
		}
	}
	return best, from
}

func clipErr(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
