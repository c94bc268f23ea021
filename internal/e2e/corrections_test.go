package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCorrectionReissuesTheCredential corrects a name with the real binary:
// the credential stating the old name verifies as revoked at the next sync,
// the one issued in its place as valid with the corrected name, and the old
// name stays in the audit trail with the reason.
func TestCorrectionReissuesTheCredential(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, filepath.Join(dir, "reg"))
	s.solo(t)
	var reg struct {
		Number string `json:"registration_number"`
	}
	s.runJSON(t, 0, &reg, "registrant", "add", "--given", "Grace", "--family", "Adeyemy", "--nation", "england")
	tok := filepath.Join(dir, "cred.jwt")
	r := s.run(t, "", "credential", "issue", reg.Number, "--out", tok)
	require.Equal(t, 0, r.code, r.stderr)
	bundle := filepath.Join(dir, "bundle.json")
	syncAfterChange(t, s, bundle, tok, "valid")

	var c struct {
		Changed    []struct{ Field, From, To string } `json:"changed"`
		Superseded []string                           `json:"superseded_credentials"`
		Reissued   struct {
			JWT string `json:"jwt"`
		} `json:"reissued_credential"`
	}
	s.runJSON(t, 0, &c, "registrant", "correct", reg.Number, "--family", "Adeyemi", "--reason", "misspelt at entry; passport seen")
	require.Len(t, c.Changed, 1)
	assert.Equal(t, "family_name", c.Changed[0].Field)
	assert.Equal(t, "Adeyemy", c.Changed[0].From)
	require.Len(t, c.Superseded, 1)
	require.NotEmpty(t, c.Reissued.JWT)
	newTok := filepath.Join(dir, "new.jwt")
	require.NoError(t, os.WriteFile(newTok, []byte(c.Reissued.JWT), 0o600))

	v := syncAfterChange(t, s, bundle, tok, "revoked")
	assert.Equal(t, "revoked", string(v.Outcome))
	v, code := verifyBundle(t, bundle, newTok)
	require.Equal(t, 0, code, v.Reason)
	require.NotNil(t, v.Credential)
	assert.Equal(t, "Grace Adeyemi", v.Credential.Name)

	// A correction that changes nothing is refused and writes nothing.
	r = s.run(t, "", "registrant", "correct", reg.Number, "--family", "Adeyemi", "--reason", "again")
	assert.NotEqual(t, 0, r.code)
	assert.Contains(t, r.stderr, "nothing to correct")

	audit := s.run(t, "", "audit", "list", "--registrant", reg.Number, "--json")
	require.Equal(t, 0, audit.code, audit.stderr)
	assert.Contains(t, audit.stdout, `"family_name.from": "Adeyemy"`)
	assert.Contains(t, audit.stdout, "misspelt at entry")

	// Removal asks for the number again; a different valid number is refused.
	other := strings.TrimSpace(s.run(t, "", "registrant", "add", "--given", "Ola", "--family", "Ben", "--nation", "wales").stdout)
	rm := runCLI(t, []string{"LINKPASS_SERVER=" + s.URL, "LINKPASS_TOKEN=" + s.token}, other+"\n", "registrant", "remove", reg.Number, "--reason", "struck off")
	assert.NotEqual(t, 0, rm.code)
	assert.Contains(t, rm.stderr, "nothing was changed")
	rm = runCLI(t, []string{"LINKPASS_SERVER=" + s.URL, "LINKPASS_TOKEN=" + s.token}, strings.ToLower(reg.Number)+"\n", "registrant", "remove", reg.Number, "--reason", "struck off")
	require.Equal(t, 0, rm.code, rm.stderr)
	assert.Contains(t, rm.stdout, "removed")
}
