package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/internal/verdict"
	"github.com/nalw/linkpass/keys"
)

// fetch GETs url and returns the body, requiring 200.
func fetch(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", url, b)
	return b
}

// verifyWith runs `linkpass verify --json --no-status` on a token file with
// a JWKS: a signature-only check, which at best exits 3 (status not
// checked).
func verifyWith(t *testing.T, issuer, jwksFile, tokenFile string) (verdict.Verdict, int) {
	t.Helper()
	r := runCLI(t, nil, "", "verify", "--file", tokenFile, "--jwks", jwksFile, "--issuer", issuer, "--no-status", "--json")
	var v verdict.Verdict
	decodeOne(t, r.stdout, &v)
	return v, r.code
}

// TestIssueVerifyRotateRetire issues credentials with the real binary,
// verifies them offline from the published JWKS, rotates the key (old and
// new credentials both verify), and retires the old key (its credentials
// no longer verify).
func TestIssueVerifyRotateRetire(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, filepath.Join(dir, "reg"), "--issuer-url", "https://register.example.org")
	var reg struct {
		Number string `json:"registration_number"`
	}
	s.runJSON(t, 0, &reg, "registrant", "add", "--given", "Eilidh", "--family", "MacLeod", "--nation", "scotland")
	r := s.run(t, "", "qualification", "add", reg.Number, "--title", "PDA Community Link Working", "--level", "7", "--provider", "Glasgow Caledonian University", "--accreditation", "nalw-aligned", "--awarded", "2021-11-05")
	require.Equal(t, 0, r.code, r.stderr)

	var iss struct {
		JWT, JTI, KID string
	}
	s.runJSON(t, 0, &iss, "credential", "issue", reg.Number)
	require.NotEmpty(t, iss.JWT)
	require.NotEmpty(t, iss.JTI)
	// A second registrant's credential, signed by the first key, stays
	// current (it is never superseded), so that key cannot simply retire.
	var other struct {
		Number string `json:"registration_number"`
	}
	s.runJSON(t, 0, &other, "registrant", "add", "--given", "Gareth", "--family", "Llewellyn", "--nation", "wales")
	otherTok := filepath.Join(dir, "other.jwt")
	r = s.run(t, "", "credential", "issue", other.Number, "--out", otherTok)
	require.Equal(t, 0, r.code, r.stderr)
	oldTok := filepath.Join(dir, "old.jwt")
	r = s.run(t, "", "credential", "issue", reg.Number, "--out", oldTok)
	require.Equal(t, 0, r.code, r.stderr)
	fi, err := os.Stat(oldTok)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// Issuer metadata points at the JWKS; the JWKS has kid, alg, use.
	var meta struct{ Issuer, JWKS_URI string }
	require.NoError(t, json.Unmarshal(fetch(t, s.URL+"/.well-known/jwt-vc-issuer"), &meta))
	assert.Equal(t, "https://register.example.org", meta.Issuer)
	jwks := fetch(t, s.URL+"/.well-known/jwks.json")
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(jwks, &set))
	require.Len(t, set.Keys, 1)
	assert.Equal(t, "EdDSA", set.Keys[0]["alg"])
	assert.Equal(t, "sig", set.Keys[0]["use"])
	assert.NotContains(t, string(jwks), `"d"`, "no private key material")
	jwksFile := filepath.Join(dir, "jwks.json")
	require.NoError(t, os.WriteFile(jwksFile, jwks, 0o600))

	v, code := verifyWith(t, "https://register.example.org", jwksFile, oldTok)
	require.Equal(t, 3, code, v.Reason)
	assert.Equal(t, "status-not-checked", string(v.Outcome))
	assert.False(t, v.Valid, "a signature-only check is never valid")
	assert.Equal(t, reg.Number, v.Credential.RegistrationNumber)
	assert.Equal(t, "Eilidh MacLeod", v.Credential.Name)
	require.Len(t, v.Credential.Qualifications, 1)
	oldKID := v.KeyID

	// A wrong issuer for the same keys is untrusted.
	v, code = verifyWith(t, "https://evil.example.org", jwksFile, oldTok)
	assert.Equal(t, 1, code)
	assert.Equal(t, "untrusted-issuer", string(v.Outcome))

	// Rotate: new credentials use the new key; the old one still verifies.
	var k struct{ KID, Alg, State string }
	s.runJSON(t, 0, &k, "keys", "rotate", "--alg", "ES256")
	assert.Equal(t, "ES256", k.Alg)
	assert.NotEqual(t, oldKID, k.KID)
	newTok := filepath.Join(dir, "new.jwt")
	r = s.run(t, "", "credential", "issue", reg.Number, "--out", newTok)
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, os.WriteFile(jwksFile, fetch(t, s.URL+"/.well-known/jwks.json"), 0o600))
	v, code = verifyWith(t, "https://register.example.org", jwksFile, newTok)
	require.Equal(t, 3, code, v.Reason)
	assert.Equal(t, k.KID, v.KeyID)
	v, code = verifyWith(t, "https://register.example.org", jwksFile, otherTok)
	require.Equal(t, 3, code, "a credential signed before rotation still verifies: %s", v.Reason)
	assert.Equal(t, oldKID, v.KeyID)

	// Retiring the old key is refused while a credential it signed is
	// unexpired and not revoked.
	r = s.run(t, "", "keys", "retire", "--", oldKID)
	assert.Equal(t, 1, r.code, r.stdout)
	assert.Contains(t, r.stderr, "--force")
	r = s.run(t, "", "keys", "retire", "--force", "--", k.KID)
	assert.Equal(t, 1, r.code, "the active key cannot be retired")
	assert.Contains(t, r.stderr, "rotate first")
	r = s.run(t, "", "keys", "retire", "--force", "--", oldKID)
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, os.WriteFile(jwksFile, fetch(t, s.URL+"/.well-known/jwks.json"), 0o600))
	for _, tok := range []string{oldTok, otherTok} {
		v, code = verifyWith(t, "https://register.example.org", jwksFile, tok)
		assert.Equal(t, 1, code)
		assert.Equal(t, "unknown-key", string(v.Outcome), "a retired key's credentials no longer verify")
	}
	v, code = verifyWith(t, "https://register.example.org", jwksFile, newTok)
	assert.Equal(t, 3, code, v.Reason)

	// Key events are audited.
	exp := s.run(t, "", "audit", "export")
	for _, action := range []string{`"key.add"`, `"key.retire"`, `"credential.issue"`, `"credential.supersede"`} {
		assert.Contains(t, exp.stdout, action)
	}
	// Private keys are 0600 in the data directory and never in the logs.
	entries, err := os.ReadDir(filepath.Join(dir, "reg", "keys"))
	require.NoError(t, err)
	require.Len(t, entries, 2)
	for _, e := range entries {
		fi, err := e.Info()
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), e.Name())
		b, err := os.ReadFile(filepath.Join(dir, "reg", "keys", e.Name()))
		require.NoError(t, err)
		var priv map[string]any
		require.NoError(t, json.Unmarshal(b, &priv))
		d, _ := priv["d"].(string)
		require.NotEmpty(t, d)
		assert.NotContains(t, s.stderr.String(), d, "private key in the log")
	}

	// Only registered registrants receive credentials.
	r = s.run(t, "", "registrant", "suspend", reg.Number, "--reason", "interim order")
	require.Equal(t, 0, r.code, r.stderr)
	r = s.run(t, "", "credential", "issue", reg.Number)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "is suspended")
}

// TestVerifyCannotCheckWithoutTrust checks exit code 2 and a clear message
// when there is nothing to check against or nothing to check.
func TestVerifyCannotCheckWithoutTrust(t *testing.T) {
	r := runCLI(t, nil, "", "verify", "eyJhbGciOiJFZERTQSJ9.e30.c2ln")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "no trust material")
	r = runCLI(t, nil, "", "verify", "--file", filepath.Join(t.TempDir(), "missing.jwt"), "--jwks", "x", "--issuer", "y")
	assert.Equal(t, 2, r.code)
	r = runCLI(t, nil, "   \n", "verify", "-", "--jwks", "x", "--issuer", "y")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "empty")
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	require.NoError(t, os.WriteFile(jwks, []byte(`{"keys":[]}`), 0o600))
	r = runCLI(t, nil, "", "verify", "eyJhbGciOiJFZERTQSJ9.e30.c2ln", "--jwks", jwks, "--issuer", "https://register.example.org", "--no-status")
	assert.Equal(t, 2, r.code, "an empty key set is no trust material")
	k, err := keys.Generate("")
	require.NoError(t, err)
	pub, err := k.PublicJWK()
	require.NoError(t, err)
	set, err := keys.JWKS(pub)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(jwks, set, 0o600))
	r = runCLI(t, nil, "", "verify", "not a credential at all", "--jwks", jwks, "--issuer", "https://register.example.org", "--no-status", "--json")
	assert.Equal(t, 1, r.code, r.stderr)
	assert.True(t, strings.Contains(r.stdout, `"outcome": "malformed"`), r.stdout)
}
