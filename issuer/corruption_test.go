package issuer_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer"
)

// damage is one way of spoiling a file.
type damage struct {
	name string
	do   func(t *testing.T, path string)
}

var damages = []damage{
	{"truncated", func(t *testing.T, path string) {
		info, err := os.Stat(path)
		require.NoError(t, err)
		require.NoError(t, os.Truncate(path, info.Size()/2))
	}},
	{"bytes flipped mid-file", func(t *testing.T, path string) {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		// A run of bytes across the middle, and one in every 4 KiB page,
		// so that a page-structured file (bbolt) is hit where it matters.
		mid := len(b) / 2
		for i := mid - 8; i < mid+8 && i < len(b); i++ {
			if i >= 0 {
				b[i] ^= 0xa5
			}
		}
		for i := 4096 + 2048; i < len(b); i += 4096 {
			b[i] ^= 0xa5
		}
		require.NoError(t, os.WriteFile(path, b, 0o600))
	}},
	{"deleted", func(t *testing.T, path string) { require.NoError(t, os.Remove(path)) }},
}

// corruptible sets up a register whose log starts after its newest
// snapshot (as it does in production once the log is compacted), and
// returns the data directory and config.
func corruptible(t *testing.T) (*env, issuer.Config) {
	e := newEnv(t)
	cfg := e.config()
	cfg.TrailingLogs = 2
	srv, err := issuer.Open(cfg)
	require.NoError(t, err)
	admin := adminActor(t, srv)
	for i := 0; i < 10; i++ {
		require.NoError(t, addNamed(srv, admin, fmt.Sprint("Before", i)))
	}
	require.NoError(t, srv.Snapshot())
	for i := 0; i < 10; i++ {
		require.NoError(t, addNamed(srv, admin, fmt.Sprint("Between", i)))
	}
	require.NoError(t, srv.Snapshot())
	for i := 0; i < 5; i++ {
		require.NoError(t, addNamed(srv, admin, fmt.Sprint("After", i)))
	}
	require.NoError(t, srv.Close())
	return e, cfg
}

// newestSnapshot returns the folder of the newest snapshot.
func newestSnapshot(t *testing.T, dir string) string {
	m, err := filepath.Glob(filepath.Join(dir, "raft", "snapshots", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, m)
	return m[len(m)-1] // names sort by term, index and time
}

// TestCorruptionMatrix damages each file of a data directory in each way:
// every case is refused at start with a message that names the file and
// says what to do (never a panic), or, where nothing is lost, starts.
func TestCorruptionMatrix(t *testing.T) {
	files := []struct {
		name   string
		path   func(t *testing.T, dir string) string
		backup bool // whether "restore from a backup" is the right advice
	}{
		{"marker", func(_ *testing.T, d string) string { return filepath.Join(d, "linkpass.json") }, true},
		{"log and stable store", func(_ *testing.T, d string) string { return filepath.Join(d, "raft", "raft.db") }, true},
		{"snapshot meta", func(t *testing.T, d string) string { return filepath.Join(newestSnapshot(t, d), "meta.json") }, true},
		{"snapshot state", func(t *testing.T, d string) string { return filepath.Join(newestSnapshot(t, d), "state.bin") }, true},
		{"signing key", func(t *testing.T, d string) string {
			m, err := filepath.Glob(filepath.Join(d, "keys", "*.jwk"))
			require.NoError(t, err)
			require.Len(t, m, 1)
			return m[0]
		}, true},
		{"admin token", func(_ *testing.T, d string) string { return filepath.Join(d, "admin.token") }, false},
	}
	for _, f := range files {
		for _, d := range damages {
			t.Run(f.name+"/"+d.name, func(t *testing.T) {
				e, cfg := corruptible(t)
				path := f.path(t, e.dir)
				d.do(t, path)
				srv, err := issuer.Open(cfg)
				if f.name == "admin token" && d.name == "deleted" {
					// The file only hands the first token over; the register
					// is whole. A new one is made with linkpass admin-token.
					require.NoError(t, err)
					require.NoError(t, srv.NewAdminToken())
					_, err = srv.Authenticate(adminBearer(t, srv))
					require.NoError(t, err)
					srv.Close()
					return
				}
				if err == nil {
					regs, _ := srv.State().Registrants("")
					srv.Close()
					t.Fatalf("started with %d registrants from a damaged %s", len(regs), path)
				}
				require.ErrorIs(t, err, issuer.ErrDataDir)
				rel, _ := filepath.Rel(e.dir, path)
				assert.Contains(t, err.Error(), rel, "the message names the file")
				if f.backup {
					assert.Contains(t, err.Error(), "backup")
				} else {
					assert.NotContains(t, err.Error(), "backup", "a token is re-made, not restored")
					assert.Contains(t, err.Error(), "linkpass admin-token")
				}
			})
		}
	}
}

// TestDamagedSnapshotNotNeededIsMovedAside damages the newest snapshot of
// a register whose log still goes back past an older one: nothing is lost,
// so it starts, moves the damaged snapshot aside and says so.
func TestDamagedSnapshotNotNeededIsMovedAside(t *testing.T) {
	e, cfg := corruptible(t)
	// A third snapshot, with the log kept far back this time.
	cfg.TrailingLogs = 1000
	srv, err := issuer.Open(cfg)
	require.NoError(t, err)
	require.NoError(t, addNamed(srv, adminActor(t, srv), "Last"))
	require.NoError(t, srv.Snapshot())
	want := stateBytes(t, srv.State())
	require.NoError(t, srv.Close())

	snap := newestSnapshot(t, e.dir)
	damages[1].do(t, filepath.Join(snap, "state.bin"))
	srv, err = issuer.Open(cfg)
	require.NoError(t, err)
	defer srv.Close()
	assert.Equal(t, want, stateBytes(t, srv.State()), "nothing was lost")
	assert.Contains(t, e.logs.String(), "a damaged snapshot was moved aside")
	_, err = os.Stat(filepath.Join(e.dir, "damaged-snapshots", filepath.Base(snap), "state.bin"))
	assert.NoError(t, err, "kept for the operator to look at")
}
