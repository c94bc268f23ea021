package sso

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/staff"
)

func TestSomeoneInSeveralGroupsGetsTheWidestMappedRole(t *testing.T) {
	p := &Provider{cfg: Config{Roles: map[string]register.Role{"aud": register.RoleAuditor, "reg": register.RoleRegistrar, "adm": register.RoleAdmin}}}
	for _, c := range []struct {
		claim     any
		role      register.Role
		fromGroup string
	}{
		{[]any{"aud", "reg"}, register.RoleRegistrar, "reg"},
		{[]any{"reg", "adm", "aud"}, register.RoleAdmin, "adm"},
		{"aud", register.RoleAuditor, "aud"},
		{[]any{"other", 7}, "", ""},
		{nil, "", ""},
	} {
		role, group := p.role(c.claim)
		assert.Equal(t, c.role, role, "%v", c.claim)
		assert.Equal(t, c.fromGroup, group, "%v", c.claim)
	}
}

func TestEmailMustBeVerifiedOrInTheOrganisationsDomains(t *testing.T) {
	yes, no := true, false
	strict := &Provider{cfg: Config{}}
	entra := &Provider{cfg: Config{EmailDomains: []string{"nalw.example"}}}
	for _, c := range []struct {
		p    *Provider
		cl   claims
		want string
	}{
		{strict, claims{Email: "Ada@NALW.example", EmailVerified: &yes}, "ada@nalw.example"},
		{strict, claims{Email: "ada@nalw.example", EmailVerified: &no}, ""},
		{strict, claims{Email: "ada@nalw.example"}, ""},
		{entra, claims{Email: "ada@nalw.example"}, "ada@nalw.example"},
		{entra, claims{PreferredUsername: "ada@nalw.example"}, "ada@nalw.example"},
		{entra, claims{Email: "ada@elsewhere.example"}, ""},
		// A provider that says "not verified" is believed, whatever the domain.
		{entra, claims{Email: "ada@nalw.example", EmailVerified: &no}, ""},
	} {
		got, err := c.p.email(c.cl)
		if c.want == "" {
			require.ErrorIs(t, err, staff.ErrSSORefused, "%+v", c.cl)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, c.want, got)
	}
}

func TestConfigSaysWhatIsMissing(t *testing.T) {
	ok := Config{Issuer: "https://idp.example", ClientID: "c", ClientSecret: "s", Roles: map[string]register.Role{"g": register.RoleAuditor}}
	require.NoError(t, ok.Validate())
	for _, c := range []struct {
		change func(*Config)
		says   string
	}{
		{func(c *Config) { c.Issuer = "" }, "--oidc-issuer"},
		{func(c *Config) { c.ClientSecret = "" }, "--oidc-client-secret-file"},
		{func(c *Config) { c.Roles = nil }, "--oidc-role"},
		{func(c *Config) { c.Roles = map[string]register.Role{"g": "root"} }, "admin, registrar or auditor"},
		{func(c *Config) { c.MFA = "sometimes" }, "--oidc-mfa"},
	} {
		cfg := ok
		c.change(&cfg)
		err := cfg.Validate()
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.says)
	}
}
