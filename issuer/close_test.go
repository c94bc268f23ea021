package issuer_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

func snapshotsIn(t *testing.T, dir string) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "raft", "snapshots", "*", "meta.json"))
	require.NoError(t, err)
	return len(m)
}

// A graceful stop after many changes leaves a snapshot, so that the next
// start restores it rather than replaying the log; a stop after a few
// does not bother.
func TestGracefulStopLeavesASnapshotAfterManyChanges(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reg")
	open := func() *issuer.Server {
		srv, err := issuer.Open(issuer.Config{DataDir: dir, Create: true, IssuerURL: issuerURL})
		require.NoError(t, err)
		return srv
	}
	add := func(srv *issuer.Server, n int) {
		for i := 0; i < n; i++ {
			_, err := srv.Apply(context.Background(), register.System, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "Stop", Family: fmt.Sprint("Person", i), Nation: "wales"}})
			require.NoError(t, err)
		}
	}
	srv := open()
	add(srv, 5)
	require.NoError(t, srv.Close())
	assert.Zero(t, snapshotsIn(t, dir), "a handful of entries replay in no time")

	srv = open()
	add(srv, 200)
	require.NoError(t, srv.Close())
	assert.Equal(t, 1, snapshotsIn(t, dir))

	srv = open()
	defer srv.Close()
	regs, err := srv.State().Registrants("")
	require.NoError(t, err)
	assert.Len(t, regs, 205)
}
