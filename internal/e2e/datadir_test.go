package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeNeverStartsAnEmptyRegisterUnasked runs the commands an operator
// runs: serve on a mistyped path is refused and creates nothing; init
// creates the register, refuses to run twice, and serve starts it.
func TestServeNeverStartsAnEmptyRegisterUnasked(t *testing.T) {
	data := filepath.Join(t.TempDir(), "reg")
	r := runCLI(t, nil, "", "serve", "--data", data, "--addr", "127.0.0.1:0")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, data+" does not exist")
	assert.Contains(t, r.stderr, "linkpass init --data "+data)
	_, err := os.Stat(data)
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing was created")

	r = runCLI(t, nil, "", "init", "--data", data, "--issuer-url", "https://register.example.org")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, filepath.Join(data, "admin.token"))
	r = runCLI(t, nil, "", "init", "--data", data, "--issuer-url", "https://register.example.org")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "already holds a register")

	s := startServer(t, data)
	assert.NotContains(t, s.cmd.Args, "--init")
	r = s.run(t, "", "registrant", "add", "--given", "Ada", "--family", "Lovelace", "--nation", "england")
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, s.stop())

	// A lost admin token file is re-made offline; the old token keeps working.
	old := s.token
	require.NoError(t, os.Remove(filepath.Join(data, "admin.token")))
	r = runCLI(t, nil, "", "admin-token", "--data", data)
	require.Equal(t, 0, r.code, r.stderr)
	s = startServer(t, data)
	assert.NotEqual(t, old, s.token)
	r = s.run(t, "", "registrant", "list")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Lovelace")
	r = s.run(t, old, "registrant", "list")
	assert.Equal(t, 0, r.code, "the old token was not revoked: %s", r.stderr)
}

// TestBackupAndRestoreThroughTheCommandLine takes an online backup with
// the CLI (admin only, file mode 0600), restores it into a new directory
// (a non-empty one is refused) and serves from it: same registrants, same
// published keys, the same admin token.
func TestBackupAndRestoreThroughTheCommandLine(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "reg"))
	r := s.run(t, "", "registrant", "add", "--given", "Ada", "--family", "Lovelace", "--nation", "england")
	require.Equal(t, 0, r.code, r.stderr)
	var tok struct{ Token string }
	s.runJSON(t, 0, &tok, "token", "create", "--role", "registrar", "--name", "desk")

	out := filepath.Join(t.TempDir(), "reg.backup")
	r = s.run(t, tok.Token, "backup", "--out", out)
	assert.Equal(t, 1, r.code, "a registrar may not take a backup")
	assert.Contains(t, r.stderr, "forbidden")
	_, err := os.Stat(out)
	assert.ErrorIs(t, err, os.ErrNotExist)

	r = s.run(t, "", "backup", "--out", out)
	require.Equal(t, 0, r.code, r.stderr)
	info, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the backup holds private keys")
	r = s.run(t, "", "backup", "--out", out)
	assert.Equal(t, 1, r.code, "an existing file is never overwritten")

	// The server kept serving.
	r = s.run(t, "", "registrant", "add", "--given", "Bea", "--family", "After", "--nation", "wales")
	require.Equal(t, 0, r.code, r.stderr)
	jwks := s.get(t, "/.well-known/jwks.json")
	require.NoError(t, s.stop())

	full := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(full, "x"), nil, 0o600))
	r = runCLI(t, nil, "", "restore", "--from", out, "--data", full)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "not empty")

	data := filepath.Join(t.TempDir(), "restored")
	r = runCLI(t, nil, "", "restore", "--from", out, "--data", data)
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, os.WriteFile(filepath.Join(data, "admin.token"), []byte(s.token+"\n"), 0o600))
	s2 := startServer(t, data)
	r = s2.run(t, "", "registrant", "list")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Lovelace")
	assert.NotContains(t, r.stdout, "After", "the change after the backup is not in it")
	assert.Equal(t, jwks, s2.get(t, "/.well-known/jwks.json"), "the same signing key")
	r = s2.run(t, tok.Token, "registrant", "list")
	assert.Equal(t, 0, r.code, "tokens are as they were: %s", r.stderr)
}

// get returns the body of a public GET.
func (s *server) get(t *testing.T, path string) string {
	t.Helper()
	resp, err := http.Get(s.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	return string(b)
}

// TestDeletedDataDirUnderRunningServe deletes the data directory under a
// running `linkpass serve`: changes are refused saying nothing was changed,
// /readyz answers 503 with the reason, and the log has one line.
func TestDeletedDataDirUnderRunningServe(t *testing.T) {
	data := filepath.Join(t.TempDir(), "reg")
	s := startServer(t, data)
	require.NoError(t, os.RemoveAll(data))
	for i := 0; i < 20; i++ {
		r := s.run(t, "", "registrant", "add", "--given", "Lost", "--family", "Write", "--nation", "england")
		require.Equal(t, 2, r.code, "a change into a deleted directory is never acknowledged: %s", r.stdout)
		assert.Contains(t, r.stderr, "nothing was changed")
	}
	resp, err := http.Get(s.URL + "/readyz")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, string(b), "has gone")
	assert.Equal(t, 1, strings.Count(s.stderr.String(), "the register stopped taking changes"), s.stderr.String())
}

// TestScheduledEncryptedBackupsRestore runs serve with scheduled backups
// encrypted under a key from `backup keygen`: the first backup appears at
// start, verifies with the key (and not without it or with another), and
// restores into a register that serves the same registrants.
func TestScheduledEncryptedBackupsRestore(t *testing.T) {
	dir := t.TempDir()
	key, other := filepath.Join(dir, "backup.key"), filepath.Join(dir, "other.key")
	for _, k := range []string{key, other} {
		r := runCLI(t, nil, "", "backup", "keygen", "--out", k)
		require.Equal(t, 0, r.code, r.stderr)
	}
	r := runCLI(t, nil, "", "backup", "keygen", "--out", key)
	assert.Equal(t, 1, r.code, "a key file is never overwritten")

	r = runCLI(t, nil, "", "serve", "--data", filepath.Join(dir, "x"), "--init", "--addr", "127.0.0.1:0", "--backup-s3-url", "https://s3.example.org")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "need --backup-dir")

	backups := filepath.Join(dir, "backups")
	reg := filepath.Join(dir, "reg")
	r = runCLI(t, nil, "", "init", "--data", reg, "--issuer-url", "https://register.example.org")
	require.Equal(t, 0, r.code, r.stderr)
	s := startServer(t, reg, "--backup-dir", backups, "--backup-key-file", key, "--backup-every", "1m")
	var file string
	for end := time.Now().Add(20 * time.Second); file == "" && time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		entries, _ := os.ReadDir(backups)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".tar.sealed") {
				file = filepath.Join(backups, e.Name())
			}
		}
	}
	require.NotEmpty(t, file, "the first scheduled backup is taken at start")
	assert.Contains(t, s.stderr.String(), "backup taken and verified")
	require.NoError(t, s.stop())

	var v struct {
		OK    bool   `json:"ok"`
		Index uint64 `json:"index"`
	}
	r = runCLI(t, nil, "", "backup", "verify", file, "--key-file", key, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v))
	assert.True(t, v.OK)
	assert.NotZero(t, v.Index)
	r = runCLI(t, nil, "", "backup", "verify", file)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "pass --key-file")
	r = runCLI(t, nil, "", "backup", "verify", file, "--key-file", other)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "another backup key")

	restored := filepath.Join(dir, "restored")
	r = runCLI(t, nil, "", "restore", "--from", file, "--key-file", key, "--data", restored)
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, os.WriteFile(filepath.Join(restored, "admin.token"), []byte(s.token+"\n"), 0o600))
	s2 := startServer(t, restored)
	r = s2.run(t, "", "registrant", "list", "--json")
	require.Equal(t, 0, r.code, r.stderr)
}
