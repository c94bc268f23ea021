package publicregister

import (
	"fmt"
	"testing"
	"time"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

// TestReleasedAnswersLeaveNoTrace answers searches of many and few
// entries one after another, each released before the next, and expects
// each to be written exactly as the same search answered afresh.
func TestReleasedAnswersLeaveNoTrace(t *testing.T) {
	st, err := state.New()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	err = st.Write(1, func(tx *state.Txn) error {
		for i := range 80 {
			f := []string{"Evans", "Jones", "Evans-Jones"}[i%3]
			r := register.NewRegistrant{Given: fmt.Sprintf("Siân%d", i%7), Family: f, Nation: "wales"}.Create(fmt.Sprintf("LW%07d", 1000000+i), at, tx.Index())
			if i%5 == 0 {
				r.Qualifications = []register.Qualification{{Title: fmt.Sprintf("q%d", i)}}
			}
			if err := tx.PutRegistrant(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p := New(func() *state.Store { return st }, func() time.Time { return at })
	queries := []string{"evans", "sian3 jones", "nobody", "jones", "sian1 evans jones", "evans"}
	want := map[string]string{}
	for _, q := range queries {
		res, err := p.Search(q)
		if err != nil {
			t.Fatal(err)
		}
		want[q] = string(res.AppendJSON(nil))
	}
	for range 3 {
		for _, q := range queries {
			res, err := p.Search(q)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(res.AppendJSON(nil)); got != want[q] {
				t.Fatalf("%q after a released answer:\n%s\nwant\n%s", q, got, want[q])
			}
			n := len(res.Results)
			res.Release()
			if n > 0 && res.Results != nil {
				t.Fatalf("%q: a released answer keeps its entries", q)
			}
		}
	}
}
