package issuer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Files and folders of the data directory.
const (
	markerFile     = "linkpass.json"
	adminTokenFile = "admin.token"
	raftDir        = "raft"
	raftDBFile     = "raft.db"
	snapshotsDir   = "snapshots"
	keysDir        = "keys"
)

// dataFormat is the version of the data directory layout.
const dataFormat = 1

// marker identifies a linkpass data directory and this node in it.
type marker struct {
	Format  int       `json:"format"`
	NodeID  string    `json:"node_id"`
	Created time.Time `json:"created"`
	// Initialising is true from the moment a first start creates the
	// directory until that start has completed. A marker still saying so
	// means the first start died before serving anything, so nothing in
	// the directory was ever acknowledged to anyone: it is safe to start
	// again from scratch rather than refuse the directory for good.
	Initialising bool `json:"initialising,omitempty"`
}

// ErrDataDir means the data directory cannot be used; the message says which
// file and what to do.
var ErrDataDir = errors.New("data directory unusable")

// openDataDir prepares dir, creating it on first start. It refuses a
// directory that has content but is not a linkpass data directory, or whose
// marker is unreadable, rather than start an empty register over data that
// may matter.
//
// cleared reports that an unfinished first start was cleared away.
func openDataDir(dir string, now time.Time) (m marker, fresh, cleared bool, err error) {
	if dir == "" {
		return m, false, false, fmt.Errorf("%w: no data directory given; pass --data DIR", ErrDataDir)
	}
	path := filepath.Join(dir, markerFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &m); err != nil || m.NodeID == "" {
			return m, false, false, fmt.Errorf("%w: %s is damaged (%v); restore the data directory from a backup, or move it aside to start a new register", ErrDataDir, path, errOrEmpty(err))
		}
		if m.Format != dataFormat {
			return m, false, false, fmt.Errorf("%w: %s has layout version %d but this linkpass reads version %d; use a matching linkpass release", ErrDataDir, path, m.Format, dataFormat)
		}
		if m.Initialising {
			for _, name := range []string{raftDir, keysDir, adminTokenFile} {
				if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
					return m, false, false, fmt.Errorf("%w: clearing an unfinished first start: %v", ErrDataDir, err)
				}
			}
			return m, true, true, nil
		}
		if _, err := os.Stat(filepath.Join(dir, raftDir, raftDBFile)); err != nil {
			return m, false, false, fmt.Errorf("%w: %s is missing (%v) although %s exists; the register's log is gone: restore the data directory from a backup", ErrDataDir, filepath.Join(dir, raftDir, raftDBFile), err, markerFile)
		}
		return m, false, false, nil
	case errors.Is(err, fs.ErrNotExist):
		entries, rerr := os.ReadDir(dir)
		if rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return m, false, false, fmt.Errorf("%w: cannot read %s: %v", ErrDataDir, dir, rerr)
		}
		if len(entries) > 0 {
			return m, false, false, fmt.Errorf("%w: %s is not empty and has no %s; it is not a linkpass data directory. Choose an empty or new directory", ErrDataDir, dir, markerFile)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return m, false, false, fmt.Errorf("%w: cannot create %s: %v", ErrDataDir, dir, err)
		}
		m = marker{Format: dataFormat, NodeID: "node-" + randomID(8), Created: now.UTC(), Initialising: true}
		if err := writeMarker(dir, m); err != nil {
			return m, false, false, err
		}
		return m, true, false, nil
	default:
		return m, false, false, fmt.Errorf("%w: cannot read %s: %v; check the directory's permissions", ErrDataDir, path, err)
	}
}

// writeMarker writes the marker file atomically.
func writeMarker(dir string, m marker) error {
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := writeFileAtomic(filepath.Join(dir, markerFile), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("%w: %v", ErrDataDir, err)
	}
	return nil
}

func errOrEmpty(err error) error {
	if err == nil {
		return errors.New("no node id")
	}
	return err
}

// writeFileAtomic writes a file so that a crash leaves either the old or the
// new content, never a torn file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
