package statuspub_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/statuslist"
)

// BenchmarkPublishLatencyUnderBursts measures how long a committed status
// change takes to be served: from the commit to the moment the publisher
// has published a list carrying it. The list has the production size
// (2^20 entries) and 10,000 credentials; each iteration is a burst from 4
// concurrent writers of 1 to 50 suspensions or reinstatements each, back
// to back. It reports the 50th and 99th percentile over all changes.
func BenchmarkPublishLatencyUnderBursts(b *testing.B) {
	r := newReg(b)
	const holders, writers = 10_000, 4
	numbers := make([]string, holders)
	for i := range numbers {
		_, res := r.apply(fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "Bench", Family: fmt.Sprintf("B%d", i), Nation: "england"}})
		numbers[i] = res.(fsm.Result).Registrant.Number
		r.issueIn(numbers[i], uint64(i*97), statuslist.RecommendedSize)
	}
	p := r.publisher(r.key)
	if err := p.Rebuild(); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx)

	var mu sync.Mutex
	var lat []time.Duration
	suspended := make([]bool, holders)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				rnd := rand.New(rand.NewPCG(uint64(i), uint64(w)))
				for n := 1 + rnd.IntN(50); n > 0; n-- {
					// Each writer owns the holders h with h%writers == w.
					h := rnd.IntN(holders/writers)*writers + w
					op := fsm.OpSuspend
					if suspended[h] {
						op = fsm.OpReinstate
					}
					suspended[h] = !suspended[h]
					idx, _ := r.apply(fsm.ChangeRegistrant{Number: numbers[h], Op: op, Reason: "bench"})
					committed := time.Now()
					wg.Add(1)
					go func() {
						defer wg.Done()
						wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
						defer cancel()
						if _, err := p.Wait(wctx, idx); err != nil {
							b.Error(err)
							return
						}
						d := time.Since(committed)
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
					}()
				}
			}(w)
		}
		wg.Wait()
	}
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
		b.ReportMetric(float64(len(lat)), "changes")
	}
}

// BenchmarkRebuild measures one rebuild of a 2^20-entry list holding
// 10,000 credentials, a tenth of them suspended, after one change.
func BenchmarkRebuild(b *testing.B) {
	r := newReg(b)
	const holders = 10_000
	numbers := make([]string, holders)
	for i := range numbers {
		_, res := r.apply(fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "Bench", Family: fmt.Sprintf("B%d", i), Nation: "england"}})
		numbers[i] = res.(fsm.Result).Registrant.Number
		r.issueIn(numbers[i], uint64(i*97), statuslist.RecommendedSize)
		if i%10 == 0 {
			r.apply(fsm.ChangeRegistrant{Number: numbers[i], Op: fsm.OpSuspend, Reason: "bench"})
		}
	}
	p := r.publisher(r.key)
	if err := p.Rebuild(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		op := fsm.OpSuspend
		if i%2 == 1 {
			op = fsm.OpReinstate
		}
		r.apply(fsm.ChangeRegistrant{Number: numbers[1], Op: op, Reason: "bench"})
		b.StartTimer()
		if err := p.Rebuild(); err != nil {
			b.Fatal(err)
		}
	}
}
