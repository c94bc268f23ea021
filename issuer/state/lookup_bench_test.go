package state

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/nalw/linkpass/issuer/register"
)

// BenchmarkStoreRegistrant measures looking up one registrant by number,
// what the public entry page does for each request, in a register of
// LINKPASS_BENCH_REGISTRANTS (fillTypical).
func BenchmarkStoreRegistrant(b *testing.B) {
	s, n := typicalStore(b)
	numbers := make([]string, n)
	for i := range numbers {
		numbers[i] = fmt.Sprintf("LW%07d", 1000000+i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		r, err := s.Registrant(numbers[i%n])
		if err != nil || r.Number != numbers[i%n] {
			b.Fatalf("registrant %s: %v", numbers[i%n], err)
		}
	}
	// The machines are shared: CPU time per lookup, the collector's
	// included, says more than the wall clock.
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// lookupStore is filled once for every run of the benchmarks.
var lookupStore *sizedStore

// typicalStore returns the register of LINKPASS_BENCH_REGISTRANTS typical
// registrants (fillTypical) the lookup benchmarks share, and its size.
func typicalStore(b *testing.B) (*Store, int) {
	n := benchN()
	if lookupStore == nil || lookupStore.n != n {
		s, err := New()
		must(b, err)
		fillTypical(b, s, n)
		lookupStore = &sizedStore{s, n}
	}
	return lookupStore.s, n
}

type sizedStore struct {
	s *Store
	n int
}

// BenchmarkRegistrantRowsInAnyOrder measures finding registrants' rows by
// number in a random order, as a name search finds its hits (up to 50 a
// search), in a register of LINKPASS_BENCH_REGISTRANTS restored from a
// snapshot, as a restart leaves it.
func BenchmarkRegistrantRowsInAnyOrder(b *testing.B) {
	n := benchN()
	s, err := New()
	must(b, err)
	fillTypicalBatched(b, s, n, 1000)
	var buf bytes.Buffer
	must(b, s.Snapshot().Persist(&buf))
	s, err = Restore(&buf)
	must(b, err)
	numbers := make([]string, n)
	for i, p := range rand.New(rand.NewPCG(1, 2)).Perm(n) {
		numbers[i] = fmt.Sprintf("LW%07d", 1000000+p)
	}
	regs := s.regs(s.read())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := regs.row(numbers[i%n]); !ok {
			b.Fatalf("no row for %s", numbers[i%n])
		}
	}
}

// BenchmarkEachRegistrant is the lapse check's scan (Server.PendingLapse)
// of a register of LINKPASS_BENCH_REGISTRANTS: every registered row read.
func BenchmarkEachRegistrant(b *testing.B) {
	s, _ := typicalStore(b)
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		seen := 0
		must(b, s.EachRegistrant(register.Registered, func(r *register.Registrant) error {
			if r.Number != "" {
				seen++
			}
			return nil
		}))
		if seen == 0 {
			b.Fatal("the scan saw no registered registrant")
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}
