package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/internal/verdict"
)

// verifyBundle verifies a credential file offline against a synced bundle.
func verifyBundle(t *testing.T, bundle, tokenFile string, extra ...string) (verdict.Verdict, int) {
	t.Helper()
	args := append([]string{"verify", "--file", tokenFile, "--bundle", bundle, "--json"}, extra...)
	r := runCLI(t, nil, "", args...)
	var v verdict.Verdict
	decodeOne(t, r.stdout, &v)
	return v, r.code
}

// syncBundle runs `linkpass verify sync` and requires success.
func syncBundle(t *testing.T, s *server, bundle string) {
	t.Helper()
	r := runCLI(t, nil, "", "verify", "sync", "--from", s.URL, "--issuer", s.issuerURL(t), "--bundle", bundle)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
}

// syncAfterChange syncs once and verifies: the register acknowledged the
// change only once the list it serves carries it, so no wait is needed.
func syncAfterChange(t *testing.T, s *server, bundle, tok, want string) verdict.Verdict {
	t.Helper()
	syncBundle(t, s, bundle)
	v, _ := verifyBundle(t, bundle, tok)
	assert.Equal(t, want, v.Status, "the first sync after the change was acknowledged: %s", v.Reason)
	return v
}

// TestSuspensionReachesOfflineVerifiersAtTheirNextSync runs the whole
// status story with the real binary and no network at verification time:
// issue, sync, verify (valid); suspend, sync, verify (suspended);
// reinstate, sync (valid again, same credential); re-issue (old revoked,
// new valid); remove, sync (revoked).
func TestSuspensionReachesOfflineVerifiersAtTheirNextSync(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, filepath.Join(dir, "reg"))
	s.solo(t)
	var reg struct {
		Number string `json:"registration_number"`
	}
	s.runJSON(t, 0, &reg, "registrant", "add", "--given", "Grace", "--family", "Adeyemi", "--nation", "england")
	tok := filepath.Join(dir, "cred.jwt")
	r := s.run(t, "", "credential", "issue", reg.Number, "--out", tok)
	require.Equal(t, 0, r.code, r.stderr)
	bundle := filepath.Join(dir, "bundle.json")

	v := syncAfterChange(t, s, bundle, tok, "valid")
	require.True(t, v.Valid, v.Reason)
	assert.Equal(t, "valid", string(v.Outcome))
	require.NotNil(t, v.StatusListIssuedAt)

	r = s.run(t, "", "registrant", "suspend", reg.Number, "--reason", "interim order")
	require.Equal(t, 0, r.code, r.stderr)
	v = syncAfterChange(t, s, bundle, tok, "suspended")
	assert.False(t, v.Valid)
	assert.Equal(t, "suspended", string(v.Outcome))
	_, code := verifyBundle(t, bundle, tok)
	assert.Equal(t, 1, code)
	human := runCLI(t, nil, "", "verify", "--file", tok, "--bundle", bundle)
	assert.Contains(t, human.stdout, "SUSPENDED")

	r = s.run(t, "", "registrant", "reinstate", reg.Number, "--reason", "order lifted")
	require.Equal(t, 0, r.code, r.stderr)
	v = syncAfterChange(t, s, bundle, tok, "valid")
	assert.True(t, v.Valid, "the same credential is valid again without re-issue: %s", v.Reason)

	newTok := filepath.Join(dir, "new.jwt")
	r = s.run(t, "", "credential", "issue", reg.Number, "--out", newTok)
	require.Equal(t, 0, r.code, r.stderr)
	v = syncAfterChange(t, s, bundle, tok, "revoked")
	assert.Equal(t, "revoked", string(v.Outcome), "re-issue revokes the older credential")
	v, code = verifyBundle(t, bundle, newTok)
	assert.Equal(t, 0, code, v.Reason)

	r = s.run(t, "", "registrant", "remove", reg.Number, "--reason", "struck off", "--yes")
	require.Equal(t, 0, r.code, r.stderr)
	v = syncAfterChange(t, s, bundle, newTok, "revoked")
	assert.Equal(t, "revoked", string(v.Outcome))

	// The bundle is a trust store: nobody else may write it.
	fi, err := os.Stat(bundle)
	require.NoError(t, err)
	assert.Zero(t, fi.Mode().Perm()&0o022, "bundle mode %v", fi.Mode().Perm())

	// Verification needs no network at all: the register is gone.
	s.kill()
	v, code = verifyBundle(t, bundle, newTok)
	assert.Equal(t, 1, code)
	assert.Equal(t, "revoked", string(v.Outcome), "checked offline from the bundle: %s", v.Reason)

	// Staleness: a bundle older than --max-age cannot vouch for status
	// (exit 2), unless --allow-stale, which says how old it is.
	time.Sleep(1100 * time.Millisecond)
	v, code = verifyBundle(t, bundle, newTok, "--max-age", "1s")
	assert.Equal(t, 2, code, "status too old to rely on: could not check")
	assert.Equal(t, "status-unknown", string(v.Outcome))
	v, code = verifyBundle(t, bundle, newTok, "--max-age", "1s", "--allow-stale")
	assert.Equal(t, 1, code, "stale but allowed: the (revoked) status is reported")
	assert.True(t, v.StatusStale)
}

// TestOnlineVerificationSeesASuspensionWithinTheListTTL checks --online:
// keys and lists fetched from the trusted issuer, lists kept between runs
// for their ttl (then revalidated with their ETag), so a suspension shows
// within one ttl of being acknowledged (a 2 s ttl here).
func TestOnlineVerificationSeesASuspensionWithinTheListTTL(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, filepath.Join(dir, "reg"), "--status-ttl", "2s")
	var reg struct {
		Number string `json:"registration_number"`
	}
	s.runJSON(t, 0, &reg, "registrant", "add", "--given", "Lewis", "--family", "Baird", "--nation", "scotland")
	tok := filepath.Join(dir, "cred.jwt")
	r := s.run(t, "", "credential", "issue", reg.Number, "--out", tok)
	require.Equal(t, 0, r.code, r.stderr)
	online := func() verdict.Verdict {
		r := runCLI(t, nil, "", "verify", "--file", tok, "--online", "--issuer", s.URL, "--json")
		var v verdict.Verdict
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &v), r.stdout+r.stderr)
		return v
	}
	waitFor(t, 10*time.Second, func() bool { return online().Valid }, "the new credential to verify online")
	r = s.run(t, "", "registrant", "suspend", reg.Number, "--reason", "interim order")
	require.Equal(t, 0, r.code, r.stderr)
	start := time.Now()
	waitFor(t, 10*time.Second, func() bool { return online().Outcome == "suspended" }, "the suspension to show online")
	t.Logf("suspension visible online %s after it was acknowledged (ttl 2s)", time.Since(start).Round(10*time.Millisecond))
	cached, err := filepath.Glob(filepath.Join(userDirs(t), "cache", "linkpass", "status-lists", "*.json"))
	require.NoError(t, err)
	assert.Len(t, cached, 1, "the list is kept between runs")
}

// TestSyncToTheDefaultPlaceThenVerifyWithNoFlags is the receptionist's
// path on a machine that has never synced: `verify sync --from URL` stores
// the bundle in the configuration directory (creating it), and a plain
// `verify --qr-image` uses it.
func TestSyncToTheDefaultPlaceThenVerifyWithNoFlags(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, filepath.Join(dir, "reg"))
	var reg struct {
		Number string `json:"registration_number"`
	}
	s.runJSON(t, 0, &reg, "registrant", "add", "--given", "Isla", "--family", "Fraser", "--nation", "scotland")
	png := filepath.Join(dir, "isla.png")
	r := s.run(t, "", "credential", "issue", reg.Number, "--qr", png)
	require.Equal(t, 0, r.code, r.stderr)
	r = runCLI(t, nil, "", "verify", "sync", "--from", s.URL)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, filepath.Join(userDirs(t), "config", "linkpass", "trust-bundle.json"))
	var v verdict.Verdict
	waitFor(t, 10*time.Second, func() bool {
		runCLI(t, nil, "", "verify", "sync", "--from", s.URL)
		r = runCLI(t, nil, "", "verify", "--qr-image", png, "--json")
		v = verdict.Verdict{}
		_ = json.Unmarshal([]byte(r.stdout), &v)
		return v.Valid
	}, "the new credential to verify from the default bundle: "+r.stdout+r.stderr)
	assert.Equal(t, "valid", v.Status, "status was checked from the bundle")
}

// issuerURL is the issuer URL the register names in its credentials.
func (s *server) issuerURL(t *testing.T) string {
	t.Helper()
	var meta struct {
		Issuer string `json:"issuer"`
	}
	require.NoError(t, json.Unmarshal(fetch(t, s.URL+"/.well-known/jwt-vc-issuer"), &meta))
	return meta.Issuer
}

// TestQualityMarkWithdrawnReachesVerifiersAtTheirNextSync: a credential
// issued while the register held the PSA Quality Mark shows it; once the
// register loses it, verifiers that have synced say it no longer applies,
// while the registration itself stays valid.
func TestQualityMarkWithdrawnReachesVerifiersAtTheirNextSync(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, filepath.Join(dir, "reg"))
	r := s.run(t, "", "quality-mark", "set", "--accredited=true", "--since", "2025-01-01", "--until", "2099-12-31", "--reference", "PSA-1")
	require.Equal(t, 0, r.code, r.stderr)
	var reg struct {
		Number string `json:"registration_number"`
	}
	s.runJSON(t, 0, &reg, "registrant", "add", "--given", "Samuel", "--family", "Osei-Bonsu", "--nation", "england")
	tok := filepath.Join(dir, "cred.jwt")
	r = s.run(t, "", "credential", "issue", reg.Number, "--out", tok)
	require.Equal(t, 0, r.code, r.stderr)
	bundle := filepath.Join(dir, "bundle.json")
	v := syncAfterChange(t, s, bundle, tok, "valid")
	require.NotNil(t, v.Credential.QualityMark)
	assert.Equal(t, "held", v.QualityMarkNow)

	r = s.run(t, "", "quality-mark", "set", "--accredited=false")
	require.Equal(t, 0, r.code, r.stderr)
	syncBundle(t, s, bundle)
	v, code := verifyBundle(t, bundle, tok)
	assert.Equal(t, 0, code, "registration is still valid: %s", v.Reason)
	assert.Equal(t, "withdrawn", v.QualityMarkNow)
	human := runCLI(t, nil, "", "verify", "--file", tok, "--bundle", bundle)
	assert.Contains(t, human.stdout, "NO LONGER HELD")
	// The register's own check page says the same.
	assert.Equal(t, "withdrawn", postVerify(t, s.URL, strings.TrimSpace(string(mustRead(t, tok)))).QualityMarkNow)
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}
