package state

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/regno"
)

// BenchmarkAuditFilter reads one page of a trail of 200,000 events (20,000
// registrants, 10 staff, 5 actions, one event a minute for 20 weeks) through
// each kind of filter, and a plain scan of the same trail for comparison.
func BenchmarkAuditFilter(b *testing.B) {
	s, err := New()
	if err != nil {
		b.Fatal(err)
	}
	auditFilterEvents(func(ev *register.AuditEvent) {
		if err := s.Write(ev.Index, func(tx *Txn) error { return tx.Audit(*ev) }); err != nil {
			b.Fatal(err)
		}
	})
	for _, c := range auditFilterCases() {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				evs, err := s.Audit(c.f)
				if err != nil || len(evs) == 0 {
					b.Fatal(err, len(evs))
				}
			}
		})
	}
	b.Run("scan-for-a-registrant", func(b *testing.B) {
		want := regno.Format(100042)
		for b.Loop() {
			all, err := s.Audit(AuditFilter{})
			if err != nil {
				b.Fatal(err)
			}
			k := 0
			for _, ev := range all {
				if ev.Registrant == want {
					k++
				}
			}
			if k == 0 {
				b.Fatal("none")
			}
		}
	})
}

// auditFilterEvents calls fn with the events of BenchmarkAuditFilter.
func auditFilterEvents(fn func(ev *register.AuditEvent)) {
	actions := []string{"registrant.add", "registrant.renew", "registrant.record-cpd", "credential.issue", "registrant.remove"}
	for i := range auditFilterN {
		ev := register.AuditEvent{Index: uint64(i + 1), At: at.Add(time.Duration(i) * time.Minute), Actor: register.Actor{Staff: fmt.Sprintf("st_%016d", i%10), Role: register.RoleRegistrar},
			Action: actions[i%4], Registrant: regno.Format(uint64(100001 + i%20000))}
		if i%1000 == 0 {
			ev.Action, ev.Actor = actions[4], register.Actor{Staff: "st_rare", Role: register.RoleAdmin}
		}
		fn(&ev)
	}
}

const auditFilterN = 200000

type auditFilterCase struct {
	name string
	f    AuditFilter
}

// auditFilterCases are the filters BenchmarkAuditFilter reads a page of.
func auditFilterCases() []auditFilterCase {
	last := at.Add(auditFilterN * time.Minute)
	return []auditFilterCase{
		{"registrant", AuditFilter{Registrant: regno.Format(100042), Limit: 50}},
		{"rare-actor", AuditFilter{Actors: []string{"st_rare"}, Limit: 50}},
		{"rare-action", AuditFilter{Action: "registrant.remove", Limit: 50}},
		{"common-actor", AuditFilter{Actors: []string{"st_0000000000000003"}, Limit: 50}},
		{"common-actor-after", AuditFilter{Actors: []string{"st_0000000000000003"}, After: auditFilterN / 2, Limit: 50}},
		{"last-day", AuditFilter{From: last.Add(-24 * time.Hour), Limit: 50}},
		{"rare-action-in-last-week", AuditFilter{Action: "registrant.remove", From: last.Add(-7 * 24 * time.Hour), Limit: 50}},
		{"none", AuditFilter{Limit: 50}},
	}
}

// trailUnderTest is the audit trail, old (JSON, audit_old_test.go) or new,
// as the benchmarks drive it.
type trailUnderTest struct {
	name  string
	new   func() any
	add   func(t any, ev *register.AuditEvent)
	query func(t any, f AuditFilter) ([]*register.AuditEvent, error)
}

var trailsUnderTest = []trailUnderTest{
	trailOf("old", newJSONTrail, jsonEncode, (*jsonTrail).append, func(t *jsonTrail, f AuditFilter) ([]*register.AuditEvent, error) { return t.view().query(f) }),
	trailOf("new", newAuditTrail, encodeEvent, (*auditTrail).append, func(t *auditTrail, f AuditFilter) ([]*register.AuditEvent, error) { return t.view().query(f) }),
}

func trailOf[T, P any](name string, newT func() T, encode func(*register.AuditEvent) (P, error), appendTo func(T, ...P), query func(T, AuditFilter) ([]*register.AuditEvent, error)) trailUnderTest {
	return trailUnderTest{name, func() any { return newT() },
		func(t any, ev *register.AuditEvent) {
			p, err := encode(ev)
			if err != nil {
				panic(err)
			}
			appendTo(t.(T), p)
		},
		func(t any, f AuditFilter) ([]*register.AuditEvent, error) { return query(t.(T), f) }}
}

// typicalEvents calls fn with the three events fillTypical writes for each
// of n registrants, in the order the log would apply them.
func typicalEvents(n int, fn func(ev *register.AuditEvent)) {
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	actor := register.Actor{TokenID: "aaaaaaaaaaaaaaaa", Role: register.RoleAdmin}
	idx := uint64(1)
	for i := range n {
		number := fmt.Sprintf("LW%07d", 1000000+i)
		for _, ev := range []register.AuditEvent{
			{Action: "registrant.import", Details: map[string]string{"external_ref": fmt.Sprintf("OLD-%07d", i), "status": "registered"}},
			{Action: "credential.issue", Target: fmt.Sprintf("0b7f3c2e-1d4a-4e8b-9f00-%012d", i), Details: map[string]string{"kid": "k-2026-11-24", "status_list": "1", "status_idx": fmt.Sprint(i)}},
			{Action: "registrant.record-cpd", Details: map[string]string{"year": "2026", "hours": "21"}},
		} {
			ev.Index, ev.At, ev.Actor, ev.Registrant = idx, at.Add(time.Duration(idx)*time.Second), actor, number
			fn(&ev)
			idx++
		}
	}
}

// BenchmarkAuditTrail compares the trail with the one it replaced, side by
// side: live heap per event of a typical register's trail (50,000
// registrants, 150,000 events), the cost of appending an event, and
// writing the trail to a snapshot and reading it back.
func BenchmarkAuditTrail(b *testing.B) {
	const regs = 50_000
	for _, tr := range trailsUnderTest {
		b.Run(tr.name+"/heap", func(b *testing.B) {
			for b.Loop() {
				before := heapInUse()
				t := tr.new()
				typicalEvents(regs, func(ev *register.AuditEvent) { tr.add(t, ev) })
				after := heapInUse()
				b.ReportMetric(float64(after-before)/(3*regs), "heap-bytes/event")
				runtime.KeepAlive(t)
			}
		})
		b.Run(tr.name+"/append", func(b *testing.B) {
			t := tr.new()
			var evs []register.AuditEvent
			typicalEvents(regs, func(ev *register.AuditEvent) { evs = append(evs, *ev) })
			i := 0
			for b.Loop() {
				if i == len(evs) {
					b.StopTimer()
					t, i = tr.new(), 0
					b.StartTimer()
				}
				tr.add(t, &evs[i])
				i++
			}
		})
	}
	// Snapshots: the new trail through Store's Persist and Restore, the
	// old as its records were written (raw JSON) and read back.
	s, err := New()
	must(b, err)
	idx := uint64(0)
	typicalEvents(regs, func(ev *register.AuditEvent) {
		idx++
		must(b, s.Write(idx, func(tx *Txn) error { return tx.Audit(*ev) }))
	})
	old := newJSONTrail()
	typicalEvents(regs, func(ev *register.AuditEvent) { trailsUnderTest[0].add(old, ev) })
	var oldSnap, newSnap bytes.Buffer
	persistOld := func(w *bytes.Buffer) {
		w.WriteString(snapshotMagic)
		must(b, old.view().each(func(raw []byte) error {
			w.WriteByte(6)
			w.Write(binary.AppendUvarint(nil, uint64(len(raw))))
			w.Write(raw)
			return nil
		}))
		w.WriteByte(recordEnd)
	}
	persistOld(&oldSnap)
	must(b, s.Snapshot().Persist(&newSnap))
	b.Run("old/persist", func(b *testing.B) {
		for b.Loop() {
			var w bytes.Buffer
			persistOld(&w)
		}
		b.ReportMetric(float64(oldSnap.Len())/(3*regs), "snapshot-bytes/event")
	})
	b.Run("new/persist", func(b *testing.B) {
		for b.Loop() {
			var w bytes.Buffer
			must(b, s.Snapshot().Persist(&w))
		}
		b.ReportMetric(float64(newSnap.Len())/(3*regs), "snapshot-bytes/event")
	})
	b.Run("old/restore", func(b *testing.B) {
		for b.Loop() {
			r := bytes.NewReader(oldSnap.Bytes()[len(snapshotMagic):])
			t := newJSONTrail()
			for {
				typ, _ := r.ReadByte()
				if typ == recordEnd {
					break
				}
				n, err := binary.ReadUvarint(r)
				must(b, err)
				body := make([]byte, n)
				_, err = io.ReadFull(r, body)
				must(b, err)
				var ev jsonRestored
				must(b, json.Unmarshal(body, &ev))
				t.append(ev.jsonPending)
			}
		}
	})
	b.Run("new/restore", func(b *testing.B) {
		for b.Loop() {
			_, err := Restore(bytes.NewReader(newSnap.Bytes()))
			must(b, err)
		}
	})
}

// BenchmarkAuditFilterOldNew reads one page through each kind of filter of
// BenchmarkAuditFilter, from the old trail and the new side by side.
func BenchmarkAuditFilterOldNew(b *testing.B) {
	for _, tr := range trailsUnderTest {
		t := tr.new()
		auditFilterEvents(func(ev *register.AuditEvent) { tr.add(t, ev) })
		for _, c := range append(auditFilterCases(), auditFilterCase{"all", AuditFilter{}}) {
			b.Run(tr.name+"/"+c.name, func(b *testing.B) {
				for b.Loop() {
					evs, err := tr.query(t, c.f)
					if err != nil || len(evs) == 0 {
						b.Fatal(err, len(evs))
					}
				}
			})
		}
	}
}
