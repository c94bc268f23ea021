package datadir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// snapshotMeta is what raft's file snapshot store writes to meta.json.
type snapshotMeta struct {
	ID    string
	Index uint64
	Term  uint64
	Size  int64
	CRC   []byte
}

// CheckSnapshots checks every snapshot (its meta.json, and its state.bin
// against the size and CRC that meta.json records) and that the log,
// which starts at logFirst (0 when empty), continues from a whole one.
// Raft quietly skips a snapshot it cannot read and then panics with "log
// not found" when the log does not go back far enough; this says instead
// which file is damaged. A damaged snapshot that is not needed (the log
// continues from an older whole one) is moved aside, with a warning.
func CheckSnapshots(l Layout, logFirst uint64, logger *slog.Logger) error {
	entries, err := os.ReadDir(l.Snapshots())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: cannot read %s: %v", ErrUnusable, l.Snapshots(), err)
	}
	type bad struct {
		dir, file, why string
		index          uint64
	}
	var damaged []bad
	var newest uint64
	for _, e := range entries {
		if !e.IsDir() || strings.HasSuffix(e.Name(), ".tmp") {
			continue
		}
		dir := filepath.Join(l.Snapshots(), e.Name())
		m, file, why := checkSnapshot(dir)
		if why != "" {
			damaged = append(damaged, bad{dir, file, why, m.Index})
			continue
		}
		newest = max(newest, m.Index)
	}
	// The log must carry on from the snapshot; an empty log needs one.
	if (logFirst == 0 && newest == 0) || logFirst > newest+1 {
		if len(damaged) > 0 {
			d := damaged[len(damaged)-1]
			return fmt.Errorf("%w: %s is damaged (%s). The log no longer holds what this snapshot summed up, so the register cannot be rebuilt without it: restore the register from a backup (`linkpass restore`), keeping this directory aside", ErrUnusable, d.file, d.why)
		}
		if logFirst == 0 {
			return fmt.Errorf("%w: %s holds no log and there is no snapshot in %s: restore the register from a backup (`linkpass restore`)", ErrUnusable, l.Log(), l.Snapshots())
		}
		return fmt.Errorf("%w: the snapshot that %s continues from (index %d) is missing from %s: restore the register from a backup (`linkpass restore`), keeping this directory aside", ErrUnusable, l.Log(), logFirst-1, l.Snapshots())
	}
	for _, d := range damaged {
		aside := filepath.Join(string(l), "damaged-snapshots", filepath.Base(d.dir))
		if err := os.MkdirAll(filepath.Dir(aside), 0o700); err != nil {
			return fmt.Errorf("%w: %s is damaged (%s) and cannot be moved aside: %v", ErrUnusable, d.file, d.why, err)
		}
		if err := os.Rename(d.dir, aside); err != nil {
			return fmt.Errorf("%w: %s is damaged (%s) and cannot be moved aside: %v", ErrUnusable, d.file, d.why, err)
		}
		logger.Warn("a damaged snapshot was moved aside; the register is rebuilt from an older snapshot and the log, and nothing is lost", "file", d.file, "problem", d.why, "moved_to", aside)
	}
	return nil
}

// checkSnapshot returns what is wrong with the snapshot in dir, and in
// which file.
func checkSnapshot(dir string) (m snapshotMeta, file, why string) {
	file = filepath.Join(dir, "meta.json")
	b, err := os.ReadFile(file)
	if err != nil {
		return m, file, err.Error()
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil || m.ID == "" || m.Index == 0 || len(m.CRC) != 8 {
		return m, file, "it is not a whole snapshot description"
	}
	file = filepath.Join(dir, "state.bin")
	f, err := os.Open(file)
	if err != nil {
		return m, file, err.Error()
	}
	defer f.Close()
	h := crc64.New(crc64.MakeTable(crc64.ECMA))
	n, err := io.Copy(h, f)
	if err != nil {
		return m, file, err.Error()
	}
	if n != m.Size {
		return m, file, fmt.Sprintf("it has %d bytes where meta.json says %d", n, m.Size)
	}
	if !bytes.Equal(h.Sum(nil), m.CRC) {
		return m, file, "its checksum does not match meta.json"
	}
	return m, "", ""
}
