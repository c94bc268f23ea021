package verifier

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/credential/credentialtest"
	"github.com/nalw/linkpass/internal/tooltest"
	"github.com/nalw/linkpass/keys"
)

// interopDir holds verify.mjs and its pinned panva/jose dependency.
const interopDir = "testdata/interop"

// requireNode returns the path of node with jose installed, or skips.
func requireNode(t *testing.T) string {
	t.Helper()
	return tooltest.Node(t, interopDir, "jose", "the jose interop check")
}

// TestInteropJoseVerifiesOurCredentials checks credential.Sign's output
// with panva/jose, a JOSE implementation independent of ours and of jwx:
// jwtVerify with a local JWKS, typ vc+jwt and the issuer.
func TestInteropJoseVerifiesOurCredentials(t *testing.T) {
	node := requireNode(t)
	for _, alg := range []string{keys.AlgEdDSA, keys.AlgES256} {
		t.Run(alg, func(t *testing.T) {
			k, jwks := productionKey(t, alg)
			c := credentialtest.Claims(time.Now())
			c.CredentialSubject.Name = `Zoë "Z" O'Neil <&>` + "\u2028" + `\`
			token, err := credential.Sign(c, k)
			require.NoError(t, err)

			out, err := runJose(t, node, token, jwks)
			require.NoError(t, err, "jose refused our credential")
			var got struct {
				Header  map[string]any    `json:"header"`
				Payload credential.Claims `json:"payload"`
			}
			require.NoError(t, json.Unmarshal(out, &got))
			assert.Equal(t, map[string]any{"alg": alg, "typ": "vc+jwt", "cty": "vc", "kid": k.KeyID()}, got.Header)
			assert.Equal(t, *c, got.Payload)

			// The check can fail: jose must refuse a tampered credential.
			parts := strings.Split(token, ".")
			tampered := parts[0] + "." + b64s(strings.Replace(string(mustB64(t, parts[1])), "Z", "Y", 1)) + "." + parts[2]
			_, err = runJose(t, node, tampered, jwks)
			assert.Error(t, err, "jose accepted a tampered credential")
		})
	}
}

func runJose(t *testing.T, node, token string, jwks []byte) ([]byte, error) {
	t.Helper()
	dir := t.TempDir()
	tokenFile, jwksFile := filepath.Join(dir, "token"), filepath.Join(dir, "jwks.json")
	require.NoError(t, os.WriteFile(tokenFile, []byte(token), 0o600))
	require.NoError(t, os.WriteFile(jwksFile, jwks, 0o600))
	cmd := exec.Command(node, "verify.mjs", tokenFile, jwksFile, credentialtest.Issuer)
	cmd.Dir = interopDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Logf("jose: %s", stderr.String())
	}
	return out, err
}

func mustB64(t *testing.T, s string) []byte {
	b, err := b64.DecodeString(s)
	require.NoError(t, err)
	return b
}
