package e2e

import (
	"os"
	"path/filepath"
	"testing"

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
