package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/internal/tooltest"
	"github.com/nalw/linkpass/issuer/register"
)

// jsonldDir holds the pinned jsonld.js used to expand credentials.
const jsonldDir = "testdata/jsonld"

// requireJSONLD returns node with jsonld.js installed, or skips.
func requireJSONLD(t *testing.T) string {
	t.Helper()
	return tooltest.Node(t, jsonldDir, "jsonld", "the JSON-LD expansion check")
}

func TestTheRegisterServesTheJSONLDContextItsCredentialsName(t *testing.T) {
	f := newFixture(t)
	res := f.get("/ns/link-worker/v1", "")
	require.Equal(t, 200, res.status)
	assert.Equal(t, "application/ld+json", res.header.Get("Content-Type"))
	assert.Equal(t, "*", res.header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, res.header.Get("Cache-Control"), "public")
	assert.Equal(t, credential.ContextDocument(), res.body)
	assert.True(t, strings.HasSuffix(credential.ContextLinkpass, "/ns/link-worker/v1"), "served at the path of the URL the credentials name")
}

// TestJSONLDProcessorExpandsARealCredential issues a credential from a
// real register and expands its payload with jsonld.js in safe mode,
// loading the VC 2.0 context from a pinned local copy and the link worker
// context from what the register serves. Every member must come out as
// one of our defined IRIs or a VC 2.0 one: none dropped, none left to the
// VC 2.0 context's catch-all "issuer-dependent" vocabulary.
func TestJSONLDProcessorExpandsARealCredential(t *testing.T) {
	node := requireJSONLD(t)
	f := newFixture(t)
	r := f.add("Siân", "Ó Dálaigh", "")
	iss, err := f.srv.IssueCredential(context.Background(), register.System, r.Number)
	require.NoError(t, err)
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(iss.JWT, ".")[1])
	require.NoError(t, err)

	dir := t.TempDir()
	payloadFile, contextFile := filepath.Join(dir, "payload.json"), filepath.Join(dir, "context.jsonld")
	require.NoError(t, os.WriteFile(payloadFile, payload, 0o600))
	require.NoError(t, os.WriteFile(contextFile, f.get("/ns/link-worker/v1", "").body, 0o600))

	cmd := exec.Command(node, "expand.mjs", payloadFile, contextFile)
	cmd.Dir = jsonldDir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "jsonld.js could not expand the credential: %s", stderr.String())

	var expanded []map[string]any
	require.NoError(t, json.Unmarshal(out, &expanded))
	require.Len(t, expanded, 1)
	text := string(out)
	assert.NotContains(t, text, "issuer-dependent", "a term fell through to the VC 2.0 catch-all vocabulary")
	for _, iri := range []string{
		"https://www.w3.org/2018/credentials#credentialSubject",
		"https://register.nalw.org.uk/ns/link-worker#LinkWorkerRegistrationCredential",
		"https://register.nalw.org.uk/ns/link-worker#registrationNumber",
		"https://register.nalw.org.uk/ns/link-worker#qualification",
		"https://register.nalw.org.uk/ns/link-worker#statusListIndex",
		"https://schema.org/name",
	} {
		assert.Contains(t, text, iri)
	}
	assert.Contains(t, text, r.Number)
	assert.Contains(t, text, "Siân Ó Dálaigh")
}
