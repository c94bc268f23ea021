package state

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/nalw/linkpass/issuer/register"
)

// auditTrail keeps the audit trail outside memdb. The trail is append-only
// and read rarely (audit list and export), while a register of a million
// holds several events per registrant; in memdb each event cost about
// 800 bytes (the object, a map, and a radix-tree leaf and node per index).
// Here an event is its JSON encoding (the snapshot record, about 250
// bytes) in large shared chunks, plus 20 bytes of position and a place in
// the per-registrant list.
//
// Immutability holds as it does for memdb: an event never changes once
// appended, and a reader sees the trail as it was when it started (a
// length), so later appends are invisible to it.
type auditTrail struct {
	mu     sync.RWMutex
	chunks [][]byte
	events []auditLoc
	byReg  map[string][]uint32
}

// auditLoc places one event: its log index (for paging), and where its
// encoding lies.
type auditLoc struct {
	index      uint64
	chunk, off uint32
	n          uint32
}

const auditChunk = 1 << 20

func newAuditTrail() *auditTrail { return &auditTrail{byReg: map[string][]uint32{}} }

// pendingEvent is an event a write transaction has made but not committed.
type pendingEvent struct {
	raw        []byte
	index      uint64
	registrant string
}

// encodeEvent encodes ev as the trail and snapshots store it.
func encodeEvent(ev *register.AuditEvent) (pendingEvent, error) {
	raw, err := json.Marshal(ev)
	if err != nil {
		return pendingEvent{}, fmt.Errorf("state: encoding audit event: %w", err)
	}
	return pendingEvent{raw: raw, index: ev.Index, registrant: ev.Registrant}, nil
}

// append adds committed events in order.
func (a *auditTrail) append(evs ...pendingEvent) {
	if len(evs) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ev := range evs {
		last := len(a.chunks) - 1
		if last < 0 || len(a.chunks[last])+len(ev.raw) > cap(a.chunks[last]) {
			a.chunks = append(a.chunks, make([]byte, 0, max(auditChunk, len(ev.raw))))
			last++
		}
		c := a.chunks[last]
		a.events = append(a.events, auditLoc{index: ev.index, chunk: uint32(last), off: uint32(len(c)), n: uint32(len(ev.raw))})
		a.chunks[last] = append(c, ev.raw...)
		if ev.registrant != "" {
			a.byReg[ev.registrant] = append(a.byReg[ev.registrant], uint32(len(a.events)-1))
		}
	}
}

// view returns the trail as it is now.
func (a *auditTrail) view() auditView {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return auditView{a: a, n: len(a.events)}
}

// auditView is the trail up to a length.
type auditView struct {
	a *auditTrail
	n int
}

// raw returns event i's encoding. Chunks only grow past what a view can
// see, so the bytes it returns never change.
func (v auditView) raw(i int) []byte {
	v.a.mu.RLock()
	loc := v.a.events[i]
	c := v.a.chunks[loc.chunk]
	v.a.mu.RUnlock()
	return c[loc.off : loc.off+loc.n : loc.off+loc.n]
}

func (v auditView) index(i int) uint64 {
	v.a.mu.RLock()
	defer v.a.mu.RUnlock()
	return v.a.events[i].index
}

// each calls fn with every event's encoding in log order.
func (v auditView) each(fn func(raw []byte) error) error {
	for i := 0; i < v.n; i++ {
		if err := fn(v.raw(i)); err != nil {
			return err
		}
	}
	return nil
}

// query returns the events f selects, in log order.
func (v auditView) query(f AuditFilter) ([]*register.AuditEvent, error) {
	var ids []uint32
	if f.Registrant != "" {
		v.a.mu.RLock()
		all := v.a.byReg[f.Registrant]
		// Positions grow with the trail; keep those this view can see.
		k := sort.Search(len(all), func(i int) bool { return int(all[i]) >= v.n })
		ids = all[:k:k]
		v.a.mu.RUnlock()
	}
	next := func() func() (int, bool) {
		if f.Registrant != "" {
			j := 0
			return func() (int, bool) {
				if j >= len(ids) {
					return 0, false
				}
				j++
				return int(ids[j-1]), true
			}
		}
		i := sort.Search(v.n, func(i int) bool { return v.index(i) > f.After })
		return func() (int, bool) {
			if i >= v.n {
				return 0, false
			}
			i++
			return i - 1, true
		}
	}()
	var out []*register.AuditEvent
	for i, ok := next(); ok; i, ok = next() {
		idx := v.index(i)
		if idx <= f.After {
			continue
		}
		// A page never splits the events of one change, so that paging
		// by After loses nothing.
		if f.Limit > 0 && len(out) >= f.Limit && idx != out[len(out)-1].Index {
			break
		}
		ev := new(register.AuditEvent)
		if err := json.Unmarshal(v.raw(i), ev); err != nil {
			return nil, fmt.Errorf("state: audit event %d: %w", i, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// restoredEvent is an audit record read back from a snapshot: its bytes,
// kept as they are, and what the trail indexes.
type restoredEvent struct{ pendingEvent }

func (r *restoredEvent) UnmarshalJSON(b []byte) error {
	var head struct {
		Index      uint64 `json:"index"`
		Registrant string `json:"registrant"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	r.raw = append([]byte(nil), b...)
	r.index, r.registrant = head.Index, head.Registrant
	return nil
}
