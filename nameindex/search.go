package nameindex

import (
	"hash/maphash"
	mbits "math/bits"
	"slices"
	"sync"
	"time"

	"github.com/nalw/linkpass/namefold"
)

// MaxScan bounds the candidates one search examines, and the terms it
// walks for one query word. A query that could match more (a single
// letter, two very common prefixes) is answered from the first MaxScan,
// with whole-word matches always among them, and its total marked as a
// lower bound: the person is asked to refine the search in any case.
const MaxScan = 20000

// Hit is one entry found.
type Hit struct {
	Key  string
	Rank namefold.Rank
}

// Result is the answer to a search.
type Result struct {
	// Hits are the best matches, best rank first, then in the order the
	// entries were first indexed (for the register, registration order).
	Hits []Hit
	// Total counts every match, of which Hits are the first.
	Total int
	// AtLeast means the search stopped at MaxScan candidates, so Total is
	// a lower bound.
	AtLeast bool
}

// Option changes a search.
type Option func(*options)

type options struct{ removedCutoff int32 }

// HideRemovedBefore leaves out entries removed before t, as the public
// register does once a removal has been visible for its set time.
func HideRemovedBefore(t time.Time) Option {
	return func(o *options) { o.removedCutoff = dayOf(t) }
}

var (
	bitmapPool  = sync.Pool{New: func() any { return new(bitmap) }}
	scratchPool = sync.Pool{New: func() any { return new(scratch) }}
)

// scratch is one search's working memory, reused between searches.
type scratch struct {
	ids     []uint32 // term ids of the query words
	ones    []uint32 // postings of single-holder terms
	cands   []uint32
	matches []match
	merged  []match
	exact   []uint32
	toks    []word
	curs    []cursor
	filters []filter
	anded   []*word
	ands    []andResult // this search's ANDs (see scratch.and)
	sets    int         // the words' bitmaps kept (see wordSet)
	// exactMatches' rotations: codes, the heads of their chains, and the
	// code of each head.
	codes  []uint64
	heads  []uint32
	firsts []uint64
}

type match struct {
	ord  uint32
	rank namefold.Rank
}

// word is what the index has for one query word.
type word struct {
	tok string
	// whole is the term equal to the word, or -1.
	whole int64
	// terms are the ids of the terms starting with the word, whole
	// first, leaving out those whose holders all hold another of them
	// (see Index.joins); cost is their postings. When the word starts more than
	// MaxScan terms, tooMany is set and terms is incomplete.
	terms   []uint32
	cost    int
	tooMany bool
	// set is the bitmap of the word's entries, once a filter built it
	// (see wordSet).
	set *bitmap
}

// Search finds the entries whose name matches every word of q (see
// namefold.Query) and returns at most limit of them, best first.
//
// Each reading of the query (namefold.Query.Alternatives) is answered from
// its cheapest word: that word's postings are the candidates, and every
// other word is checked against each of them through a cursor on its own
// few postings, a bitmap of its many, or, for a word too short to be worth
// either, the candidate's own terms. Whole-word and exact matches are found
// the same way from the words' own terms and the hash of the whole name,
// so the cost follows the candidates, never the register's size.
func (ix *Index) Search(q namefold.Query, limit int, opts ...Option) Result {
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	var res Result
	if q.Empty() {
		return res
	}
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	s.ids, s.ones, s.matches, s.toks, s.ands, s.sets = s.ids[:0], s.ones[:0], s.matches[:0], s.toks[:0], s.ands[:0], 0
	defer s.releaseSets()

	ix.mu.RLock()
	defer ix.mu.RUnlock()

	alts := q.Alternatives()
	for _, alt := range alts {
		for _, tok := range alt {
			if !slices.ContainsFunc(s.toks, func(w word) bool { return w.tok == tok }) {
				s.toks = append(s.toks, ix.word(tok, s))
			}
		}
	}
	k := sink{exact: ix.exactMatches(q, alts, s, o.removedCutoff), limit: max(limit, 0)}
	if len(alts) == 1 {
		res.AtLeast = ix.searchAlt(alts[0], s, o.removedCutoff, &k, nil)
	} else {
		// Each reading's matches, in document order; then all readings
		// merged, the best rank of each entry kept.
		runs := make([]int, 0, len(alts)+1)
		for _, alt := range alts {
			runs = append(runs, len(s.matches))
			capped := ix.searchAlt(alt, s, o.removedCutoff, nil, &s.matches)
			res.AtLeast = res.AtLeast || capped
		}
		runs = append(runs, len(s.matches))
		s.merged = mergeRuns(s.matches, runs, s.merged[:0])
		for _, m := range s.merged {
			k.add(m.ord, m.rank)
		}
	}
	res.Total = k.total + len(k.exact)
	k.tiers[namefold.Exact] = k.exact[:min(len(k.exact), k.limit)]
	for r := namefold.Exact; r > namefold.NoMatch && len(res.Hits) < limit; r-- {
		for _, ord := range k.tiers[r] {
			if len(res.Hits) == limit {
				break
			}
			res.Hits = append(res.Hits, Hit{Key: ix.keys[ord], Rank: r})
		}
	}
	return res
}

// sink collects matches in document order: it counts them and keeps the
// first limit of each rank, leaving out the exact matches, found and
// counted apart.
type sink struct {
	exact []uint32
	e     int
	limit int
	total int
	tiers [namefold.Exact + 1][]uint32
}

func (k *sink) isExact(d uint32) bool {
	for k.e < len(k.exact) && k.exact[k.e] < d {
		k.e++
	}
	return k.e < len(k.exact) && k.exact[k.e] == d
}

func (k *sink) add(d uint32, r namefold.Rank) {
	if k.isExact(d) {
		return
	}
	k.total++
	if len(k.tiers[r]) < k.limit {
		k.tiers[r] = append(k.tiers[r], d)
	}
}

// word looks up one query word.
func (ix *Index) word(tok string, s *scratch) word {
	w := word{tok: tok, whole: -1}
	start := len(s.ids)
	if id, ok := ix.lookup(tok); ok && ix.post[id] != 0 {
		w.whole = int64(id)
		s.ids = append(s.ids, id)
		w.cost += ix.count(id)
	}
	walked := 0
	ix.prefixTerms(tok, func(id uint32) bool {
		if walked++; walked > MaxScan {
			w.tooMany = true
			return false
		}
		if int64(id) != w.whole && ix.post[id] != 0 {
			s.ids = append(s.ids, id)
			w.cost += ix.count(id)
		}
		return true
	})
	w.terms = s.ids[start:len(s.ids):len(s.ids)]
	return w
}

func (s *scratch) releaseSets() {
	for i := range s.toks {
		if w := &s.toks[i]; w.set != nil {
			w.set.release()
			w.set = nil
		}
	}
}

func (s *scratch) word(tok string) *word {
	for i := range s.toks {
		if s.toks[i].tok == tok {
			return &s.toks[i]
		}
	}
	panic("nameindex: query word not looked up: " + tok)
}

// filter checks candidates against one query word.
type filter struct {
	w     *word
	curs  []cursor // one per term, or
	set   *bitmap  // the word's postings, or neither: the candidate's terms
	own   bool     // set is the filter's own, to release
	whole cursor
}

// Most terms a word may have and still be checked through a cursor on
// each, and how many times the candidates its postings may be and still
// be gathered into a bitmap; past both, each candidate's own terms are
// checked.
const (
	maxCursors  = 8
	bitmapRatio = 32
)

// searchAlt gives the entries matching every word of alt, in document
// order, to k or else appends them to out, and reports whether it stopped
// at MaxScan.
func (ix *Index) searchAlt(alt []string, s *scratch, cutoff int32, k *sink, out *[]match) bool {
	allWhole := true
	var driver *word
	for _, tok := range alt {
		w := s.word(tok)
		if !w.tooMany && w.cost == 0 {
			return false // this word matches nobody
		}
		allWhole = allWhole && w.whole >= 0
		if driver == nil || better(w, driver) {
			driver = w
		}
	}
	// Two or more words of one common term each: their bitmaps, ANDed a
	// word at a time, give the candidates for less than walking the
	// shorter list, and count them all.
	var and [][]uint64
	for _, tok := range alt {
		w := s.word(tok)
		if len(w.terms) == 1 && !w.tooMany {
			if b, ok := ix.dense[w.terms[0]]; ok && !slices.Contains(s.anded, w) {
				and = append(and, b)
				s.anded = append(s.anded, w)
			}
		}
	}
	var cands []uint32
	capped := false
	if len(and) >= 2 && len(and)*len(ix.keys)/64 < 4*min(driver.cost, MaxScan) {
		cands, capped = s.and(and)
	} else {
		s.anded = s.anded[:0]
		cands, capped = ix.candidates(driver, s)
		if len(cands) > MaxScan && driver.whole < 0 {
			cands, capped = cands[:MaxScan], true
		}
	}

	// Every candidate holds the driver's term, or each ANDed word's one
	// term: whole when that term is the word itself.
	var wholeDriver cursor
	if allWhole && len(s.anded) == 0 {
		wholeDriver, s.ones = ix.cursor(uint32(driver.whole), s.ones)
	}
	andedWhole := !slices.ContainsFunc(s.anded, func(w *word) bool { return int64(w.terms[0]) != w.whole })
	s.filters = s.filters[:0]
	for _, tok := range alt {
		w := s.word(tok)
		if w == driver && len(s.anded) == 0 || slices.Contains(s.anded, w) || slices.ContainsFunc(s.filters, func(f filter) bool { return f.w == w }) {
			continue
		}
		f := filter{w: w}
		switch {
		case w.tooMany:
		case len(w.terms) <= maxCursors:
			start := len(s.curs)
			for _, id := range w.terms {
				var c cursor
				c, s.ones = ix.cursor(id, s.ones)
				s.curs = append(s.curs, c)
			}
			f.curs = s.curs[start:len(s.curs):len(s.curs)]
		case w.cost <= bitmapRatio*len(cands):
			f.set, f.own = ix.wordSet(w, s)
		}
		if allWhole {
			f.whole, s.ones = ix.cursor(uint32(w.whole), s.ones)
		}
		s.filters = append(s.filters, f)
	}
	// Cheapest checks first.
	slices.SortFunc(s.filters, func(a, b filter) int { return a.order() - b.order() })

	hide := cutoff != 0 && len(ix.removedDay) > 0
	if len(s.filters) == 0 && k != nil && len(driver.terms) == 1 && !driver.tooMany && len(s.anded) == 0 {
		// One word with one term: every candidate matches, with one rank.
		r := namefold.Prefix
		if allWhole {
			r = namefold.Word
		}
		k.bulk(ix, cands, uint32(driver.terms[0]), r, hide, cutoff)
		return capped
	}
	for _, d := range cands {
		if hide && testBit(ix.removedBits, d) && ix.removedDay[d] < cutoff {
			continue
		}
		ok := true
		for i := range s.filters {
			if !ix.check(&s.filters[i], d) {
				// The filter that turned this one away goes first for
				// the next: words are correlated ("mac an t saoir ros":
				// each of an Mac an t-Saoir has the first four, few the
				// last), and the order of checks changes no answer.
				if i > 0 {
					s.filters[0], s.filters[i] = s.filters[i], s.filters[0]
				}
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		r := namefold.Prefix
		if allWhole && (len(s.anded) > 0 && andedWhole || len(s.anded) == 0 && wholeDriver.has(d)) {
			r = namefold.Word
			for i := range s.filters {
				if !s.filters[i].whole.has(d) {
					r = namefold.Prefix
					break
				}
			}
		}
		if k != nil {
			k.add(d, r)
		} else {
			*out = append(*out, match{d, r})
		}
	}
	for i := range s.filters {
		if s.filters[i].own {
			s.filters[i].set.release()
		}
	}
	s.curs, s.anded = s.curs[:0], s.anded[:0]
	return capped
}

// maxSets is the most bitmaps of words one search keeps for its other
// readings; past it, a reading builds its own and releases it.
const maxSets = 4

// wordSet returns a bitmap of the entries holding a term of w, and whether
// the caller owns it: the readings of one query share words ("ros" in
// "mac an t saoir ros" and "mac an tsaoir ros"), so a word's bitmap is
// built once a search, up to maxSets of them.
func (ix *Index) wordSet(w *word, s *scratch) (*bitmap, bool) {
	if w.set != nil {
		return w.set, false
	}
	set := newBitmap(len(ix.keys))
	for _, id := range w.terms {
		if b, ok := ix.dense[id]; ok {
			set.addBits(b)
		} else {
			var ids []uint32
			ids, s.ones = ix.postings(id, s.ones)
			set.addList(ids)
		}
	}
	if s.sets == maxSets {
		return set, true
	}
	s.sets++
	w.set = set
	return set, false
}

// and returns the entries in every bitmap of s.anded, and, in document
// order up to MaxScan, and whether it stopped there. The readings of one
// query often AND the same words ("mac an t saoir", "macan t saoir", ...),
// so each set of words is ANDed once a search.
func (s *scratch) and(and [][]uint64) ([]uint32, bool) {
	for i := range s.ands {
		if a := &s.ands[i]; len(a.words) == len(s.anded) && !slices.ContainsFunc(s.anded, func(w *word) bool { return !slices.Contains(a.words, w) }) {
			return a.cands, a.capped
		}
	}
	if len(s.ands) < cap(s.ands) {
		s.ands = s.ands[:len(s.ands)+1]
	} else {
		s.ands = append(s.ands, andResult{})
	}
	a := &s.ands[len(s.ands)-1]
	a.words = append(a.words[:0], s.anded...)
	cands, capped := a.cands[:0], false
	n := len(and[0])
	for _, b := range and[1:] {
		n = min(n, len(b))
	}
	if len(and) == 2 {
		b0, b1 := and[0][:n], and[1][:n]
		for i := 0; i < n && !capped; i++ {
			x := b0[i] & b1[i]
			if x == 0 {
				continue
			}
			for ; x != 0; x &= x - 1 {
				cands = append(cands, uint32(i*64+mbits.TrailingZeros64(x)))
			}
			capped = len(cands) >= MaxScan
		}
	} else {
		for i := 0; i < n && !capped; i++ {
			x := and[0][i]
			for _, b := range and[1:] {
				x &= b[i]
			}
			for ; x != 0; x &= x - 1 {
				cands = append(cands, uint32(i*64+mbits.TrailingZeros64(x)))
			}
			capped = len(cands) >= MaxScan
		}
	}
	a.cands, a.capped = cands, capped
	return cands, capped
}

// andResult is one set of words ANDed, with what and returned.
type andResult struct {
	words  []*word
	cands  []uint32
	capped bool
}

// bulk adds the postings of one term, all of rank r: it counts them
// without looking at each, but for the hidden ones, and takes only the
// first limit.
func (k *sink) bulk(ix *Index, cands []uint32, id uint32, r namefold.Rank, hide bool, cutoff int32) {
	hidden := 0
	if hide {
		if bits, ok := ix.dense[id]; ok {
			for w, x := range bits[:min(len(bits), len(ix.removedBits))] {
				for x &= ix.removedBits[w]; x != 0; x &= x - 1 {
					if ix.removedDay[uint32(w*64+mbits.TrailingZeros64(x))] < cutoff {
						hidden++
					}
				}
			}
		} else {
			for _, d := range cands {
				if testBit(ix.removedBits, d) && ix.removedDay[d] < cutoff {
					hidden++
				}
			}
		}
	}
	// Exact matches are counted apart; they are all among cands.
	k.total += len(cands) - hidden - len(k.exact)
	for _, d := range cands {
		if len(k.tiers[r]) == k.limit {
			break
		}
		if hide && testBit(ix.removedBits, d) && ix.removedDay[d] < cutoff || k.isExact(d) {
			continue
		}
		k.tiers[r] = append(k.tiers[r], d)
	}
}

// better reports whether w drives a search more cheaply than v.
func better(w, v *word) bool {
	if w.tooMany != v.tooMany {
		return !w.tooMany
	}
	if w.tooMany {
		return len(w.tok) > len(v.tok)
	}
	return w.cost < v.cost
}

func (f *filter) order() int {
	switch {
	case f.curs != nil:
		return len(f.curs)
	case f.set != nil:
		return maxCursors + 1
	}
	return maxCursors + 2
}

func (ix *Index) check(f *filter, d uint32) bool {
	switch {
	case f.curs != nil:
		for i := range f.curs {
			// A dense term's bit is tested here: has is too big to
			// inline, and most cursors of a busy query are bitmaps.
			if c := &f.curs[i]; c.bits != nil && testBit(c.bits, d) || c.bits == nil && c.has(d) {
				return true
			}
		}
		return false
	case f.set != nil:
		return f.set.w[d/64]&(1<<(d%64)) != 0
	}
	for _, id := range ix.terms(d) {
		if hasPrefix(ix.term(id), f.w.tok) {
			return true
		}
	}
	return false
}

// candidates returns the entries holding a term of w, in document order,
// and whether they are only some of them: a word starting too many terms,
// or whose postings outnumber MaxScan, gives its whole-word postings and
// then as many others as MaxScan allows.
func (ix *Index) candidates(w *word, s *scratch) ([]uint32, bool) {
	terms, capped := w.terms, w.tooMany || w.cost > MaxScan
	if capped {
		// Walk again, this time only as far as MaxScan postings.
		start, n := len(s.ids), 0
		if w.whole >= 0 {
			s.ids = append(s.ids, uint32(w.whole))
			n += ix.count(uint32(w.whole))
		}
		ix.prefixTerms(w.tok, func(id uint32) bool {
			if n >= MaxScan {
				return false
			}
			if int64(id) != w.whole && ix.post[id] != 0 {
				s.ids = append(s.ids, id)
				n += ix.count(id)
			}
			return true
		})
		terms = s.ids[start:]
	}
	if len(terms) == 1 {
		var ids []uint32
		ids, s.ones = ix.postings(terms[0], s.ones)
		return ids, capped
	}
	b := newBitmap(len(ix.keys))
	room := MaxScan
	for _, id := range terms {
		whole := int64(id) == w.whole
		if bits, ok := ix.dense[id]; ok && (whole || !capped) {
			b.addBits(bits)
			room -= ix.count(id)
			continue
		}
		var ids []uint32
		ids, s.ones = ix.postings(id, s.ones)
		if capped && !whole && len(ids) > room {
			ids = ids[:max(room, 0)]
		}
		b.addList(ids)
		room -= len(ids)
	}
	s.cands = b.appendTo(s.cands[:0])
	b.release()
	return s.cands, capped
}

// mergeRuns merges the sorted runs of ms (ms[runs[i]:runs[i+1]]) into dst,
// one match an entry, with its best rank.
func mergeRuns(ms []match, runs []int, dst []match) []match {
	heads := make([]int, len(runs)-1)
	copy(heads, runs)
	for {
		best := -1
		for i, h := range heads {
			if h < runs[i+1] && (best < 0 || ms[h].ord < ms[heads[best]].ord) {
				best = i
			}
		}
		if best < 0 {
			return dst
		}
		m := ms[heads[best]]
		for i, h := range heads {
			if h < runs[i+1] && ms[h].ord == m.ord {
				m.rank = max(m.rank, ms[h].rank)
				heads[i]++
			}
		}
		dst = append(dst, m)
	}
}

// exactMatches returns, in document order, the entries whose whole name is
// the query (given then family, or family then given, breaks ignored) and
// which match it word for word. An entry given then family is found by the
// query's own hash; family then given by the hash of the query rotated at
// the family name's length, each rotation checked against the given name's
// length kept in the code.
func (ix *Index) exactMatches(q namefold.Query, alts [][]string, s *scratch, cutoff int32) []uint32 {
	s.exact = s.exact[:0]
	if !slices.ContainsFunc(alts, func(alt []string) bool {
		return !slices.ContainsFunc(alt, func(tok string) bool { return s.word(tok).whole < 0 })
	}) {
		return s.exact
	}
	k := q.Key()
	var h maphash.Hash
	h.SetSeed(seed)
	// Every rotation's slot is read, then the first entry of every chain,
	// and only then are the chains walked: misses that need not wait for
	// one another, where a rotation at a time waited for two in turn.
	codes, heads, firsts := s.codes[:0], s.heads[:0], s.firsts[:0]
	for p := range len(k) {
		h.Reset()
		h.WriteString(k[p:])
		h.WriteString(k[:p])
		codes = append(codes, h.Sum64()&^0xff)
	}
	for _, code := range codes {
		heads = append(heads, ix.exactHeads[ix.exactSlot(code)])
	}
	for _, v := range heads {
		var c uint64
		if v != 0 {
			c = ix.exact[v-1]
		}
		firsts = append(firsts, c)
	}
	s.codes, s.heads, s.firsts = codes, heads, firsts
	for p, v := range heads {
		code, c := codes[p], firsts[p]
		for ; v != 0; v = ix.exactNext[v-1] {
			d := v - 1
			if c == 0 {
				c = ix.exact[d]
			}
			if c&^0xff != code || (p > 0 && c&0xff != 0xff && int(c&0xff) != len(k)-p) {
				c = 0
				continue
			}
			c = 0
			if cutoff != 0 && testBit(ix.removedBits, d) && ix.removedDay[d] < cutoff {
				continue
			}
			if ix.wordMatch(alts, s, d) {
				s.exact = append(s.exact, d)
			}
		}
	}
	slices.Sort(s.exact)
	s.exact = slices.Compact(s.exact)
	return s.exact
}

// wordMatch reports whether entry d holds every word of some reading of the
// query as a whole term.
func (ix *Index) wordMatch(alts [][]string, s *scratch, d uint32) bool {
	for _, alt := range alts {
		ok := true
		for _, tok := range alt {
			if w := s.word(tok); w.whole < 0 || !ix.holds(uint32(w.whole), d) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
