package namefold

import "strings"

// Rank says how well a name matches a query. Higher is better; results are
// listed best rank first.
type Rank int

const (
	// NoMatch means some word of the query matches no part of the name.
	NoMatch Rank = iota
	// Prefix means every word of the query starts some part of the name.
	Prefix
	// Word means every word of the query is a whole part of the name.
	Word
	// Exact means the query is the whole name, given and family names in
	// either order.
	Exact
)

// String names the rank for logs and tests.
func (r Rank) String() string {
	switch r {
	case Prefix:
		return "prefix"
	case Word:
		return "word"
	case Exact:
		return "exact"
	}
	return "no match"
}

// maxJoin is the most query words joined back into one token, and
// maxJoinable the longest word that may start such a join: particles such
// as O, Mc, Mac, Nic, ap, St, Fitz, which people type apart from the rest
// of the name or not.
const (
	maxJoin     = 3
	maxJoinable = 4
	// maxAlternatives bounds the readings of one query, so that a query
	// of many short words costs no more than a few ordinary ones.
	maxAlternatives = 16
)

// Query is a folded search query. Each of its words must start some part of
// a name, in any order.
type Query struct {
	words []string
	alts  [][]string
}

// NewQuery folds a query as typed by a person.
func NewQuery(s string) Query {
	q := Query{words: Words(s)}
	q.alts = alternatives(q.words)
	return q
}

// Words returns the folded words of the query.
func (q Query) Words() []string { return q.words }

// Empty reports whether the query has no words at all (only punctuation or
// spaces).
func (q Query) Empty() bool { return len(q.words) == 0 }

// Key returns the query with every break removed, as Key does for a name.
func (q Query) Key() string { return strings.Join(q.words, "") }

// Alternatives returns the ways the query's words can be read: as typed,
// and with short words joined to the next ("o neill" also as "oneill", for
// a name registered as Oneill). A name matches when every token of one
// alternative matches. The first alternative is the words as typed.
func (q Query) Alternatives() [][]string { return q.alts }

// alternatives lists the segmentations of words in which a run of up to
// maxJoin adjacent words is joined when it starts with a short word.
func alternatives(words []string) [][]string {
	if len(words) == 0 {
		return nil
	}
	var out [][]string
	var walk func(i int, acc []string)
	walk = func(i int, acc []string) {
		if len(out) == maxAlternatives {
			return
		}
		if i == len(words) {
			out = append(out, append([]string(nil), acc...))
			return
		}
		walk(i+1, append(acc, words[i]))
		if len(words[i]) > maxJoinable {
			return
		}
		joined := words[i]
		for j := i + 1; j < len(words) && j-i < maxJoin; j++ {
			joined += words[j]
			walk(j+1, append(acc, joined))
		}
	}
	walk(0, nil)
	return out
}

// Match ranks a name, given by its Terms, against the query: Word when
// every token of some alternative is a whole term, Prefix when every token
// starts some term, NoMatch otherwise. Exact needs the name's fields and is
// decided by Exact.
func (q Query) Match(terms []string) Rank {
	return q.MatchWith(func(tok string) Rank { return matchToken(tok, terms) })
}

// MatchWith is Match for a caller that ranks each token against a name
// itself (an index, from its own term ids): token returns Word when tok is
// a whole term of the name, Prefix when it starts one, NoMatch otherwise.
func (q Query) MatchWith(token func(tok string) Rank) Rank {
	best := NoMatch
	for _, alt := range q.alts {
		r := Word
		for _, tok := range alt {
			if tr := token(tok); tr < r {
				r = tr
			}
			if r == NoMatch {
				break
			}
		}
		if r > best {
			best = r
		}
		if best == Word {
			break
		}
	}
	return best
}

func matchToken(tok string, terms []string) Rank {
	r := NoMatch
	for _, t := range terms {
		if t == tok {
			return Word
		}
		if strings.HasPrefix(t, tok) {
			r = Prefix
		}
	}
	return r
}

// Exact reports whether the query is the whole name: given then family
// name, or family then given, with every break ignored.
func (q Query) Exact(given, family string) bool {
	k := q.Key()
	g, f := Key(given), Key(family)
	return len(k) == len(g)+len(f) && (k == g+f || k == f+g)
}

// Rank ranks a name given by its fields against the query, Exact included.
// Callers that keep the name's terms (an index) use Match and Exact
// instead, to avoid folding the name again.
func (q Query) Rank(given, family string) Rank {
	r := q.Match(Terms(given, family))
	if r == Word && q.Exact(given, family) {
		return Exact
	}
	return r
}
