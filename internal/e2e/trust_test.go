package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/credential/credentialtest"
	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/trustbundle"
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
	// A bundle of the old, unsigned format held from an older release
	// pins nothing: the sync over it is a first sync.
	bundle := filepath.Join(dir, "bundle.json")
	require.NoError(t, os.WriteFile(bundle, []byte(`{"format":1,"issuer":"`+issuer+`","metadata":{},"jwks":{"keys":[]},"status_lists":[],"created_at":"2026-01-01T00:00:00Z"}`), 0o644))
	syncAfterChange(t, s, bundle, tok, "suspended")
	v, code := verifyBundle(t, bundle, tok, "--no-status")
	assert.Equal(t, 3, code, v.Reason)
	assert.Equal(t, "status-not-checked", string(v.Outcome))
	v, code = verifyBundle(t, bundle, tok)
	assert.Equal(t, 1, code, v.Reason)
	assert.Equal(t, "suspended", string(v.Outcome))
}

// mirror is a server that serves whatever trust bundle a test gives it:
// another address for the register, and a hostile one.
type mirror struct {
	URL  string
	body atomic.Value // []byte
}

func newMirror(t *testing.T) *mirror {
	m := &mirror{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", trustbundle.MediaType)
		_, _ = w.Write(m.body.Load().([]byte))
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	m.URL = "http://" + ln.Addr().String()
	return m
}

func (m *mirror) serve(b []byte) { m.body.Store(b) }

// editBundle decodes a bundle, lets change edit it, and encodes it.
func editBundle(t *testing.T, raw []byte, change func(b *trustbundle.Bundle)) []byte {
	var b trustbundle.Bundle
	require.NoError(t, json.Unmarshal(raw, &b))
	change(&b)
	out, err := json.Marshal(&b)
	require.NoError(t, err)
	return out
}

// editStatement rewrites the payload of a signed statement, keeping its
// signature: all a mirror without the root key can do.
func editStatement(t *testing.T, token string, change func(st map[string]any)) string {
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var st map[string]any
	require.NoError(t, json.Unmarshal(raw, &st))
	change(st)
	raw, err = json.Marshal(st)
	require.NoError(t, err)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(raw) + "." + parts[2]
}

// TestAMirrorCanServeButNotChangeOrRollBackTheBundle is every attack seen
// from whoever serves the bundle (`--from MIRROR --issuer REGISTER`), with
// the real binary: an older bundle, a newer one carrying an older status
// list, a retired key brought back, a key added, the Quality Mark
// standing changed, another root. Each sync is refused, says so, and the
// bundle held (with the suspension and the retirement) is kept; verify
// serve keeps verifying from it too.
func TestAMirrorCanServeButNotChangeOrRollBackTheBundle(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, filepath.Join(dir, "reg"))
	issuer := s.issuerURL(t)
	r := s.run(t, "", "quality-mark", "set", "--accredited=true", "--since", "2025-01-01", "--until", "2099-12-31", "--reference", "PSA-1")
	require.Equal(t, 0, r.code, r.stderr)
	var reg struct {
		Number string `json:"registration_number"`
	}
	s.runJSON(t, 0, &reg, "registrant", "add", "--given", "Ifeoma", "--family", "Clarke", "--nation", "england")
	tok := filepath.Join(dir, "cred.jwt")
	r = s.run(t, "", "credential", "issue", reg.Number, "--out", tok)
	require.Equal(t, 0, r.code, r.stderr)
	bundle := filepath.Join(dir, "bundle.json")
	m := newMirror(t)
	syncFromMirror := func(extra ...string) result {
		return runCLI(t, nil, "", append([]string{"verify", "sync", "--from", m.URL, "--issuer", issuer, "--bundle", bundle}, extra...)...)
	}

	// First sync, through the mirror, pins the register's root, shown.
	var before []byte
	waitFor(t, 10*time.Second, func() bool {
		before = fetch(t, s.URL+"/trust-bundle")
		var b trustbundle.Bundle
		require.NoError(t, json.Unmarshal(before, &b))
		return len(b.StatusLists) > 0
	}, "the credential's status list to be published")
	m.serve(before)
	r = syncFromMirror()
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	var root string
	for _, l := range lines(r.stdout) {
		if f := strings.Fields(l); len(f) == 1 && len(f[0]) == 43 {
			root = f[0]
		}
	}
	require.NotEmpty(t, root, "the first sync shows the root fingerprint: %s", r.stdout)
	assert.Contains(t, r.stdout, "Confirm that this fingerprint is the one NALW publishes")

	// Rotate, re-issue, retire the old key, suspend: the practice syncs
	// all of it.
	var keyList struct{ Keys []struct{ KID string } }
	s.runJSON(t, 0, &keyList, "keys", "list")
	require.Len(t, keyList.Keys, 1)
	oldKID := keyList.Keys[0].KID
	r = s.run(t, "", "keys", "rotate")
	require.Equal(t, 0, r.code, r.stderr)
	newTok := filepath.Join(dir, "new.jwt")
	r = s.run(t, "", "credential", "issue", reg.Number, "--out", newTok)
	require.Equal(t, 0, r.code, r.stderr)
	r = s.run(t, "", "keys", "retire", "--force", "--", oldKID)
	require.Equal(t, 0, r.code, r.stderr)
	var mid, current []byte
	syncUntil := func(want string, into *[]byte) {
		waitFor(t, 10*time.Second, func() bool {
			*into = fetch(t, s.URL+"/trust-bundle")
			m.serve(*into)
			// Until the lists are re-signed by the new key, the
			// register's bundle does not check out, and sync refuses it.
			if r = syncFromMirror(); r.code != 0 {
				return false
			}
			v, _ := verifyBundle(t, bundle, newTok)
			return v.Status == want
		}, "the bundle to say "+want)
	}
	syncUntil("valid", &mid)
	r = s.run(t, "", "registrant", "suspend", reg.Number, "--reason", "interim order")
	require.Equal(t, 0, r.code, r.stderr)
	syncUntil("suspended", &current)
	v, code := verifyBundle(t, bundle, tok)
	require.Equal(t, 1, code)
	require.Equal(t, "unknown-key", string(v.Outcome), "the retired key is no longer trusted: %s", v.Reason)

	attacker, err := keys.Generate("")
	require.NoError(t, err)
	attackerJWK, err := attacker.PublicJWK()
	require.NoError(t, err)
	attackerRoot, err := keys.Generate("")
	require.NoError(t, err)
	attackerRootJWK, err := attackerRoot.PublicJWK()
	require.NoError(t, err)

	attacks := map[string][]byte{
		"an older bundle (before the suspension and the retirement)": before,
		"a newer bundle carrying the older status list (before the suspension)": editBundle(t, current, func(b *trustbundle.Bundle) {
			var old trustbundle.Bundle
			require.NoError(t, json.Unmarshal(mid, &old))
			b.StatusLists = old.StatusLists
		}),
		"the statement from before the retirement": editBundle(t, current, func(b *trustbundle.Bundle) {
			var old trustbundle.Bundle
			require.NoError(t, json.Unmarshal(before, &old))
			b.Statement = old.Statement
		}),
		"a key of the mirror's added": editBundle(t, current, func(b *trustbundle.Bundle) {
			b.Statement = editStatement(t, b.Statement, func(st map[string]any) {
				ks := st["keys"].(map[string]any)
				var j map[string]any
				require.NoError(t, json.Unmarshal(attackerJWK, &j))
				ks["keys"] = append(ks["keys"].([]any), j)
			})
		}),
		"the Quality Mark standing changed": editBundle(t, current, func(b *trustbundle.Bundle) {
			b.Statement = editStatement(t, b.Statement, func(st map[string]any) {
				st["metadata"].(map[string]any)["quality_mark"].(map[string]any)["held"] = false
			})
		}),
		"everything re-signed under the mirror's own root": editBundle(t, current, func(b *trustbundle.Bundle) {
			var st trustbundle.Statement
			parts := strings.Split(b.Statement, ".")
			raw, err := base64.RawURLEncoding.DecodeString(parts[1])
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(raw, &st))
			st.Root = attackerRootJWK
			st.Seq++
			var set map[string][]json.RawMessage
			require.NoError(t, json.Unmarshal(st.Keys, &set))
			set["keys"] = append(set["keys"], attackerJWK)
			st.Keys, err = json.Marshal(set)
			require.NoError(t, err)
			b.Statement, err = trustbundle.SignStatement(&st, attackerRoot)
			require.NoError(t, err)
		}),
	}
	held := mustRead(t, bundle)
	for name, served := range attacks {
		m.serve(served)
		r = syncFromMirror()
		assert.Equal(t, 2, r.code, "%s: %s", name, r.stdout)
		assert.Regexp(t, `refused and the one held kept|does not check out, so it was not stored`, r.stderr, name)
		t.Logf("%s: %s", name, strings.TrimSpace(r.stderr))
		assert.Equal(t, held, mustRead(t, bundle), "%s: the bundle held is kept", name)
	}
	v, code = verifyBundle(t, bundle, newTok)
	assert.Equal(t, 1, code)
	assert.Equal(t, "suspended", string(v.Outcome), v.Reason)
	assert.Equal(t, "held", v.QualityMarkNow)

	// A credential the mirror forged with its own key is not valid, and a
	// first sync from the mirror with the register's anchor is refused.
	forged := credentialtest.Claims(time.Now().Add(-time.Minute))
	forged.Iss, forged.Issuer = issuer, issuer
	forged.Status.StatusList.URI = issuer + "/status/1"
	forgedTok, err := credential.Sign(forged, attacker)
	require.NoError(t, err)
	r = runCLI(t, nil, "", "verify", forgedTok, "--bundle", bundle)
	assert.Equal(t, 1, r.code, r.stdout)
	assert.Contains(t, r.stdout, "NOT VALID")
	m.serve(attacks["everything re-signed under the mirror's own root"])
	r = runCLI(t, nil, "", "verify", "sync", "--from", m.URL, "--issuer", issuer, "--bundle", filepath.Join(dir, "fresh.json"), "--anchor", root)
	assert.Equal(t, 2, r.code, r.stdout)
	assert.Contains(t, r.stderr, "not by the configured anchor "+root)
	assert.NoFileExists(t, filepath.Join(dir, "fresh.json"))

	// verify serve syncing from the mirror keeps verifying from the
	// bundle it holds.
	m.serve(before)
	url, logs := startVerifier(t, "--bundle", bundle, "--sync-from", m.URL, "--issuer", issuer)
	assert.Contains(t, logs.String(), "refused and the one held kept")
	got := postVerify(t, url, strings.TrimSpace(string(mustRead(t, newTok))))
	assert.Equal(t, "suspended", string(got.Outcome), got.Reason)
}

// TestACredentialOfTheRegisterWithoutStatusIsRefusedEverywhere: a
// credential signed with the register's own key but with no status claim
// (or "status": null) verified VALID even with status lists loaded. The
// register's signed metadata says all its credentials carry status, so
// the CLI from a bundle, verify serve, and the register's own /v1/verify
// refuse it; --online does not vouch for it either.
func TestACredentialOfTheRegisterWithoutStatusIsRefusedEverywhere(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "reg")
	s := startServer(t, data)
	issuer := s.issuerURL(t)
	var keyList struct{ Keys []struct{ KID string } }
	s.runJSON(t, 0, &keyList, "keys", "list")
	kd, err := keys.OpenDir(filepath.Join(data, "keys"))
	require.NoError(t, err)
	key, err := kd.Load(keyList.Keys[0].KID)
	require.NoError(t, err)

	c := credentialtest.Claims(time.Now().Add(-time.Minute))
	c.Iss, c.Issuer, c.Status = issuer, issuer, nil
	noStatus, err := credential.Sign(c, key)
	require.NoError(t, err)
	bundle := filepath.Join(dir, "bundle.json")
	syncBundle(t, s, bundle)

	r := runCLI(t, nil, "", "verify", noStatus, "--bundle", bundle, "--json")
	assert.Equal(t, 1, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, `"outcome": "missing-claim"`)
	assert.Contains(t, r.stdout, "states that all its credentials carry one")

	v := postVerify(t, s.URL, noStatus)
	assert.Equal(t, "missing-claim", string(v.Outcome), v.Reason)
	assert.False(t, v.Valid)

	url, _ := startVerifier(t, "--bundle", bundle)
	v = postVerify(t, url, noStatus)
	assert.Equal(t, "missing-claim", string(v.Outcome), v.Reason)

	r = runCLI(t, nil, "", "verify", noStatus, "--online", "--issuer", issuer, "--json")
	assert.NotEqual(t, 0, r.code, r.stdout+r.stderr)
	assert.NotContains(t, r.stdout, `"valid": true`)
}
