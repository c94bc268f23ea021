package state

import (
	"fmt"
	"os"
	"runtime"
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
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	quals := []register.Qualification{
		{Title: "Level 4 Certificate in Social Prescribing", Level: 4, Provider: "University of Westminster", Accreditation: "nalw-accredited", Awarded: "2019-07-14"},
		{Title: "Mental Health First Aid", Level: 2, Provider: "MHFA England", Accreditation: "other", Awarded: "2021-02-11"},
	}
	actor := register.Actor{TokenID: "aaaaaaaaaaaaaaaa", Role: register.RoleAdmin}
	idx := uint64(1)
	for i := 0; i < n; i++ {
		m := register.Imported{ExternalRef: fmt.Sprintf("OLD-%07d", i), Given: "Siân", Family: fmt.Sprintf("Evans-%d", i), Nation: "wales",
			Email: fmt.Sprintf("p%d@example.org", i), RegisteredFrom: "2020-04-01", RegisteredUntil: "2027-03-31", Status: register.Registered, Qualifications: quals}
		number := fmt.Sprintf("LW%07d", 1000000+i)
		must(tb, s.Write(idx, func(tx *Txn) error {
			r := m.Create(number, at, idx)
			if err := tx.PutRegistrant(r); err != nil {
				return err
			}
			return tx.Audit(register.AuditEvent{At: at, Actor: actor, Action: "registrant.import", Registrant: number, Reason: r.StatusReason,
				Details: map[string]string{"external_ref": m.ExternalRef, "status": "registered"}})
		}))
		idx++
		must(tb, s.Write(idx, func(tx *Txn) error {
			c := &register.IssuedCredential{JTI: fmt.Sprintf("0b7f3c2e-1d4a-4e8b-9f00-%012d", i), Registrant: number, KID: "k-2026-11-24",
				IssuedAt: at, ExpiresAt: at.AddDate(1, 0, 0), Status: register.CredentialValid, StatusChangedAt: at, List: "1", Idx: uint64(i), CreateIndex: idx, ModifyIndex: idx}
			if err := tx.PutCredential(c); err != nil {
				return err
			}
			return tx.Audit(register.AuditEvent{At: at, Actor: actor, Action: "credential.issue", Registrant: number, Target: c.JTI,
				Details: map[string]string{"kid": c.KID, "status_list": "1", "status_idx": fmt.Sprint(i)}})
		}))
		idx++
		must(tb, s.Write(idx, func(tx *Txn) error {
			old, err := tx.Registrant(number)
			if err != nil {
				return err
			}
			r, err := old.RecordCPD(register.CPD{Year: 2026, Hours: 21, FormalHours: 11}, idx)
			if err != nil {
				return err
			}
			if err := tx.PutRegistrant(r); err != nil {
				return err
			}
			return tx.Audit(register.AuditEvent{At: at, Actor: actor, Action: "registrant.record-cpd", Registrant: number,
				Details: map[string]string{"year": "2026", "hours": "21"}})
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
		after := heapInUse()
		b.ReportMetric(float64(after-before)/float64(n), "heap-bytes/registrant")
		// The process's resident set, of which the store is nearly all at
		// this size: what the RSS target is about (Linux only).
		if rss := residentBytes(); rss > 0 {
			b.ReportMetric(float64(rss)/float64(n), "rss-bytes/registrant")
		}
		if path := os.Getenv("LINKPASS_HEAP_PROFILE"); path != "" {
			f, err := os.Create(path)
			must(b, err)
			must(b, pprof.WriteHeapProfile(f))
			must(b, f.Close())
		}
		runtime.KeepAlive(s)
	}
}

// residentBytes is this process's VmRSS, or 0 where /proc does not say.
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
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
