package state

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nalw/linkpass/issuer/register"
)

// fillTypical writes n registrants as a register of a million would hold
// them: two qualifications, one credential and three audit events each
// (imported, credential issued, CPD recorded), one change per write as the
// log would apply them.
func fillTypical(tb testing.TB, s *Store, n int) {
	tb.Helper()
	fillTypicalBatched(tb, s, n, 1)
}

// fillTypicalBatched is fillTypical with the changes of per registrants in
// each write, as an import's batches are: the same rows, trees and audit
// events, written in a fraction of the time.
func fillTypicalBatched(tb testing.TB, s *Store, n, per int) {
	tb.Helper()
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	quals := []register.Qualification{
		{Title: "Level 4 Certificate in Social Prescribing", Level: 4, Provider: "University of Westminster", Accreditation: "nalw-accredited", Awarded: "2019-07-14"},
		{Title: "Mental Health First Aid", Level: 2, Provider: "MHFA England", Accreditation: "other", Awarded: "2021-02-11"},
	}
	actor := register.Actor{TokenID: "aaaaaaaaaaaaaaaa", Role: register.RoleAdmin}
	changes := func(i int) [3]func(tx *Txn) error {
		m := register.Imported{ExternalRef: fmt.Sprintf("OLD-%07d", i), Given: "Siân", Family: fmt.Sprintf("Evans-%d", i), Nation: "wales",
			Email: fmt.Sprintf("p%d@example.org", i), RegisteredFrom: "2020-04-01", RegisteredUntil: "2027-03-31", Status: register.Registered, Qualifications: quals}
		number := fmt.Sprintf("LW%07d", 1000000+i)
		return [3]func(tx *Txn) error{
			func(tx *Txn) error {
				r := m.Create(number, at, tx.Index())
				if err := tx.PutRegistrant(r); err != nil {
					return err
				}
				return tx.Audit(register.AuditEvent{At: at, Actor: actor, Action: "registrant.import", Registrant: number, Reason: r.StatusReason,
					Details: map[string]string{"external_ref": m.ExternalRef, "status": "registered"}})
			},
			func(tx *Txn) error {
				c := &register.IssuedCredential{JTI: fmt.Sprintf("0b7f3c2e-1d4a-4e8b-9f00-%012d", i), Registrant: number, KID: "k-2026-11-24",
					IssuedAt: at, ExpiresAt: at.AddDate(1, 0, 0), Status: register.CredentialValid, StatusChangedAt: at, List: "1", Idx: uint64(i), CreateIndex: tx.Index(), ModifyIndex: tx.Index()}
				if err := tx.PutCredential(c); err != nil {
					return err
				}
				return tx.Audit(register.AuditEvent{At: at, Actor: actor, Action: "credential.issue", Registrant: number, Target: c.JTI,
					Details: map[string]string{"kid": c.KID, "status_list": "1", "status_idx": fmt.Sprint(i)}})
			},
			func(tx *Txn) error {
				old, err := tx.Registrant(number)
				if err != nil {
					return err
				}
				r, err := old.RecordCPD(register.CPD{Year: 2026, Hours: 21, FormalHours: 11}, tx.Index())
				if err != nil {
					return err
				}
				if err := tx.PutRegistrant(r); err != nil {
					return err
				}
				return tx.Audit(register.AuditEvent{At: at, Actor: actor, Action: "registrant.record-cpd", Registrant: number,
					Details: map[string]string{"year": "2026", "hours": "21"}})
			},
		}
	}
	idx := uint64(1)
	if per <= 1 {
		for i := 0; i < n; i++ {
			for _, fn := range changes(i) {
				must(tb, s.Write(idx, fn))
				idx++
			}
		}
		return
	}
	for i := 0; i < n; i += per {
		must(tb, s.Write(idx, func(tx *Txn) error {
			for j := i; j < min(i+per, n); j++ {
				for _, fn := range changes(j) {
					if err := fn(tx); err != nil {
						return err
					}
				}
			}
			return nil
		}))
		idx++
	}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// BenchmarkMemoryPerRegistrant measures the live heap of the state store
// per registrant of a typical register (fillTypical). The RSS target is
// 1.5 KB per registrant; RSS adds the collector's headroom to this.
func BenchmarkMemoryPerRegistrant(b *testing.B) {
	n := benchN()
	for i := 0; i < b.N; i++ {
		before := heapInUse()
		s, err := New()
		must(b, err)
		fillTypical(b, s, n)
		reportMemory(b, n, before)
		runtime.KeepAlive(s)
	}
}

// reportMemory reports the heap in use since before and the process's
// resident set, of which the store is nearly all at these sizes: what the
// RSS target is about (Linux only). It writes a heap profile to
// LINKPASS_HEAP_PROFILE if set.
func reportMemory(b *testing.B, n int, before uint64) {
	b.ReportMetric(float64(heapInUse()-before)/float64(n), "heap-bytes/registrant")
	if rss := residentBytes(); rss > 0 {
		b.ReportMetric(float64(rss)/float64(n), "rss-bytes/registrant")
	}
	if path := os.Getenv("LINKPASS_HEAP_PROFILE"); path != "" {
		f, err := os.Create(path)
		must(b, err)
		must(b, pprof.WriteHeapProfile(f))
		must(b, f.Close())
	}
}

// BenchmarkMemoryAfterRestore measures the typical register (fillTypical's
// rows, written in batches for speed) as a restart leaves it: snapshotted
// to a file, dropped, its memory handed back to the system, and restored.
// BenchmarkMemoryPerRegistrant measures a store straight after a million
// writes, whose peak heap and freed copies the process still holds; a
// running register is what its last restart restored, plus the writes
// since. The RSS is the whole process's, as the target is, once it has
// served reads for four collections; peak-rss is the most it held during
// the restore (Linux only).
func BenchmarkMemoryAfterRestore(b *testing.B) {
	n := benchN()
	path := filepath.Join(b.TempDir(), "snapshot")
	func() {
		s, err := New()
		must(b, err)
		fillTypicalBatched(b, s, n, 1000)
		f, err := os.Create(path)
		must(b, err)
		w := bufio.NewWriterSize(f, 1<<20)
		must(b, s.Snapshot().Persist(w))
		must(b, w.Flush())
		must(b, f.Close())
	}()
	for i := 0; i < b.N; i++ {
		heapInUse()
		debug.FreeOSMemory()
		before := heapInUse()
		resetPeakResident()
		f, err := os.Open(path)
		must(b, err)
		t0, cpu0 := time.Now(), cpuTime()
		s, err := Restore(bufio.NewReaderSize(f, 1<<20))
		must(b, err)
		b.ReportMetric(float64(time.Since(t0).Milliseconds()), "restore-ms")
		b.ReportMetric(float64((cpuTime() - cpu0).Milliseconds()), "restore-cpu-ms")
		must(b, f.Close())
		if peak := peakResidentBytes(); peak > 0 {
			b.ReportMetric(float64(peak)/float64(n), "peak-rss-bytes/registrant")
		}
		// A start then collects the restore's garbage (issuer.Open) and
		// the scavenger hands its pages back, here at once; then serving:
		// reads until the collector has run four times, so that the
		// resident set holds the collector's headroom as a running
		// register's does.
		debug.FreeOSMemory()
		readUntilCollected(b, s, n, 4)
		reportMemory(b, n, before)
		runtime.KeepAlive(s)
	}
}

// readUntilCollected looks up fillTypical's registrants by number at
// random until the collector has run cycles times (at most 50 lookups a
// registrant), and reports the CPU a lookup took, the collector's share
// included: with GOGC set, what a setting costs reads.
func readUntilCollected(b *testing.B, s *Store, n int, cycles uint32) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	want := m.NumGC + cycles
	rng := rand.New(rand.NewPCG(3, 4))
	cpu := cpuTime()
	reads := 0
	for reads < 50*n {
		if _, err := s.Registrant(fmt.Sprintf("LW%07d", 1000000+rng.IntN(n))); err != nil {
			b.Fatal(err)
		}
		if reads++; reads%1024 == 0 {
			if runtime.ReadMemStats(&m); m.NumGC >= want {
				break
			}
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(reads), "read-cpu-ns")
}

// resetPeakResident starts the process's VmHWM afresh at its VmRSS.
func resetPeakResident() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// residentBytes is this process's VmRSS, or 0 where /proc does not say.
func residentBytes() int64 { return procStatus("VmRSS:") }

// peakResidentBytes is this process's VmHWM, or 0 where /proc does not say.
func peakResidentBytes() int64 { return procStatus("VmHWM:") }

// procStatus reads a size in kB from /proc/self/status, in bytes.
func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// benchN is the size of the register the memory benchmark builds:
// LINKPASS_BENCH_REGISTRANTS, 100,000 by default.
func benchN() int {
	if v, err := strconv.Atoi(os.Getenv("LINKPASS_BENCH_REGISTRANTS")); err == nil && v > 0 {
		return v
	}
	return 100_000
}

// BenchmarkRegistrantsByEmail is the account sign-in's lookup over a
// register of LINKPASS_BENCH_REGISTRANTS typical registrants.
func BenchmarkRegistrantsByEmail(b *testing.B) {
	n := benchN()
	s, err := New()
	must(b, err)
	fillTypical(b, s, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := s.RegistrantsByEmail(fmt.Sprintf("p%d@example.org", i%n))
		if err != nil || len(got) != 1 {
			b.Fatalf("got %d, %v", len(got), err)
		}
	}
}
