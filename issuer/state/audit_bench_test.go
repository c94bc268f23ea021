package state

import (
	"fmt"
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
	actions := []string{"registrant.add", "registrant.renew", "registrant.record-cpd", "credential.issue", "registrant.remove"}
	const n = 200000
	for i := range n {
		ev := register.AuditEvent{At: at.Add(time.Duration(i) * time.Minute), Actor: register.Actor{Staff: fmt.Sprintf("st_%016d", i%10), Role: register.RoleRegistrar},
			Action: actions[i%4], Registrant: regno.Format(uint64(100001 + i%20000))}
		if i%1000 == 0 {
			ev.Action, ev.Actor = actions[4], register.Actor{Staff: "st_rare", Role: register.RoleAdmin}
		}
		if err := s.Write(uint64(i+1), func(tx *Txn) error { return tx.Audit(ev) }); err != nil {
			b.Fatal(err)
		}
	}
	last := at.Add(n * time.Minute)
	for _, c := range []struct {
		name string
		f    AuditFilter
	}{
		{"registrant", AuditFilter{Registrant: regno.Format(100042), Limit: 50}},
		{"rare-actor", AuditFilter{Actors: []string{"st_rare"}, Limit: 50}},
		{"rare-action", AuditFilter{Action: "registrant.remove", Limit: 50}},
		{"common-actor", AuditFilter{Actors: []string{"st_0000000000000003"}, Limit: 50}},
		{"last-day", AuditFilter{From: last.Add(-24 * time.Hour), Limit: 50}},
		{"rare-action-in-last-week", AuditFilter{Action: "registrant.remove", From: last.Add(-7 * 24 * time.Hour), Limit: 50}},
		{"none", AuditFilter{Limit: 50}},
	} {
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
