package nameindex

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nalw/linkpass/internal/loadtest/names"
	"github.com/nalw/linkpass/namefold"
)

// loadtestDigest is what the searches of TestLoadtestQueriesAnswerAsBefore
// gave when it was written: a change to how the index searches must not
// change what it finds.
const loadtestDigest = "f36059a6813a980086439c3698d993c292e553d6cdc06ebd3aaf7ec5db92a9bd"

// TestLoadtestQueriesAnswerAsBefore searches a register named as the
// load test names its registrants, some removed, with the load test's
// queries and the hardest of them, and holds every answer (keys, ranks,
// totals) to the digest of the answers before.
func TestLoadtestQueriesAnswerAsBefore(t *testing.T) {
	n := 120_000
	if testing.Short() {
		t.Skip("builds a register of 120,000")
	}
	ix := New()
	day := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		g, f := names.Name(i)
		nm := Name{Key: fmt.Sprintf("LW%07d", i), Given: g, Family: f}
		if i%97 == 0 {
			nm.Removed = day.AddDate(0, 0, i%200)
		}
		ix.Put(nm)
	}
	qs := names.Queries(rand.New(rand.NewPCG(1, 2)), n, 3000)
	qs = append(qs, "mac an t-saoir-ros", "Niamh Mac an t-Saoir-Fenki", "Mac an t-Saoir-Gar Fergus", "Pri ap R", "hughes-ba",
		"o", "t", "s", "ni b", "o s", "evans", "ba evans", "a b c d e f g h", "mac an t saoir", "siân evans-ba", "evans-ba siân")
	h := sha256.New()
	cutoff := day.AddDate(0, 0, 100)
	for _, q := range qs {
		fq := namefold.NewQuery(q)
		for _, res := range []Result{ix.Search(fq, 50), ix.Search(fq, 7, HideRemovedBefore(cutoff))} {
			fmt.Fprintf(h, "%s|%d|%v|", q, res.Total, res.AtLeast)
			for _, hit := range res.Hits {
				fmt.Fprintf(h, "%s:%d,", hit.Key, hit.Rank)
			}
			fmt.Fprintln(h)
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != loadtestDigest {
		t.Fatalf("the answers' digest is %s, was %s", got, loadtestDigest)
	}
}
