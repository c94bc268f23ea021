package nameindex

import (
	"strings"
	"unsafe"

	"github.com/nalw/linkpass/namefold"
)

// Loader adds many entries to an index quickly, for a restore that builds
// the index of a whole register: folding names was half of building it,
// and registers repeat given and family names (a million people share a
// few thousand given names), so the Loader folds each distinct name part
// once. It holds the index's write lock for its whole life, until Close.
type Loader struct {
	ix    *Index
	memo  map[string]foldedPart
	terms []namefold.Term
	keys  []byte // where Put copies keys, a block at a time
}

type foldedPart struct {
	terms []namefold.Term
	key   string
}

// maxMemo bounds the Loader's memory of foldedPart parts; beyond it, it
// starts afresh.
const maxMemo = 1 << 18

// NewLoader returns a Loader for ix, with its tables sized for n more
// entries. Nothing else may use ix until the Loader is closed.
func (ix *Index) NewLoader(n int) *Loader {
	ix.mu.Lock()
	ix.reserve(n)
	return &Loader{ix: ix, memo: make(map[string]foldedPart, 1024)}
}

// Put adds or replaces the entry with n.Key, as Index.Put does. It keeps
// none of n's strings: the key is copied, and many keys share one
// allocation.
func (l *Loader) Put(n Name) {
	g, f := l.fold(n.Given), l.fold(n.Family)
	// As AppendTerms(nil, n.Given, n.Family): the given name's terms,
	// then the family name's, a term both hold once with its least lead.
	l.terms = append(l.terms[:0], g.terms...)
	for _, t := range f.terms {
		dup := false
		for i := range l.terms[:len(g.terms)] {
			if l.terms[i].Text == t.Text {
				l.terms[i].Lead = min(l.terms[i].Lead, t.Lead)
				dup = true
				break
			}
		}
		if !dup {
			l.terms = append(l.terms, t)
		}
	}
	l.ix.put(l.key(n.Key), l.terms, exactCode(g.key, f.key), dayOf(n.Removed))
}

// keyBlock is how many bytes of keys share an allocation.
const keyBlock = 64 << 10

func (l *Loader) key(k string) string {
	if len(k) == 0 || len(k) > keyBlock/8 {
		return strings.Clone(k)
	}
	if cap(l.keys)-len(l.keys) < len(k) {
		l.keys = make([]byte, 0, keyBlock)
	}
	at := len(l.keys)
	l.keys = append(l.keys, k...)
	return unsafe.String(&l.keys[at], len(k))
}

func (l *Loader) fold(part string) foldedPart {
	if f, ok := l.memo[part]; ok {
		return f
	}
	if len(l.memo) >= maxMemo {
		clear(l.memo)
	}
	f := foldedPart{terms: namefold.AppendTerms(nil, part), key: namefold.Key(part)}
	l.memo[part] = f
	return f
}

// Close releases the index to readers and writers.
func (l *Loader) Close() {
	if l.ix != nil {
		l.ix.mu.Unlock()
		l.ix = nil
	}
}

// reserve grows the tables for n more entries at once, rather than by
// doubling as they arrive.
func (ix *Index) reserve(n int) {
	want := len(ix.keys) + n
	size := len(ix.keyTab)
	for 4*(want+1) > 3*size {
		size *= 2
	}
	if size > len(ix.keyTab) {
		ix.rehashKeys(size)
	}
	if want > len(ix.exactHeads) {
		size := len(ix.exactHeads)
		for size < want || size < 2*len(ix.exactHeads) {
			size *= 2
		}
		ix.exactHeads = make([]uint32, size)
		for ord := range ix.keys {
			ix.linkExact(uint32(ord))
		}
	}
	ix.keys = reserveSlice(ix.keys, want)
	ix.fwdOff, ix.fwdLen = reserveSlice(ix.fwdOff, want), reserveSlice(ix.fwdLen, want)
	ix.exact, ix.exactNext = reserveSlice(ix.exact, want), reserveSlice(ix.exactNext, want)
}

// reserveSlice returns s with room for want elements, growing it at least
// twofold so that reserving batch by batch stays linear.
func reserveSlice[T any](s []T, want int) []T {
	if cap(s) >= want {
		return s
	}
	return append(make([]T, 0, max(want, 2*cap(s))), s...)
}

// Reserve makes room for n more entries.
func (l *Loader) Reserve(n int) { l.ix.reserve(n) }
