package issuer_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer"
)

// TestSnapshotWhenBehindByBytes: changes whose bytes pass SnapshotBytes
// are snapshotted without being asked, long before Raft's own check, so a
// crash replays little; below both thresholds nothing is taken.
func TestSnapshotWhenBehindByBytes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bytes uint64
		want  bool
	}{{"over", 512, true}, {"under", 64 << 20, false}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			cfg := e.config()
			cfg.SnapshotBytes, cfg.SnapshotThreshold, cfg.SnapshotInterval = tc.bytes, 1<<30, 10*time.Millisecond
			srv, err := issuer.Open(cfg)
			require.NoError(t, err)
			defer srv.Close()
			admin := adminActor(t, srv)
			before := srv.Health().LastSnapshotIndex
			for i := 0; i < 20; i++ {
				require.NoError(t, addNamed(srv, admin, fmt.Sprint("Backlog", i)))
			}
			if tc.want {
				// Within 512 bytes of the last change: a few entries at most.
				require.Eventually(t, func() bool { h := srv.Health(); return h.LastSnapshotIndex+5 >= h.AppliedIndex }, 10*time.Second, 10*time.Millisecond,
					"20 registrants are more than 512 bytes of log")
				return
			}
			time.Sleep(100 * time.Millisecond) // ten checks
			assert.Equal(t, before, srv.Health().LastSnapshotIndex, "nothing asked for a snapshot")
		})
	}
}
