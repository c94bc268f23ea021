package datadir

import (
	"path/filepath"
	"testing"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCheckLogChecksTheCommandsAStartReplays: a command that is not JSON
// is refused when a start would replay it, and passes when the snapshot
// already holds it (it is only ever sent on to a follower as it is).
func TestCheckLogChecksTheCommandsAStartReplays(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raft.db")
	logs, err := raftboltdb.New(raftboltdb.Options{Path: path, BoltOptions: LogOptions()})
	require.NoError(t, err)
	for i := uint64(1); i <= 4; i++ {
		data := []byte("\x01{\"n\":1}")
		if i == 2 {
			data = []byte("\x01{\"n\":") // cut short
		}
		require.NoError(t, logs.StoreLog(&raft.Log{Index: i, Term: 1, Type: raft.LogCommand, Data: data}))
	}
	require.NoError(t, logs.Close())

	_, err = CheckLog(path, 0)
	assert.ErrorContains(t, err, "log entry 2 is damaged")
	_, err = CheckLog(path, 1)
	assert.ErrorContains(t, err, "log entry 2 is damaged")
	info, err := CheckLog(path, 2)
	require.NoError(t, err)
	assert.Equal(t, LogInfo{First: 1, Last: 4}, info)
}
