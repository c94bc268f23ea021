package state

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/regno"
	"github.com/nalw/linkpass/staff"
)

// TestAuditFilterReturnsWhatAScanWould fills a trail with events by
// several actors, of several actions, about several registrants, at times
// that mostly go forward but sometimes back (as the demonstration seed's
// do), and checks that every filter, read through the indexes, returns
// exactly what a plain scan of every event would, before and after a
// snapshot and restore. It runs with blocks of the usual size and with
// blocks of a few events each, so that filters cross many blocks.
func TestAuditFilterReturnsWhatAScanWould(t *testing.T) {
	for _, size := range []int{auditBlockSize, 256} {
		t.Run(fmt.Sprint(size), func(t *testing.T) { testAuditFilter(t, size) })
	}
}

func testAuditFilter(t *testing.T, blockSize int) {
	s := newStore(t)
	s.audit.blockSize = blockSize
	rng := rand.New(rand.NewPCG(1, 2))
	actors := []register.Actor{
		{TokenID: "0123456789abcdef", Role: register.RoleAdmin},
		{Staff: "st_0000000000000001", Role: register.RoleRegistrar},
		{TokenID: "fedcba9876543210", Role: register.RoleRegistrar, Staff: "st_0000000000000001"},
		{Staff: "st_0000000000000002", Role: register.RoleAuditor},
		register.System,
	}
	actions := []string{"registrant.add", "registrant.suspend", "registrant.reinstate", "staff.sign-in"}
	var all []*register.AuditEvent
	when := at
	for idx := uint64(1); idx <= 400; idx++ {
		n := 1 + rng.IntN(3)
		when = when.Add(time.Duration(rng.IntN(7200)) * time.Second)
		write(t, s, idx, func(tx *Txn) error {
			for range n {
				ev := register.AuditEvent{At: when, Actor: actors[rng.IntN(len(actors))], Action: actions[rng.IntN(len(actions))]}
				if rng.IntN(10) == 0 {
					ev.At = when.Add(-time.Duration(rng.IntN(30)) * 24 * time.Hour) // backdated
				}
				if ev.Action != "staff.sign-in" {
					ev.Registrant = regno.Format(uint64(100001 + rng.IntN(8)))
				}
				if err := tx.Audit(ev); err != nil {
					return err
				}
			}
			return nil
		})
	}
	all, err := s.Audit(AuditFilter{})
	require.NoError(t, err)
	require.Greater(t, len(all), 400)

	scan := func(f AuditFilter) []*register.AuditEvent {
		var actorSet map[string]bool
		if f.Actors != nil {
			actorSet = map[string]bool{}
			for _, k := range f.Actors {
				actorSet[k] = true
			}
		}
		var out []*register.AuditEvent
		for _, ev := range all {
			if f.matches(ev, actorSet) {
				out = append(out, ev)
			}
		}
		return out
	}
	var filters []AuditFilter
	for range 300 {
		f := AuditFilter{}
		if rng.IntN(2) == 0 {
			f.Registrant = regno.Format(uint64(100001 + rng.IntN(9)))
		}
		if rng.IntN(2) == 0 {
			f.Action = actions[rng.IntN(len(actions))]
		}
		switch rng.IntN(4) {
		case 0:
			f.Actors = []string{}
		case 1:
			f.Actors = []string{ActorKey(actors[rng.IntN(len(actors))])}
		case 2:
			f.Actors = []string{"st_0000000000000001", "system", "st_0000000000000001"}
		}
		if rng.IntN(2) == 0 {
			f.From = at.Add(time.Duration(rng.IntN(400*3600)) * time.Second)
		}
		if rng.IntN(2) == 0 {
			f.To = at.Add(time.Duration(rng.IntN(400*3600)) * time.Second)
		}
		if rng.IntN(3) == 0 {
			f.After = uint64(rng.IntN(400))
		}
		filters = append(filters, f)
	}
	var buf bytes.Buffer
	require.NoError(t, s.Snapshot().Persist(&buf))
	restored, err := Restore(&buf)
	require.NoError(t, err)
	matched := 0
	for i, f := range filters {
		want := scan(f)
		matched += len(want)
		for name, st := range map[string]*Store{"live": s, "restored": restored} {
			got, err := st.Audit(f)
			require.NoError(t, err)
			require.Equal(t, fmt.Sprint(eventKeys(want)), fmt.Sprint(eventKeys(got)), "%s filter %d: %+v", name, i, f)
		}
	}
	assert.Greater(t, matched, 1000, "the filters select something")

	t.Run("a page never splits a change, with a filter too", func(t *testing.T) {
		f := AuditFilter{Actors: []string{"st_0000000000000001"}, Limit: 5}
		var paged []*register.AuditEvent
		for {
			page, err := s.Audit(f)
			require.NoError(t, err)
			if len(page) == 0 {
				break
			}
			paged = append(paged, page...)
			f.After = page[len(page)-1].Index
		}
		f.Limit, f.After = 0, 0
		assert.Equal(t, eventKeys(scan(f)), eventKeys(paged))
	})
}

func eventKeys(evs []*register.AuditEvent) []string {
	out := []string{}
	for _, ev := range evs {
		out = append(out, fmt.Sprintf("%d.%d", ev.Index, ev.Seq))
	}
	return out
}

func TestActorsNamedFindsStaffAndIntegrationsByTheirNames(t *testing.T) {
	s := newStore(t)
	write(t, s, 1, func(tx *Txn) error {
		for _, a := range []*staff.Account{
			{ID: "st_0000000000000001", Name: "Grace Hopper", Email: "grace@nalw.example", Role: register.RoleRegistrar, Status: staff.Active},
			{ID: "st_0000000000000002", Name: "Siobhán O’Neill", Email: "siobhan@nalw.example", Role: register.RoleAuditor, Status: staff.Active},
		} {
			if err := tx.PutStaffAccount(a); err != nil {
				return err
			}
		}
		for _, tok := range []*register.Token{
			{ID: "aaaaaaaaaaaaaaaa", Role: register.RoleRegistrar, Staff: "st_0000000000000001", SecretHash: make([]byte, 32), CreatedAt: at},
			{ID: "bbbbbbbbbbbbbbbb", Role: register.RoleRegistrar, Name: "HR system", SecretHash: make([]byte, 32), CreatedAt: at},
		} {
			if err := tx.PutToken(tok); err != nil {
				return err
			}
		}
		return nil
	})
	for q, want := range map[string][]string{
		"grace":            {"st_0000000000000001"},
		"Hopper Grace":     {"st_0000000000000001"},
		"gra hop":          {"st_0000000000000001"},
		"siobhan oneill":   {},
		"Siobhan O'Neill":  {"st_0000000000000002"},
		"hr":               {"bbbbbbbbbbbbbbbb"},
		"aaaaaaaaaaaaaaaa": {"st_0000000000000001"},
		"system":           {"bbbbbbbbbbbbbbbb", "system"}, // HR system too
		"automatic":        {"system"},
		"nobody":           {},
		"   ":              {},
	} {
		got, err := s.ActorsNamed(q)
		require.NoError(t, err)
		assert.Equal(t, want, got, "%q", q)
	}
}

// TestAuditReadsWhileWriting reads the trail through every kind of filter
// while events are appended and blocks sealed; run with -race, it shows
// that readers need no more than the view they took.
func TestAuditReadsWhileWriting(t *testing.T) {
	s := newStore(t)
	s.audit.blockSize = 512
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 3000 {
			write(t, s, uint64(i+1), func(tx *Txn) error {
				return tx.Audit(register.AuditEvent{At: at.Add(time.Duration(i) * time.Second), Actor: register.Actor{Staff: fmt.Sprintf("st_%d", i%3)},
					Action: fmt.Sprintf("a.%d", i%5), Registrant: regno.Format(uint64(100001 + i%50))})
			})
		}
	}()
	filters := []AuditFilter{{Limit: 20}, {Registrant: regno.Format(100001)}, {Action: "a.3", Limit: 10}, {Actors: []string{"st_1", "st_2"}}, {From: at.Add(time.Hour)}}
	for reads := 0; ; reads++ {
		select {
		case <-done:
			evs, err := s.Audit(AuditFilter{})
			require.NoError(t, err)
			require.Len(t, evs, 3000)
			assert.Positive(t, reads)
			return
		default:
		}
		f := filters[reads%len(filters)]
		evs, err := s.Audit(f)
		require.NoError(t, err)
		for i, ev := range evs {
			require.True(t, f.matches(ev, nil) || f.Actors != nil, "%+v", f)
			if i > 0 {
				require.Less(t, evs[i-1].Index, ev.Index)
			}
		}
		s.AuditActions()
	}
}
