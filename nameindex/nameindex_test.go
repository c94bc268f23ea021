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
