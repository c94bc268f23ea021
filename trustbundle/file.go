package trustbundle

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// ReadFile reads and parses (Parse) the bundle file at path. A bundle
// file is a trust store: whoever can change it decides which keys are
// trusted. So on systems with Unix permissions ReadFile refuses a file
// that is not a regular file, or that its group or others may write
// (ErrInsecureFile).
func ReadFile(path string) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trustbundle: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("trustbundle: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrInsecureFile, path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %v; make it writable by its owner only (chmod go-w)", ErrInsecureFile, path, fi.Mode().Perm())
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("trustbundle: %w", err)
	}
	return Parse(data)
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
