package nameindex

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/namefold"
)

// A Loader must build the index Put builds: the same terms, postings and
// entries, so the same answers, whether it starts empty or not and
// whether it adds entries or replaces them.
func TestLoaderBuildsWhatPutBuilds(t *testing.T) {
	defer func(n int) { denseMin = n }(denseMin)
	denseMin = 64
	rng := rand.New(rand.NewPCG(21, 22))
	var names []Name
	for i := range 6000 {
		g, f := randomName(rng)
		n := Name{Key: fmt.Sprint("k", i), Given: g, Family: f}
		if rng.IntN(20) == 0 {
			n.Removed = time.Date(2024, 1, 1+rng.IntN(20), 0, 0, 0, 0, time.UTC)
		}
		names = append(names, n)
	}
	// A joined term of one part that is a word of the other: the term is
	// a word of the name (its least lead).
	names = append(names, Name{Key: "mac", Given: "Mac Donald", Family: "Macdonald"}, Name{Key: "mac2", Given: "Macdonald", Family: "Mac Donald"})
	// Some entries again, renamed: a Loader replaces as Put does.
	for range 500 {
		n := names[rng.IntN(len(names))]
		n.Given, n.Family = randomName(rng)
		names = append(names, n)
	}
	byPut, byLoader := New(), New()
	for _, n := range names {
		byPut.Put(n)
	}
	for _, n := range names[:1000] {
		byLoader.Put(n)
	}
	l := byLoader.NewLoader(len(names) - 1000)
	for _, n := range names[1000:] {
		l.Put(n)
	}
	l.Close()
	l.Close() // twice is harmless

	require.Equal(t, byPut.keys, byLoader.keys)
	require.Equal(t, byPut.fwdOff, byLoader.fwdOff)
	require.Equal(t, byPut.fwdLen, byLoader.fwdLen)
	require.Equal(t, byPut.fwd, byLoader.fwd)
	require.Equal(t, byPut.exact, byLoader.exact)
	require.Equal(t, byPut.termData, byLoader.termData)
	require.Equal(t, byPut.termEnd, byLoader.termEnd)
	require.Equal(t, byPut.post, byLoader.post)
	require.Equal(t, byPut.lists, byLoader.lists)
	require.Equal(t, byPut.buckets, byLoader.buckets)
	require.Equal(t, byPut.joins, byLoader.joins)
	require.Equal(t, byPut.isWord, byLoader.isWord)
	require.Equal(t, byPut.removedBits, byLoader.removedBits)
	require.Equal(t, byPut.removedDay, byLoader.removedDay)
	require.NotEmpty(t, byPut.dense)
	ref := &reference{names: map[string]Name{}, folded: map[string]folded{}}
	for _, n := range names {
		ref.put(n)
	}
	for range 300 {
		q := namefold.NewQuery(randomQuery(rng, ref))
		require.Equal(t, byPut.Search(q, 50), byLoader.Search(q, 50), "%v", q.Words())
	}
	// Usable as ever once the Loader is closed.
	byLoader.Put(Name{Key: "late", Given: "Siân", Family: "Ó Súilleabháin"})
	require.Equal(t, []string{"late"}, keys(search(byLoader, "sian o suilleabhain")))
}
