package state

// The audit trail as it was before its binary encoding (JSON in 1 MiB
// chunks, a 32-byte place per event and three maps of positions), kept
// for the benchmarks to compare with: BenchmarkAuditTrail.

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/nalw/linkpass/issuer/register"
)

// jsonTrail keeps the audit trail outside memdb. The trail is append-only
// and read rarely (audit list and export), while a register of a million
// holds several events per registrant; in memdb each event cost about
// 800 bytes (the object, a map, and a radix-tree leaf and node per index).
// Here an event is its JSON encoding (the snapshot record, about 250
// bytes) in large shared chunks, plus 32 bytes of position and time and a
// place in three lists: by registrant, by actor and by action (4 bytes
// each), so that a filter reads only the events it may return.
//
// Immutability holds as it does for memdb: an event never changes once
// appended, and a reader sees the trail as it was when it started (a
// length), so later appends are invisible to it.
type jsonTrail struct {
	mu       sync.RWMutex
	chunks   [][]byte
	events   []jsonLoc
	byReg    map[string][]uint32
	byActor  map[string][]uint32
	byAction map[string][]uint32
}

// jsonLoc places one event: its log index (for paging), where its
// encoding lies, and its time in Unix seconds. maxAt is the latest time of
// this event and every one before it. It never decreases, so the first
// event of a date range is found by binary search although times in the
// log may go back (the demonstration seed backdates its changes).
type jsonLoc struct {
	index      uint64
	chunk, off uint32
	n          uint32
	at, maxAt  uint32
}

const jsonChunk = 1 << 20

func newJSONTrail() *jsonTrail {
	return &jsonTrail{byReg: map[string][]uint32{}, byActor: map[string][]uint32{}, byAction: map[string][]uint32{}}
}

// jsonPending is an event a write transaction has made but not committed.
type jsonPending struct {
	raw        []byte
	index      uint64
	registrant string
	actor      string
	action     string
	at         uint32
}

// jsonEncode encodes ev as the trail and snapshots store it.
func jsonEncode(ev *register.AuditEvent) (jsonPending, error) {
	raw, err := json.Marshal(ev)
	if err != nil {
		return jsonPending{}, fmt.Errorf("state: encoding audit event: %w", err)
	}
	return jsonPending{raw: raw, index: ev.Index, registrant: ev.Registrant, actor: ActorKey(ev.Actor), action: ev.Action, at: unixSeconds(ev.At)}, nil
}

// append adds committed events in order.
func (a *jsonTrail) append(evs ...jsonPending) {
	if len(evs) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ev := range evs {
		last := len(a.chunks) - 1
		if last < 0 || len(a.chunks[last])+len(ev.raw) > cap(a.chunks[last]) {
			a.chunks = append(a.chunks, make([]byte, 0, max(jsonChunk, len(ev.raw))))
			last++
		}
		c := a.chunks[last]
		maxAt := ev.at
		if n := len(a.events); n > 0 {
			maxAt = max(maxAt, a.events[n-1].maxAt)
		}
		a.events = append(a.events, jsonLoc{index: ev.index, chunk: uint32(last), off: uint32(len(c)), n: uint32(len(ev.raw)), at: ev.at, maxAt: maxAt})
		a.chunks[last] = append(c, ev.raw...)
		pos := uint32(len(a.events) - 1)
		if ev.registrant != "" {
			a.byReg[ev.registrant] = append(a.byReg[ev.registrant], pos)
		}
		a.byActor[ev.actor] = append(a.byActor[ev.actor], pos)
		a.byAction[ev.action] = append(a.byAction[ev.action], pos)
	}
}

// view returns the trail as it is now.
func (a *jsonTrail) view() jsonView {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return jsonView{a: a, n: len(a.events)}
}

// jsonView is the trail up to a length.
type jsonView struct {
	a *jsonTrail
	n int
}

// raw returns event i's encoding. Chunks only grow past what a view can
// see, so the bytes it returns never change.
func (v jsonView) raw(i int) []byte {
	v.a.mu.RLock()
	loc := v.a.events[i]
	c := v.a.chunks[loc.chunk]
	v.a.mu.RUnlock()
	return c[loc.off : loc.off+loc.n : loc.off+loc.n]
}

func (v jsonView) loc(i int) jsonLoc {
	v.a.mu.RLock()
	defer v.a.mu.RUnlock()
	return v.a.events[i]
}

// each calls fn with every event's encoding in log order.
func (v jsonView) each(fn func(raw []byte) error) error {
	for i := 0; i < v.n; i++ {
		if err := fn(v.raw(i)); err != nil {
			return err
		}
	}
	return nil
}

// visible returns the positions of list this view can see. Positions grow
// with the trail; the caller holds the read lock.
func (v jsonView) visible(list []uint32) []uint32 {
	k := sort.Search(len(list), func(i int) bool { return int(list[i]) >= v.n })
	return list[:k:k]
}

// candidates returns the positions an event f selects may have, in log
// order: the shortest of the lists f's fields name, or nil and false when
// f names none, so that every position is a candidate.
func (v jsonView) candidates(f AuditFilter) ([]uint32, bool) {
	v.a.mu.RLock()
	defer v.a.mu.RUnlock()
	var lists [][]uint32
	if f.Registrant != "" {
		lists = append(lists, v.visible(v.a.byReg[f.Registrant]))
	}
	if f.Action != "" {
		lists = append(lists, v.visible(v.a.byAction[f.Action]))
	}
	switch {
	case len(f.Actors) == 1:
		lists = append(lists, v.visible(v.a.byActor[f.Actors[0]]))
	case f.Actors != nil:
		// Several people of one name: their positions merged, in order.
		var all []uint32
		for _, k := range f.Actors {
			all = append(all, v.visible(v.a.byActor[k])...)
		}
		slices.Sort(all)
		lists = append(lists, slices.Compact(all))
	}
	if len(lists) == 0 {
		return nil, false
	}
	best := lists[0]
	for _, l := range lists[1:] {
		if len(l) < len(best) {
			best = l
		}
	}
	return best, true
}

// query returns the events f selects, in log order.
func (v jsonView) query(f AuditFilter) ([]*register.AuditEvent, error) {
	ids, listed := v.candidates(f)
	// Start at the first position past After and not before From; both
	// the log index and maxAt grow with the position.
	from := unixSeconds(f.From)
	start := sort.Search(v.n, func(i int) bool {
		l := v.loc(i)
		return l.index > f.After && (f.From.IsZero() || l.maxAt >= from)
	})
	j := 0
	if listed {
		j = sort.Search(len(ids), func(k int) bool { return int(ids[k]) >= start })
	}
	next := func() (int, bool) {
		if listed {
			if j >= len(ids) {
				return 0, false
			}
			j++
			return int(ids[j-1]), true
		}
		if start >= v.n {
			return 0, false
		}
		start++
		return start - 1, true
	}
	var actors map[string]bool
	if f.Actors != nil {
		actors = make(map[string]bool, len(f.Actors))
		for _, k := range f.Actors {
			actors[k] = true
		}
	}
	to := unixSeconds(f.To)
	var out []*register.AuditEvent
	for i, ok := next(); ok; i, ok = next() {
		l := v.loc(i)
		// Whole seconds first, from the position alone; the exact time
		// below, once decoded.
		if (!f.From.IsZero() && l.at < from) || (!f.To.IsZero() && l.at > to) {
			continue
		}
		// A page never splits the events of one change, so that paging
		// by After loses nothing.
		if f.Limit > 0 && len(out) >= f.Limit && l.index != out[len(out)-1].Index {
			break
		}
		ev := new(register.AuditEvent)
		if err := json.Unmarshal(v.raw(i), ev); err != nil {
			return nil, fmt.Errorf("state: audit event %d: %w", i, err)
		}
		if !f.matches(ev, actors) {
			continue
		}
		out = append(out, ev)
	}
	return out, nil
}

// actions returns every action the trail holds, sorted.
func (v jsonView) actions() []string {
	v.a.mu.RLock()
	defer v.a.mu.RUnlock()
	var out []string
	for a, list := range v.a.byAction {
		if len(list) > 0 && int(list[0]) < v.n {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

// jsonRestored is an audit record read back from a snapshot: its bytes,
// kept as they are, and what the trail indexes.
type jsonRestored struct{ jsonPending }

func (r *jsonRestored) UnmarshalJSON(b []byte) error {
	var head struct {
		Index      uint64         `json:"index"`
		Registrant string         `json:"registrant"`
		Actor      register.Actor `json:"actor"`
		Action     string         `json:"action"`
		At         time.Time      `json:"at"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	r.raw = append([]byte(nil), b...)
	r.index, r.registrant, r.actor, r.action, r.at = head.Index, head.Registrant, ActorKey(head.Actor), head.Action, unixSeconds(head.At)
	return nil
}

// unixSeconds clamps t to what a uint32 of seconds holds.
func unixSeconds(t time.Time) uint32 {
	s := t.Unix()
	if s < 0 {
		return 0
	}
	if s > 1<<32-1 {
		return 1<<32 - 1
	}
	return uint32(s)
}
