package issuer_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/datadir"
)

// TestOpenMakesARegisterOnlyWhenAsked checks that a missing or empty data
// directory (a mistyped or moved --data path) is refused with what to do,
// and left as it was, unless creating a register was asked for.
func TestOpenMakesARegisterOnlyWhenAsked(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(dir string)
		say   string
	}{
		{"missing", func(string) {}, "does not exist"},
		{"empty", func(dir string) { require.NoError(t, os.MkdirAll(dir, 0o700)) }, "is empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			c.setup(e.dir)
			cfg := e.config()
			cfg.Create = false
			srv, err := issuer.Open(cfg)
			if srv != nil {
				srv.Close()
			}
			require.ErrorIs(t, err, issuer.ErrDataDir)
			assert.Contains(t, err.Error(), e.dir+" "+c.say)
			assert.Contains(t, err.Error(), "linkpass init --data "+e.dir)
			assert.Contains(t, err.Error(), "check the --data path")
			entries, _ := os.ReadDir(e.dir)
			assert.Empty(t, entries, "nothing was written")

			cfg.Create = true
			srv, err = issuer.Open(cfg)
			require.NoError(t, err, "asked, it makes a register")
			require.NoError(t, srv.Close())
			assert.True(t, datadir.Holds(e.dir))
			cfg.Create = false
			srv, err = issuer.Open(cfg)
			require.NoError(t, err, "an existing register opens without asking")
			require.NoError(t, srv.Close())
		})
	}
}

// TestOpenRefusesOrFixesUnsafePermissions checks each unsafe mode: what
// others could write to, or secrets others could read, is refused with the
// chmod that fixes it and left alone; what only lets others list names is
// fixed with a warning.
func TestOpenRefusesOrFixesUnsafePermissions(t *testing.T) {
	keyFile := func(t *testing.T, dir string) string {
		m, err := filepath.Glob(filepath.Join(dir, "keys", "*.jwk"))
		require.NoError(t, err)
		require.Len(t, m, 1)
		return m[0]
	}
	cases := []struct {
		name   string
		target func(t *testing.T, dir string) string
		mode   os.FileMode
		fixed  os.FileMode // 0: refused
	}{
		{"world-writable data dir", func(_ *testing.T, d string) string { return d }, 0o777, 0},
		{"group-writable data dir", func(_ *testing.T, d string) string { return d }, 0o770, 0},
		{"world-writable keys dir", func(_ *testing.T, d string) string { return filepath.Join(d, "keys") }, 0o757, 0},
		{"world-writable raft dir", func(_ *testing.T, d string) string { return filepath.Join(d, "raft") }, 0o703, 0},
		{"admin token readable by others", func(_ *testing.T, d string) string { return filepath.Join(d, "admin.token") }, 0o644, 0},
		{"admin token readable by group", func(_ *testing.T, d string) string { return filepath.Join(d, "admin.token") }, 0o640, 0},
		{"key file readable by others", keyFile, 0o644, 0},
		{"key file writable by group", keyFile, 0o620, 0},
		{"root key file readable by others", func(t *testing.T, d string) string {
			m, err := filepath.Glob(filepath.Join(d, "root-key", "*.jwk"))
			require.NoError(t, err)
			require.Len(t, m, 1)
			return m[0]
		}, 0o644, 0},
		{"world-writable root key dir", func(_ *testing.T, d string) string { return filepath.Join(d, "root-key") }, 0o777, 0},
		{"data dir listable by others", func(_ *testing.T, d string) string { return d }, 0o755, 0o700},
		{"keys dir listable by others", func(_ *testing.T, d string) string { return filepath.Join(d, "keys") }, 0o755, 0o700},
		{"log file readable by others", func(_ *testing.T, d string) string { return filepath.Join(d, "raft", "raft.db") }, 0o644, 0o600},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			require.NoError(t, e.open(t).Close())
			target := c.target(t, e.dir)
			require.NoError(t, os.Chmod(target, c.mode))
			srv, err := issuer.Open(e.config())
			info, serr := os.Stat(target)
			require.NoError(t, serr)
			if c.fixed == 0 {
				if srv != nil {
					srv.Close()
				}
				require.ErrorIs(t, err, datadir.ErrInsecurePermissions)
				assert.Contains(t, err.Error(), target)
				want := "chmod 600 " + target
				if info.IsDir() {
					want = "chmod 700 " + target
				}
				assert.Contains(t, err.Error(), want, "the message gives the exact fix")
				assert.Equal(t, c.mode, info.Mode().Perm(), "a refused file is left for the operator to look at")
				// The fix given works.
				require.NoError(t, os.Chmod(target, c.fixed|map[bool]os.FileMode{true: 0o700, false: 0o600}[info.IsDir()]))
				srv, err = issuer.Open(e.config())
				require.NoError(t, err)
				require.NoError(t, srv.Close())
				return
			}
			require.NoError(t, err)
			require.NoError(t, srv.Close())
			assert.Equal(t, c.fixed, info.Mode().Perm())
			assert.Contains(t, e.logs.String(), "restricted it to its owner")
		})
	}
}
