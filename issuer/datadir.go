package issuer

import (
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

// openDataDir prepares dir. It creates a new register only when create is
// set: a mistyped or moved --data path must never start an empty register
// with a new signing key at the same issuer URL. It refuses a directory
// that has content but is not a linkpass data directory, or whose marker is
// unreadable, rather than start an empty register over data that may
// matter.
//
// cleared reports that an unfinished first start was cleared away.
func openDataDir(dir string, now time.Time, create bool) (m marker, fresh, cleared bool, err error) {
	if dir == "" {
		return m, false, false, fmt.Errorf("%w: no data directory given; pass --data DIR", ErrDataDir)
	}
	path := filepath.Join(dir, markerFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &m); err != nil || m.NodeID == "" {
			return m, false, false, fmt.Errorf("%w: %s is damaged (%v). It names this node in the register's log, so it cannot be made anew: put back this file from a copy of the data directory, or restore the register from a backup with `linkpass restore`", ErrDataDir, path, errOrEmpty(err))
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
			return m, false, false, fmt.Errorf("%w: %s is missing (%v) although %s exists; the register's log is gone: restore the data directory from a backup with `linkpass restore`", ErrDataDir, filepath.Join(dir, raftDir, raftDBFile), err, markerFile)
		}
		return m, false, false, nil
	case errors.Is(err, fs.ErrNotExist):
		entries, rerr := os.ReadDir(dir)
		if rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return m, false, false, fmt.Errorf("%w: cannot read %s: %v", ErrDataDir, dir, rerr)
		}
		if len(entries) > 0 {
			return m, false, false, fmt.Errorf("%w: %s is not empty and has no %s; it is not a linkpass data directory. Check the --data path, or choose an empty or new directory", ErrDataDir, dir, markerFile)
		}
		if !create {
			what := "does not exist"
			if rerr == nil {
				what = "is empty"
			}
			return m, false, false, fmt.Errorf("%w: %s %s, so it holds no register. If you meant an existing register, check the --data path. To create a new register there, run `linkpass init --data %s --issuer-url URL` (or start with `linkpass serve --init`)", ErrDataDir, dir, what, dir)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return m, false, false, fmt.Errorf("%w: cannot create %s: %v", ErrDataDir, dir, err)
		}
		// The directory will hold secrets: whatever made it (mkdir, a
		// mount), only its owner may enter it.
		if err := os.Chmod(dir, 0o700); err != nil {
			return m, false, false, fmt.Errorf("%w: cannot restrict %s to its owner: %v", ErrDataDir, dir, err)
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

// HoldsRegister reports whether dir is a linkpass data directory that has
// completed its first start.
func HoldsRegister(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, markerFile))
	if err != nil {
		return false
	}
	var m marker
	return json.Unmarshal(b, &m) == nil && !m.Initialising
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

// checkPermissions refuses a data directory that others could write to, or
// secrets (signing keys, the admin token) that others could read, and says
// the command that fixes it. Where taking access away is all it needs and
// nothing secret could have leaked (a directory others can list, the log
// file), it fixes the mode and warns instead.
func checkPermissions(dir string, logger *slog.Logger) error {
	for _, d := range []string{dir, filepath.Join(dir, raftDir), filepath.Join(dir, keysDir)} {
		info, err := os.Stat(d)
		if errors.Is(err, fs.ErrNotExist) && d != dir {
			continue
		}
		if err != nil {
			return fmt.Errorf("%w: cannot read %s: %v", ErrDataDir, d, err)
		}
		if !info.IsDir() {
			return fmt.Errorf("%w: %s is not a directory; check the --data path", ErrDataDir, d)
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
	if entries, err := os.ReadDir(filepath.Join(dir, keysDir)); err == nil {
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".jwk") {
				secrets = append(secrets, filepath.Join(dir, keysDir, e.Name()))
			}
		}
	}
	for _, f := range secrets {
		info, err := os.Lstat(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%w: cannot read %s: %v", ErrDataDir, f, err)
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
var ErrInsecurePermissions = fmt.Errorf("%w: unsafe permissions", ErrDataDir)
