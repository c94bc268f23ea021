package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/nalw/linkpass/issuer/datadir"
	"github.com/nalw/linkpass/keys"
)

// Restore writes a into dir, which must be missing or empty, as a data
// directory the register starts from: the state as a Raft snapshot at the
// backup's index, the signing keys, and the marker with the node's
// identity. The marker is written last, so an interrupted restore leaves a
// directory the register refuses (it has files but no marker) rather than
// one it would start half-restored; Restore removes what it wrote when it
// fails.
func Restore(a *Archive, dir string) (err error) {
	if dir == "" {
		return fmt.Errorf("backup: no data directory given")
	}
	entries, rerr := os.ReadDir(dir)
	switch {
	case rerr == nil && len(entries) > 0:
		return fmt.Errorf("%w: %s is not empty; restore only into an empty or new directory (move the old one aside first, never over it)", datadir.ErrUnusable, dir)
	case rerr != nil && !errors.Is(rerr, fs.ErrNotExist):
		return fmt.Errorf("%w: cannot read %s: %v", datadir.ErrUnusable, dir, rerr)
	}
	if a.Manifest.Index == 0 {
		return fmt.Errorf("%w: the backup is at log index 0", ErrInvalid)
	}
	existed := rerr == nil
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("backup: creating %s: %w", dir, err)
	}
	defer func() {
		if err == nil {
			return
		}
		if !existed {
			os.RemoveAll(dir)
			return
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}()
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	l := datadir.Layout(dir)

	if err := os.Mkdir(l.Keys(), 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	kd, err := keys.OpenDir(l.Keys())
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	for kid, b := range a.Keys {
		if err := datadir.WriteFileAtomic(filepath.Join(l.Keys(), kid+".jwk"), b, 0o600); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		if _, err := kd.Load(kid); err != nil {
			return fmt.Errorf("%w: signing key %s: %v", ErrInvalid, kid, err)
		}
	}

	if a.RootKey != nil {
		if err := os.Mkdir(l.RootKey(), 0o700); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		if err := datadir.WriteFileAtomic(filepath.Join(l.RootKey(), a.Manifest.RootKID+".jwk"), a.RootKey, 0o600); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		rd, err := keys.OpenDir(l.RootKey())
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		if _, err := rd.Load(a.Manifest.RootKID); err != nil {
			return fmt.Errorf("%w: root key %s: %v", ErrInvalid, a.Manifest.RootKID, err)
		}
	}

	if err := os.Mkdir(l.Raft(), 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// An empty log: the register starts from the snapshot.
	logs, err := raftboltdb.NewBoltStore(l.Log())
	if err != nil {
		return fmt.Errorf("backup: creating %s: %w", l.Log(), err)
	}
	if err := logs.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(l.Raft(), 2, hclog.NewNullLogger())
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	id := raft.ServerID(a.Manifest.Node.NodeID)
	conf := raft.Configuration{Servers: []raft.Server{{Suffrage: raft.Voter, ID: id, Address: raft.ServerAddress(id)}}}
	// The transport only encodes the peer list of the old snapshot format.
	_, trans := raft.NewInmemTransport(raft.ServerAddress(id))
	defer trans.Close()
	sink, err := snaps.Create(raft.SnapshotVersionMax, a.Manifest.Index, 1, conf, a.Manifest.Index, trans)
	if err != nil {
		return fmt.Errorf("backup: writing the snapshot: %w", err)
	}
	if _, err := sink.Write(a.State); err != nil {
		sink.Cancel()
		return fmt.Errorf("backup: writing the snapshot: %w", err)
	}
	if err := sink.Close(); err != nil {
		return fmt.Errorf("backup: writing the snapshot: %w", err)
	}
	if err := os.Chmod(l.Snapshots(), 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	n := a.Manifest.Node
	return datadir.WriteMarker(dir, datadir.Marker{Format: n.DataFormat, NodeID: n.NodeID, Created: n.Created})
}
