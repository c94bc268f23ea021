package state

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/nalw/linkpass/issuer/register"
)

// benchStore builds a store of n registrants, each with one qualification,
// and two audit events per registrant, directly (no log) for speed.
func benchStore(tb testing.TB, n int) *Store {
	tb.Helper()
	s, err := New()
	if err != nil {
		tb.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	q := register.Qualification{Title: "Level 4 Certificate in Social Prescribing", Level: 4, Provider: "University of Westminster", Accreditation: "nalw-accredited", Awarded: "2023-07-14"}
	for i := 0; i < n; i++ {
		err := s.Write(uint64(2*i+1), func(tx *Txn) error {
			r := register.NewRegistrant{Given: "Restart", Family: fmt.Sprintf("Person%06d", i), Nation: "scotland", Email: fmt.Sprintf("p%d@example.org", i)}.
				Create(fmt.Sprintf("LW%07d", i), at, tx.Index())
			r.Qualifications = append(r.Qualifications, q)
			if err := tx.PutRegistrant(r); err != nil {
				return err
			}
			if err := tx.Audit(register.AuditEvent{At: at, Actor: register.System, Action: "registrant.add", Registrant: r.Number, Details: map[string]string{"name": r.FullName(), "nation": r.Nation}}); err != nil {
				return err
			}
			return tx.Audit(register.AuditEvent{At: at, Actor: register.System, Action: "registrant.add-qualification", Registrant: r.Number, Details: map[string]string{"title": q.Title, "level": "4"}})
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

// BenchmarkSnapshotRestore measures writing and reading back a snapshot of
// 100,000 registrants and 200,000 audit events, the bulk of a restart.
func BenchmarkSnapshotRestore(b *testing.B) {
	s := benchStore(b, 100_000)
	var buf bytes.Buffer
	if err := s.Snapshot().Persist(&buf); err != nil {
		b.Fatal(err)
	}
	b.Run("persist", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			var out bytes.Buffer
			if err := s.Snapshot().Persist(&out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("restore", func(b *testing.B) {
		b.SetBytes(int64(buf.Len()))
		cpu := cpuTime()
		for i := 0; i < b.N; i++ {
			if _, err := Restore(bytes.NewReader(buf.Bytes())); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
	})
}
