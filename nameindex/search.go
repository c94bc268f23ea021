package nameindex

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nalw/linkpass/namefold"
)

// MaxScan bounds the candidates one search examines. A query that could
// match more (a single letter) is answered from the first MaxScan, with
// whole-word matches always among them, and its total marked as a lower
// bound: the person is asked to refine the search in any case.
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

var candPool = sync.Pool{New: func() any { s := make([]uint32, 0, 256); return &s }}

// Option changes a search.
type Option func(*options)

type options struct{ removedCutoff int32 }

// HideRemovedBefore leaves out entries removed before t, as the public
// register does once a removal has been visible for its set time.
func HideRemovedBefore(t time.Time) Option {
	return func(o *options) { o.removedCutoff = dayOf(t) }
}

// Search finds the entries whose name matches every word of q (see
// namefold.Query) and returns at most limit of them, best first.
func (ix *Index) Search(q namefold.Query, limit int, opts ...Option) Result {
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	var res Result
	if q.Empty() {
		return res
	}
	exactHash := hashKey(q.Key())

	ix.mu.RLock()
	defer ix.mu.RUnlock()

	cp := candPool.Get().(*[]uint32)
	defer candPool.Put(cp)
	cands := (*cp)[:0]
	for _, alt := range q.Alternatives() {
		var capped bool
		cands, capped = ix.candidates(alt, cands)
		res.AtLeast = res.AtLeast || capped
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)
	*cp = cands

	// Each candidate is ranked from its own term ids. A token's rank is
	// worked out once per candidate, however many alternatives share it.
	// A query of one word needs no check: its candidates are exactly its
	// matches, whole words being those on the word's own posting list.
	toks := distinctTokens(q)
	if alts := q.Alternatives(); len(alts) == 1 && len(alts[0]) == 1 {
		ix.oneWord(&res, q.Alternatives()[0][0], cands, limit, exactHash, o)
		return res
	}
	for i := range toks {
		toks[i].id, toks[i].whole = ix.termIDs[toks[i].tok]
	}
	memo := make([]int8, len(toks))
	var d *doc
	tokenRank := func(tok string) namefold.Rank {
		i := 0
		for toks[i].tok != tok {
			i++
		}
		if memo[i] >= 0 {
			return namefold.Rank(memo[i])
		}
		r := namefold.NoMatch
		for _, id := range d.terms {
			if toks[i].whole && id == toks[i].id {
				r = namefold.Word
				break
			}
			if r == namefold.NoMatch && strings.HasPrefix(ix.terms[id], tok) {
				r = namefold.Prefix
			}
		}
		memo[i] = int8(r)
		return r
	}

	// Candidates are in document order, so each rank's hits come out in
	// that order too: fill three tiers, no sort needed.
	var tiers [namefold.Exact + 1][]uint32
	for _, ord := range cands {
		d = &ix.docs[ord]
		if d.removed != 0 && d.removed < o.removedCutoff {
			continue
		}
		for i := range memo {
			memo[i] = -1
		}
		r := q.MatchWith(tokenRank)
		if r == namefold.NoMatch {
			continue
		}
		if r == namefold.Word && (d.exact[0] == exactHash || d.exact[1] == exactHash) {
			r = namefold.Exact
		}
		res.Total++
		if len(tiers[r]) < limit {
			tiers[r] = append(tiers[r], ord)
		}
	}
	ix.fill(&res, &tiers, limit)
	return res
}

// oneWord ranks the candidates of a one-word query.
func (ix *Index) oneWord(res *Result, tok string, cands []uint32, limit int, exactHash uint64, o options) {
	var whole []uint32
	if id, ok := ix.termIDs[tok]; ok {
		whole = ix.postings[id]
	}
	var tiers [namefold.Exact + 1][]uint32
	w := 0
	for _, ord := range cands {
		for w < len(whole) && whole[w] < ord {
			w++
		}
		d := &ix.docs[ord]
		if d.removed != 0 && d.removed < o.removedCutoff {
			continue
		}
		r := namefold.Prefix
		if w < len(whole) && whole[w] == ord {
			r = namefold.Word
			if d.exact[0] == exactHash || d.exact[1] == exactHash {
				r = namefold.Exact
			}
		}
		res.Total++
		if len(tiers[r]) < limit {
			tiers[r] = append(tiers[r], ord)
		}
	}
	ix.fill(res, &tiers, limit)
}

// fill takes the hits from the tiers, best first.
func (ix *Index) fill(res *Result, tiers *[namefold.Exact + 1][]uint32, limit int) {
	for r := namefold.Exact; r > namefold.NoMatch && len(res.Hits) < limit; r-- {
		for _, ord := range tiers[r] {
			if len(res.Hits) == limit {
				break
			}
			res.Hits = append(res.Hits, Hit{Key: ix.docs[ord].key, Rank: r})
		}
	}
}

type token struct {
	tok   string
	id    uint32
	whole bool // the token is itself a term, with id
}

func distinctTokens(q namefold.Query) []token {
	var out []token
	for _, alt := range q.Alternatives() {
		for _, tok := range alt {
			if !slices.ContainsFunc(out, func(t token) bool { return t.tok == tok }) {
				out = append(out, token{tok: tok})
			}
		}
	}
	return out
}

// candidates appends to dst the documents that may match every token of
// alt. It starts from the token whose terms have the fewest postings (the
// driver), then narrows those by every other token whose postings are not
// much more numerous, through a bitmap: the cost is the postings of the
// query's words, never the register's size. A token with far more postings
// (a single letter) is left to the per-candidate check. Whole-term postings
// come first, so that whole-word matches are never cut off by MaxScan.
func (ix *Index) candidates(alt []string, dst []uint32) ([]uint32, bool) {
	// Longer tokens usually have fewer postings: costing them first lets
	// the walk of a short one stop as soon as it costs too much.
	order := slices.Clone(alt)
	slices.SortFunc(order, func(a, b string) int { return len(b) - len(a) })
	costs := make([]int, len(order))
	best := -1
	for i, tok := range order {
		limit := -1
		if best >= 0 {
			limit = narrowFactor * costs[best]
		}
		ix.prefixTerms(tok, func(id uint32) bool {
			costs[i] += len(ix.postings[id])
			return limit < 0 || costs[i] <= limit
		})
		if costs[i] == 0 {
			return dst, false // this token matches nobody
		}
		if best < 0 || costs[i] < costs[best] {
			best = i
		}
	}

	start, capped, terms := len(dst), false, 0
	ix.prefixTerms(order[best], func(id uint32) bool {
		p := ix.postings[id]
		if room := max(0, MaxScan-(len(dst)-start)); len(p) > room && ix.terms[id] != order[best] {
			p, capped = p[:room], true
		}
		dst = append(dst, p...)
		terms++
		return !capped
	})
	if terms > 1 {
		slices.Sort(dst[start:])
		dst = append(dst[:start], slices.Compact(dst[start:])...)
	}
	for i, tok := range order {
		if i == best || costs[i] > narrowFactor*costs[best] || len(dst) == start {
			continue
		}
		dst = ix.narrow(dst, start, tok)
	}
	return dst, capped
}

// narrowFactor is how many times the driver's postings another token's may
// be and still be used to narrow the candidates.
const narrowFactor = 16

var bitmapPool = sync.Pool{New: func() any { return new([]uint64) }}

// narrow keeps, of dst[start:], the documents with a term starting with tok.
func (ix *Index) narrow(dst []uint32, start int, tok string) []uint32 {
	bp := bitmapPool.Get().(*[]uint64)
	defer bitmapPool.Put(bp)
	words := (len(ix.docs) + 63) / 64
	if cap(*bp) < words {
		*bp = make([]uint64, words)
	}
	bits := (*bp)[:words]
	var ids []uint32
	ix.prefixTerms(tok, func(id uint32) bool {
		ids = append(ids, id)
		for _, ord := range ix.postings[id] {
			bits[ord/64] |= 1 << (ord % 64)
		}
		return true
	})
	out := dst[:start]
	for _, ord := range dst[start:] {
		if bits[ord/64]&(1<<(ord%64)) != 0 {
			out = append(out, ord)
		}
	}
	// Clear only what was set: cheaper than the whole bitmap when the
	// register is large and the token rare.
	for _, id := range ids {
		for _, ord := range ix.postings[id] {
			bits[ord/64] = 0
		}
	}
	return out
}
