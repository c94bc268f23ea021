package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"github.com/tidwall/btree"

	"github.com/nalw/linkpass/issuer/register"
)

// The bulk tables in snapshots. Restoring a million registrants one by one
// (decode each row, encode it again, fold its name twice, search each tree
// for its place) took most of a 12-second restart. So a snapshot carries
// the tables much as memory holds them:
//
//   - the string table, so that rows keep their interned form;
//   - the rows in blocks, in their first tree's order, which a restore
//     appends to that tree without searching it;
//   - each other tree's order, as positions in the first, with the hash of
//     each registrant's duplicate key, so that nothing is sorted or folded
//     again.
//
// The name index is not carried: Restore builds it on another core while
// it loads the trees (nameindex.Loader). Old snapshots, with a record per
// row (types 5 and 8), still restore the slow way.
const (
	recordStrings   = 63
	recordRegRows   = 64
	recordRegOrder  = 65
	recordCredRows  = 66
	recordCredOrder = 67

	// rowBlockSize and orderChunk bound the records: small enough to
	// stream, large enough that framing costs nothing.
	rowBlockSize = 64 << 10
	orderChunk   = 1 << 16

	// Orders, the first byte of an order record.
	orderRegByRef   = 1
	orderRegByDup   = 2
	orderCredByReg  = 1
	orderCredBySlot = 2
)

// rowID identifies a row for the length of a snapshot: every tree of a
// table holds the same string for a row, so the address of its bytes.
func rowID(row string) uintptr { return uintptr(unsafe.Pointer(unsafe.StringData(row))) }

// persistStrings writes the string table in records of about
// rowBlockSize: each a count, then that many strings.
func persistStrings(strs []string, record func(byte, []byte) error) error {
	var part []byte
	for i := 0; i < len(strs); {
		part = part[:0]
		j := i
		for ; j < len(strs) && len(part) < rowBlockSize; j++ {
			part = appendString(part, strs[j])
		}
		if err := record(recordStrings, append(binary.AppendUvarint(nil, uint64(j-i)), part...)); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// persistRows writes a tree's rows (each item's, by rowOf) in blocks and
// returns each row's position, in pos if it is large enough.
func persistRows[T any](tree *btree.BTreeG[T], rowOf func(T) string, typ byte, record func(byte, []byte) error, pos *rowPositions) (*rowPositions, error) {
	pos = pos.reuse(tree.Len())
	var body, block []byte
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		body = append(binary.AppendUvarint(body[:0], uint64(n)), block...)
		block, n = block[:0], 0
		return record(typ, body)
	}
	var err error
	ids := make([]uintptr, 0, rowBatch)
	i := uint32(0)
	tree.Scan(func(it T) bool {
		row := rowOf(it)
		if ids = append(ids, rowID(row)); len(ids) == rowBatch {
			pos.set(ids, i)
			i, ids = i+rowBatch, ids[:0]
		}
		block = appendString(block, row)
		n++
		if len(block) >= rowBlockSize {
			err = flush()
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	pos.set(ids, i)
	return pos, flush()
}

// persistOrder writes one tree's order as positions (and, if hashed, each
// item's hash) in records of at most orderChunk items.
func persistOrder(typ, order byte, scan func(fn func(row string, h uint64) bool), pos *rowPositions, hashed bool, record func(byte, []byte) error) error {
	var items, body []byte
	n := 0
	flush := func() error {
		// record copies body out, so the next record reuses it.
		body = append(binary.AppendUvarint(append(body[:0], order), uint64(n)), items...)
		items, n = items[:0], 0
		return record(typ, body)
	}
	// Rows are looked up a batch at a time (rowPositions), and written
	// out with their hashes after.
	ids, hs := make([]uintptr, 0, rowBatch), make([]uint64, 0, rowBatch)
	var ps [rowBatch]uint32
	var err error
	emit := func() {
		if !pos.get(ids, ps[:len(ids)]) {
			err = fmt.Errorf("state: snapshot: a row of a secondary tree is not in its table")
			return
		}
		for k := range ids {
			items = binary.AppendUvarint(items, uint64(ps[k]))
			if hashed {
				items = binary.LittleEndian.AppendUint64(items, hs[k])
			}
			if n++; n == orderChunk {
				if err = flush(); err != nil {
					return
				}
			}
		}
		ids, hs = ids[:0], hs[:0]
	}
	scan(func(row string, h uint64) bool {
		ids, hs = append(ids, rowID(row)), append(hs, h)
		if len(ids) == rowBatch {
			emit()
		}
		return err == nil
	})
	if err == nil {
		emit()
	}
	if err != nil {
		return err
	}
	if n > 0 {
		return flush()
	}
	return nil
}

// persistBulk writes the string table and both bulk tables.
func (snap *Snapshot) persistBulk(record func(byte, []byte) error) error {
	if err := persistStrings(snap.s.strs.table(), record); err != nil {
		return err
	}
	regs := bulkOf(snap.tx, tableRegistrants).regs
	pos, err := persistRows(regs.byNumber, func(it numItem) string { return it.row }, recordRegRows, record, nil)
	if err != nil {
		return err
	}
	plain := func(t *btree.BTreeG[string]) func(func(string, uint64) bool) {
		return func(fn func(string, uint64) bool) { t.Scan(func(row string) bool { return fn(row, 0) }) }
	}
	if err := persistOrder(recordRegOrder, orderRegByRef, plain(regs.byRef), pos, false, record); err != nil {
		return err
	}
	if err := persistOrder(recordRegOrder, orderRegByDup, func(fn func(string, uint64) bool) {
		regs.byDup.Scan(func(it dupItem) bool { return fn(it.row, it.h) })
	}, pos, true, record); err != nil {
		return err
	}
	creds := bulkOf(snap.tx, tableCredentials).creds
	if pos, err = persistRows(creds.byJTI, func(row string) string { return row }, recordCredRows, record, pos); err != nil {
		return err
	}
	if err := persistOrder(recordCredOrder, orderCredByReg, plain(creds.byRegistrant), pos, false, record); err != nil {
		return err
	}
	return persistOrder(recordCredOrder, orderCredBySlot, func(fn func(string, uint64) bool) {
		creds.bySlot.Scan(func(it slotItem) bool { return fn(it.row, 0) })
	}, pos, false, record)
}

// Records read back. The decoder makes one string of each record's body,
// of which the rows and strings are parts: a block's rows share it.

// stringsRecord is part of the string table, the strings after those of
// the records before it.
type stringsRecord struct{ strs []string }

func (rec *stringsRecord) decodeRecord(body []byte) error {
	r := rowDecoder{s: string(body)}
	n := r.uint()
	if r.err == nil && n > uint64(len(body)) {
		r.fail()
	}
	for i := uint64(0); i < n && r.err == nil; i++ {
		rec.strs = append(rec.strs, r.str())
	}
	if err := r.done(); err != nil {
		return fmt.Errorf("string table: %w", err)
	}
	return nil
}

// rowsRecord is a block of rows of one table.
type rowsRecord struct{ rows []string }

func (rec *rowsRecord) decodeRecord(body []byte) error {
	r := rowDecoder{s: string(body)}
	n := r.uint()
	if r.err == nil && n > uint64(len(body)) {
		r.fail()
	}
	if r.err == nil {
		rec.rows = make([]string, 0, n)
	}
	for i := uint64(0); i < n && r.err == nil; i++ {
		row := r.str()
		if row == "" && r.err == nil {
			r.err = errors.New("an empty row")
		}
		rec.rows = append(rec.rows, row)
	}
	if err := r.done(); err != nil {
		return fmt.Errorf("row block: %w", err)
	}
	return nil
}

// orderRecord is part of one tree's order.
type orderRecord struct {
	order  byte
	pos    []uint32
	hashes []uint64
}

// decodeOrder reads an order record; hashed says whether the order is one
// whose items carry a hash.
func (rec *orderRecord) decode(body []byte, hashed func(order byte) bool) error {
	if len(body) == 0 {
		return errors.New("an empty order record")
	}
	rec.order = body[0]
	r := rowDecoder{s: string(body[1:])}
	n := r.uint()
	if r.err == nil && n > uint64(len(body)) {
		r.fail()
	}
	withHash := hashed(rec.order)
	for i := uint64(0); i < n && r.err == nil; i++ {
		p := r.uint()
		if p > 1<<32-1 {
			r.fail()
		}
		rec.pos = append(rec.pos, uint32(p))
		if withHash {
			if len(r.s)-r.i < 8 {
				r.fail()
				break
			}
			rec.hashes = append(rec.hashes, binary.LittleEndian.Uint64([]byte(r.s[r.i:r.i+8])))
			r.i += 8
		}
	}
	if err := r.done(); err != nil {
		return fmt.Errorf("tree order: %w", err)
	}
	return nil
}

type regOrderRecord struct{ orderRecord }

func (rec *regOrderRecord) decodeRecord(body []byte) error {
	return rec.decode(body, func(o byte) bool { return o == orderRegByDup })
}

type credOrderRecord struct{ orderRecord }

func (rec *credOrderRecord) decodeRecord(body []byte) error {
	return rec.decode(body, func(byte) bool { return false })
}

// bulkRestore places a snapshot's bulk tables (snapshotrows.go above)
// into a restore's trees. The restoring goroutine appends rows to the
// trees; another decodes every row in full, to find a damaged one now and
// not when it is read, and builds the name index.
type bulkRestore struct {
	s        *Store
	tx       *Txn
	regRows  []string
	credRows []string
	placed   map[[2]byte][]uint64 // per table and order: a bit per row
	slotKeys []uint64             // credRows' slotKeys, as far as read

	work    chan checkBatch
	checked chan checkResult
	names   chan []string // registrants' rows, for the name index
	indexed chan struct{} // closed once the name index is built
	once    sync.Once
	result  checkResult
}

type checkBatch struct {
	registrants bool
	rows        []string
}

// checkResult is what the checking goroutine found.
type checkResult struct {
	err    error
	counts map[register.Status]int
	refs   int // registrants with an external reference
	emails int // registrants with an email, so a duplicate key
}

func newBulkRestore(s *Store, tx *Txn) *bulkRestore { return &bulkRestore{s: s, tx: tx} }

func (b *bulkRestore) start() {
	if b.work != nil {
		return
	}
	// Two goroutines beside the restoring one, as the restore has cores:
	// one decodes every row in full; the other builds the name index from
	// each registrant's name alone.
	b.work, b.checked = make(chan checkBatch, 16), make(chan checkResult, 1)
	b.names, b.indexed = make(chan []string, 16), make(chan struct{})
	loader := b.s.names.NewLoader(0)
	go func() {
		defer close(b.indexed)
		defer loader.Close()
		for rows := range b.names {
			strs := b.s.strs.table()
			loader.Reserve(len(rows))
			for _, row := range rows {
				// A row that does not decode is the checker's to report.
				if n, err := registrantName(row, strs); err == nil {
					loader.Put(n)
				}
			}
		}
	}()
	go func() {
		res := checkResult{counts: map[register.Status]int{}}
		var r register.Registrant
		for batch := range b.work {
			if res.err != nil {
				continue
			}
			strs := b.s.strs.table()
			for _, row := range batch.rows {
				var err error
				if batch.registrants {
					err = decodeRegistrantInto(&r, row, strs)
				} else {
					_, err = decodeCredential(row, strs)
				}
				if err != nil {
					res.err = err
					break
				}
				if !batch.registrants {
					continue
				}
				res.counts[r.Status]++
				if r.ExternalRef != "" {
					res.refs++
				}
				if strings.TrimSpace(r.Email) != "" { // so register.DuplicateKey is not empty
					res.emails++
				}
			}
		}
		b.checked <- res
	}()
}

// malformedRow turns a panic into an error: the trees order rows by
// fields they read without checks, so a damaged row panics there, and
// the checking goroutine says which row it was. Deferred directly.
func malformedRow(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("a malformed row (%v)", r)
	}
}

// rows appends a block of rows to the table's first tree.
func (b *bulkRestore) rows(table string, rows []string) (err error) {
	defer malformedRow(&err)
	b.start()
	switch table {
	case tableRegistrants:
		t := b.tx.regsW()
		for _, row := range rows {
			if _, dup := t.byNumber.Load(newNumItem(row)); dup {
				return fmt.Errorf("two rows for registrant %s", regNumber(row))
			}
			t.nums.set(row)
		}
		b.regRows = append(b.regRows, rows...)
	case tableCredentials:
		t := b.tx.credsW()
		for _, row := range rows {
			if _, dup := t.byJTI.Load(row); dup {
				return fmt.Errorf("two rows for credential %s", credJTI(row))
			}
		}
		b.credRows = append(b.credRows, rows...)
	default:
		return fmt.Errorf("rows of table %s", table)
	}
	b.work <- checkBatch{registrants: table == tableRegistrants, rows: rows}
	if table == tableRegistrants {
		b.names <- rows
	}
	return nil
}

func (b *bulkRestore) regOrder(rec *orderRecord) (err error) {
	defer malformedRow(&err)
	t := b.tx.regsW()
	switch rec.order {
	case orderRegByRef:
		return loadOrder(b, 0, rec, b.regRows, t.byRef, func(_ int, row string) string { return row })
	case orderRegByDup:
		return loadOrder(b, 0, rec, b.regRows, t.byDup, func(i int, row string) dupItem { return dupItem{rec.hashes[i], row} })
	}
	return fmt.Errorf("unknown order %d of registrants", rec.order)
}

func (b *bulkRestore) credOrder(rec *orderRecord) (err error) {
	defer malformedRow(&err)
	t := b.tx.credsW()
	switch rec.order {
	case orderCredByReg:
		return loadOrder(b, 1, rec, b.credRows, t.byRegistrant, func(_ int, row string) string { return row })
	case orderCredBySlot:
		// The entries' keys are read in the rows' order, where the rows
		// lie one after another in memory, not in the entries' order.
		for _, row := range b.credRows[len(b.slotKeys):] {
			b.slotKeys = append(b.slotKeys, newSlotItem(row).k)
		}
		return loadOrder(b, 1, rec, b.credRows, t.bySlot, func(i int, row string) slotItem { return slotItem{b.slotKeys[rec.pos[i]], row} })
	}
	return fmt.Errorf("unknown order %d of credentials", rec.order)
}

// stop ends the checking goroutine, if it runs, and returns what it
// found, once the name index is built.
func (b *bulkRestore) stop() checkResult {
	b.once.Do(func() {
		if b.work != nil {
			close(b.work)
			close(b.names)
			b.result = <-b.checked
			<-b.indexed
		}
	})
	return b.result
}

// finish waits for the check, and checks every tree holds every row it
// should: an order left out of the snapshot would otherwise go unseen.
func (b *bulkRestore) finish() error {
	if b.work == nil {
		return nil
	}
	res := b.stop()
	if res.err != nil {
		return res.err
	}
	regs, creds := b.tx.regsW(), b.tx.credsW()
	for st, n := range res.counts {
		regs.counts[st] += n
	}
	switch {
	case regs.byRef.Len() != res.refs:
		return fmt.Errorf("the registrants by external reference hold %d rows of %d", regs.byRef.Len(), res.refs)
	case regs.byDup.Len() != res.emails:
		return fmt.Errorf("the registrants by duplicate key hold %d rows of %d", regs.byDup.Len(), res.emails)
	case creds.byRegistrant.Len() != len(b.credRows), creds.bySlot.Len() != len(b.credRows):
		return fmt.Errorf("the credentials' trees hold %d and %d rows of %d", creds.byRegistrant.Len(), creds.bySlot.Len(), len(b.credRows))
	}
	regs.compact()
	creds.compact()
	return nil
}

// active reports whether rows have come as blocks: old records' rows may
// not then be mixed in (they would update the name index under the
// Loader).
func (b *bulkRestore) active() bool { return b.work != nil }

// loadOrder places the rows at rec's positions into tree by way of item,
// checking each is a row of the table not placed in the tree before.
func loadOrder[T any](b *bulkRestore, table byte, rec *orderRecord, rows []string, tree *btree.BTreeG[T], item func(i int, row string) T) error {
	if b.placed == nil {
		b.placed = map[[2]byte][]uint64{}
	}
	k := [2]byte{table, rec.order}
	bits := b.placed[k]
	if need := (len(rows) + 63) / 64; len(bits) < need {
		bits = append(bits, make([]uint64, need-len(bits))...)
	}
	for i, p := range rec.pos {
		if int(p) >= len(rows) {
			return fmt.Errorf("a tree's order names row %d of %d", p, len(rows))
		}
		if bits[p/64]&(1<<(p%64)) != 0 {
			return fmt.Errorf("a tree's order names row %d twice", p)
		}
		bits[p/64] |= 1 << (p % 64)
		tree.Load(item(i, rows[p]))
	}
	b.placed[k] = bits
	return nil
}
