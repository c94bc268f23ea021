package credential_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/credential/credentialtest"
)

func TestValidateAcceptsSampleCredential(t *testing.T) {
	require.NoError(t, credentialtest.Claims(time.Now()).Validate())
}

func TestValidateRejectsEachProblem(t *testing.T) {
	cases := map[string]func(c *credential.Claims){
		"no context":                     func(c *credential.Claims) { c.Context = nil },
		"v1 context first":               func(c *credential.Claims) { c.Context[0] = "https://www.w3.org/2018/credentials/v1" },
		"no linkpass context":            func(c *credential.Claims) { c.Context = c.Context[:1] },
		"no VerifiableCredential type":   func(c *credential.Claims) { c.Type = c.Type[1:] },
		"no registration type":           func(c *credential.Claims) { c.Type = c.Type[:1] },
		"no id":                          func(c *credential.Claims) { c.ID = "" },
		"no issuer":                      func(c *credential.Claims) { c.Issuer, c.Iss = "", "" },
		"iss differs from issuer":        func(c *credential.Claims) { c.Iss = "https://evil.example" },
		"no jti":                         func(c *credential.Claims) { c.Jti = "" },
		"validFrom not RFC 3339":         func(c *credential.Claims) { c.ValidFrom = "2026-01-01" },
		"validUntil not RFC 3339":        func(c *credential.Claims) { c.ValidUntil = "soon" },
		"validUntil before validFrom":    func(c *credential.Claims) { c.ValidUntil, c.ValidFrom = c.ValidFrom, c.ValidUntil },
		"no iat":                         func(c *credential.Claims) { c.Iat = 0 },
		"exp not after iat":              func(c *credential.Claims) { c.Exp = c.Iat },
		"nbf after exp":                  func(c *credential.Claims) { c.Nbf = c.Exp + 1 },
		"subject type":                   func(c *credential.Claims) { c.CredentialSubject.Type = "Person" },
		"no registration number":         func(c *credential.Claims) { c.CredentialSubject.RegistrationNumber = "" },
		"no name":                        func(c *credential.Claims) { c.CredentialSubject.Name = "" },
		"no role":                        func(c *credential.Claims) { c.CredentialSubject.Role = "" },
		"suspended registrant":           func(c *credential.Claims) { c.CredentialSubject.RegisterStatus = credential.StatusSuspended },
		"no nation":                      func(c *credential.Claims) { c.CredentialSubject.Nation = "" },
		"no public register":             func(c *credential.Claims) { c.CredentialSubject.PublicRegister = "" },
		"registeredUntil not a date":     func(c *credential.Claims) { c.CredentialSubject.RegisteredUntil = "31/03/2027" },
		"qualification without title":    func(c *credential.Claims) { c.CredentialSubject.Qualifications[0].Title = "" },
		"quality mark without scheme":    func(c *credential.Claims) { c.CredentialSubject.QualityMark.Scheme = "" },
		"quality mark validUntil":        func(c *credential.Claims) { c.CredentialSubject.QualityMark.ValidUntil = "never" },
		"status without uri":             func(c *credential.Claims) { c.Status.StatusList.URI = "" },
		"exp after registeredUntil":      expAfterRegisteredUntil,
		"validUntil after registeredEnd": validUntilAfterRegisteredUntil,
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			c := credentialtest.Claims(time.Now())
			change(c)
			assert.ErrorIs(t, c.Validate(), credential.ErrInvalidClaims)
		})
	}
}

func expAfterRegisteredUntil(c *credential.Claims) {
	c.CredentialSubject.RegisteredUntil = "2030-03-31"
	c.Exp = time.Date(2030, 4, 1, 0, 0, 1, 0, time.UTC).Unix()
	c.ValidUntil = "2030-03-31T12:00:00Z"
}

func validUntilAfterRegisteredUntil(c *credential.Claims) {
	c.CredentialSubject.RegisteredUntil = "2030-03-31"
	c.Exp = time.Date(2030, 3, 31, 12, 0, 0, 0, time.UTC).Unix()
	c.ValidUntil = "2030-04-01T00:00:01Z"
}

func TestValidateAllowsExpAtEndOfRegisteredUntilDay(t *testing.T) {
	c := credentialtest.Claims(time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC))
	c.CredentialSubject.RegisteredUntil = "2030-03-31"
	c.Exp = time.Date(2030, 4, 1, 0, 0, 0, 0, time.UTC).Unix()
	c.ValidUntil = "2030-04-01T00:00:00Z"
	assert.NoError(t, c.Validate())
}

func TestEndOfDayIsStartOfNextDayUTC(t *testing.T) {
	end, err := credential.EndOfDay("2028-02-28")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC), end)
	_, err = credential.EndOfDay("2028-02-30")
	assert.ErrorIs(t, err, credential.ErrInvalidClaims)
}
