package nameindex

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/nalw/linkpass/namefold"
)

func keys(r Result) []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.Key)
	}
	return out
}

func search(ix *Index, q string) Result { return ix.Search(namefold.NewQuery(q), 50) }

func TestSearchRanksExactThenWordThenPrefix(t *testing.T) {
	ix := New()
	ix.Put(Name{Key: "p1", Given: "Evangeline", Family: "Smith"}) // prefix of "evan"
	ix.Put(Name{Key: "w1", Given: "Siân", Family: "Evans"})       // whole word "evans"
	ix.Put(Name{Key: "e1", Given: "Evans", Family: ""})           // exactly "evans"
	ix.Put(Name{Key: "x1", Given: "Ada", Family: "Lovelace"})
	r := search(ix, "evans")
	assert.Equal(t, []string{"e1", "w1"}, keys(r))
	assert.Equal(t, 2, r.Total)
	r = search(ix, "evan")
	assert.Equal(t, []string{"p1", "w1", "e1"}, keys(r), "all prefix matches, in index order")
	assert.Equal(t, namefold.Prefix, r.Hits[0].Rank)
	r = search(ix, "EVANS SIÂN")
	require.Len(t, r.Hits, 1)
	assert.Equal(t, namefold.Exact, r.Hits[0].Rank)
	assert.Empty(t, search(ix, "sian smith").Hits, "every word must match")
	assert.Empty(t, search(ix, "’ -").Hits)
}

func TestPutReplaces(t *testing.T) {
	ix := New()
	ix.Put(Name{Key: "LW1", Given: "Mary", Family: "Jones"})
	ix.Put(Name{Key: "LW1", Given: "Mary", Family: "Ó Néill"})
	assert.Empty(t, search(ix, "jones").Hits, "the old name no longer matches")
	assert.Equal(t, []string{"LW1"}, keys(search(ix, "mary o'neill")))
	assert.Equal(t, 1, ix.Len())
}

func TestHideRemovedBefore(t *testing.T) {
	ix := New()
	removed := time.Date(2020, 3, 1, 12, 0, 0, 0, time.UTC)
	ix.Put(Name{Key: "gone", Given: "Mary", Family: "Jones", Removed: removed})
	ix.Put(Name{Key: "here", Given: "Mary", Family: "Evans"})
	q := namefold.NewQuery("mary")
	assert.Equal(t, []string{"gone", "here"}, keys(ix.Search(q, 50)))
	assert.Equal(t, []string{"gone", "here"}, keys(ix.Search(q, 50, HideRemovedBefore(removed))), "removed that day: still shown")
	r := ix.Search(q, 50, HideRemovedBefore(removed.AddDate(0, 0, 1)))
	assert.Equal(t, []string{"here"}, keys(r))
	assert.Equal(t, 1, r.Total, "hidden entries are not counted")
}

func TestLimitAndTotal(t *testing.T) {
	ix := New()
	for i := range 120 {
		ix.Put(Name{Key: fmt.Sprint("k", i), Given: "Rhys", Family: fmt.Sprint("Jones", i%3)})
	}
	r := ix.Search(namefold.NewQuery("rhys"), 50)
	assert.Len(t, r.Hits, 50)
	assert.Equal(t, 120, r.Total)
	assert.False(t, r.AtLeast)
	assert.Equal(t, "k0", r.Hits[0].Key, "registration order within a rank")
}

func TestScanIsBoundedButKeepsWholeWordMatches(t *testing.T) {
	ix := New()
	for i := range MaxScan + 500 {
		ix.Put(Name{Key: fmt.Sprint("k", i), Given: "Anna", Family: fmt.Sprintf("Sm%05d", i)})
	}
	ix.Put(Name{Key: "last", Given: "Anna", Family: "Sm"}) // the only whole-word "sm"
	r := ix.Search(namefold.NewQuery("sm"), 50)
	assert.True(t, r.AtLeast)
	assert.GreaterOrEqual(t, r.Total, MaxScan)
	assert.Equal(t, "last", r.Hits[0].Key, "the whole-word match ranks first although indexed last")
}

// population is a made-up register: common names of the four nations
// combined at random, with the hard cases among them.
func population(n int, rng *rand.Rand) []Name {
	given := []string{"Siân", "Llŷr", "Gwenllïan", "Seán", "Aoife", "Caoimhín", "Mòrag", "Eòghann", "Zoë", "Chloë",
		"Renée", "Mary Ann", "Jo-Anne", "Oluwaseun", "Priya", "John", "David", "Sarah", "Emma", "Mohammed", "Niamh", "Róisín"}
	family := []string{"Ó Súilleabháin", "O'Neill", "O’Brien", "Ní Bhriain", "Mac Giolla Phádraig", "NicDhòmhnaill",
		"Mac an t-Saoir", "MacLeòid", "McAllister", "Okonkwo-Fairweather", "ap Gwilym", "Rhŷs-Jones", "Ŵyn", "Evans",
		"Jones", "Smith", "Patel", "Nwosu", "D'Arcy", "St. John", "Adébáyọ̀", "Brown", "Wilson", "Taylor"}
	out := make([]Name, n)
	for i := range out {
		g, f := given[rng.IntN(len(given))], family[rng.IntN(len(family))]
		if rng.IntN(2) == 0 { // half arrive decomposed, as some keyboards send them
			g, f = norm.NFD.String(g), norm.NFD.String(f)
		}
		out[i] = Name{Key: fmt.Sprintf("LW%07d", i), Given: g, Family: f}
	}
	return out
}

// reasonableSpellings are ways people type a name: plain letters, lower or
// upper case, any apostrophe or none, spaces for hyphens, family first,
// or the first letters of each part.
func reasonableSpellings(n Name) []string {
	full := n.Given + " " + n.Family
	words := namefold.Words(full)
	var starts []string
	for _, w := range words {
		starts = append(starts, w[:min(3, len(w))])
	}
	out := []string{full, strings.Join(words, " "), strings.ToUpper(full), n.Family + " " + n.Given,
		n.Family, strings.Join(starts, " "), namefold.Key(n.Given) + " " + namefold.Key(n.Family)}
	for _, r := range []string{"'", "’", "ʼ", "", " "} {
		out = append(out, strings.NewReplacer("'", r, "’", r, "-", r).Replace(norm.NFC.String(full)))
	}
	return out
}

func TestNoOneIsUnreachable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	people := population(3000, rng)
	ix := New()
	for _, p := range people {
		ix.Put(p)
	}
	for _, p := range people[:300] {
		for _, s := range reasonableSpellings(p) {
			q := namefold.NewQuery(s)
			r := ix.Search(q, MaxScan)
			assert.Contains(t, keys(r), p.Key, "%s %s not found by %q", p.Given, p.Family, s)
		}
	}
}

// The index answers exactly as ranking every entry one by one would.
func TestIndexAgreesWithBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	people := population(2000, rng)
	ix := New()
	for _, p := range people {
		ix.Put(p)
	}
	queries := []string{"sian", "o", "o neill", "oneill", "mac", "mac leoid", "jo anne", "joanne", "zoe okonkwo",
		"s", "evans sian", "nic", "rhys jones", "ni bhriain aoife", "st john", "da", "adebayo", "gw", "jones"}
	for _, qs := range queries {
		q := namefold.NewQuery(qs)
		var want [namefold.Exact + 1][]string
		total := 0
		for _, p := range people {
			if r := q.Rank(p.Given, p.Family); r != namefold.NoMatch {
				want[r] = append(want[r], p.Key)
				total++
			}
		}
		var wantKeys []string
		for r := namefold.Exact; r > namefold.NoMatch; r-- {
			wantKeys = append(wantKeys, want[r]...)
		}
		got := ix.Search(q, len(people))
		assert.Equal(t, total, got.Total, qs)
		assert.Equal(t, wantKeys, keys(got), qs)
	}
}

// reference answers a search by ranking every entry one by one, as the
// index must: best rank first, then in the order entries were first put.
type reference struct {
	order []string
	names map[string]Name
	// folded is each name's terms and folded given and family names,
	// worked out once.
	folded map[string]folded
}

type folded struct {
	terms         []string
	given, family string
}

func (ref *reference) put(n Name) {
	if _, ok := ref.names[n.Key]; !ok {
		ref.order = append(ref.order, n.Key)
	}
	ref.names[n.Key] = n
	ref.folded[n.Key] = folded{namefold.Terms(n.Given, n.Family), namefold.Key(n.Given), namefold.Key(n.Family)}
}

// rank is q.Rank(given, family) from the folded name.
func (f folded) rank(q namefold.Query) namefold.Rank {
	r := q.Match(f.terms)
	if k := q.Key(); r == namefold.Word && (k == f.given+f.family || k == f.family+f.given) {
		return namefold.Exact
	}
	return r
}

func (ref *reference) search(q namefold.Query, limit int, cutoff time.Time) ([]Hit, int) {
	var tiers [namefold.Exact + 1][]Hit
	total := 0
	for _, k := range ref.order {
		n := ref.names[k]
		if !cutoff.IsZero() && !n.Removed.IsZero() && dayOf(n.Removed) < dayOf(cutoff) {
			continue
		}
		if r := ref.folded[k].rank(q); r != namefold.NoMatch {
			tiers[r] = append(tiers[r], Hit{Key: k, Rank: r})
			total++
		}
	}
	var hits []Hit
	for r := namefold.Exact; r > namefold.NoMatch; r-- {
		hits = append(hits, tiers[r]...)
	}
	return hits[:min(len(hits), limit)], total
}

// randomName makes names from a few short parts, so that prefixes, joins,
// namesakes and exact names given either way round collide often.
func randomName(rng *rand.Rand) (string, string) {
	parts := []string{"a", "ab", "aba", "b", "ba", "o", "neill", "oneill", "mac", "leod", "macleod", "sian", "siân",
		norm.NFD.String("siân"), "evans", "evan", "jo", "jones", "ann", "mary", "maryann", "nic", "zoë", "aa"}
	seps := []string{" ", "-", "'", "’", " ", " "}
	field := func() string {
		s := parts[rng.IntN(len(parts))]
		for range rng.IntN(3) {
			s += seps[rng.IntN(len(seps))] + parts[rng.IntN(len(parts))]
		}
		if rng.IntN(3) == 0 {
			s = strings.ToUpper(s[:1]) + s[1:]
		}
		return s
	}
	return field(), field()
}

func randomQuery(rng *rand.Rand, ref *reference) string {
	if rng.IntN(2) == 0 && len(ref.order) > 0 {
		n := ref.names[ref.order[rng.IntN(len(ref.order))]]
		words := namefold.Words(n.Given + " " + n.Family)
		switch rng.IntN(4) {
		case 0:
			return n.Given + " " + n.Family
		case 1:
			return n.Family + " " + n.Given
		case 2:
			return namefold.Key(n.Given) + namefold.Key(n.Family)
		default:
			var out []string
			for _, w := range words {
				if rng.IntN(2) == 0 {
					out = append(out, w[:1+rng.IntN(len(w))])
				}
			}
			return strings.Join(out, " ")
		}
	}
	g, f := randomName(rng)
	ws := namefold.Words(g + " " + f)
	for i, w := range ws {
		ws[i] = w[:1+rng.IntN(len(w))]
	}
	return strings.Join(ws[:1+rng.IntN(len(ws))], " ")
}

// The index answers exactly as the reference does, through additions,
// renames, removals and reinstatements, with dense and sparse postings.
func TestIndexAgreesWithReferenceRandomly(t *testing.T) {
	defer func(n int) { denseMin = n }(denseMin)
	denseMin = 64 // many terms get bitmaps, and are intersected through them
	rng := rand.New(rand.NewPCG(11, 12))
	ix := New()
	ref := &reference{names: map[string]Name{}, folded: map[string]folded{}}
	day := func(d int) time.Time { return time.Date(2020, 1, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	put := func(n Name) {
		ix.Put(n)
		ref.put(n)
	}
	for i := range 4000 {
		g, f := randomName(rng)
		put(Name{Key: fmt.Sprint("k", i), Given: g, Family: f})
	}
	for round := range 6 {
		for range 400 {
			k := ref.order[rng.IntN(len(ref.order))]
			n := ref.names[k]
			switch rng.IntN(4) {
			case 0:
				n.Given, n.Family = randomName(rng)
			case 1:
				n.Removed = day(rng.IntN(10))
			case 2:
				n.Removed = time.Time{}
			default:
				g, f := randomName(rng)
				n = Name{Key: fmt.Sprint("new", round, "-", len(ref.order)), Given: g, Family: f}
			}
			put(n)
		}
		for range 120 {
			qs := randomQuery(rng, ref)
			q := namefold.NewQuery(qs)
			limit := []int{1, 5, 50, 10000}[rng.IntN(4)]
			var cutoff time.Time
			var opts []Option
			if rng.IntN(2) == 0 {
				cutoff = day(rng.IntN(12))
				opts = append(opts, HideRemovedBefore(cutoff))
			}
			want, total := ref.search(q, limit, cutoff)
			got := ix.Search(q, limit, opts...)
			require.False(t, got.AtLeast, "%q", qs)
			require.Equal(t, total, got.Total, "round %d: %q", round, qs)
			require.Equal(t, want, got.Hits, "round %d: %q limit %d", round, qs, limit)
		}
	}
	assert.NotEmpty(t, ix.dense, "some terms are common enough for a bitmap")
	assert.Equal(t, len(ref.order), ix.Len())
}
