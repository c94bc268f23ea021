package nameindex

import (
	"math/bits"
	"slices"
)

// count returns how many entries hold term id.
func (ix *Index) count(id uint32) int {
	switch v := ix.post[id]; {
	case v == 0:
		return 0
	case v&postOne != 0:
		return 1
	default:
		return len(ix.lists[v-1])
	}
}

// postings returns the sorted document numbers holding term id. A term
// held by one entry has no list of its own: its number is appended to buf,
// which is returned too.
func (ix *Index) postings(id uint32, buf []uint32) ([]uint32, []uint32) {
	switch v := ix.post[id]; {
	case v == 0:
		return nil, buf
	case v&postOne != 0:
		buf = append(buf, v&^postOne)
		return buf[len(buf)-1 : len(buf) : len(buf)], buf
	default:
		return ix.lists[v-1], buf
	}
}

// holds reports whether document ord holds term id.
func (ix *Index) holds(id, ord uint32) bool {
	switch v := ix.post[id]; {
	case v == 0:
		return false
	case v&postOne != 0:
		return v&^postOne == ord
	default:
		if b, ok := ix.dense[id]; ok {
			return testBit(b, ord)
		}
		_, found := slices.BinarySearch(ix.lists[v-1], ord)
		return found
	}
}

func (ix *Index) addPosting(id, ord uint32) {
	v := ix.post[id]
	switch {
	case v == 0:
		ix.post[id] = postOne | ord
	case v&postOne != 0:
		o := v &^ postOne
		if o == ord {
			return
		}
		l := []uint32{min(o, ord), max(o, ord)}
		if n := len(ix.free); n > 0 {
			i := ix.free[n-1]
			ix.free = ix.free[:n-1]
			ix.lists[i] = l
			ix.post[id] = i + 1
		} else {
			ix.lists = append(ix.lists, l)
			ix.post[id] = uint32(len(ix.lists))
		}
	default:
		l := insertSorted(ix.lists[v-1], ord)
		ix.lists[v-1] = l
		if b, ok := ix.dense[id]; ok {
			ix.dense[id] = setBit(b, ord)
		} else if len(l) >= denseMin && len(l)*denseRatio >= len(ix.keys) {
			var b []uint64
			for _, d := range l {
				b = setBit(b, d)
			}
			ix.dense[id] = b
		}
	}
}

func (ix *Index) removePosting(id, ord uint32) {
	v := ix.post[id]
	switch {
	case v == 0:
	case v&postOne != 0:
		if v&^postOne == ord {
			ix.post[id] = 0
		}
	default:
		l := removeSorted(ix.lists[v-1], ord)
		if b, ok := ix.dense[id]; ok && int(ord/64) < len(b) {
			b[ord/64] &^= 1 << (ord % 64)
		}
		if len(l) > 1 {
			ix.lists[v-1] = l
			return
		}
		ix.post[id] = postOne | l[0]
		ix.lists[v-1] = nil
		ix.free = append(ix.free, v-1)
		delete(ix.dense, id)
	}
}

// dropSparseBitmaps drops the bitmaps of terms the register has outgrown,
// so that a term common among the first entries does not keep a bitmap
// the size of the register.
func (ix *Index) dropSparseBitmaps() {
	for id := range ix.dense {
		if ix.count(id)*4*denseRatio < len(ix.keys) {
			delete(ix.dense, id)
		}
	}
}

// insertSorted adds v to a sorted list. New entries get the highest
// document number, so the common case is an append.
func insertSorted(list []uint32, v uint32) []uint32 {
	if n := len(list); n == 0 || list[n-1] < v {
		return append(list, v)
	}
	i, found := slices.BinarySearch(list, v)
	if found {
		return list
	}
	return slices.Insert(list, i, v)
}

func removeSorted(list []uint32, v uint32) []uint32 {
	i, found := slices.BinarySearch(list, v)
	if !found {
		return list
	}
	return slices.Delete(list, i, i+1)
}

func setBit(b []uint64, d uint32) []uint64 {
	for int(d/64) >= len(b) {
		b = append(b, 0)
	}
	b[d/64] |= 1 << (d % 64)
	return b
}

func testBit(b []uint64, d uint32) bool {
	w := int(d / 64)
	return w < len(b) && b[w]&(1<<(d%64)) != 0
}

// cursor answers, for increasing document numbers, whether a posting list
// holds each: a bit test for a dense term, a gallop forward otherwise, so
// that a pass over n candidates costs about n·log(len/n), however long the
// list.
type cursor struct {
	ids  []uint32
	bits []uint64
	i    int
}

func (ix *Index) cursor(id uint32, buf []uint32) (cursor, []uint32) {
	if b, ok := ix.dense[id]; ok {
		return cursor{bits: b}, buf
	}
	ids, buf := ix.postings(id, buf)
	return cursor{ids: ids}, buf
}

// has reports whether d is on the list; d must not be less than in the
// call before.
func (c *cursor) has(d uint32) bool {
	if c.bits != nil {
		return testBit(c.bits, d)
	}
	ids, i := c.ids, c.i
	if i >= len(ids) {
		return false
	}
	if ids[i] < d {
		step, j := 1, i+1
		for j < len(ids) && ids[j] < d {
			i, step = j, step*2
			j = i + step
		}
		lo, hi := i+1, min(j, len(ids))
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if ids[m] < d {
				lo = m + 1
			} else {
				hi = m
			}
		}
		c.i = lo
		if lo >= len(ids) {
			return false
		}
		i = lo
	}
	return ids[i] == d
}

// bitmap is a scratch set of document numbers, cleared on release.
type bitmap struct {
	w      []uint64
	lo, hi int // the words that may be set
}

func newBitmap(docs int) *bitmap {
	words := (docs + 63) / 64
	b := bitmapPool.Get().(*bitmap)
	if cap(b.w) < words {
		b.w = make([]uint64, words)
	}
	b.w, b.lo, b.hi = b.w[:words], words, 0
	return b
}

func (b *bitmap) addList(ids []uint32) {
	if len(ids) == 0 {
		return
	}
	b.lo, b.hi = min(b.lo, int(ids[0]/64)), max(b.hi, int(ids[len(ids)-1]/64)+1)
	for _, d := range ids {
		b.w[d/64] |= 1 << (d % 64)
	}
}

func (b *bitmap) addBits(bits []uint64) {
	n := min(len(bits), len(b.w))
	for i, x := range bits[:n] {
		b.w[i] |= x
	}
	b.lo, b.hi = 0, max(b.hi, n)
}

// appendTo appends the set's members to dst, in order.
func (b *bitmap) appendTo(dst []uint32) []uint32 {
	for i := b.lo; i < b.hi; i++ {
		for x := b.w[i]; x != 0; x &= x - 1 {
			dst = append(dst, uint32(i*64+bits.TrailingZeros64(x)))
		}
	}
	return dst
}

func (b *bitmap) release() {
	if b.lo < b.hi {
		clear(b.w[b.lo:b.hi])
	}
	bitmapPool.Put(b)
}
