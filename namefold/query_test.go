package namefold

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"golang.org/x/text/unicode/norm"
)

// person is a name from one of the four nations, as a registrar would
// enter it.
type person struct{ given, family string }

var people = []person{
	// Wales
	{"Siân", "Evans"}, {"Llŷr", "ap Gwilym"}, {"Gwenllïan", "Ŵyn"}, {"Dafydd", "Rhŷs-Jones"},
	{"Siôn", "Llewelyn"}, {"Elin", "ferch Owain"}, {"Rhiannon", "Prys"},
	// Ireland and Northern Ireland
	{"Siân", "Ó Súilleabháin"}, {"Seán", "O'Neill"}, {"Aoife", "Ní Bhriain"}, {"Caoimhín", "Mac Giolla Phádraig"},
	{"Niamh", "Ó Néill"}, {"Máire", "Nic Amhlaoibh"}, {"Pádraig", "Ó hUiginn"}, {"Róisín", "D'Arcy"},
	// Scotland
	{"Mòrag", "NicDhòmhnaill"}, {"Eòghann", "Mac an t-Saoir"}, {"Catrìona", "MacLeòid"}, {"Iain", "McAllister"},
	{"Ailsa", "Mackenzie-Ross"},
	// England
	{"Zoë", "Okonkwo-Fairweather"}, {"Chloë", "Smith"}, {"Renée", "St. John"}, {"Ada", "Lovelace"},
	{"Mary Ann", "Evans"}, {"Oluwaseun", "Adébáyọ̀"}, {"Chidi", "Nwosu"}, {"Priya", "Patel"},
}

func TestIssueExamplesMatch(t *testing.T) {
	oneill := person{"Seán", "O'Neill"}
	for _, q := range []string{"oneill", "O Neill", "O’Neill", "O'Neill", "sean oneill", "Neill", "o'n", "sea"} {
		assert.NotEqual(t, NoMatch, NewQuery(q).Rank(oneill.given, oneill.family), q)
	}
	of := person{"Zoë", "Okonkwo-Fairweather"}
	for _, q := range []string{"Okonkwo Fairweather", "okonkwo-fairweather", "zoe", "fairweather zoe", "okonkwofairweather"} {
		assert.NotEqual(t, NoMatch, NewQuery(q).Rank(of.given, of.family), q)
	}
	s := person{"Siân", "Ó Súilleabháin"}
	assert.Equal(t, Exact, NewQuery("sian o suilleabhain").Rank(s.given, s.family))
	assert.Equal(t, Exact, NewQuery("O Suilleabhain Sian").Rank(s.given, s.family))
	assert.Equal(t, Word, NewQuery("Sian").Rank(s.given, s.family))
	assert.Equal(t, Word, NewQuery("O Suilleabhain").Rank(s.given, s.family))
	assert.Equal(t, Prefix, NewQuery("sia suil").Rank(s.given, s.family))
}

func TestRanks(t *testing.T) {
	cases := []struct {
		query string
		p     person
		want  Rank
	}{
		{"sian evans", person{"Siân", "Evans"}, Exact},
		{"evans siân", person{"Siân", "Evans"}, Exact},
		{"evans", person{"Siân", "Evans"}, Word},
		{"ev", person{"Siân", "Evans"}, Prefix},
		{"sian ev", person{"Siân", "Evans"}, Prefix},
		{"sian jones", person{"Siân", "Evans"}, NoMatch}, // every word must match
		{"vans", person{"Siân", "Evans"}, NoMatch},       // words match from the start of a part
		{"sian evans", person{"Mary Ann", "Evans"}, NoMatch},
		{"o neill", person{"Sean", "Oneill"}, Word},           // typed apart, registered joined
		{"mac leod", person{"Catrìona", "MacLeòid"}, NoMatch}, // a different spelling, not a folding
		{"mac leoid", person{"Catrìona", "MacLeòid"}, Word},
		{"mary", person{"Mary Ann", "Evans"}, Word},
		{"maryann evans", person{"Mary Ann", "Evans"}, Exact},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, NewQuery(c.query).Rank(c.p.given, c.p.family), "%q against %s %s", c.query, c.p.given, c.p.family)
	}
}

// spellings returns the ways a member of the public might reasonably type a
// name: as written, composed or decomposed, without accents, in any case,
// with apostrophes of another kind, spaces for hyphens, parts run together,
// family name first, and the first letters of each part.
func spellings(p person) []string {
	full := p.given + " " + p.family
	plain := strings.Join(Words(full), " ")
	out := []string{
		full, norm.NFD.String(full), norm.NFC.String(full), strings.ToUpper(full), strings.ToLower(full),
		plain, strings.ToUpper(plain), p.family + " " + p.given, p.family, p.given,
		Key(p.given) + " " + Key(p.family),
	}
	for _, apos := range []string{"'", "’", "‘", "ʼ", "", " "} {
		out = append(out, strings.NewReplacer("'", apos, "’", apos).Replace(full))
	}
	for _, dash := range []string{" ", "", "‐", "–"} {
		out = append(out, strings.ReplaceAll(full, "-", dash))
	}
	var prefixes []string
	for _, w := range Words(full) {
		if len(w) > 3 {
			w = w[:3]
		}
		prefixes = append(prefixes, w)
	}
	out = append(out, strings.Join(prefixes, " "))
	return out
}

func TestNoOneIsUnreachableByAReasonableSpelling(t *testing.T) {
	for _, p := range people {
		for _, s := range spellings(p) {
			r := NewQuery(s).Rank(p.given, p.family)
			assert.NotEqual(t, NoMatch, r, "%s %s not found by %q", p.given, p.family, s)
		}
		// The name typed in full, however it is spelt, ranks exact.
		for _, s := range spellings(p)[:7] {
			if strings.Count(s, " ") >= 1 && s != p.family && s != p.given {
				assert.Equal(t, Exact, NewQuery(s).Rank(p.given, p.family), "%q for %s %s", s, p.given, p.family)
			}
		}
	}
}

func TestEveryWordMustMatch(t *testing.T) {
	// A query naming another person finds nobody else in the list, so
	// matching is not so loose as to be useless.
	for _, p := range people {
		q := NewQuery(p.given + " " + p.family)
		for _, o := range people {
			if o == p {
				continue
			}
			assert.Equal(t, NoMatch, q.Rank(o.given, o.family), "%s %s matched %s %s", p.given, p.family, o.given, o.family)
		}
	}
}

func TestAlternatives(t *testing.T) {
	assert.Equal(t, [][]string{{"o", "neill"}, {"oneill"}}, NewQuery("O’Neill").Alternatives())
	assert.Equal(t, [][]string{{"fairweather", "zoe"}}, NewQuery("fairweather zoe").Alternatives())
	assert.True(t, NewQuery(" ’ - ").Empty())
	assert.Nil(t, NewQuery("").Alternatives())
}

func ExampleQuery_Rank() {
	q := NewQuery("sian o suilleabhain")
	fmt.Println(q.Rank("Siân", "Ó Súilleabháin"))
	fmt.Println(NewQuery("o’neill").Rank("Seán", "O'Neill"))
	// Output:
	// exact
	// word
}

func TestAlternativesAreBounded(t *testing.T) {
	q := NewQuery("a b c d e f g h")
	assert.Len(t, q.Alternatives(), maxAlternatives)
	assert.Equal(t, q.Words(), q.Alternatives()[0], "the words as typed come first")
}
