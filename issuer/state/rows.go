package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/tidwall/btree"
)

// The two bulk tables, registrants and credentials, are not go-memdb
// tables. Each row is kept as one compact binary string (rowEncoder), in
// copy-on-write B-trees (tidwall/btree) whose items are those strings: an
// index item is the row itself, ordered by the fields it indexes, so an
// index costs 16 bytes an item and nothing else. Readers get a fresh
// decoded value each time, sharing the row's bytes for its strings.
//
// The trees of one moment are one row of the memdb table "rows", written
// in the same memdb transaction as everything else a change writes: a read
// transaction, a snapshot and a watch see the bulk tables and the memdb
// tables at the same log index, and a refused change, whose transaction
// is aborted, leaves the trees it copied behind unpublished.

// tableRows holds the bulk tables' trees, one row per table.
const tableRows = "rows"

func rowsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableRows,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: stringKey[bulkRow]{"Table", func(b *bulkRow) string { return b.Table }}},
		},
	}
}

// bulkRow is one bulk table's trees as of one commit. Published trees are
// never changed: a write transaction changes a copy (treeOptions).
type bulkRow struct {
	Table string
	regs  *regTrees
	creds *credTrees
}

// treeOptions: no locks, since published trees are only read and a
// transaction's copy has a single writer; a small degree, since every
// write copies the nodes on its path.
var treeOptions = btree.Options{NoLocks: true, Degree: 16}

func newTree[T any](less func(a, b T) bool) *btree.BTreeG[T] {
	return btree.NewBTreeGOptions(less, treeOptions)
}

// compacted returns a copy of tree whose nodes each hold an array of
// their own length. Filled in order, as a restore fills the trees, a tree
// splits each full node at its middle and the left half keeps the whole
// array, so it holds about twice the slots it uses for as long as the node
// is not written again: a third of a restored register's heap. Copying a
// node allocates only the items it holds.
func compacted[T any](tree *btree.BTreeG[T]) *btree.BTreeG[T] {
	c := tree.Copy()
	c.ScanMut(func(T) bool { return true })
	return c
}

// strtab interns the strings that repeat across rows (statuses, nations,
// qualification titles, dates, key ids), so that a row holds a small
// number for each. It only grows: a row written at any time can be read
// at any later one, and ids of a refused change are merely unused.
type strtab struct {
	mu   sync.RWMutex
	ids  map[string]uint64
	strs atomic.Pointer[[]string] // id-1 → string; 0 is the empty string
}

func newStrtab() *strtab {
	t := &strtab{ids: map[string]uint64{}}
	t.strs.Store(&[]string{})
	return t
}

// id returns s's id, adding it if new. Only the single writer calls it.
func (t *strtab) id(s string) uint64 {
	if s == "" {
		return 0
	}
	t.mu.RLock()
	id, ok := t.ids[s]
	t.mu.RUnlock()
	if ok {
		return id
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, ok := t.ids[s]; ok {
		return id
	}
	// Readers hold older slice headers over the same array: they read
	// only below their length, the writer appends above it.
	strs := append(*t.strs.Load(), s)
	t.strs.Store(&strs)
	id = uint64(len(strs))
	t.ids[s] = id
	return id
}

// lookup returns s's id without adding it.
func (t *strtab) lookup(s string) (uint64, bool) {
	if s == "" {
		return 0, true
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	id, ok := t.ids[s]
	return id, ok
}

func (t *strtab) table() []string { return *t.strs.Load() }

// restore appends strings read back from a snapshot, which gives them in
// id order, so that its rows read as they did. Only a restore calls it,
// on a new table; a string the snapshot repeats keeps its first id.
func (t *strtab) restore(strs []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	all := append(*t.strs.Load(), strs...)
	for i := len(all) - len(strs); i < len(all); i++ {
		if _, ok := t.ids[all[i]]; !ok && all[i] != "" {
			t.ids[all[i]] = uint64(i + 1)
		}
	}
	t.strs.Store(&all)
}

// rowEncoder appends fields to a row. With a string table, sym fields are
// interned; without one (snapshots), they are written out in full.
type rowEncoder struct {
	b    []byte
	strs *strtab
}

func (e *rowEncoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *rowEncoder) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }

func (e *rowEncoder) str(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *rowEncoder) sym(s string) {
	if e.strs == nil {
		e.str(s)
		return
	}
	e.uint(e.strs.id(s))
}

// float writes the bits byte-reversed, so that round numbers (hours such
// as 21 or 10.5, whose low mantissa bytes are zero) take a byte or two.
func (e *rowEncoder) float(f float64) { e.uint(bits.ReverseBytes64(math.Float64bits(f))) }

// time keeps the instant and whether it was UTC or at a fixed offset; a
// zero time stays zero.
func (e *rowEncoder) time(t time.Time) {
	if t.IsZero() {
		e.uint(0)
		return
	}
	if _, off := t.Zone(); t.Location() == time.UTC {
		e.uint(1)
	} else {
		e.uint(2)
		e.int(int64(off))
	}
	e.int(t.Unix())
	e.uint(uint64(t.Nanosecond()))
}

// count writes a slice's length, keeping nil apart from empty (they
// differ in JSON, and so in snapshots and the API).
func (e *rowEncoder) count(n int, isNil bool) {
	if isNil {
		e.uint(0)
		return
	}
	e.uint(uint64(n) + 1)
}

func (e *rowEncoder) row() string { return string(e.b) }

// errBadRow means a row could not be decoded: a bug in the store, or a
// corrupt snapshot.
var errBadRow = errors.New("malformed row")

// rowDecoder reads fields from a row. Strings it returns share the row's
// bytes, so a decoded value costs little more than its struct.
type rowDecoder struct {
	s    string
	i    int
	strs []string // nil: sym fields are written out in full
	err  error
}

func (d *rowDecoder) fail() {
	if d.err == nil {
		d.err = fmt.Errorf("%w at byte %d", errBadRow, d.i)
	}
}

func (d *rowDecoder) uint() uint64 {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if d.i >= len(d.s) {
			break
		}
		c := d.s[d.i]
		d.i++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
	d.fail()
	return 0
}

func (d *rowDecoder) int() int64 {
	u := d.uint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *rowDecoder) str() string {
	n := d.uint()
	if n > uint64(len(d.s)-d.i) {
		d.fail()
		return ""
	}
	s := d.s[d.i : d.i+int(n)]
	d.i += int(n)
	return s
}

func (d *rowDecoder) sym() string {
	if d.strs == nil {
		return d.str()
	}
	id := d.uint()
	if id == 0 {
		return ""
	}
	if id > uint64(len(d.strs)) {
		d.fail()
		return ""
	}
	return d.strs[id-1]
}

func (d *rowDecoder) float() float64 { return math.Float64frombits(bits.ReverseBytes64(d.uint())) }

func (d *rowDecoder) time() time.Time {
	var loc *time.Location
	switch d.uint() {
	case 0:
		return time.Time{}
	case 1:
		loc = time.UTC
	case 2:
		loc = time.FixedZone("", int(d.int()))
	default:
		d.fail()
		return time.Time{}
	}
	sec := d.int()
	nsec := d.uint()
	if nsec >= 1e9 {
		d.fail()
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).In(loc)
}

// count reads a slice's length: -1 for nil. A length the rest of the row
// could not hold is malformed.
func (d *rowDecoder) count() int {
	n := d.uint()
	if n == 0 {
		return -1
	}
	if n-1 > uint64(len(d.s)-d.i) {
		d.fail()
		return -1
	}
	return int(n - 1)
}

// done reports the first error, or trailing bytes.
func (d *rowDecoder) done() error {
	if d.err == nil && d.i != len(d.s) {
		d.err = fmt.Errorf("%w: %d bytes past its end", errBadRow, len(d.s)-d.i)
	}
	return d.err
}

// ascendWhile decodes the rows of tree from probe on, for as long as in
// holds.
func ascendWhile[T any](tree *btree.BTreeG[string], probe string, in func(row string) bool, decode func(string) (T, error)) ([]T, error) {
	var out []T
	var err error
	tree.Ascend(probe, func(row string) bool {
		if !in(row) {
			return false
		}
		var v T
		if v, err = decode(row); err == nil {
			out = append(out, v)
		}
		return err == nil
	})
	return out, err
}

// Key extraction for the trees' orderings: fields read off the front of a
// row without decoding the rest.

// field returns the length-prefixed string at row[i:] and the offset past
// it. Rows are the store's own, so it trusts them.
func field(row string, i int) (string, int) {
	n, w := uvarintAt(row, i)
	i += w
	return row[i : i+int(n)], i + int(n)
}

func uvarintAt(s string, i int) (uint64, int) {
	var v uint64
	for w, shift := 0, uint(0); i+w < len(s); w, shift = w+1, shift+7 {
		c := s[i+w]
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, w + 1
		}
	}
	return v, len(s) - i
}
