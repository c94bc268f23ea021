// Package schedule takes the register's backups on a timer, proves each
// one restores, keeps the newest few, and copies them off the machine.
//
// A backup counts as kept only once it has been read back from disk,
// opened with the backup key, checked member by member, restored into a
// scratch state store, and the restored state's digest matches the
// register's at the moment of the copy. One that fails any step is
// deleted, counted as a failure (the LinkpassBackupFailing alert) and
// never replaces a good one: pruning counts only verified backups.
package schedule

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nalw/linkpass/issuer/backup"
	"github.com/nalw/linkpass/issuer/datadir"
	"github.com/nalw/linkpass/issuer/state"
)

// Offsite is where verified backups are copied: an S3-compatible bucket
// (package offsite) or anything else that can store, read back and list.
type Offsite interface {
	// Put stores data under name and reads it back to compare, so that a
	// copy is known good, not just sent.
	Put(ctx context.Context, name string, data []byte) error
	// Names lists the backups stored, in any order.
	Names(ctx context.Context) ([]string, error)
	// Delete removes one.
	Delete(ctx context.Context, name string) error
	// String says where, for logs: never a secret.
	String() string
}

// Config configures a Scheduler.
type Config struct {
	// Dir is where backups are written. It is created 0700.
	Dir string
	// Every is the time between backups; the first is taken at start.
	Every time.Duration
	// Keep is how many verified backups to keep here (and off-site).
	Keep int
	// Key seals (encrypts) each backup; nil writes plain archives.
	Key *backup.Key
	// Take copies the register now.
	Take func() (*backup.Archive, error)
	// Offsite, if set, receives each verified backup.
	Offsite Offsite
	// Record is told the outcome of each backup and each off-site copy.
	Record func(Outcome)
	Logger *slog.Logger
	Clock  func() time.Time
}

// Outcome is what one scheduled run did.
type Outcome struct {
	At   time.Time
	File string // the kept file's path; empty on failure
	// Index is the log index the backup holds.
	Index uint64
	Err   error
	// Offsite is false when no off-site copy was attempted;
	// OffsiteErr is that copy's failure, if any.
	Offsite    bool
	OffsiteErr error
}

// Scheduler takes backups on a timer.
type Scheduler struct{ cfg Config }

// Prefix and the suffixes name backup files; anything else in Dir is left
// alone.
const (
	Prefix       = "linkpass-backup-"
	suffixPlain  = ".tar"
	suffixSealed = ".tar.sealed"
	partial      = ".partial"
)

// New checks cfg and returns a Scheduler.
func New(cfg Config) (*Scheduler, error) {
	switch {
	case cfg.Dir == "":
		return nil, errors.New("backups: no directory given")
	case cfg.Every < time.Minute:
		return nil, fmt.Errorf("backups: --backup-every %s is shorter than a minute", cfg.Every)
	case cfg.Keep < 1:
		return nil, fmt.Errorf("backups: --backup-keep %d: keep at least one", cfg.Keep)
	case cfg.Take == nil:
		return nil, errors.New("backups: nothing to take backups of")
	case cfg.Offsite != nil && cfg.Key == nil:
		// A bucket is someone else's disk: never give it the register's
		// private keys and personal data in clear.
		return nil, errors.New("backups: off-site copies need --backup-key-file, so that they are encrypted")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Record == nil {
		cfg.Record = func(Outcome) {}
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("backups: %w", err)
	}
	if err := os.Chmod(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("backups: %w", err)
	}
	return &Scheduler{cfg: cfg}, nil
}

// Run takes a backup now and then every cfg.Every until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Every)
	defer t.Stop()
	for {
		s.Once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once takes, verifies and keeps one backup, prunes old ones and makes the
// off-site copy. Its outcome goes to cfg.Record too.
func (s *Scheduler) Once(ctx context.Context) Outcome {
	out := Outcome{At: s.cfg.Clock().UTC()}
	out.File, out.Index, out.Err = s.take(out.At)
	log := s.cfg.Logger
	if out.Err != nil {
		log.Error("backup failed; the previous good backups are kept", "err", out.Err)
		s.cfg.Record(out)
		return out
	}
	log.Info("backup taken and verified", "file", out.File, "index", out.Index)
	if err := s.prune(); err != nil {
		log.Warn("pruning old backups", "err", err)
	}
	if s.cfg.Offsite != nil {
		out.Offsite = true
		out.OffsiteErr = s.copyOffsite(ctx, out.File)
		if out.OffsiteErr != nil {
			log.Error("off-site copy failed; it is tried again with the next backup", "to", s.cfg.Offsite.String(), "err", out.OffsiteErr)
		} else {
			log.Info("backup copied off-site", "to", s.cfg.Offsite.String(), "file", filepath.Base(out.File))
		}
	}
	s.cfg.Record(out)
	return out
}

func (s *Scheduler) take(at time.Time) (string, uint64, error) {
	arc, err := s.cfg.Take()
	if err != nil {
		return "", 0, err
	}
	var buf bytes.Buffer
	if err := backup.Write(&buf, arc); err != nil {
		return "", 0, err
	}
	data, suffix := buf.Bytes(), suffixPlain
	if s.cfg.Key != nil {
		if data, err = backup.Seal(s.cfg.Key, data); err != nil {
			return "", 0, fmt.Errorf("backup: sealing: %w", err)
		}
		suffix = suffixSealed
	}
	name := fmt.Sprintf("%s%s-i%d%s", Prefix, at.Format("20060102T150405Z"), arc.Manifest.Index, suffix)
	final := filepath.Join(s.cfg.Dir, name)
	tmp := final + partial
	if err := datadir.WriteFileAtomic(tmp, data, 0o600); err != nil {
		return "", 0, fmt.Errorf("backup: writing %s: %w", tmp, err)
	}
	if afterWrite != nil {
		afterWrite(tmp)
	}
	sum := sha256.Sum256(arc.State)
	if err := Verify(tmp, s.cfg.Key, hex.EncodeToString(sum[:])); err != nil {
		os.Remove(tmp)
		return "", 0, err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return "", 0, fmt.Errorf("backup: %w", err)
	}
	return final, arc.Manifest.Index, nil
}

// afterWrite lets tests damage a file between writing and checking.
var afterWrite func(path string)

// Verify reads a backup file back from disk, opens it with key (for a
// sealed one), checks it whole (backup.Read), restores its state into a
// scratch store and compares the restored state's digest with want (hex
// SHA-256 of the state as taken; empty skips that comparison).
func Verify(path string, key *backup.Key, want string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("backup: reading it back: %w", err)
	}
	if backup.IsSealed(data) {
		if key == nil {
			return fmt.Errorf("backup: %s is sealed; give its backup key", path)
		}
		if data, err = backup.Open(key, data); err != nil {
			return err
		}
	}
	arc, err := backup.Read(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("backup: %s does not check: %w", path, err)
	}
	scratch, err := state.Restore(bytes.NewReader(arc.State))
	if err != nil {
		return fmt.Errorf("backup: %s does not restore: %w", path, err)
	}
	var again bytes.Buffer
	if err := scratch.Snapshot().Persist(&again); err != nil {
		return fmt.Errorf("backup: %s: %w", path, err)
	}
	got := sha256.Sum256(again.Bytes())
	if want != "" && hex.EncodeToString(got[:]) != want {
		return fmt.Errorf("backup: %s restores to a state whose digest %x differs from the register's %s", path, got[:8], want[:16])
	}
	return nil
}

// kept lists verified backups in Dir, oldest first (names sort by time).
func (s *Scheduler) kept() ([]string, error) {
	entries, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if isBackupName(e.Name()) && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

func isBackupName(n string) bool {
	return strings.HasPrefix(n, Prefix) && (strings.HasSuffix(n, suffixPlain) || strings.HasSuffix(n, suffixSealed))
}

func (s *Scheduler) prune() error {
	names, err := s.kept()
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names[:max(0, len(names)-s.cfg.Keep)] {
		if err := os.Remove(filepath.Join(s.cfg.Dir, n)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// copyOffsite copies file and, once it is known good there, prunes the
// bucket to the same number of backups.
func (s *Scheduler) copyOffsite(ctx context.Context, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := s.cfg.Offsite.Put(ctx, filepath.Base(file), data); err != nil {
		return err
	}
	names, err := s.cfg.Offsite.Names(ctx)
	if err != nil {
		return fmt.Errorf("listing off-site backups to prune: %w", err)
	}
	var ours []string
	for _, n := range names {
		if isBackupName(n) {
			ours = append(ours, n)
		}
	}
	slices.Sort(ours)
	for _, n := range ours[:max(0, len(ours)-s.cfg.Keep)] {
		if err := s.cfg.Offsite.Delete(ctx, n); err != nil {
			return fmt.Errorf("pruning off-site %s: %w", n, err)
		}
	}
	return nil
}
