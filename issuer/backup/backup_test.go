package backup_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/backup"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

func stateBytes(t *testing.T, s *state.Store) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, s.Snapshot().Persist(&b))
	return b.Bytes()
}

// seeded returns a running register with something in every table:
// settings, tokens, keys (one rotated), registrants, audit, status lists
// and credentials.
func seeded(t *testing.T) (*issuer.Server, register.Actor) {
	t.Helper()
	srv, err := issuer.Open(issuer.Config{DataDir: filepath.Join(t.TempDir(), "data"), Create: true, IssuerURL: "https://register.example.org"})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	_, err = srv.SeedDemo()
	require.NoError(t, err)
	_, err = srv.RotateKey(register.System, "ES256")
	require.NoError(t, err)
	_, _, err = srv.CreateToken(register.System, register.RoleRegistrar, "desk")
	require.NoError(t, err)
	regs, err := srv.State().Registrants(register.Registered)
	require.NoError(t, err)
	_, err = srv.IssueCredential(context.Background(), register.System, regs[0].Number)
	require.NoError(t, err)
	return srv, register.System
}

// TestRestoredRegisterIsTheOriginal takes a backup of a register while it
// takes changes, restores it, and checks that the restored register holds
// exactly the state at the backup's index (every table) and the same
// signing keys, and that it starts and takes changes.
func TestRestoredRegisterIsTheOriginal(t *testing.T) {
	srv, actor := seeded(t)

	// Writers keep going while the backup is taken: no downtime.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var writes atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			_, err := srv.Apply(context.Background(), actor, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "Bea", Family: "Concurrent", Nation: "england"}})
			if err == nil {
				writes.Add(1)
			}
		}
	}()
	for writes.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	arc, err := srv.Backup()
	require.NoError(t, err)
	before := writes.Load()
	for writes.Load() < before+3 {
		time.Sleep(time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()

	// The copy taken under writes is whole: it restores and starts, at
	// the index it says.
	under := filepath.Join(t.TempDir(), "under-writes")
	require.NoError(t, backup.Restore(roundTrip(t, arc), under))
	r1, err := issuer.Open(issuer.Config{DataDir: under})
	require.NoError(t, err)
	assert.Equal(t, arc.Manifest.Index, r1.State().Index(""))
	require.NoError(t, r1.Close())

	// A copy compared with the live register, table by table.
	live := stateBytes(t, srv.State())
	arc, err = srv.Backup()
	require.NoError(t, err)
	require.NoError(t, srv.Close())
	dir := filepath.Join(t.TempDir(), "restored")
	require.NoError(t, backup.Restore(roundTrip(t, arc), dir))
	restored, err := issuer.Open(issuer.Config{DataDir: dir})
	require.NoError(t, err, "the register starts from the restored directory without --init")
	defer restored.Close()
	assert.Equal(t, live, stateBytes(t, restored.State()), "every table is as it was")
	assertSameTables(t, live, stateBytes(t, restored.State()))

	origKeys, err := os.ReadDir(filepath.Join(srv.AdminTokenPath, "..", "keys"))
	require.NoError(t, err)
	require.Len(t, origKeys, 2)
	for _, k := range origKeys {
		a, err := os.ReadFile(filepath.Join(srv.AdminTokenPath, "..", "keys", k.Name()))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(dir, "keys", k.Name()))
		require.NoError(t, err, "key %s restored", k.Name())
		assert.Equal(t, a, b, "the same signing key")
	}
	assert.Equal(t, srv.RootFingerprint(), restored.RootFingerprint(), "the root key is restored: practices keep their pin")
	j1, err := restored.JWKS()
	require.NoError(t, err)
	assert.Contains(t, string(j1), arc.Manifest.ActiveKID)

	// It serves: the old admin token works and changes commit after the
	// backup's index.
	tok, err := os.ReadFile(srv.AdminTokenPath)
	require.NoError(t, err)
	admin, err := restored.Authenticate(string(bytes.TrimSpace(tok)))
	require.NoError(t, err)
	res, err := restored.Apply(context.Background(), admin, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "After", Family: "Restore", Nation: "wales"}})
	require.NoError(t, err)
	assert.Greater(t, restored.State().Index(""), arc.Manifest.Index)
	_, err = restored.IssueCredential(context.Background(), admin, res.(fsm.Result).Registrant.Number)
	require.NoError(t, err, "it signs with the restored key")

	require.NoError(t, restored.Close())
	again, err := issuer.Open(issuer.Config{DataDir: dir})
	require.NoError(t, err, "and restarts from its own log")
	again.Close()
}

// roundTrip writes a as a file and reads it back.
func roundTrip(t *testing.T, a *backup.Archive) *backup.Archive {
	t.Helper()
	var file bytes.Buffer
	require.NoError(t, backup.Write(&file, a))
	got, err := backup.Read(bytes.NewReader(file.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, a.Manifest.Index, got.Manifest.Index)
	return got
}

// assertSameTables compares two registers table by table, so a failure
// names what differs.
func assertSameTables(t *testing.T, want, got []byte) {
	t.Helper()
	w, err := state.Restore(bytes.NewReader(want))
	require.NoError(t, err)
	g, err := state.Restore(bytes.NewReader(got))
	require.NoError(t, err)
	assert.Equal(t, w.Settings(), g.Settings(), "settings")
	for _, f := range []func(*state.Store) (any, error){
		func(s *state.Store) (any, error) { return s.Registrants("") },
		func(s *state.Store) (any, error) { return s.Tokens() },
		func(s *state.Store) (any, error) { return s.Keys() },
		func(s *state.Store) (any, error) { return s.Audit(state.AuditFilter{}) },
	} {
		a, err := f(w)
		require.NoError(t, err)
		b, err := f(g)
		require.NoError(t, err)
		assert.Equal(t, a, b)
	}
}

func TestRestoreRefusesANonEmptyDirectory(t *testing.T) {
	srv, _ := seeded(t)
	arc, err := srv.Backup()
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o600))
	err = backup.Restore(arc, dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not empty")
	b, err := os.ReadFile(filepath.Join(dir, "notes.txt"))
	require.NoError(t, err)
	assert.Equal(t, "mine", string(b))
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "nothing was added")
}

// TestReadRefusesDamagedArchives truncates, flips bytes in and edits an
// archive: each is refused, never restored.
func TestReadRefusesDamagedArchives(t *testing.T) {
	srv, _ := seeded(t)
	arc, err := srv.Backup()
	require.NoError(t, err)
	var file bytes.Buffer
	require.NoError(t, backup.Write(&file, arc))
	good := file.Bytes()
	flip := func(at int) []byte {
		b := bytes.Clone(good)
		b[at] ^= 0x55
		return b
	}
	stateAt := bytes.Index(good, []byte("linkpass-state-v1"))
	require.Positive(t, stateAt)
	cases := map[string][]byte{
		"empty":                 nil,
		"not a tar":             []byte("hello"),
		"truncated in state":    good[:stateAt+100],
		"truncated at the end":  good[:len(good)-1500],
		"byte flipped in state": flip(stateAt + 200),
		"byte flipped in manifest": func() []byte {
			return bytes.Replace(good, []byte(`"version": 1`), []byte(`"version": 9`), 1)
		}(),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := backup.Read(bytes.NewReader(b))
			require.ErrorIs(t, err, backup.ErrInvalid)
		})
	}
}
