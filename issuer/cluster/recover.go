package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"

	"github.com/nalw/linkpass/issuer/datadir"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// Recover makes the stopped member in dataDir the only voter of its
// cluster, for when a majority of the cluster is lost for good: started
// again it elects itself, with everything its log holds, and fresh nodes
// can then join it. The other old members must never be started again
// with their data directories: they would form a second register.
func Recover(dataDir string, logger *slog.Logger) (Member, error) {
	m, _, _, err := datadir.Open(dataDir, time.Now(), false)
	if err != nil {
		return Member{}, err
	}
	if !m.Clustered {
		return Member{}, fmt.Errorf("%w: %s is a register of one, not a cluster member; nothing to recover", register.ErrInvalid, dataDir)
	}
	logs, err := raftboltdb.New(raftboltdb.Options{Path: datadir.Layout(dataDir).Log(), BoltOptions: datadir.LogOptions()})
	if err != nil {
		if errors.Is(err, bbolt.ErrTimeout) {
			return Member{}, fmt.Errorf("%w: the log is locked: stop the node first", datadir.ErrUnusable)
		}
		return Member{}, fmt.Errorf("%w: %v", datadir.ErrUnusable, err)
	}
	defer logs.Close()
	// Raft's own errors come back as errors; its chatter is not wanted.
	hlog := hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Off})
	snaps, err := raft.NewFileSnapshotStoreWithLogger(datadir.Layout(dataDir).Raft(), 2, hlog)
	if err != nil {
		return Member{}, fmt.Errorf("%w: %v", datadir.ErrUnusable, err)
	}
	f, err := fsm.New(logger)
	if err != nil {
		return Member{}, err
	}
	conf := raft.DefaultConfig()
	conf.LocalID, conf.Logger = raft.ServerID(m.NodeID), hlog
	_, trans := raft.NewInmemTransport("")
	old, err := raft.GetConfiguration(conf, f, logs, logs, snaps, trans)
	if err != nil {
		return Member{}, fmt.Errorf("reading the cluster's configuration from the log: %w", err)
	}
	self := Member{ID: m.NodeID, Suffrage: raft.Voter.String(), Leader: true}
	for _, s := range old.Servers {
		if string(s.ID) == m.NodeID {
			self.Address = string(s.Address)
		}
	}
	if self.Address == "" {
		return Member{}, fmt.Errorf("%w: node %s is not in the configuration its log holds (was it removed?); recover from another member, or restore a backup", register.ErrConflict, m.NodeID)
	}
	// RecoverCluster replays the log into a fresh FSM to snapshot it.
	f, err = fsm.New(logger)
	if err != nil {
		return Member{}, err
	}
	next := raft.Configuration{Servers: []raft.Server{{Suffrage: raft.Voter, ID: raft.ServerID(self.ID), Address: raft.ServerAddress(self.Address)}}}
	if err := raft.RecoverCluster(conf, f, logs, logs, snaps, trans, next); err != nil {
		return Member{}, fmt.Errorf("recovering the cluster: %w", err)
	}
	return self, nil
}
