package state

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/hashicorp/go-memdb"

	"github.com/nalw/linkpass/issuer/register"
)

// snapshotMagic opens every snapshot, so that a restore of something else
// fails loudly instead of yielding an empty register.
const snapshotMagic = "linkpass-state-v1\n"

// maxRecord bounds one snapshot record: no stored object comes near it.
const maxRecord = 16 << 20

// A record type per table. The numbers are part of the snapshot format.
var recordTables = []struct {
	typ   byte
	table string
	new   func() any
}{
	{1, tableSettings, func() any { return new(register.Settings) }},
	{2, tableMeta, func() any { return new(meta) }},
	{3, tableTokens, func() any { return new(register.Token) }},
	{4, tableKeys, func() any { return new(register.SigningKey) }},
	{5, tableRegistrants, func() any { return new(register.Registrant) }},
	{6, tableAudit, func() any { return new(register.AuditEvent) }},
}

const recordEnd = 0xff

// Snapshot is a point-in-time view of the store. Taking one is cheap (the
// radix trees are immutable); writing it out happens off the write path.
type Snapshot struct {
	tx *memdb.Txn
}

// Snapshot returns a snapshot of the store as it is now.
func (s *Store) Snapshot() *Snapshot { return &Snapshot{tx: s.db.Snapshot().Txn(false)} }

// Persist streams the snapshot to w.
func (snap *Snapshot) Persist(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString(snapshotMagic); err != nil {
		return fmt.Errorf("state: snapshot: %w", err)
	}
	var lenBuf [binary.MaxVarintLen64 + 1]byte
	for _, rt := range recordTables {
		it, err := snap.tx.Get(rt.table, indexID)
		if err != nil {
			return fmt.Errorf("state: snapshot %s: %w", rt.table, err)
		}
		for obj := it.Next(); obj != nil; obj = it.Next() {
			body, err := json.Marshal(obj)
			if err != nil {
				return fmt.Errorf("state: snapshot %s: %w", rt.table, err)
			}
			lenBuf[0] = rt.typ
			n := binary.PutUvarint(lenBuf[1:], uint64(len(body)))
			if _, err := bw.Write(lenBuf[:1+n]); err != nil {
				return fmt.Errorf("state: snapshot: %w", err)
			}
			if _, err := bw.Write(body); err != nil {
				return fmt.Errorf("state: snapshot: %w", err)
			}
		}
	}
	if err := bw.WriteByte(recordEnd); err != nil {
		return fmt.Errorf("state: snapshot: %w", err)
	}
	return bw.Flush()
}

// ErrCorruptSnapshot means a snapshot could not be read back whole.
var ErrCorruptSnapshot = errors.New("state: snapshot is corrupt or truncated")

// Restore builds a new store from a snapshot written by Persist, in one
// transaction. It fails, leaving nothing half-built, if the snapshot is
// truncated or malformed.
func Restore(r io.Reader) (*Store, error) {
	s, err := New()
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(r, 1<<16)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapshotMagic {
		return nil, fmt.Errorf("%w: missing header", ErrCorruptSnapshot)
	}
	byType := map[byte]int{}
	for i, rt := range recordTables {
		byType[rt.typ] = i
	}
	tx := s.db.Txn(true)
	defer tx.Abort()
	var body []byte
	for n := 0; ; n++ {
		typ, err := br.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("%w: record %d: %v", ErrCorruptSnapshot, n, err)
		}
		if typ == recordEnd {
			break
		}
		i, ok := byType[typ]
		if !ok {
			return nil, fmt.Errorf("%w: record %d has unknown type %d", ErrCorruptSnapshot, n, typ)
		}
		size, err := binary.ReadUvarint(br)
		if err != nil || size > maxRecord {
			return nil, fmt.Errorf("%w: record %d has a bad length", ErrCorruptSnapshot, n)
		}
		if uint64(cap(body)) < size {
			body = make([]byte, size)
		}
		body = body[:size]
		if _, err := io.ReadFull(br, body); err != nil {
			return nil, fmt.Errorf("%w: record %d: %v", ErrCorruptSnapshot, n, err)
		}
		obj := recordTables[i].new()
		if err := json.Unmarshal(body, obj); err != nil {
			return nil, fmt.Errorf("%w: record %d (%s): %v", ErrCorruptSnapshot, n, recordTables[i].table, err)
		}
		if err := tx.Insert(recordTables[i].table, obj); err != nil {
			return nil, fmt.Errorf("state: restore %s: %w", recordTables[i].table, err)
		}
	}
	tx.Commit()
	return s, nil
}
