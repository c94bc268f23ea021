package state

import "math/bits"

// rowPositions maps rows, by rowID, to their positions in a snapshot's
// row blocks. A snapshot looks up every registrant three times in random
// order; at 1,000,000 a Go map spent most of the snapshot waiting on
// cache misses, two or three a look-up. This table, linearly probed and
// at most half full, takes about one, and its batches let the processor
// wait on a batch's misses at once rather than one after another.
type rowPositions struct {
	slots []rowSlot
	shift uint8
	sink  uintptr // keeps the touching loads of a batch
}

// rowSlot is empty while id is 0: no row's bytes are at address 0, since
// rows are never empty.
type rowSlot struct {
	id  uintptr
	pos uint32
}

// rowBatch is how many ids the callers gather before a look-up: enough
// misses to overlap, few enough that the slots they touch stay cached.
const rowBatch = 64

// newRowPositions returns a table for n rows.
func newRowPositions(n int) *rowPositions {
	b := bits.Len(uint(2*n) | 15) // at least 16 slots, at most half full
	return &rowPositions{slots: make([]rowSlot, 1<<b), shift: uint8(64 - b)}
}

// reuse returns t emptied for n rows if it has the slots, or a new table:
// a snapshot's second table would be another 32 MB of garbage at a
// million credentials.
func (t *rowPositions) reuse(n int) *rowPositions {
	if t == nil || len(t.slots) < 1<<bits.Len(uint(2*n)|15) {
		return newRowPositions(n)
	}
	clear(t.slots)
	return t
}

// slot is where id's probe starts: Fibonacci hashing spreads addresses,
// whose low bits are aligned and high bits shared.
func (t *rowPositions) slot(id uintptr) uint64 {
	return (uint64(id) * 0x9e3779b97f4a7c15) >> t.shift
}

// touch loads each id's first slot, independent loads whose misses the
// processor overlaps, so that the probes after it hit the cache.
func (t *rowPositions) touch(ids []uintptr) {
	var x uintptr
	for _, id := range ids {
		x += t.slots[t.slot(id)].id
	}
	t.sink += x
}

// set records ids[k] at position first+k. Over the table's life it must
// be given at most n distinct ids, none 0.
func (t *rowPositions) set(ids []uintptr, first uint32) {
	t.touch(ids)
	mask := uint64(len(t.slots) - 1)
	for k, id := range ids {
		for i := t.slot(id); ; i = (i + 1) & mask {
			if s := &t.slots[i]; s.id == 0 || s.id == id {
				*s = rowSlot{id, first + uint32(k)}
				break
			}
		}
	}
}

// get puts the position of ids[k] in pos[k], and reports whether every id
// has one.
func (t *rowPositions) get(ids []uintptr, pos []uint32) bool {
	t.touch(ids)
	mask := uint64(len(t.slots) - 1)
	for k, id := range ids {
		if id == 0 {
			return false
		}
		for i := t.slot(id); ; i = (i + 1) & mask {
			s := &t.slots[i]
			if s.id == id {
				pos[k] = s.pos
				break
			}
			if s.id == 0 {
				return false
			}
		}
	}
	return true
}
