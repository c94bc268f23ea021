package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestJWKSAloneNeverSaysValidForASuspendedCredential: `verify --jwks`, which
// the guides once recommended, printed VALID (exit 0) for a suspended
// credential. Without --no-status it now refuses to run; with it, it says
// the status was not checked and exits 3.
func TestJWKSAloneNeverSaysValidForASuspendedCredential(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, filepath.Join(dir, "reg"))
	var reg struct {
		Number string `json:"registration_number"`
	}
	s.runJSON(t, 0, &reg, "registrant", "add", "--given", "Nia", "--family", "Oduya", "--nation", "wales")
	tok := filepath.Join(dir, "cred.jwt")
	r := s.run(t, "", "credential", "issue", reg.Number, "--out", tok)
	require.Equal(t, 0, r.code, r.stderr)
	r = s.run(t, "", "registrant", "suspend", reg.Number, "--reason", "interim order")
	require.Equal(t, 0, r.code, r.stderr)
	jwks := filepath.Join(dir, "jwks.json")
	require.NoError(t, os.WriteFile(jwks, fetch(t, s.URL+"/.well-known/jwks.json"), 0o600))
	issuer := s.issuerURL(t)

	r = runCLI(t, nil, "", "verify", "--file", tok, "--jwks", jwks, "--issuer", issuer)
	assert.Equal(t, 2, r.code, r.stdout)
	assert.NotContains(t, r.stdout, "VALID")
	assert.Contains(t, r.stderr, "--no-status")

	r = runCLI(t, nil, "", "verify", "--file", tok, "--jwks", jwks, "--issuer", issuer, "--no-status")
	assert.Equal(t, 3, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "STATUS NOT CHECKED")
	assert.Contains(t, r.stdout, "signature-only check was asked for")
	assert.NotRegexp(t, `(?m)^VALID`, r.stdout)

	// From a synced bundle, --no-status is still never VALID.
	bundle := filepath.Join(dir, "bundle.json")
	syncBundle(t, s, bundle)
	v, code := verifyBundle(t, bundle, tok, "--no-status")
	assert.Equal(t, 3, code, v.Reason)
	assert.Equal(t, "status-not-checked", string(v.Outcome))
	v, code = verifyBundle(t, bundle, tok)
	assert.Equal(t, 1, code, v.Reason)
	assert.Equal(t, "suspended", string(v.Outcome))
}
