package publicregister

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

// BenchmarkSearchAndEncode is one public name search as the API serves it
// (search, the entries' views, JSON), over 100,000 registrants with names
// like the load test's, so a profile shows where a search's time goes.
func BenchmarkSearchAndEncode(b *testing.B) {
	st, err := state.New()
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(5, 6))
	given := []string{"Siân", "Seán", "Aoife", "Mòrag", "Zoë", "Priya", "John", "Sarah", "Emma", "Rhys", "Niamh", "David", "Olivia", "Mohammed", "Isla", "Llŷr"}
	syl := []string{"ab", "ber", "cal", "dun", "el", "far", "gow", "hal", "in", "ker", "lin", "mor", "nan", "ost", "pen", "ros", "stan", "tre", "ven", "wick"}
	common := []string{"Smith", "Jones", "Evans", "O'Neill", "Ó Súilleabháin", "MacLeòid", "Patel", "Okonkwo-Fairweather"}
	var queries []string
	const n = 100_000
	for i := 0; i < n; i += 1000 {
		err := st.Write(uint64(i/1000+1), func(tx *state.Txn) error {
			for j := i; j < i+1000; j++ {
				f := common[rng.IntN(len(common))]
				if rng.IntN(2) == 0 {
					f = syl[rng.IntN(len(syl))] + syl[rng.IntN(len(syl))] + syl[rng.IntN(len(syl))]
					f = strings.ToUpper(f[:1]) + f[1:]
				}
				g := given[rng.IntN(len(given))]
				r := register.NewRegistrant{Given: g, Family: f, Nation: "wales"}.Create(fmt.Sprintf("LW%07d", 1000000+j), at, tx.Index())
				if err := tx.PutRegistrant(r); err != nil {
					return err
				}
				switch j % 3 {
				case 0:
					queries = append(queries, g+" "+f)
				case 1:
					queries = append(queries, f)
				case 2:
					queries = append(queries, g[:2]+" "+f[:3])
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	p := New(func() *state.Store { return st }, func() time.Time { return at })
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		res, err := p.Search(queries[i%len(queries)])
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(res); err != nil {
			b.Fatal(err)
		}
	}
}
