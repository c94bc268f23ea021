package issuer_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer"
)

// TestUnfinishedFirstStartIsStartedAgain simulates a first start that died
// after creating the directory but before serving anything (its marker
// still says "initialising", its log half made): the next start begins
// afresh instead of refusing the directory for good, and says so.
func TestUnfinishedFirstStartIsStartedAgain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reg")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "raft"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "linkpass.json"), []byte(`{"format":1,"node_id":"node-abc","created":"2026-11-24T00:00:00Z","initialising":true}`), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "raft", "raft.db"), []byte("half written"), 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "keys"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keys", "stray.jwk"), []byte("{}"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "admin.token"), []byte("lpt_stale\n"), 0o600))

	var logs bytes.Buffer
	srv, err := issuer.Open(issuer.Config{DataDir: dir, Create: true, IssuerURL: "https://register.example.org", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	defer srv.Close()
	assert.Contains(t, logs.String(), "did not finish")
	tok, err := os.ReadFile(filepath.Join(dir, "admin.token"))
	require.NoError(t, err)
	_, err = srv.Authenticate(string(bytes.TrimSpace(tok)))
	require.NoError(t, err, "a working admin token was made")
	m, err := os.ReadFile(filepath.Join(dir, "linkpass.json"))
	require.NoError(t, err)
	assert.NotContains(t, string(m), "initialising", "the first start completed")
	assert.Contains(t, string(m), "node-abc", "the node keeps its identity")
	_, err = os.Stat(filepath.Join(dir, "keys", "stray.jwk"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestCompletedRegisterWithLostLogIsStillRefused checks the other side: a
// register that finished its first start and then lost its log is never
// started empty.
func TestCompletedRegisterWithLostLogIsStillRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reg")
	srv, err := issuer.Open(issuer.Config{DataDir: dir, Create: true, IssuerURL: "https://register.example.org"})
	require.NoError(t, err)
	require.NoError(t, srv.Close())
	require.NoError(t, os.Remove(filepath.Join(dir, "raft", "raft.db")))
	_, err = issuer.Open(issuer.Config{DataDir: dir, IssuerURL: "https://register.example.org"})
	require.ErrorIs(t, err, issuer.ErrDataDir)
	assert.Contains(t, err.Error(), "raft.db")
}
