package datadir

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// snapshotAt writes a snapshot of body at index through Raft's own store,
// so that the folder and meta.json are as Raft makes them.
func snapshotAt(t *testing.T, store *raft.FileSnapshotStore, index uint64, body string) string {
	t.Helper()
	sink, err := store.Create(raft.SnapshotVersionMax, index, 2, raft.Configuration{}, 1, nil)
	require.NoError(t, err)
	_, err = io.WriteString(sink, body)
	require.NoError(t, err)
	require.NoError(t, sink.Close())
	return sink.ID()
}

func newStore(t *testing.T) (Layout, *raft.FileSnapshotStore) {
	l := Layout(t.TempDir())
	require.NoError(t, os.MkdirAll(l.Raft(), 0o700))
	store, err := raft.NewFileSnapshotStoreWithLogger(l.Raft(), 3, nil)
	require.NoError(t, err)
	return l, store
}

// TestSnapshotsAreOrderedAsRaftOrdersThem: by index as a number, not by
// folder name (9000 sorts after 10000 as text).
func TestSnapshotsAreOrderedAsRaftOrdersThem(t *testing.T) {
	l, store := newStore(t)
	snapshotAt(t, store, 10000, "newer")
	snapshotAt(t, store, 9000, "older")
	assert.Equal(t, uint64(10000), NewestSnapshotIndex(l))
	whole, err := CheckSnapshots(l, 9001, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	assert.Equal(t, uint64(10000), whole.Index)
	metas, err := store.List()
	require.NoError(t, err)
	assert.Equal(t, metas[0].ID, whole.ID, "the one Raft restores")
}

// TestCheckSnapshotsFallsBackPastADamagedNewest: the newest is damaged,
// the log goes back past the older one, so the older is the one restored
// and the damaged one is moved aside.
func TestCheckSnapshotsFallsBackPastADamagedNewest(t *testing.T) {
	l, store := newStore(t)
	older := snapshotAt(t, store, 100, "older")
	newer := snapshotAt(t, store, 200, "newer")
	require.NoError(t, os.WriteFile(filepath.Join(l.Snapshots(), newer, "state.bin"), []byte("NEWER"), 0o600))
	whole, err := CheckSnapshots(l, 50, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	assert.Equal(t, Snapshot{ID: older, Index: 100}, whole)
	_, err = os.Stat(filepath.Join(string(l), "damaged-snapshots", newer))
	assert.NoError(t, err)

	// Where the log does not reach back, the damaged file is named.
	l, store = newStore(t)
	snapshotAt(t, store, 100, "older")
	newer = snapshotAt(t, store, 200, "newer")
	require.NoError(t, os.WriteFile(filepath.Join(l.Snapshots(), newer, "state.bin"), []byte("NEWER"), 0o600))
	_, err = CheckSnapshots(l, 150, slog.New(slog.DiscardHandler))
	require.ErrorIs(t, err, ErrUnusable)
	assert.Contains(t, err.Error(), filepath.Join(newer, "state.bin"))
}

// TestVerifiedSnapshotsSkipTheSecondCheckOnce: the start's own open of
// the snapshot it checked reads it once; any later open checks again.
func TestVerifiedSnapshotsSkipTheSecondCheckOnce(t *testing.T) {
	l, store := newStore(t)
	id := snapshotAt(t, store, 100, "register")
	whole, err := CheckSnapshots(l, 101, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	v := NewVerifiedSnapshots(store, l, whole)

	meta, rc, err := v.Open(id)
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, "register", string(b))
	assert.Equal(t, uint64(100), meta.Index)

	// Damaged after the start's check: a second open finds it.
	require.NoError(t, os.WriteFile(filepath.Join(l.Snapshots(), id, "state.bin"), []byte("REGISTER"), 0o600))
	_, _, err = v.Open(id)
	assert.ErrorContains(t, err, "CRC")
}
