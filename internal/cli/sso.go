package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/sso"
)

// ssoFlags configure single sign-on to the console through an OpenID
// Connect provider (docs/operator-guide.md, "Single sign-on").
type ssoFlags struct {
	issuer, clientID, secretFile, groupsClaim, mfa, label string
	roles, emailDomains                                   []string
}

func (s *ssoFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&s.issuer, "oidc-issuer", "", "issuer URL of the organisation's OpenID Connect provider (Entra: https://login.microsoftonline.com/TENANT/v2.0; Google: https://accounts.google.com); empty: no single sign-on")
	fl.StringVar(&s.clientID, "oidc-client-id", "", "the client id the provider gave the register")
	fl.StringVar(&s.secretFile, "oidc-client-secret-file", "", "file holding the client secret the provider gave the register")
	fl.StringVar(&s.groupsClaim, "oidc-groups-claim", "groups", "ID token claim that lists the person's groups")
	fl.StringArrayVar(&s.roles, "oidc-role", nil, "GROUP=ROLE: members of GROUP (as the groups claim names it) get ROLE (admin, registrar or auditor); repeat for each group")
	fl.StringVar(&s.mfa, "oidc-mfa", sso.MFAClaim, "how the provider shows multi-factor sign-in: amr (the ID token's amr holds \"mfa\", as Entra sends) or provider (the provider enforces it by policy, as Google Workspace's enforced 2-Step Verification)")
	fl.StringArrayVar(&s.emailDomains, "oidc-email-domain", nil, "a domain whose addresses the provider owns, for providers that send no email_verified (Entra); repeat for each")
	fl.StringVar(&s.label, "oidc-name", "your organisation's account", "what the sign-in button calls the provider, e.g. \"Microsoft\" or \"Google\"")
}

// provider returns the configured single sign-on, or nil when none is.
func (s *ssoFlags) provider(ctx context.Context, issuerURL string, clock func() time.Time) (*sso.Provider, error) {
	if s.issuer == "" {
		if s.clientID != "" || s.secretFile != "" || len(s.roles) > 0 {
			return nil, fmt.Errorf("--oidc-client-id, --oidc-client-secret-file and --oidc-role need --oidc-issuer")
		}
		return nil, nil
	}
	if s.secretFile == "" {
		return nil, fmt.Errorf("--oidc-issuer needs --oidc-client-secret-file (the secret is never given on the command line)")
	}
	b, err := os.ReadFile(s.secretFile)
	if err != nil {
		return nil, fmt.Errorf("reading --oidc-client-secret-file: %w", err)
	}
	roles := map[string]register.Role{}
	for _, m := range s.roles {
		g, r, ok := strings.Cut(m, "=")
		if !ok || strings.TrimSpace(g) == "" {
			return nil, fmt.Errorf("--oidc-role %q must be GROUP=ROLE, e.g. 5f1c…=registrar", m)
		}
		roles[strings.TrimSpace(g)] = register.Role(strings.TrimSpace(r))
	}
	// Discovery must not hold up the register's start for long.
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return sso.New(ctx, sso.Config{Issuer: s.issuer, ClientID: s.clientID, ClientSecret: strings.TrimSpace(string(b)),
		RedirectURL: issuerURL + sso.CallbackPath, GroupsClaim: s.groupsClaim, Roles: roles, MFA: s.mfa,
		EmailDomains: s.emailDomains, Clock: clock})
}
