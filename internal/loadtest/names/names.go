// Package names makes the load test's registrants' names and the searches
// the public types for them, so that the load test and the in-process
// benchmarks that profile its phases search the same register the same
// way.
package names

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Names of the four nations, for realistic folding and ranking work.
var (
	givens = []string{"Siân", "Rhys", "Cerys", "Dafydd", "Eilidh", "Hamish", "Mairi", "Ciarán", "Niamh", "Aoife", "Seán", "Zoë",
		"Oliver", "Amelia", "Mohammed", "Priya", "Chloé", "Llŷr", "Gwenllian", "Ffion", "Callum", "Isla", "Róisín", "Oisín",
		"Ada", "Grace", "Tomás", "Bethan", "Iwan", "Morag", "Fergus", "Ailsa", "Declan", "Orla", "Amara", "Kwame"}
	families = []string{"Evans", "Jones", "Williams", "Ó Súilleabháin", "O'Neill", "MacDonald", "Campbell", "Okonkwo-Fairweather",
		"Smith", "Patel", "Nwosu", "Ní Bhriain", "Mac an t-Saoir", "ap Rhys", "Llywelyn", "Fitzgerald", "Murphy", "Kelly",
		"Stewart", "Robertson", "Thomson", "Anderson", "Hughes", "Davies", "Price", "Morgan", "Doherty", "Quinn"}
)

// Name is registrant i's given and family names: a given and a family
// name of the four nations, with a made-up second family part so that a
// register of a million has realistic numbers of namesakes.
func Name(i int) (given, family string) {
	g := givens[i%len(givens)]
	f := families[(i/len(givens))%len(families)]
	k := i / (len(givens) * len(families))
	return g, fmt.Sprintf("%s-%s", f, syllables(k))
}

func syllables(k int) string {
	s := []string{"ba", "do", "fen", "gar", "hul", "ki", "lor", "mad", "nes", "pry", "ros", "tav", "wyn", "yth"}
	out := strings.ToUpper(s[k%len(s)][:1]) + s[k%len(s)][1:]
	for k /= len(s); k > 0; k /= len(s) {
		out += s[k%len(s)]
	}
	return out
}

// Queries returns k queries for a register of n such names, as the public
// types them: full names without accents, family names alone, prefixes of
// both, of names that rng draws.
func Queries(rng *rand.Rand, n, k int) []string {
	out := make([]string, 0, k)
	for len(out) < k {
		g, f := Name(rng.IntN(n))
		switch len(out) % 4 {
		case 0:
			out = append(out, g+" "+f)
		case 1:
			out = append(out, strings.ToLower(plain(f)))
		case 2:
			out = append(out, plain(g)[:3]+" "+plain(f)[:4])
		default:
			out = append(out, f+" "+g)
		}
	}
	return out
}

var accents = strings.NewReplacer("â", "a", "á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ŷ", "y", "ë", "e", "Ó", "O", "'", "")

func plain(s string) string { return accents.Replace(s) }
