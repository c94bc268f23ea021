package nameindex

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/nalw/linkpass/namefold"
)

// syntheticRegister makes n names shaped like a national register's: a
// few very common family names (Smith is about 1 in 100 in the UK), a long
// tail of rarer ones built from syllables, and a few hundred given names.
func syntheticRegister(n int, rng *rand.Rand) []Name {
	common := []string{"Smith", "Jones", "Williams", "Taylor", "Davies", "Evans", "Brown", "Wilson", "Thomas", "Roberts",
		"Johnson", "Lewis", "Walker", "Robinson", "Wood", "Thompson", "White", "Watson", "Jackson", "Wright",
		"O'Neill", "Ó Súilleabháin", "MacLeòid", "Patel", "Khan", "Murphy", "Kelly", "Campbell", "Stewart", "Hughes"}
	syl := []string{"ab", "ber", "cal", "dun", "el", "far", "gow", "hal", "in", "ker", "lin", "mor", "nan", "ost",
		"pen", "quin", "ros", "stan", "tre", "ul", "ven", "wick", "yar", "zel", "ash", "brook", "croft", "dale", "ford", "ham"}
	first := []string{"John", "David", "Sarah", "Emma", "Siân", "Seán", "Aoife", "Mòrag", "Zoë", "Priya", "Mohammed",
		"James", "Olivia", "Amelia", "Isla", "Ava", "Noah", "Oliver", "George", "Leo", "Llŷr", "Niamh", "Rhys", "Catrìona"}
	// Given names have a long tail too: common ones and made-up ones.
	out := make([]Name, n)
	for i := range out {
		var f string
		if rng.IntN(3) == 0 {
			f = common[int(rng.ExpFloat64()*6)%len(common)]
		} else {
			f = syl[rng.IntN(len(syl))] + syl[rng.IntN(len(syl))] + syl[rng.IntN(len(syl))]
			f = string(f[0]-'a'+'A') + f[1:]
		}
		var g string
		if rng.IntN(2) == 0 {
			g = first[rng.IntN(len(first))]
		} else {
			g = syl[rng.IntN(len(syl))] + syl[rng.IntN(len(syl))]
			g = string(g[0]-'a'+'A') + g[1:] + "a"
		}
		if rng.IntN(4) == 0 {
			g += fmt.Sprintf(" %c", 'A'+rng.IntN(26)) // a middle initial
		}
		out[i] = Name{Key: fmt.Sprintf("LW%07d", i), Given: g, Family: f}
	}
	return out
}

var sizes = []int{100_000, 1_000_000}

// BenchmarkSearch measures name searches at 100k and 1M entries. The cost
// of a query follows the entries it examines, not the register's size, so
// the two sizes should be close for a search for one person.
func BenchmarkSearch(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(7, 8))
			people := syntheticRegister(n, rng)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			ix := New()
			for _, p := range people {
				ix.Put(p)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			perEntry := float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
			people = people[:1000]
			queries := []struct {
				kind string
				q    func(p Name) string
			}{
				{"full-name", func(p Name) string { return p.Given + " " + p.Family }},
				{"family-name", func(p Name) string { return p.Family }},
				{"prefixes", func(p Name) string { return p.Given[:3] + " " + p.Family[:3] }},
				{"john-smith", func(Name) string { return "john smith" }},
			}
			for _, k := range queries {
				b.Run(k.kind, func(b *testing.B) {
					qs := make([]namefold.Query, len(people))
					for i, p := range people {
						qs[i] = namefold.NewQuery(k.q(p))
					}
					found := 0
					for i := 0; b.Loop(); i++ {
						found += ix.Search(qs[i%len(qs)], 50).Total
					}
					b.ReportMetric(float64(found)/float64(b.N), "matches/op")
					b.ReportMetric(perEntry, "index-B/entry")
				})
			}
			runtime.KeepAlive(ix)
		})
	}
}
