// Package nameindex is the register's search index of people's names: an
// inverted index of folded name terms (see namefold) kept up to date as
// changes are applied, so that a name search costs in proportion to the
// entries it finds, never to the size of the register.
//
// Each term maps to a posting list of compact document numbers; terms are
// kept sorted in small buckets keyed by their first two bytes, so a prefix
// is a binary search and a walk of just the terms that start with it. Each
// document keeps the ids of its own terms, so a candidate found through one
// word of a query is checked against the others without touching any other
// posting list. The index holds no names, only folded terms shared between
// everyone who has them, so it costs about a hundred bytes a registrant.
package nameindex

import (
	"hash/maphash"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nalw/linkpass/namefold"
)

// Index is a name index. It is safe for concurrent use: searches share a
// read lock, updates take the write lock briefly.
type Index struct {
	mu sync.RWMutex

	ords map[string]uint32 // key (registration number) → document number
	docs []doc             // by document number

	termIDs  map[string]uint32 // term → term id
	terms    []string          // by term id
	postings [][]uint32        // by term id: sorted document numbers
	// buckets holds term ids sorted by term, keyed by the term's first two
	// bytes (the second is 0 for a one-byte term).
	buckets map[uint16][]uint32
}

// doc is one indexed name.
type doc struct {
	key   string
	terms []uint32
	// exact holds hashes of the whole name, given then family and family
	// then given, with every break removed, to rank exact matches first.
	exact [2]uint64
	// removed is the day the entry was removed, as days since 1970 plus
	// one; 0 means not removed. Searches may leave out entries removed
	// before a cut-off (those the public no longer sees).
	removed int32
}

var seed = maphash.MakeSeed()

func hashKey(s string) uint64 { return maphash.String(seed, s) }

// New returns an empty index.
func New() *Index {
	return &Index{ords: map[string]uint32{}, termIDs: map[string]uint32{}, buckets: map[uint16][]uint32{}}
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

// Put adds or replaces the entry with n.Key.
func (ix *Index) Put(n Name) {
	terms := namefold.Terms(n.Given, n.Family)
	g, f := namefold.Key(n.Given), namefold.Key(n.Family)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.put(n, terms, [2]uint64{hashKey(g + f), hashKey(f + g)})
}

func (ix *Index) put(n Name, terms []string, exact [2]uint64) {
	ord, ok := ix.ords[n.Key]
	if !ok {
		ord = uint32(len(ix.docs))
		ix.ords[n.Key] = ord
		ix.docs = append(ix.docs, doc{key: n.Key})
	}
	d := &ix.docs[ord]
	ids := make([]uint32, 0, len(terms))
	for _, t := range terms {
		ids = append(ids, ix.termID(t))
	}
	for _, old := range d.terms {
		if !slices.Contains(ids, old) {
			ix.postings[old] = removeSorted(ix.postings[old], ord)
		}
	}
	for _, id := range ids {
		if !slices.Contains(d.terms, id) {
			ix.postings[id] = insertSorted(ix.postings[id], ord)
		}
	}
	d.terms, d.exact, d.removed = ids, exact, dayOf(n.Removed)
}

// Len returns the number of entries indexed, hidden ones included.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.docs)
}

func (ix *Index) termID(t string) uint32 {
	if id, ok := ix.termIDs[t]; ok {
		return id
	}
	id := uint32(len(ix.terms))
	ix.termIDs[t] = id
	ix.terms = append(ix.terms, t)
	ix.postings = append(ix.postings, nil)
	b := bucketOf(t)
	list := ix.buckets[b]
	i := sort.Search(len(list), func(i int) bool { return ix.terms[list[i]] >= t })
	ix.buckets[b] = slices.Insert(list, i, id)
	return id
}

func bucketOf(t string) uint16 {
	if len(t) == 1 {
		return uint16(t[0]) << 8
	}
	return uint16(t[0])<<8 | uint16(t[1])
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

// prefixTerms calls fn for each term id whose term starts with p, the one
// equal to p first, until fn returns false.
func (ix *Index) prefixTerms(p string, fn func(id uint32) bool) {
	if p == "" {
		return
	}
	if id, ok := ix.termIDs[p]; ok && !fn(id) {
		return
	}
	walk := func(list []uint32) bool {
		i := sort.Search(len(list), func(i int) bool { return ix.terms[list[i]] >= p })
		for ; i < len(list) && strings.HasPrefix(ix.terms[list[i]], p); i++ {
			if ix.terms[list[i]] != p && !fn(list[i]) {
				return false
			}
		}
		return true
	}
	if len(p) >= 2 {
		walk(ix.buckets[bucketOf(p)])
		return
	}
	for c := 0; c < 256; c++ {
		if list, ok := ix.buckets[uint16(p[0])<<8|uint16(c)]; ok && !walk(list) {
			return
		}
	}
}
