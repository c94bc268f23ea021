package issuer

import (
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nalw/linkpass/issuer/datadir"
)

// Health is what monitoring reads of this node: its Raft state, its last
// snapshot and backup, and how full its disk is. It carries no register
// data.
type Health struct {
	RaftState                                          string // Leader, Follower, Candidate or Shutdown
	Term, CommitIndex, AppliedIndex, LastSnapshotIndex uint64
	// LastSnapshotAt is when the newest snapshot was taken; zero if none.
	LastSnapshotAt time.Time
	// LastBackupAt is when this process last took a backup; zero if none.
	LastBackupAt   time.Time
	BackupFailures uint64
	// LastOffsiteAt is when a backup was last copied off-site and read
	// back; zero if none.
	LastOffsiteAt   time.Time
	OffsiteFailures uint64
	// PublishFailures counts failed attempts to publish the status lists;
	// PublishFailing says the last attempt failed.
	PublishFailures uint64
	PublishFailing  bool
	// DiskUsed is the share (0 to 1) of the data directory's file system
	// in use; -1 if unknown.
	DiskUsed float64
	// Clustered is true for a cluster member; the fields below are set
	// only then.
	Clustered bool
	// LastContact is how long ago a follower last heard from its leader
	// (0 on the leader).
	LastContact time.Duration
	// LeaderLost is true while a follower has had no leader for longer
	// than its bound (readyz then says so).
	LeaderLost bool
	// Voters is how many voters the configuration has, as this node
	// knows it.
	Voters int
}

// health is what the server counts for Health.
type health struct {
	mu             sync.Mutex
	lastBackup     time.Time
	backupFailures uint64
	lastOffsite    time.Time
	offsiteFails   uint64
	onApply        func(time.Duration)
}

func (h *health) observeApply(d time.Duration) {
	if h.onApply != nil {
		h.onApply(d)
	}
}

// RecordBackup records the outcome of a backup: taken and checked (nil),
// or failed. A backup counts only once whoever took it has checked it.
func (s *Server) RecordBackup(err error) {
	s.health.record(err, &s.health.lastBackup, &s.health.backupFailures, s.cfg.Clock())
}

// RecordOffsite records the outcome of copying a backup off-site.
func (s *Server) RecordOffsite(err error) {
	s.health.record(err, &s.health.lastOffsite, &s.health.offsiteFails, s.cfg.Clock())
}

func (h *health) record(err error, last *time.Time, failures *uint64, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		*failures++
		return
	}
	*last = now
}

// Health reports this node's health now.
func (s *Server) Health() Health {
	st := s.raft.Stats()
	u := func(k string) uint64 { n, _ := strconv.ParseUint(st[k], 10, 64); return n }
	h := Health{RaftState: s.raft.State().String(), Term: u("term"), CommitIndex: u("commit_index"),
		AppliedIndex: s.raft.AppliedIndex(), LastSnapshotIndex: u("last_snapshot_index"), DiskUsed: diskUsed(s.cfg.DataDir)}
	if s.snaps != nil {
		if metas, err := s.snaps.List(); err == nil && len(metas) > 0 {
			h.LastSnapshotAt = snapshotTime(metas[0].ID)
		}
	}
	s.health.mu.Lock()
	h.LastBackupAt, h.BackupFailures = s.health.lastBackup, s.health.backupFailures
	h.LastOffsiteAt, h.OffsiteFailures = s.health.lastOffsite, s.health.offsiteFails
	s.health.mu.Unlock()
	h.PublishFailures, h.PublishFailing = s.pub.Failures()
	if s.node != nil {
		h.Clustered = true
		if !s.node.IsLeader() {
			if last := s.raft.LastContact(); !last.IsZero() {
				h.LastContact = time.Since(last)
			}
		}
		h.LeaderLost = s.node.LeaderLost() > 0
		if members, err := s.node.Members(); err == nil {
			for _, m := range members {
				if m.Suffrage == "Voter" {
					h.Voters++
				}
			}
		}
	}
	return h
}

// snapshotTime reads the time Raft's file snapshot store puts at the end
// of a snapshot's id (term-index-milliseconds).
func snapshotTime(id string) time.Time {
	ms, err := strconv.ParseInt(id[strings.LastIndexByte(id, '-')+1:], 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func diskUsed(dir string) float64 {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(datadir.Layout(dir).Raft(), &fs); err != nil || fs.Blocks == 0 {
		return -1
	}
	return 1 - float64(fs.Bavail)/float64(fs.Blocks)
}
