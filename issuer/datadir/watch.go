package datadir

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/nalw/linkpass/issuer/register"
)

// minFree is the free space below which a failed write is taken for a full
// disk: a write can fail short of the last byte (block and metadata
// reservations), so "no bytes left" is too strict a test.
const minFree = 1 << 20

// Watch notices when the data directory stops being usable under a running
// register: deleted, renamed or replaced (the log then lives on in an
// unlinked file, and every acknowledged change would be lost), made
// unwritable, or its disk full. While it is, Check refuses changes with a
// message that says nothing was changed; it logs once when the register
// stops taking changes and once when it takes them again. A full disk, or a directory put back where it was, clears by
// itself; a different directory at the path never does.
type Watch struct {
	dir    string
	logger *slog.Logger
	dev    uint64
	ino    uint64

	mu    sync.Mutex
	fault error
	// gen counts conditions set, so that a look begun before one was set
	// never clears it.
	gen uint64
}

// NewWatch records the identity (device and inode) of dir.
func NewWatch(dir string, logger *slog.Logger) (*Watch, error) {
	dev, ino, err := identity(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnusable, err)
	}
	return &Watch{dir: dir, logger: logger, dev: dev, ino: ino}, nil
}

func identity(dir string) (dev, ino uint64, err error) {
	info, err := os.Stat(dir)
	if err != nil {
		return 0, 0, err
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, errors.New("no inode information on this system")
	}
	return uint64(st.Dev), st.Ino, nil
}

// Check returns why changes must not be taken now, or nil. It costs two
// stat calls, so it runs before every change.
func (w *Watch) Check() error {
	w.mu.Lock()
	f := w.fault
	w.mu.Unlock()
	if f != nil {
		return f
	}
	if err := w.where(); err != nil {
		w.set(err)
		return err
	}
	return nil
}

// Fault returns the condition in force, without looking again.
func (w *Watch) Fault() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fault
}

// where checks that the directory and its marker are still the ones the
// register opened.
func (w *Watch) where() error {
	dev, ino, err := identity(w.dir)
	if err == nil && (dev != w.dev || ino != w.ino) {
		err = errors.New("another directory is now at that path")
	}
	if err == nil {
		_, err = os.Stat(filepath.Join(w.dir, markerFile))
	}
	if err != nil {
		return fmt.Errorf("%w: the data directory %s has gone (%v): nothing was changed. Put it back where it was, or restart linkpass on the right --data directory", register.ErrUnavailable, w.dir, err)
	}
	return nil
}

// Failed classifies a failed write: a full disk or an unwritable directory
// becomes the condition in force and is returned; anything else gives nil.
func (w *Watch) Failed(err error) error {
	if err == nil {
		return nil
	}
	if f := w.Check(); f != nil {
		return f
	}
	if f := w.probe(err); f != nil {
		w.set(f)
		return f
	}
	return nil
}

// probe writes a small file the way the log does, and checks the free
// space; cause is the write failure that prompted it, if any.
func (w *Watch) probe(cause error) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(w.dir, &st); err == nil && uint64(st.Bavail)*uint64(st.Bsize) < minFree {
		return w.diskFull()
	}
	if cause != nil && errors.Is(cause, syscall.ENOSPC) {
		return w.diskFull()
	}
	f, err := os.CreateTemp(w.dir, ".probe-*")
	if err == nil {
		_, err = f.Write(make([]byte, 4096))
		if err == nil {
			err = f.Sync()
		}
		f.Close()
		os.Remove(f.Name())
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return w.diskFull()
	default:
		return fmt.Errorf("%w: the data directory %s cannot be written (%v): nothing was changed. Make it writable by the user running linkpass", register.ErrUnavailable, w.dir, err)
	}
}

func (w *Watch) diskFull() error {
	return fmt.Errorf("%w: nothing was changed. The register takes changes again by itself once an operator frees space on its disk", register.ErrDiskFull)
}

// set makes f the condition in force, logging it if it is new.
func (w *Watch) set(f error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fault == nil {
		w.logger.Error("the register stopped taking changes", "data", w.dir, "reason", f.Error())
	}
	w.fault = f
	w.gen++
}

// Run looks again every interval until ctx ends: it notices a directory
// gone or unwritable even while no change is asked for, and clears a
// condition once it has passed.
func (w *Watch) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.mu.Lock()
		gen := w.gen
		w.mu.Unlock()
		f := w.where()
		if f == nil {
			f = w.probe(nil)
		}
		if f != nil {
			w.set(f)
			continue
		}
		w.mu.Lock()
		if w.fault != nil && w.gen == gen {
			w.logger.Info("the register takes changes again", "data", w.dir)
			w.fault = nil
		}
		w.mu.Unlock()
	}
}
