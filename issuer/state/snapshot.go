package state

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/nameindex"
	"github.com/nalw/linkpass/staff"
)

// snapshotMagic opens every snapshot, so that a restore of something else
// fails loudly instead of yielding an empty register.
const snapshotMagic = "linkpass-state-v1\n"

// maxRecord bounds one snapshot record: no stored object comes near it.
const maxRecord = 16 << 20

// A record type per table. The numbers are part of the snapshot format.
var recordTables = []recordTable{
	{1, tableSettings, func() any { return new(register.Settings) }},
	{2, tableMeta, func() any { return new(meta) }},
	{3, tableTokens, func() any { return new(register.Token) }},
	{4, tableKeys, func() any { return new(register.SigningKey) }},
	{5, tableRegistrants, func() any { return new(register.Registrant) }},
	{6, tableAudit, func() any { return new(restoredEvent) }},
	{recordAuditDict, tableAudit, func() any { return new(auditDictRecord) }},
	{recordAuditBlock, tableAudit, func() any { return new(auditBlockRecord) }},
	{7, tableStatusLists, func() any { return new(register.StatusList) }},
	{8, tableCredentials, func() any { return new(register.IssuedCredential) }},
	{9, tableStaff, func() any { return new(staff.Account) }},
	{90, tableOffers, func() any { return new(register.Offer) }},
	{91, tableGrants, func() any { return new(register.Grant) }},
	{92, tableMessages, func() any { return new(register.Message) }},
	{160, tableCPDAudits, func() any { return new(register.CPDAudit) }},
	{150, tableSealed, func() any { return new(SealedKey) }},
	{recordStrings, tableRegistrants, func() any { return new(stringsRecord) }},
	{recordRegRows, tableRegistrants, func() any { return new(rowsRecord) }},
	{recordRegOrder, tableRegistrants, func() any { return new(regOrderRecord) }},
	{recordCredRows, tableCredentials, func() any { return new(rowsRecord) }},
	{recordCredOrder, tableCredentials, func() any { return new(credOrderRecord) }},
	{151, tablePublished, func() any { return new(PublishedList) }},
	{100, tableProposals, func() any { return new(register.Proposal) }},
}

// recordTable is one table's record type in snapshots.
type recordTable struct {
	typ   byte
	table string
	new   func() any
}

const recordEnd = 0xff

// rowRecord opens a registrant or credential record written as its row
// (rows.go) with every string in full, rather than as JSON: restoring a
// million of them from JSON took most of a restart. JSON records, as
// snapshots before it hold, still restore; no JSON text starts with it.
const rowRecord = 0x01

// decodeRowRecord decodes a record body that starts with rowRecord.
func decodeRowRecord(table, row string) (any, error) {
	switch table {
	case tableRegistrants:
		return decodeRegistrant(row, nil)
	case tableCredentials:
		return decodeCredential(row, nil)
	}
	return nil, fmt.Errorf("a row record in table %s, which keeps JSON", table)
}

// Snapshot is a point-in-time view of the store. Taking one is cheap (the
// radix trees are immutable); writing it out happens off the write path.
type Snapshot struct {
	tx    *memdb.Txn
	s     *Store
	audit auditView
}

// Snapshot returns a snapshot of the store as it is now. It must not run
// concurrently with a write (the FSM never does), so that the tables and
// the audit trail are of the same moment.
func (s *Store) Snapshot() *Snapshot {
	return &Snapshot{tx: s.db.Snapshot().Txn(false), s: s, audit: s.audit.view()}
}

// Persist streams the snapshot to w.
func (snap *Snapshot) Persist(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString(snapshotMagic); err != nil {
		return fmt.Errorf("state: snapshot: %w", err)
	}
	var lenBuf [binary.MaxVarintLen64 + 1]byte
	record := func(typ byte, body []byte) error {
		lenBuf[0] = typ
		n := binary.PutUvarint(lenBuf[1:], uint64(len(body)))
		if _, err := bw.Write(lenBuf[:1+n]); err != nil {
			return fmt.Errorf("state: snapshot: %w", err)
		}
		if _, err := bw.Write(body); err != nil {
			return fmt.Errorf("state: snapshot: %w", err)
		}
		return nil
	}
	for _, rt := range recordTables {
		switch rt.table {
		case tableAudit:
			// Written once, in the trail's own records (audit.go).
			if rt.typ == recordAuditBlock {
				if err := snap.audit.persist(record); err != nil {
					return err
				}
			}
			continue
		case tableRegistrants, tableCredentials:
			// Both bulk tables, once, in their own records
			// (snapshotrows.go), where registrants' rows were.
			if rt.typ == 5 {
				if err := snap.persistBulk(record); err != nil {
					return err
				}
			}
			continue
		}
		it, err := snap.tx.Get(rt.table, indexID)
		if err != nil {
			return fmt.Errorf("state: snapshot %s: %w", rt.table, err)
		}
		for obj := it.Next(); obj != nil; obj = it.Next() {
			body, err := json.Marshal(obj)
			if err != nil {
				return fmt.Errorf("state: snapshot %s: %w", rt.table, err)
			}
			if err := record(rt.typ, body); err != nil {
				return err
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

// restoreBatch is how many decoded records travel together from the
// decoding goroutine to the inserting one.
const restoreBatch = 512

// restoreGOGC is the collector's GOGC while a restore runs (Restore).
const restoreGOGC = 50

type decoded struct {
	table string
	obj   any
}

// Restore builds a new store from a snapshot written by Persist, in one
// transaction. It fails, leaving nothing half-built, if the snapshot is
// truncated or malformed.
//
// Restore is most of a restart, so it decodes on one goroutine while
// another inserts. It runs the collector at GOGC 50 rather than 100: what
// it builds is all live and what it throws away (records as read, the
// name index's outgrown arrays) dies young, so a tight goal keeps the
// peak close to the restored heap. Restoring the full-shape register of
// 1,000,000 peaked at 1.30–1.37 GB (1.51–1.54 at GOGC 100, 2.50 at the
// 800 used before, meant to save collections) for the same CPU within
// noise, 9–10 s in process (BenchmarkMemoryAfterRestore).
func Restore(r io.Reader) (*Store, error) {
	s, err := New()
	if err != nil {
		return nil, err
	}
	defer debug.SetGCPercent(debug.SetGCPercent(restoreGOGC))

	batches := make(chan []decoded, 8)
	done := make(chan struct{})
	decodeErr := make(chan error, 1)
	go func() {
		defer close(batches)
		decodeErr <- decodeSnapshot(r, batches, done)
	}()
	tx := s.txn(0)
	defer tx.tx.Abort()
	bulk := newBulkRestore(s, tx)
	defer bulk.stop()
	var insertErr error
	for batch := range batches {
		if insertErr != nil {
			continue // drain so the decoder can finish
		}
		for _, d := range batch {
			var err error
			switch obj := d.obj.(type) {
			case *restoredEvent:
				s.audit.append(obj.pendingEvent)
			case *auditDictRecord:
				s.audit.restoreDict(obj)
			case *auditBlockRecord:
				err = s.audit.restoreBlock(obj)
			case *register.Registrant:
				if bulk.active() {
					err = errors.New("a registrant record among row blocks")
				} else if _, err = tx.regsW().put(obj, s.strs); err == nil {
					s.names.Put(detachedName(obj))
				}
			case *register.IssuedCredential:
				err = tx.credsW().put(obj, s.strs)
			case *stringsRecord:
				s.strs.restore(obj.strs)
			case *rowsRecord:
				err = bulk.rows(d.table, obj.rows)
			case *regOrderRecord:
				err = bulk.regOrder(&obj.orderRecord)
			case *credOrderRecord:
				err = bulk.credOrder(&obj.orderRecord)
			default:
				err = tx.tx.Insert(d.table, d.obj)
			}
			if err != nil {
				insertErr = fmt.Errorf("%w: restoring %s: %v", ErrCorruptSnapshot, d.table, err)
				close(done)
				break
			}
		}
	}
	if insertErr == nil {
		if err := bulk.finish(); err != nil {
			insertErr = fmt.Errorf("%w: %v", ErrCorruptSnapshot, err)
		}
	}
	if err := <-decodeErr; err != nil {
		return nil, err
	}
	if insertErr != nil {
		return nil, insertErr
	}
	if err := s.audit.reopen(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptSnapshot, err)
	}
	if err := tx.flush(); err != nil {
		return nil, err
	}
	tx.tx.Commit()
	return s, nil
}

// detachedName is indexName with its key copied, so that the name index
// keeps none of a decoded record's bytes alive. It keeps only the key:
// the names it folds into terms of its own.
func detachedName(r *register.Registrant) nameindex.Name {
	n := indexName(r)
	n.Key = strings.Clone(n.Key)
	return n
}

// decodeSnapshot reads records and sends them in batches until the end
// marker, or returns why it could not.
func decodeSnapshot(r io.Reader, out chan<- []decoded, done <-chan struct{}) error {
	br := bufio.NewReaderSize(r, 1<<16)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapshotMagic {
		return fmt.Errorf("%w: missing header", ErrCorruptSnapshot)
	}
	byType := map[byte]int{}
	for i, rt := range recordTables {
		byType[rt.typ] = i
	}
	batch := make([]decoded, 0, restoreBatch)
	send := func() bool {
		select {
		case out <- batch:
			batch = make([]decoded, 0, restoreBatch)
			return true
		case <-done:
			return false
		}
	}
	var body []byte
	for n := 0; ; n++ {
		typ, err := br.ReadByte()
		if err != nil {
			return fmt.Errorf("%w: record %d: %v", ErrCorruptSnapshot, n, err)
		}
		if typ == recordEnd {
			if _, err := br.ReadByte(); err != io.EOF {
				return fmt.Errorf("%w: data after the end of the snapshot", ErrCorruptSnapshot)
			}
			break
		}
		i, ok := byType[typ]
		if !ok {
			return fmt.Errorf("%w: record %d has unknown type %d", ErrCorruptSnapshot, n, typ)
		}
		size, err := binary.ReadUvarint(br)
		if err != nil || size > maxRecord {
			return fmt.Errorf("%w: record %d has a bad length", ErrCorruptSnapshot, n)
		}
		if uint64(cap(body)) < size {
			body = make([]byte, size)
		}
		body = body[:size]
		if _, err := io.ReadFull(br, body); err != nil {
			return fmt.Errorf("%w: record %d: %v", ErrCorruptSnapshot, n, err)
		}
		table := recordTables[i].table
		obj := recordTables[i].new()
		switch b, isBinary := obj.(binaryRecord); {
		case len(body) > 0 && body[0] == rowRecord && (typ == 5 || typ == 8):
			// The decoded strings share the row; body is reused.
			obj, err = decodeRowRecord(table, string(body[1:]))
		case isBinary:
			err = b.decodeRecord(body)
		default:
			err = json.Unmarshal(body, obj)
		}
		if err != nil {
			return fmt.Errorf("%w: record %d (%s): %v", ErrCorruptSnapshot, n, recordTables[i].table, err)
		}
		batch = append(batch, decoded{recordTables[i].table, obj})
		if len(batch) == restoreBatch && !send() {
			return nil
		}
	}
	if len(batch) > 0 {
		send()
	}
	return nil
}

// Index returns the last log index the snapshot includes.
func (snap *Snapshot) Index() uint64 { return getMeta(snap.tx, metaIndex+"*") }

// Settings returns the register's settings as of the snapshot.
func (snap *Snapshot) Settings() register.Settings { return settings(snap.tx) }

// Keys returns the signing key records as of the snapshot.
func (snap *Snapshot) Keys() ([]*register.SigningKey, error) { return keys(snap.tx) }
