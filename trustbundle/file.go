package trustbundle

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// ReadFile reads and parses (Parse) the bundle file at path. A bundle
// file is a trust store and the verifier's memory of the register (its
// pinned root, what it has seen retired): whoever can change or replace
// it decides what is trusted. So ReadFile refuses (ErrInsecureFile) a
// symbolic link (its target could be anyone's) or anything else that is
// not a regular file and, on systems with Unix permissions, a file that
// its group or others may write, or that sits in a folder its group or
// others may write (they could put another file in its place), unless
// the folder is sticky (like /tmp) and so lets nobody replace another's
// file.
func ReadFile(path string) (*Bundle, error) {
	lfi, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("trustbundle: %w", err)
	}
	if lfi.Mode()&os.ModeSymlink != 0 {
		return nil, fmt.Errorf("%w: %s is a symbolic link; give the path of the bundle file itself", ErrInsecureFile, path)
	}
	if !lfi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrInsecureFile, path)
	}
	if err := checkDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trustbundle: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("trustbundle: %w", err)
	}
	if !os.SameFile(lfi, fi) {
		// Swapped between the check and the open.
		return nil, fmt.Errorf("%w: %s was replaced while being read", ErrInsecureFile, path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %v; make it writable by its owner only (chmod go-w %s)", ErrInsecureFile, path, fi.Mode().Perm(), path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("trustbundle: %w", err)
	}
	return Parse(data)
}

// checkDir refuses a folder whose group or others may write to it, unless
// it is sticky.
func checkDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	di, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("trustbundle: %w", err)
	}
	if di.Mode().Perm()&0o022 != 0 && di.Mode()&os.ModeSticky == 0 {
		return fmt.Errorf("%w: the folder %s has mode %v, so others could replace the bundle in it; make it writable by its owner only (chmod go-w %s)", ErrInsecureFile, dir, di.Mode().Perm(), dir)
	}
	return nil
}

// WriteFile writes data, a bundle as fetched, to path atomically: to a
// new file in the same directory, synced, then renamed over path, so a
// reader sees the old bundle or the new one, never part of one. The file
// is readable by all and writable by its owner only (0644): a bundle
// holds nothing secret, but must not be changed by others.
func WriteFile(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("trustbundle: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("trustbundle: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("trustbundle: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("trustbundle: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("trustbundle: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("trustbundle: %w", err)
	}
	return nil
}
