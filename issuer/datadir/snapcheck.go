package datadir

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/raft"
)

// snapshotMeta is what raft's file snapshot store writes to meta.json.
type snapshotMeta struct {
	ID    string
	Index uint64
	Term  uint64
	Size  int64
	CRC   []byte
}

// CheckSnapshots checks the snapshot Raft will restore (its meta.json,
// and its state.bin against the size and CRC that meta.json records) and
// that the log, which starts at logFirst (0 when empty), continues from
// it. It returns that snapshot, whose zero value means none. Raft quietly
// skips a snapshot it cannot read and then panics with "log not found"
// when the log does not go back far enough; this says instead which file
// is damaged. A damaged snapshot that is not needed (the log continues
// from an older whole one) is moved aside, with a warning. Snapshots
// older than a whole one are not read: nothing will read them.
func CheckSnapshots(l Layout, logFirst uint64, logger *slog.Logger) (Snapshot, error) {
	type bad struct {
		dir, file, why string
	}
	var damaged []bad
	var whole Snapshot
	metas, err := snapshotsNewestFirst(l)
	if err != nil {
		return whole, err
	}
	for _, m := range metas {
		if m.why == "" {
			m.file, m.why = checkState(m)
		}
		if m.why != "" {
			damaged = append(damaged, bad{m.dir, m.file, m.why})
			continue
		}
		whole = Snapshot{ID: m.ID, Index: m.Index}
		break
	}
	// The log must carry on from the snapshot; an empty log needs one.
	if (logFirst == 0 && whole.Index == 0) || logFirst > whole.Index+1 {
		if len(damaged) > 0 {
			d := damaged[0]
			return whole, fmt.Errorf("%w: %s is damaged (%s). The log no longer holds what this snapshot summed up, so the register cannot be rebuilt without it: restore the register from a backup (`linkpass restore`), keeping this directory aside", ErrUnusable, d.file, d.why)
		}
		if logFirst == 0 {
			return whole, fmt.Errorf("%w: %s holds no log and there is no snapshot in %s: restore the register from a backup (`linkpass restore`)", ErrUnusable, l.Log(), l.Snapshots())
		}
		return whole, fmt.Errorf("%w: the snapshot that %s continues from (index %d) is missing from %s: restore the register from a backup (`linkpass restore`), keeping this directory aside", ErrUnusable, l.Log(), logFirst-1, l.Snapshots())
	}
	for _, d := range damaged {
		aside := filepath.Join(string(l), "damaged-snapshots", filepath.Base(d.dir))
		if err := os.MkdirAll(filepath.Dir(aside), 0o700); err != nil {
			return whole, fmt.Errorf("%w: %s is damaged (%s) and cannot be moved aside: %v", ErrUnusable, d.file, d.why, err)
		}
		if err := os.Rename(d.dir, aside); err != nil {
			return whole, fmt.Errorf("%w: %s is damaged (%s) and cannot be moved aside: %v", ErrUnusable, d.file, d.why, err)
		}
		logger.Warn("a damaged snapshot was moved aside; the register is rebuilt from an older snapshot and the log, and nothing is lost", "file", d.file, "problem", d.why, "moved_to", aside)
	}
	return whole, nil
}

// Snapshot names a snapshot that CheckSnapshots found whole.
type Snapshot struct {
	ID    string
	Index uint64
}

// NewestSnapshotIndex is the index of the newest snapshot whose meta.json
// reads, without checking its state: what a start will most likely
// restore, so what the log need not replay.
func NewestSnapshotIndex(l Layout) uint64 {
	metas, _ := snapshotsNewestFirst(l)
	for _, m := range metas {
		if m.why == "" {
			return m.Index
		}
	}
	return 0
}

// snapshotDir is one snapshot's folder and its meta.json, or why that
// did not read.
type snapshotDir struct {
	snapshotMeta
	dir, file, why string
	// order is the term and index in the folder's name, which Raft makes
	// term-index-time: how it orders snapshots, with the name last.
	order [2]uint64
}

// snapshotsNewestFirst lists the snapshots in the order Raft tries them:
// by term, index and ID, newest first. One whose meta.json does not read
// sorts the same, by its folder's name.
func snapshotsNewestFirst(l Layout) ([]snapshotDir, error) {
	entries, err := os.ReadDir(l.Snapshots())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: cannot read %s: %v", ErrUnusable, l.Snapshots(), err)
	}
	var out []snapshotDir
	for _, e := range entries {
		if !e.IsDir() || strings.HasSuffix(e.Name(), ".tmp") {
			continue
		}
		d := snapshotDir{dir: filepath.Join(l.Snapshots(), e.Name())}
		fmt.Sscanf(e.Name(), "%d-%d-", &d.order[0], &d.order[1])
		d.snapshotMeta, d.file, d.why = readMeta(d.dir)
		out = append(out, d)
	}
	slices.SortStableFunc(out, func(a, b snapshotDir) int {
		if c := cmp.Compare(b.order[0], a.order[0]); c != 0 {
			return c
		}
		if c := cmp.Compare(b.order[1], a.order[1]); c != 0 {
			return c
		}
		return strings.Compare(b.dir, a.dir)
	})
	return out, nil
}

// readMeta reads the snapshot's meta.json in dir, or says what is wrong
// with it.
func readMeta(dir string) (m snapshotMeta, file, why string) {
	file = filepath.Join(dir, "meta.json")
	b, err := os.ReadFile(file)
	if err != nil {
		return m, file, err.Error()
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil || m.ID == "" || m.Index == 0 || len(m.CRC) != 8 {
		return m, file, "it is not a whole snapshot description"
	}
	return m, "", ""
}

// checkState returns what is wrong with the snapshot's state.bin, and
// that file.
func checkState(d snapshotDir) (file, why string) {
	file = filepath.Join(d.dir, "state.bin")
	f, err := os.Open(file)
	if err != nil {
		return file, err.Error()
	}
	defer f.Close()
	h := crc64.New(crc64.MakeTable(crc64.ECMA))
	n, err := io.Copy(h, f)
	if err != nil {
		return file, err.Error()
	}
	if n != d.Size {
		return file, fmt.Sprintf("it has %d bytes where meta.json says %d", n, d.Size)
	}
	if !bytes.Equal(h.Sum(nil), d.CRC) {
		return file, "its checksum does not match meta.json"
	}
	return "", ""
}

// VerifiedSnapshots is Raft's file snapshot store, except that the first
// Open of the snapshot CheckSnapshots found whole does not read the whole
// file a second time to check its CRC again: at a million registrants
// that read is a tenth of a second of every start.
type VerifiedSnapshots struct {
	*raft.FileSnapshotStore
	dir string

	mu       sync.Mutex
	verified string
}

// NewVerifiedSnapshots wraps store, whose snapshots are in l.Snapshots(),
// for a start that restores snap.
func NewVerifiedSnapshots(store *raft.FileSnapshotStore, l Layout, snap Snapshot) *VerifiedSnapshots {
	return &VerifiedSnapshots{FileSnapshotStore: store, dir: l.Snapshots(), verified: snap.ID}
}

// Open opens snapshot id, as raft.FileSnapshotStore does.
func (v *VerifiedSnapshots) Open(id string) (*raft.SnapshotMeta, io.ReadCloser, error) {
	v.mu.Lock()
	skip := id != "" && id == v.verified
	v.verified = "" // once: later opens (a follower's copy) check again
	v.mu.Unlock()
	if !skip {
		return v.FileSnapshotStore.Open(id)
	}
	metas, err := v.List()
	if err != nil {
		return nil, nil, err
	}
	for _, m := range metas {
		if m.ID != id {
			continue
		}
		f, err := os.Open(filepath.Join(v.dir, id, "state.bin"))
		if err != nil {
			return nil, nil, err
		}
		return m, struct {
			io.Reader
			io.Closer
		}{bufio.NewReaderSize(f, 1<<16), f}, nil
	}
	return v.FileSnapshotStore.Open(id)
}
