package nameindex

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

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
				// What the public also types: a common surname or a
				// first name alone, and two short prefixes.
				{"common-surname", func(p Name) string {
					return []string{"smith", "Jones", "williams", "Evans"}[int(p.Key[len(p.Key)-1])%4]
				}},
				{"first-name", func(p Name) string { return namefold.Words(p.Given)[0] }},
				{"short-prefixes", func(p Name) string { return p.Given[:2] + " " + p.Family[:2] }},
			}
			for _, k := range queries {
				b.Run(k.kind, func(b *testing.B) {
					qs := make([]namefold.Query, len(people))
					for i, p := range people {
						qs[i] = namefold.NewQuery(k.q(p))
					}
					searchAll(b, ix, qs)
					b.ReportMetric(perEntry, "index-B/entry")
				})
			}
			runtime.KeepAlive(ix)
		})
	}
}

// searchAll runs the queries in turn, as many as the benchmark asks.
func searchAll(b *testing.B, ix *Index, qs []namefold.Query) {
	found := 0
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		found += ix.Search(qs[i%len(qs)], 50).Total
	}
	// The machines are shared: CPU time is steadier than the wall clock.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(found)/float64(b.N), "matches/op")
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadtestRegister makes n names the way internal/loadtest seeds its
// register: every combination of a given name and a family name of the
// four nations, double-barrelled with a made-up part that changes every
// combination round, so that a large register has many namesakes of each
// part.
func loadtestRegister(n int) []Name {
	givens := []string{"Siân", "Rhys", "Cerys", "Dafydd", "Eilidh", "Hamish", "Mairi", "Ciarán", "Niamh", "Aoife", "Seán", "Zoë",
		"Oliver", "Amelia", "Mohammed", "Priya", "Chloé", "Llŷr", "Gwenllian", "Ffion", "Callum", "Isla", "Róisín", "Oisín",
		"Ada", "Grace", "Tomás", "Bethan", "Iwan", "Morag", "Fergus", "Ailsa", "Declan", "Orla", "Amara", "Kwame"}
	families := []string{"Evans", "Jones", "Williams", "Ó Súilleabháin", "O'Neill", "MacDonald", "Campbell", "Okonkwo-Fairweather",
		"Smith", "Patel", "Nwosu", "Ní Bhriain", "Mac an t-Saoir", "ap Rhys", "Llywelyn", "Fitzgerald", "Murphy", "Kelly",
		"Stewart", "Robertson", "Thomson", "Anderson", "Hughes", "Davies", "Price", "Morgan", "Doherty", "Quinn"}
	parts := []string{"ba", "do", "fen", "gar", "hul", "ki", "lor", "mad", "nes", "pry", "ros", "tav", "wyn", "yth"}
	out := make([]Name, n)
	for i := range out {
		round := i / (len(givens) * len(families))
		made := ""
		for k := round; ; k /= len(parts) {
			made += parts[k%len(parts)]
			if k < len(parts) {
				break
			}
		}
		f := families[i/len(givens)%len(families)] + "-" + strings.ToUpper(made[:1]) + made[1:]
		out[i] = Name{Key: fmt.Sprintf("LW%07d", i), Given: givens[i%len(givens)], Family: f}
	}
	return out
}

// BenchmarkSearchLoadtestMix is the load test's query mix (full name,
// family name alone without accents, two prefixes, family then given)
// over its register, in process.
func BenchmarkSearchLoadtestMix(b *testing.B) {
	plain := strings.NewReplacer("â", "a", "á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ŷ", "y", "ë", "e", "Ó", "O", "'", "")
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			people := loadtestRegister(n)
			ix := New()
			for _, p := range people {
				ix.Put(p)
			}
			rng := rand.New(rand.NewPCG(9, 10))
			qs := make([]namefold.Query, 4096)
			for i := range qs {
				p := people[rng.IntN(n)]
				g, f := plain.Replace(p.Given), plain.Replace(p.Family)
				qs[i] = namefold.NewQuery([]string{p.Given + " " + p.Family, strings.ToLower(f), g[:3] + " " + f[:4], p.Family + " " + p.Given}[i%4])
			}
			searchAll(b, ix, qs)
		})
	}
}

// BenchmarkLoader builds the index of 1,000,000 entries with a Loader, in
// batches as a restore sends them: the name index's share of a restart.
func BenchmarkLoader(b *testing.B) {
	names := syntheticRegister(1_000_000, rand.New(rand.NewPCG(1, 2)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix := New()
		l := ix.NewLoader(0)
		for at := 0; at < len(names); at += 4096 {
			batch := names[at:min(at+4096, len(names))]
			l.Reserve(len(batch))
			for _, n := range batch {
				l.Put(n)
			}
		}
		l.Close()
		if got := ix.Len(); got != len(names) {
			b.Fatalf("%d entries indexed of %d", got, len(names))
		}
	}
}
