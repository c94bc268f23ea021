// Package datadir is the layout of a register's data directory: what marks
// it, where the log, snapshots, keys and admin token live, the checks made
// before anything in it is used, and atomic file writes.
package datadir

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
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
	rootKeyDir     = "root-key"
)

// Layout is a data directory's path; its methods name the files in it.
type Layout string

// Marker is the file that marks the directory as a register.
func (l Layout) Marker() string { return filepath.Join(string(l), markerFile) }

// Raft is the folder of the Raft log and snapshots.
func (l Layout) Raft() string { return filepath.Join(string(l), raftDir) }

// Log is the Raft log and stable store.
func (l Layout) Log() string { return filepath.Join(string(l), raftDir, raftDBFile) }

// Snapshots is the folder of Raft snapshots.
func (l Layout) Snapshots() string { return filepath.Join(string(l), raftDir, snapshotsDir) }

// Keys is the folder of private signing keys.
func (l Layout) Keys() string { return filepath.Join(string(l), keysDir) }

// RootKey is the folder of the register's root key, which signs its
// trust statement (package issuer/trustroot).
func (l Layout) RootKey() string { return filepath.Join(string(l), rootKeyDir) }

// AdminToken is the file the first admin token is handed over in.
func (l Layout) AdminToken() string { return filepath.Join(string(l), adminTokenFile) }

// Format is the version of the data directory layout.
const Format = 1

// Marker identifies a linkpass data directory and this node in it.
type Marker struct {
	Format  int       `json:"format"`
	NodeID  string    `json:"node_id"`
	Created time.Time `json:"created"`
	// Initialising is true from the moment a first start creates the
	// directory until that start has completed. A marker still saying so
	// means the first start died before serving anything, so nothing in
	// the directory was ever acknowledged to anyone: it is safe to start
	// again from scratch rather than refuse the directory for good.
	Initialising bool `json:"initialising,omitempty"`
	// Clustered is true once the node has run as a member of a cluster:
	// started alone it would wait for ever for a majority.
	Clustered bool `json:"clustered,omitempty"`
}

// ErrUnusable means the data directory cannot be used; the message says
// which file and what to do.
var ErrUnusable = errors.New("data directory unusable")

// Open prepares dir. It creates a new register only when create is
// set: a mistyped or moved --data path must never start an empty register
// with a new signing key at the same issuer URL. It refuses a directory
// that has content but is not a linkpass data directory, or whose marker is
// unreadable, rather than start an empty register over data that may
// matter.
//
// cleared reports that an unfinished first start was cleared away.
func Open(dir string, now time.Time, create bool) (m Marker, fresh, cleared bool, err error) {
	if dir == "" {
		return m, false, false, fmt.Errorf("%w: no data directory given; pass --data DIR", ErrUnusable)
	}
	path := filepath.Join(dir, markerFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &m); err != nil || m.NodeID == "" {
			return m, false, false, fmt.Errorf("%w: %s is damaged (%v). It names this node in the register's log, so it cannot be made anew: put back this file from a copy of the data directory, or restore the register from a backup with `linkpass restore`", ErrUnusable, path, errOrEmpty(err))
		}
		if m.Format != Format {
			return m, false, false, fmt.Errorf("%w: %s has layout version %d but this linkpass reads version %d; use a matching linkpass release", ErrUnusable, path, m.Format, Format)
		}
		if m.Initialising {
			for _, name := range []string{raftDir, keysDir, adminTokenFile} {
				if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
					return m, false, false, fmt.Errorf("%w: clearing an unfinished first start: %v", ErrUnusable, err)
				}
			}
			return m, true, true, nil
		}
		if _, err := os.Stat(filepath.Join(dir, raftDir, raftDBFile)); err != nil {
			return m, false, false, fmt.Errorf("%w: %s is missing (%v) although %s exists; the register's log is gone: restore the data directory from a backup with `linkpass restore`", ErrUnusable, filepath.Join(dir, raftDir, raftDBFile), err, markerFile)
		}
		return m, false, false, nil
	case errors.Is(err, fs.ErrNotExist):
		entries, rerr := os.ReadDir(dir)
		if rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return m, false, false, fmt.Errorf("%w: cannot read %s: %v", ErrUnusable, dir, rerr)
		}
		if _, err := os.Stat(filepath.Join(dir, raftDir, raftDBFile)); err == nil {
			return m, false, false, fmt.Errorf("%w: %s has a register's log (%s) but its %s is missing. The marker names this node in the log, so it cannot be made anew: put it back from a copy of the data directory, or restore the register from a backup with `linkpass restore` into a new directory", ErrUnusable, dir, filepath.Join(raftDir, raftDBFile), path)
		}
		if len(entries) > 0 {
			return m, false, false, fmt.Errorf("%w: %s is not empty and has no %s; it is not a linkpass data directory. Check the --data path, or choose an empty or new directory", ErrUnusable, dir, markerFile)
		}
		if !create {
			what := "does not exist"
			if rerr == nil {
				what = "is empty"
			}
			return m, false, false, fmt.Errorf("%w: %s %s, so it holds no register. If you meant an existing register, check the --data path. To create a new register there, run `linkpass init --data %s --issuer-url URL` (or start with `linkpass serve --init`)", ErrUnusable, dir, what, dir)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return m, false, false, fmt.Errorf("%w: cannot create %s: %v", ErrUnusable, dir, err)
		}
		// The directory will hold secrets: whatever made it (mkdir, a
		// mount), only its owner may enter it.
		if err := os.Chmod(dir, 0o700); err != nil {
			return m, false, false, fmt.Errorf("%w: cannot restrict %s to its owner: %v", ErrUnusable, dir, err)
		}
		m = Marker{Format: Format, NodeID: "node-" + randomHex(8), Created: now.UTC(), Initialising: true}
		if err := WriteMarker(dir, m); err != nil {
			return m, false, false, err
		}
		return m, true, false, nil
	default:
		return m, false, false, fmt.Errorf("%w: cannot read %s: %v; check the directory's permissions", ErrUnusable, path, err)
	}
}

// Holds reports whether dir is a linkpass data directory that has
// completed its first start.
func Holds(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, markerFile))
	if err != nil {
		return false
	}
	var m Marker
	return json.Unmarshal(b, &m) == nil && !m.Initialising
}

// WriteMarker writes the marker file atomically.
func WriteMarker(dir string, m Marker) error {
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := WriteFileAtomic(filepath.Join(dir, markerFile), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("%w: %v", ErrUnusable, err)
	}
	return nil
}

func errOrEmpty(err error) error {
	if err == nil {
		return errors.New("no node id")
	}
	return err
}

// WriteFileAtomic writes a file so that a crash leaves either the old or the
// new content, never a torn file.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	return writeFile(path, data, mode, os.Rename)
}

// WriteFileNew writes a new file as WriteFileAtomic does, but fails with
// fs.ErrExist rather than replace a file already at path.
func WriteFileNew(path string, data []byte, mode os.FileMode) error {
	return writeFile(path, data, mode, os.Link)
}

// writeFile writes data to a synced temporary file beside path, then puts
// it in place with place (rename, or link to refuse an existing file) and
// syncs the directory.
func writeFile(path string, data []byte, mode os.FileMode, place func(tmp, path string) error) error {
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
	if err := place(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// CheckPermissions refuses a data directory that others could write to, or
// secrets (signing keys, the admin token) that others could read, and says
// the command that fixes it. Where taking access away is all it needs and
// nothing secret could have leaked (a directory others can list, the log
// file), it fixes the mode and warns instead.
func CheckPermissions(dir string, logger *slog.Logger) error {
	for _, d := range []string{dir, filepath.Join(dir, raftDir), filepath.Join(dir, keysDir), filepath.Join(dir, rootKeyDir)} {
		info, err := os.Stat(d)
		if errors.Is(err, fs.ErrNotExist) && d != dir {
			continue
		}
		if err != nil {
			return fmt.Errorf("%w: cannot read %s: %v", ErrUnusable, d, err)
		}
		if !info.IsDir() {
			return fmt.Errorf("%w: %s is not a directory; check the --data path", ErrUnusable, d)
		}
		perm := info.Mode().Perm()
		if perm&0o022 != 0 {
			return fmt.Errorf("%w: %s is writable by group or others (mode %#o), so anyone could have replaced the register's files in it. Check what is in it, then run `chmod 700 %s`", ErrInsecurePermissions, d, perm, d)
		}
		if perm&0o077 != 0 {
			if err := os.Chmod(d, 0o700); err != nil {
				return fmt.Errorf("%w: %s can be read by group or others (mode %#o); run `chmod 700 %s`: %v", ErrInsecurePermissions, d, perm, d, err)
			}
			logger.Warn("the data directory could be listed by group or others; restricted it to its owner", "path", d, "was", fmt.Sprintf("%#o", perm), "now", "0700")
		}
	}
	db := filepath.Join(dir, raftDir, raftDBFile)
	if info, err := os.Stat(db); err == nil && info.Mode().Perm()&0o077 != 0 {
		// It sits in a directory only the owner can enter, so nobody could
		// have read it through this mode; tightening it is safe.
		if err := os.Chmod(db, 0o600); err != nil {
			return fmt.Errorf("%w: %s can be read by group or others; run `chmod 600 %s`: %v", ErrInsecurePermissions, db, db, err)
		}
		logger.Warn("the register's log could be read by group or others; restricted it to its owner", "path", db, "was", fmt.Sprintf("%#o", info.Mode().Perm()))
	}
	secrets := []string{filepath.Join(dir, adminTokenFile)}
	for _, kd := range []string{keysDir, rootKeyDir} {
		entries, err := os.ReadDir(filepath.Join(dir, kd))
		if err != nil {
			continue
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".jwk") {
				secrets = append(secrets, filepath.Join(dir, kd, e.Name()))
			}
		}
	}
	for _, f := range secrets {
		info, err := os.Lstat(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%w: cannot read %s: %v", ErrUnusable, f, err)
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%w: %s is not a regular file (a link or device could point anywhere); replace it with the file itself", ErrInsecurePermissions, f)
		}
		// A secret others could read may already be copied: a quiet fix
		// would hide that. The operator fixes the mode and decides whether
		// to revoke the token or rotate the key.
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			return fmt.Errorf("%w: %s can be read or changed by group or others (mode %#o). Run `chmod 600 %s`; if anyone else may have read it, %s", ErrInsecurePermissions, f, perm, f, exposedAdvice(f))
		}
	}
	return nil
}

func exposedAdvice(path string) string {
	if filepath.Base(path) == adminTokenFile {
		return "revoke that token with `linkpass token revoke ID` and make a new one"
	}
	return "rotate the signing key with `linkpass keys rotate` and retire this one"
}

// ErrInsecurePermissions means a file or directory of the register is open
// to other users; the message gives the command that fixes it.
var ErrInsecurePermissions = fmt.Errorf("%w: unsafe permissions", ErrUnusable)

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // unrecoverable: no safe fallback
	}
	return hex.EncodeToString(b)
}
