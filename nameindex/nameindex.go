// Package nameindex is the register's search index of people's names: an
// inverted index of folded name terms (see namefold) kept up to date as
// changes are applied, so that a name search costs in proportion to the
// entries it finds, never to the size of the register.
//
// The layout is chosen for a register of a million on a modest machine:
//
//   - Terms live once, in one byte arena, found through an open-addressing
//     table of term ids; a prefix is a binary search in the term ids sorted
//     by term, kept in small buckets by their first two bytes.
//   - A term held by one entry (most family names in a large register)
//     keeps that entry's number inline, with no list at all; others keep a
//     sorted list of entry numbers, and the few very common ones (Smith,
//     John) a bitmap beside it, so intersecting two of them is a bit test.
//   - Each entry keeps the ids of its terms in one shared arena, to update
//     its postings when its name changes and to check a very short query
//     word against it without walking that word's postings.
//   - Exact full names are found through a hash of the whole name, chained
//     by entry, so finding them costs the namesakes, not the register.
//
// The index holds no names: about a hundred bytes an entry, plus each
// distinct term once.
package nameindex

import (
	"hash/maphash"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/nalw/linkpass/namefold"
)

// Index is a name index. It is safe for concurrent use: searches share a
// read lock, updates take the write lock briefly.
type Index struct {
	mu sync.RWMutex

	// Entries, by document number (the order they were first indexed).
	keys []string
	// keyTab is open addressing by hash of key: the hash's top half, then
	// document number + 1, so that a probe reads another key only when the
	// halves agree.
	keyTab []uint64
	fwdOff []uint32 // where the entry's term ids start in fwd
	fwdLen []uint16
	fwd    []uint32 // the term ids of every entry, each entry's together
	// fwdDead counts ids in fwd left behind by renames, compacted away
	// when they are half of it.
	fwdDead int
	// exact is exactCode of the entry's name; exactNext chains entries
	// whose codes share a slot of exactHeads (document number + 1).
	exact      []uint64
	exactNext  []uint32
	exactHeads []uint32
	// removedBits marks removed entries; removedDay holds their day of
	// removal (see dayOf).
	removedBits []uint64
	removedDay  map[uint32]int32

	// Terms, by term id.
	termData []byte
	termEnd  []uint32 // end of the term in termData; it starts where the one before ends
	termTab  []uint64 // open addressing by hash of term, as keyTab: hash's top half, term id + 1
	post     []uint32 // see the post* constants
	lists    [][]uint32
	free     []uint32 // unused indexes of lists
	dense    map[uint32][]uint64
	// buckets holds the ids of terms that are a word of some name, sorted
	// by term, keyed by the term's first two bytes (the second is 0 for a
	// one-byte term); isWord marks them.
	buckets map[uint16][]uint32
	isWord  []uint64
	// joins holds, by the id of a term, the ids of the terms joined from
	// it and one more word, sorted by term (see namefold.Term.Lead). A
	// query word no longer than the lead finds every holder of such a term
	// through the lead itself, so only a query word running past it
	// ("oneil" for O'Neill) needs the joined term: "evans" never walks the
	// thousand "evans…" of the double-barrelled.
	joins map[uint32][]uint32

	scratch []uint32 // Put's term ids
}

// A term's post value: 0 when nobody holds it, postOne|n when only
// document n does, otherwise 1 + its index in lists.
const postOne = 1 << 31

// Dense terms: a term held by at least denseMin entries and by one in
// denseRatio of the register gets a bitmap besides its list. (A variable,
// so that tests reach bitmaps with small registers.)
var denseMin = 1024

const denseRatio = 64

var seed = maphash.MakeSeed()

// New returns an empty index.
func New() *Index {
	return &Index{
		keyTab: make([]uint64, 16), termTab: make([]uint64, 16), exactHeads: make([]uint32, 16),
		removedDay: map[uint32]int32{}, dense: map[uint32][]uint64{}, buckets: map[uint16][]uint32{},
		joins: map[uint32][]uint32{},
	}
}

// Name is what the index keeps of one entry.
type Name struct {
	// Key identifies the entry, for the register its registration number.
	Key    string
	Given  string
	Family string
	// Removed is when the entry was removed from the register; zero means
	// it was not. See HideRemovedBefore.
	Removed time.Time
}

func dayOf(t time.Time) int32 {
	if t.IsZero() {
		return 0
	}
	return int32(t.Unix()/86400) + 1
}

// exactCode identifies a whole name, given then family with every break
// removed: a hash, with the length of the given name in the low byte so
// that a query can be tried as family then given too (see Search).
func exactCode(given, family string) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	h.WriteString(given)
	h.WriteString(family)
	return h.Sum64()&^0xff | uint64(min(len(given), 0xff))
}

// Put adds or replaces the entry with n.Key.
func (ix *Index) Put(n Name) {
	terms := namefold.AppendTerms(nil, n.Given, n.Family)
	code := exactCode(namefold.Key(n.Given), namefold.Key(n.Family))
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.put(n.Key, terms, code, dayOf(n.Removed))
}

func (ix *Index) put(key string, terms []namefold.Term, code uint64, day int32) {
	ord, fresh := ix.doc(key)
	ids := ix.scratch[:0]
	for _, t := range terms {
		id := ix.termID(t.Text)
		ids = append(ids, id)
		if t.Lead == 0 {
			ix.markWord(id, t.Text)
		} else {
			lead, _ := ix.lookup(t.Text[:t.Lead]) // a term of this name, so there already
			ix.joins[lead] = ix.insertByTerm(ix.joins[lead], id, t.Text)
		}
	}
	ix.scratch = ids
	old := ix.fwd[ix.fwdOff[ord] : ix.fwdOff[ord]+uint32(ix.fwdLen[ord])]
	if !sameSet(old, ids) {
		for _, id := range old {
			if !slices.Contains(ids, id) {
				ix.removePosting(id, ord)
			}
		}
		for _, id := range ids {
			if !slices.Contains(old, id) {
				ix.addPosting(id, ord)
			}
		}
		ix.setFwd(ord, ids)
	}
	if fresh || ix.exact[ord] != code {
		if !fresh {
			ix.unlinkExact(ord)
		}
		ix.exact[ord] = code
		ix.linkExact(ord)
	}
	if day != 0 {
		ix.removedBits[ord/64] |= 1 << (ord % 64)
		ix.removedDay[ord] = day
	} else if ix.removedBits[ord/64]&(1<<(ord%64)) != 0 {
		ix.removedBits[ord/64] &^= 1 << (ord % 64)
		delete(ix.removedDay, ord)
	}
}

func sameSet(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

// Len returns the number of entries indexed, hidden ones included.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.keys)
}

// doc returns the document number of key, adding an empty entry for a
// key not seen before.
func (ix *Index) doc(key string) (uint32, bool) {
	if 4*(len(ix.keys)+1) > 3*len(ix.keyTab) {
		ix.rehashKeys(2 * len(ix.keyTab))
	}
	h := maphash.String(seed, key)
	i := ix.keySlot(key, h)
	if v := ix.keyTab[i]; v != 0 {
		return uint32(v) - 1, false
	}
	ord := uint32(len(ix.keys))
	ix.keyTab[i] = keyEntry(h, ord)
	ix.keys = append(ix.keys, key)
	ix.fwdOff = append(ix.fwdOff, uint32(len(ix.fwd)))
	ix.fwdLen = append(ix.fwdLen, 0)
	ix.exact = append(ix.exact, 0)
	ix.exactNext = append(ix.exactNext, 0)
	if int(ord/64) >= len(ix.removedBits) {
		ix.removedBits = append(ix.removedBits, 0)
	}
	if len(ix.keys) > len(ix.exactHeads) {
		ix.rehashExact()
	}
	if len(ix.keys) >= 4096 && len(ix.keys)&(len(ix.keys)-1) == 0 {
		ix.dropSparseBitmaps()
	}
	return ord, true
}

// keySlot is the slot of keyTab holding key, whose hash is h, or the
// empty one where it would go.
func (ix *Index) keySlot(key string, h uint64) int {
	mask := len(ix.keyTab) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		if v := ix.keyTab[i]; v == 0 || (v>>32 == h>>32 && ix.keys[uint32(v)-1] == key) {
			return i
		}
	}
}

func keyEntry(h uint64, ord uint32) uint64 { return h>>32<<32 | uint64(ord+1) }

// rehashKeys rebuilds keyTab with size slots.
func (ix *Index) rehashKeys(size int) {
	ix.keyTab = make([]uint64, size)
	for ord, k := range ix.keys {
		h := maphash.String(seed, k)
		ix.keyTab[ix.keySlot(k, h)] = keyEntry(h, uint32(ord))
	}
}

// setFwd records ids as the terms of document ord.
func (ix *Index) setFwd(ord uint32, ids []uint32) {
	n := uint32(ix.fwdLen[ord])
	if len(ids) <= int(n) {
		copy(ix.fwd[ix.fwdOff[ord]:], ids)
		ix.fwdDead += int(n) - len(ids)
	} else {
		ix.fwdDead += int(n)
		ix.fwdOff[ord] = uint32(len(ix.fwd))
		ix.fwd = append(ix.fwd, ids...)
	}
	ix.fwdLen[ord] = uint16(len(ids))
	if ix.fwdDead > 1024 && 2*ix.fwdDead > len(ix.fwd) {
		fwd := make([]uint32, 0, len(ix.fwd)-ix.fwdDead)
		for d := range ix.keys {
			off := ix.fwdOff[d]
			ix.fwdOff[d] = uint32(len(fwd))
			fwd = append(fwd, ix.fwd[off:off+uint32(ix.fwdLen[d])]...)
		}
		ix.fwd, ix.fwdDead = fwd, 0
	}
}

// terms returns the term ids of document ord.
func (ix *Index) terms(ord uint32) []uint32 {
	off := ix.fwdOff[ord]
	return ix.fwd[off : off+uint32(ix.fwdLen[ord])]
}

func (ix *Index) exactSlot(code uint64) int { return int(code>>8) & (len(ix.exactHeads) - 1) }

func (ix *Index) linkExact(ord uint32) {
	s := ix.exactSlot(ix.exact[ord])
	ix.exactNext[ord] = ix.exactHeads[s]
	ix.exactHeads[s] = ord + 1
}

func (ix *Index) unlinkExact(ord uint32) {
	p := &ix.exactHeads[ix.exactSlot(ix.exact[ord])]
	for *p != 0 && *p != ord+1 {
		p = &ix.exactNext[*p-1]
	}
	if *p != 0 {
		*p = ix.exactNext[ord]
	}
}

func (ix *Index) rehashExact() {
	ix.exactHeads = make([]uint32, 2*len(ix.exactHeads))
	for ord := range ix.keys {
		if ord < len(ix.keys)-1 { // the newest has no code yet
			ix.linkExact(uint32(ord))
		}
	}
}

// term returns the text of term id.
func (ix *Index) term(id uint32) []byte {
	start := uint32(0)
	if id > 0 {
		start = ix.termEnd[id-1]
	}
	return ix.termData[start:ix.termEnd[id]]
}

func (ix *Index) termSlot(t string, h uint64) int {
	mask := len(ix.termTab) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		if v := ix.termTab[i]; v == 0 || (v>>32 == h>>32 && string(ix.term(uint32(v)-1)) == t) {
			return i
		}
	}
}

// lookup returns the id of term t, if any entry ever held it.
func (ix *Index) lookup(t string) (uint32, bool) {
	v := ix.termTab[ix.termSlot(t, maphash.String(seed, t))]
	return uint32(v) - 1, v != 0
}

// termID returns the id of term t, adding it if it is new.
func (ix *Index) termID(t string) uint32 {
	if 4*(len(ix.termEnd)+1) > 3*len(ix.termTab) {
		ix.termTab = make([]uint64, 2*len(ix.termTab))
		for id := range ix.termEnd {
			u := string(ix.term(uint32(id)))
			h := maphash.String(seed, u)
			ix.termTab[ix.termSlot(u, h)] = keyEntry(h, uint32(id))
		}
	}
	h := maphash.String(seed, t)
	i := ix.termSlot(t, h)
	if v := ix.termTab[i]; v != 0 {
		return uint32(v) - 1
	}
	id := uint32(len(ix.termEnd))
	ix.termTab[i] = keyEntry(h, id)
	ix.termData = append(ix.termData, t...)
	ix.termEnd = append(ix.termEnd, uint32(len(ix.termData)))
	ix.post = append(ix.post, 0)
	if int(id/64) >= len(ix.isWord) {
		ix.isWord = append(ix.isWord, 0)
	}
	return id
}

// markWord records that term id, t, is a word of some name.
func (ix *Index) markWord(id uint32, t string) {
	if testBit(ix.isWord, id) {
		return
	}
	ix.isWord[id/64] |= 1 << (id % 64)
	b := bucketOf(t)
	ix.buckets[b] = ix.insertByTerm(ix.buckets[b], id, t)
}

// insertByTerm adds term id, t, to a list of term ids sorted by term,
// unless it is there.
func (ix *Index) insertByTerm(list []uint32, id uint32, t string) []uint32 {
	j := sort.Search(len(list), func(j int) bool { return string(ix.term(list[j])) >= t })
	if j < len(list) && list[j] == id {
		return list
	}
	return slices.Insert(list, j, id)
}

func bucketOf(t string) uint16 {
	if len(t) == 1 {
		return uint16(t[0]) << 8
	}
	return uint16(t[0])<<8 | uint16(t[1])
}

// hasPrefix reports whether term b starts with p.
func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

// prefixTerms calls fn, until it returns false, for each term starting
// with p that a name holding it may hold no other way: each word starting
// with p, in term order, then each joined term starting with p whose lead
// is shorter than p.
func (ix *Index) prefixTerms(p string, fn func(id uint32) bool) {
	if p == "" {
		return
	}
	walk := func(list []uint32) bool {
		i := sort.Search(len(list), func(i int) bool { return string(ix.term(list[i])) >= p })
		for ; i < len(list) && hasPrefix(ix.term(list[i]), p); i++ {
			if !fn(list[i]) {
				return false
			}
		}
		return true
	}
	if len(p) >= 2 {
		if !walk(ix.buckets[bucketOf(p)]) {
			return
		}
	} else {
		for c := 0; c < 256; c++ {
			if list, ok := ix.buckets[uint16(p[0])<<8|uint16(c)]; ok && !walk(list) {
				return
			}
		}
	}
	// A joined term that is also a word came above; one led by two
	// prefixes of p comes once.
	var seen []uint32
	for i := 1; i < len(p); i++ {
		lead, ok := ix.lookup(p[:i])
		if !ok {
			continue
		}
		list := ix.joins[lead]
		j := sort.Search(len(list), func(j int) bool { return string(ix.term(list[j])) >= p })
		for ; j < len(list) && hasPrefix(ix.term(list[j]), p); j++ {
			if id := list[j]; !testBit(ix.isWord, id) && !slices.Contains(seen, id) {
				seen = append(seen, id)
				if !fn(id) {
					return
				}
			}
		}
	}
}
