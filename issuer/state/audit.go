package state

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"sort"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/s2"

	"github.com/nalw/linkpass/issuer/register"
)

// auditTrail keeps the audit trail outside memdb. The trail is append-only
// and read rarely (audit list and export), while a register of a million
// holds several events per registrant, so it is kept small: in memdb an
// event cost about 800 bytes, as JSON in shared chunks with three maps of
// positions about 320. Here an event costs about 30 bytes:
//
//   - Events are encoded in binary, with actors, actions and detail keys
//     interned in a dictionary, into blocks of about auditBlockSize bytes.
//     A full block is sealed and compressed with S2, which decodes at
//     gigabytes a second, so that reading one event costs a few
//     microseconds: a small cache keeps the blocks read last.
//   - Each block records its first log index and its range of times, so
//     that After and From find their first block by binary search and a
//     date range skips the blocks outside it.
//   - The events of each actor and each action are delta-encoded lists of
//     positions (about 1.3 bytes an event each); the events of a registrant
//     are a chain, each event pointing to the one before it (4 bytes an
//     event and a head per registrant), so that a filter reads only the
//     events it may return.
//
// Immutability holds as it does for memdb: an event never changes once
// appended, and a reader sees the trail as it was when it started (a
// view), so later appends are invisible to it.
type auditTrail struct {
	mu   sync.RWMutex
	n    int
	dict auditDict
	// sealed blocks never change; open is the block being filled.
	sealed []*sealedBlock
	open   openBlock
	// regHead is the position+1 of the latest event of each registrant,
	// by a hash of its number; regPrev, by position, the position+1 of the
	// event before it of the same hash (0: none). A collision only merges
	// two chains: the filter checks the number itself.
	regHead  map[uint32]uint32
	regPrev  []uint32
	byActor  map[string]*postings
	byAction map[string]*postings
	scratch  []byte
	scratch2 []byte
	cache    blockCache
	// blockSize is auditBlockSize but in tests, which make many blocks of
	// few events.
	blockSize int
}

// auditBlockSize is how large a block grows before it is sealed. Small
// blocks make a read decode little; large ones compress better. 4 KiB
// holds about 100 events, decodes in a few microseconds and compresses
// to about a third (16 KiB saved 2 bytes an event, and made a page of a
// rare action three times slower to read).
const auditBlockSize = 4 << 10

// blockSummary is what the trail knows of a block without decoding it.
// Times are in Unix seconds; prefMaxAt is the latest time of this block
// and every one before it. It never decreases, so the first block of a
// date range is found by binary search although times in the log may go
// back (the demonstration seed backdates its changes).
type blockSummary struct {
	first, n             uint32
	baseIndex, lastIndex uint64
	baseAt               int64
	minAt, maxAt         int64
	prefMaxAt            int64
}

type sealedBlock struct {
	blockSummary
	packed []byte // S2 block encoding of the events
}

type openBlock struct {
	blockSummary
	raw  []byte
	offs []uint32 // where each event starts in raw
}

// auditDict interns what events repeat: actors, and the strings of
// actions and detail keys. Ids are positions, only ever appended.
type auditDict struct {
	actors   []register.Actor
	strs     []string
	actorIDs map[register.Actor]uint32
	strIDs   map[string]uint32
}

func (d *auditDict) actor(a register.Actor) uint32 { return intern(d.actorIDs, &d.actors, a) }
func (d *auditDict) str(s string) uint32           { return intern(d.strIDs, &d.strs, s) }

func intern[K comparable](ids map[K]uint32, list *[]K, k K) uint32 {
	id, ok := ids[k]
	if !ok {
		id = uint32(len(*list))
		*list = append(*list, k)
		ids[k] = id
	}
	return id
}

func newAuditTrail() *auditTrail {
	return &auditTrail{
		dict:    auditDict{actorIDs: map[register.Actor]uint32{}, strIDs: map[string]uint32{}},
		regHead: map[uint32]uint32{},
		byActor: map[string]*postings{}, byAction: map[string]*postings{},
		blockSize: auditBlockSize,
	}
}

// ActorKey is what the trail indexes an actor by: the staff account acting
// (directly or through a token of theirs), or else the token.
func ActorKey(a register.Actor) string {
	if a.Staff != "" {
		return a.Staff
	}
	return a.TokenID
}

// pendingEvent is an event a write transaction has made but not committed,
// as a snapshot would give it back.
type pendingEvent struct{ ev register.AuditEvent }

// encodeEvent checks that ev can be stored and returns it as the trail
// will give it back. Strings that are not UTF-8 are coerced as JSON would,
// so that the event reads the same before and after an export.
func encodeEvent(ev *register.AuditEvent) (pendingEvent, error) {
	if _, err := ev.At.MarshalJSON(); err != nil {
		return pendingEvent{}, fmt.Errorf("state: encoding audit event: %w", err)
	}
	e := *ev
	for _, s := range []*string{&e.Actor.TokenID, (*string)(&e.Actor.Role), &e.Actor.Staff, &e.Action, &e.Registrant, &e.Target, &e.Reason} {
		*s = validUTF8(*s)
	}
	if len(e.Details) > 0 {
		d := make(map[string]string, len(e.Details))
		for k, v := range e.Details {
			d[validUTF8(k)] = validUTF8(v)
		}
		e.Details = d
	} else {
		e.Details = nil
	}
	return pendingEvent{e}, nil
}

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b, _ := json.Marshal(s)
	_ = json.Unmarshal(b, &s)
	return s
}

// append adds committed events in order.
func (a *auditTrail) append(evs ...pendingEvent) {
	if len(evs) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range evs {
		a.add(&evs[i].ev)
	}
}

// add encodes ev into the open block and indexes it; the caller holds the
// lock.
func (a *auditTrail) add(ev *register.AuditEvent) {
	o := &a.open
	sec := ev.At.Unix()
	if o.n == 0 {
		o.first, o.baseIndex, o.baseAt, o.minAt, o.maxAt = uint32(a.n), ev.Index, sec, sec, sec
		o.offs = make([]uint32, 0, 256)
		o.raw = make([]byte, 0, a.blockSize+1024)
	}
	o.offs = append(o.offs, uint32(len(o.raw)))
	o.raw = a.encode(o.raw, ev, o.baseIndex, o.baseAt)
	o.n++
	o.lastIndex = ev.Index
	o.minAt, o.maxAt = min(o.minAt, sec), max(o.maxAt, sec)
	o.prefMaxAt = o.maxAt
	if k := len(a.sealed); k > 0 {
		o.prefMaxAt = max(o.prefMaxAt, a.sealed[k-1].prefMaxAt)
	}
	h, ok := registrantHash(ev.Registrant)
	a.index(h, ok, ActorKey(ev.Actor), ev.Action)
	if len(o.raw) >= a.blockSize {
		a.seal()
	}
}

// regSeed hashes registrant numbers, the same for every trail so that a
// restore can hash while it decodes.
var regSeed = maphash.MakeSeed()

// registrantHash is the chain a registrant's events are on; false for an
// event of no registrant.
func registrantHash(registrant string) (uint32, bool) {
	if registrant == "" {
		return 0, false
	}
	return uint32(maphash.String(regSeed, registrant)), true
}

// index records position a.n as the next event's, of a registrant (by its
// hash h, if hasReg), actor and action, and counts it.
func (a *auditTrail) index(h uint32, hasReg bool, actor, action string) {
	pos := uint32(a.n)
	prev := uint32(0)
	if hasReg {
		prev = a.regHead[h]
		a.regHead[h] = pos + 1
	}
	a.regPrev = append(a.regPrev, prev)
	a.posting(a.byActor, actor).add(pos)
	a.posting(a.byAction, action).add(pos)
	a.n++
}

func (a *auditTrail) posting(m map[string]*postings, k string) *postings {
	p := m[k]
	if p == nil {
		p = &postings{}
		m[k] = p
	}
	return p
}

// seal compresses the open block and starts another. Readers holding the
// open block's buffers keep them: a new block gets new ones.
func (a *auditTrail) seal() {
	o := &a.open
	a.sealed = append(a.sealed, &sealedBlock{blockSummary: o.blockSummary, packed: a.pack(o.raw, o.offs)})
	*o = openBlock{}
}

// pack compresses a block's events, after their lengths, so that a reader
// finds any event without reading those before it.
func (a *auditTrail) pack(raw []byte, offs []uint32) []byte {
	b := a.scratch[:0]
	for i, off := range offs {
		end := uint32(len(raw))
		if i+1 < len(offs) {
			end = offs[i+1]
		}
		b = binary.AppendUvarint(b, uint64(end-off))
	}
	b = append(b, raw...)
	a.scratch = s2.EncodeBetter(a.scratch2[:cap(a.scratch2)], b)
	a.scratch, a.scratch2 = b, a.scratch
	return append([]byte(nil), a.scratch2...)
}

// Event encoding, relative to its block's first index and time: index
// (zigzag), seq, seconds (zigzag), nanoseconds, zone offset in seconds
// (zigzag; 0 is UTC), actor id, action id, registrant, target, reason,
// then the number of details and each as key id and value. A string is
// its length and bytes.

func (a *auditTrail) encode(b []byte, ev *register.AuditEvent, baseIndex uint64, baseAt int64) []byte {
	_, off := ev.At.Zone()
	b = binary.AppendVarint(b, int64(ev.Index-baseIndex))
	b = binary.AppendUvarint(b, uint64(ev.Seq))
	b = binary.AppendVarint(b, ev.At.Unix()-baseAt)
	b = binary.AppendUvarint(b, uint64(ev.At.Nanosecond()))
	b = binary.AppendVarint(b, int64(off))
	b = binary.AppendUvarint(b, uint64(a.dict.actor(ev.Actor)))
	b = binary.AppendUvarint(b, uint64(a.dict.str(ev.Action)))
	b = appendString(b, ev.Registrant)
	b = appendString(b, ev.Target)
	b = appendString(b, ev.Reason)
	b = binary.AppendUvarint(b, uint64(len(ev.Details)))
	if len(ev.Details) > 0 {
		keys := make([]string, 0, len(ev.Details))
		for k := range ev.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b = binary.AppendUvarint(b, uint64(a.dict.str(k)))
			b = appendString(b, ev.Details[k])
		}
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errBadEvent = errors.New("malformed audit event")

// eventReader reads an encoded event field by field.
type eventReader struct {
	b   []byte
	off int
	err error
}

func (r *eventReader) uvarint() uint64 { return readVarint(r, binary.Uvarint) }
func (r *eventReader) varint() int64   { return readVarint(r, binary.Varint) }

func readVarint[T uint64 | int64](r *eventReader, read func([]byte) (T, int)) T {
	if r.err != nil {
		return 0
	}
	v, n := read(r.b[r.off:])
	if n <= 0 {
		r.err = errBadEvent
		return 0
	}
	r.off += n
	return v
}

func (r *eventReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.off) {
		r.err = errBadEvent
		return nil
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s
}

// eventHead is what indexing an event needs of it.
type eventHead struct {
	index          uint64
	at             int64
	actor, action  uint32
	regHash        uint32
	hasReg         bool
	maxActor, maxS uint32 // the largest ids it uses
}

// scanEvent reads the event at r.off and leaves r past it.
func scanEvent(r *eventReader, baseIndex uint64, baseAt int64) eventHead {
	var h eventHead
	h.index = baseIndex + uint64(r.varint())
	r.uvarint() // seq
	h.at = baseAt + r.varint()
	if ns := r.uvarint(); ns >= 1e9 {
		r.err = errBadEvent
	}
	r.varint() // zone
	h.actor, h.action = uint32(r.uvarint()), uint32(r.uvarint())
	h.maxActor, h.maxS = h.actor, h.action
	if reg := r.bytes(); len(reg) > 0 {
		h.regHash, h.hasReg = uint32(maphash.Bytes(regSeed, reg)), true
	}
	r.bytes()
	r.bytes()
	nd := r.uvarint()
	for i := uint64(0); i < nd && r.err == nil; i++ {
		h.maxS = max(h.maxS, uint32(r.uvarint()))
		r.bytes()
	}
	return h
}

// decodeEvent decodes the event at off; the trail wrote it, so it is well
// formed and its ids are in d.
func decodeEvent(raw []byte, off uint32, s *blockSummary, d *auditDict) (*register.AuditEvent, error) {
	r := &eventReader{b: raw, off: int(off)}
	ev := &register.AuditEvent{}
	ev.Index = s.baseIndex + uint64(r.varint())
	ev.Seq = uint32(r.uvarint())
	sec := s.baseAt + r.varint()
	ns := r.uvarint()
	zone := r.varint()
	actor, action := r.uvarint(), r.uvarint()
	ev.Registrant, ev.Target, ev.Reason = string(r.bytes()), string(r.bytes()), string(r.bytes())
	nd := r.uvarint()
	if r.err == nil && (actor >= uint64(len(d.actors)) || action >= uint64(len(d.strs)) || nd > uint64(len(raw))) {
		r.err = errBadEvent
	}
	if r.err == nil && nd > 0 {
		ev.Details = make(map[string]string, nd)
		for range nd {
			k := r.uvarint()
			v := r.bytes()
			if r.err != nil || k >= uint64(len(d.strs)) {
				r.err = errBadEvent
				break
			}
			ev.Details[d.strs[k]] = string(v)
		}
	}
	if r.err != nil {
		return nil, fmt.Errorf("state: audit event at %d of block %d: %w", off, s.first, r.err)
	}
	ev.Actor, ev.Action = d.actors[actor], d.strs[action]
	ev.At = time.Unix(sec, int64(ns))
	if zone == 0 {
		ev.At = ev.At.UTC()
	} else {
		ev.At = ev.At.In(time.FixedZone("", int(zone)))
	}
	return ev, nil
}

// postings is a list of positions, growing, delta-encoded, with a skip
// entry every postingSkip positions so that a reader finds where to start
// without decoding from the beginning.
type postings struct {
	data  []byte
	skips []postingSkip
	count int
	first uint32
	last  uint32
}

// postingSkip is the position of every postingSkipEvery-th entry and
// where the encoding after it starts.
type postingSkip struct{ pos, off uint32 }

const postingSkipEvery = 64

func (p *postings) add(pos uint32) {
	if p.count == 0 {
		p.first = pos
	}
	p.data = binary.AppendUvarint(p.data, uint64(pos-p.last))
	if p.count%postingSkipEvery == 0 {
		p.skips = append(p.skips, postingSkip{pos, uint32(len(p.data))})
	}
	p.last = pos
	p.count++
}

// postingIter reads positions of a list from a point on. It holds the
// list as it was when it was made: the bytes it reads never change.
type postingIter struct {
	data  []byte
	off   int
	pos   uint32
	ready bool // pos is yet to be returned
}

// iter returns an iterator at the first position >= start; the caller
// holds the read lock.
func (p *postings) iter(start uint32) *postingIter {
	it := &postingIter{data: p.data}
	if k := sort.Search(len(p.skips), func(i int) bool { return p.skips[i].pos > start }); k > 0 {
		sk := p.skips[k-1]
		it.off, it.pos, it.ready = int(sk.off), sk.pos, true
	}
	for {
		pos, ok := it.next()
		if !ok {
			return it
		}
		if pos >= start {
			it.ready = true
			return it
		}
	}
}

func (it *postingIter) next() (uint32, bool) {
	if it.ready {
		it.ready = false
		return it.pos, true
	}
	if it.off >= len(it.data) {
		return 0, false
	}
	d, n := binary.Uvarint(it.data[it.off:])
	it.off += n
	it.pos += uint32(d)
	return it.pos, true
}

// view returns the trail as it is now.
func (a *auditTrail) view() auditView {
	a.mu.RLock()
	defer a.mu.RUnlock()
	v := auditView{a: a, n: a.n, sealed: a.sealed[:len(a.sealed):len(a.sealed)], open: a.open}
	v.open.raw = v.open.raw[:len(v.open.raw):len(v.open.raw)]
	v.open.offs = v.open.offs[:len(v.open.offs):len(v.open.offs)]
	v.dict.actors = a.dict.actors[:len(a.dict.actors):len(a.dict.actors)]
	v.dict.strs = a.dict.strs[:len(a.dict.strs):len(a.dict.strs)]
	return v
}

// auditView is the trail up to a length: the blocks, the open block's
// events and the dictionary as they were, none of which an append changes.
type auditView struct {
	a      *auditTrail
	n      int
	sealed []*sealedBlock
	open   openBlock
	dict   auditDict // its slices only
}

// blocks returns how many blocks the view holds.
func (v *auditView) blocks() int {
	if v.open.n > 0 {
		return len(v.sealed) + 1
	}
	return len(v.sealed)
}

func (v *auditView) summary(i int) *blockSummary {
	if i < len(v.sealed) {
		return &v.sealed[i].blockSummary
	}
	return &v.open.blockSummary
}

// blockOf returns the block holding position pos.
func (v *auditView) blockOf(pos uint32) int {
	return sort.Search(v.blocks(), func(i int) bool { s := v.summary(i); return s.first+s.n > pos })
}

// decodedBlock is a block's events in binary, and where each starts.
type decodedBlock struct {
	raw  []byte
	offs []uint32
}

// block returns block i decoded, from the cache if it was read lately.
func (v *auditView) block(i int) (decodedBlock, error) {
	if i >= len(v.sealed) {
		return decodedBlock{v.open.raw, v.open.offs}, nil
	}
	b := v.sealed[i]
	if d, ok := v.a.cache.get(b); ok {
		return d, nil
	}
	d, _, err := unpackBlock(b.packed, &b.blockSummary, false)
	if err != nil {
		return decodedBlock{}, fmt.Errorf("state: audit block %d: %w", i, err)
	}
	v.a.cache.put(b, d)
	return d, nil
}

// unpackBlock decompresses a block of s.n events and finds where each
// starts. With heads, it also reads each event for what indexing it needs,
// checking that it is well formed and fills its length exactly.
func unpackBlock(packed []byte, s *blockSummary, heads bool) (decodedBlock, []eventHead, error) {
	raw, err := s2.Decode(nil, packed)
	if err != nil {
		return decodedBlock{}, nil, err
	}
	d := decodedBlock{raw: raw, offs: make([]uint32, s.n)}
	r := &eventReader{b: raw}
	lens := d.offs // the lengths first, then where each event starts
	total := uint64(0)
	for i := range lens {
		n := r.uvarint()
		total += n
		lens[i] = uint32(n)
	}
	if r.err != nil || total != uint64(len(raw)-r.off) {
		return decodedBlock{}, nil, fmt.Errorf("%w: the lengths of the block's %d events do not add up", errBadEvent, s.n)
	}
	off := uint32(r.off)
	for i, n := range lens {
		d.offs[i] = off
		off += n
	}
	if !heads {
		return d, nil, nil
	}
	hs := make([]eventHead, s.n)
	for i, start := range d.offs {
		r.off = int(start)
		end := len(raw)
		if i+1 < len(d.offs) {
			end = int(d.offs[i+1])
		}
		r.b = raw[:end]
		hs[i] = scanEvent(r, s.baseIndex, s.baseAt)
		if r.err == nil && r.off != end {
			r.err = fmt.Errorf("%w: event %d of the block is longer than its encoding", errBadEvent, i)
		}
		if r.err != nil {
			return decodedBlock{}, nil, r.err
		}
	}
	return d, hs, nil
}

// blockCache keeps the blocks read last, decoded, so that paging through a
// filter or reading a registrant's events decodes each block once.
type blockCache struct {
	mu   sync.Mutex
	ents [64]cacheEntry
	tick uint64
}

type cacheEntry struct {
	b    *sealedBlock
	d    decodedBlock
	used uint64
}

func (c *blockCache) get(b *sealedBlock) (decodedBlock, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.ents {
		if c.ents[i].b == b {
			c.tick++
			c.ents[i].used = c.tick
			return c.ents[i].d, true
		}
	}
	return decodedBlock{}, false
}

func (c *blockCache) put(b *sealedBlock, d decodedBlock) {
	c.mu.Lock()
	defer c.mu.Unlock()
	oldest := 0
	for i := range c.ents {
		if c.ents[i].used < c.ents[oldest].used {
			oldest = i
		}
	}
	c.tick++
	c.ents[oldest] = cacheEntry{b, d, c.tick}
}

// candidates returns the positions from start on that an event f selects
// may have, in log order: those of the registrant, or else of the shortest
// of the lists f's fields name, or else every position.
func (v *auditView) candidates(f AuditFilter, start uint32) func() (uint32, bool) {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	if f.Registrant != "" {
		// A registrant has few events: take them all, newest first.
		h, _ := registrantHash(f.Registrant)
		var rev []uint32
		p := a.regHead[h]
		for p > 0 && int(p-1) >= v.n {
			p = a.regPrev[p-1]
		}
		for p > 0 && p-1 >= start {
			rev = append(rev, p-1)
			p = a.regPrev[p-1]
		}
		return func() (uint32, bool) {
			if len(rev) == 0 {
				return 0, false
			}
			pos := rev[len(rev)-1]
			rev = rev[:len(rev)-1]
			return pos, true
		}
	}
	var best []*postings
	count := -1
	if f.Action != "" {
		best, count = []*postings{a.byAction[f.Action]}, 0
		if best[0] != nil {
			count = best[0].count
		}
	}
	if f.Actors != nil {
		var lists []*postings
		c := 0
		seen := map[string]bool{}
		for _, k := range f.Actors {
			if p := a.byActor[k]; p != nil && !seen[k] {
				seen[k] = true
				lists = append(lists, p)
				c += p.count
			}
		}
		if count < 0 || c < count {
			best, count = lists, c
		}
	}
	if count < 0 {
		pos, n := start, uint32(v.n)
		return func() (uint32, bool) {
			if pos >= n {
				return 0, false
			}
			pos++
			return pos - 1, true
		}
	}
	// Each list read as it is now; positions past the view end the walk.
	var its []*postingIter
	for _, p := range best {
		if p != nil {
			its = append(its, p.iter(start))
		}
	}
	heads := make([]uint32, len(its))
	live := make([]bool, len(its))
	for i, it := range its {
		heads[i], live[i] = it.next()
	}
	n := uint32(v.n)
	// Different actors' lists never share a position: merge by the least.
	return func() (uint32, bool) {
		k := -1
		for i := range its {
			if live[i] && (k < 0 || heads[i] < heads[k]) {
				k = i
			}
		}
		if k < 0 || heads[k] >= n {
			return 0, false
		}
		pos := heads[k]
		heads[k], live[k] = its[k].next()
		return pos, true
	}
}

// query returns the events f selects, in log order.
func (v auditView) query(f AuditFilter) ([]*register.AuditEvent, error) {
	from, to := f.From.Unix(), f.To.Unix()
	// Start at the first block with an event past After and not before
	// From; both its last index and prefMaxAt grow with the block.
	nb := v.blocks()
	bi := sort.Search(nb, func(i int) bool {
		s := v.summary(i)
		return s.lastIndex > f.After && (f.From.IsZero() || s.prefMaxAt >= from)
	})
	if bi >= nb {
		return nil, nil
	}
	next := v.candidates(f, v.summary(bi).first)
	var actors map[string]bool
	if f.Actors != nil {
		actors = make(map[string]bool, len(f.Actors))
		for _, k := range f.Actors {
			actors[k] = true
		}
	}
	var (
		out  []*register.AuditEvent
		cur  = -1
		s    *blockSummary
		d    decodedBlock
		skip bool
	)
	for pos, ok := next(); ok; pos, ok = next() {
		if cur < 0 || pos >= s.first+s.n {
			cur = v.blockOf(pos)
			s = v.summary(cur)
			// A block wholly outside the date range is not decoded.
			skip = (!f.From.IsZero() && s.maxAt < from) || (!f.To.IsZero() && s.minAt > to)
			if !skip {
				var err error
				if d, err = v.block(cur); err != nil {
					return nil, err
				}
			}
		}
		if skip {
			continue
		}
		ev, err := decodeEvent(d.raw, d.offs[pos-s.first], s, &v.dict)
		if err != nil {
			return nil, err
		}
		// A page never splits the events of one change, so that paging
		// by After loses nothing.
		if f.Limit > 0 && len(out) >= f.Limit && ev.Index != out[len(out)-1].Index {
			break
		}
		if f.matches(ev, actors) {
			out = append(out, ev)
		}
	}
	return out, nil
}

// matches checks every field of f against ev.
func (f AuditFilter) matches(ev *register.AuditEvent, actors map[string]bool) bool {
	switch {
	case ev.Index <= f.After,
		f.Registrant != "" && ev.Registrant != f.Registrant,
		f.Action != "" && ev.Action != f.Action,
		actors != nil && !actors[ActorKey(ev.Actor)],
		!f.From.IsZero() && ev.At.Before(f.From),
		!f.To.IsZero() && ev.At.After(f.To):
		return false
	}
	return true
}

// actions returns every action the trail holds, sorted.
func (v auditView) actions() []string {
	v.a.mu.RLock()
	defer v.a.mu.RUnlock()
	var out []string
	for a, list := range v.a.byAction {
		if list.count > 0 && int(list.first) < v.n {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

// Snapshot records of the trail: its dictionary, then its blocks as they
// are kept (compressed), so that a snapshot is written and read back
// without encoding an event. Type 6, an event as JSON, is what snapshots
// held before; Restore still reads it.
const (
	recordAuditDict  = 61
	recordAuditBlock = 62
	// auditDictSize bounds a dictionary record; a larger dictionary is
	// written as several.
	auditDictSize = 1 << 20
)

// persist writes the view as snapshot records.
func (v auditView) persist(record func(typ byte, body []byte) error) error {
	// The dictionary first, in records of about auditDictSize bytes, each
	// adding actors and then strings to what the ones before it held.
	var body []byte
	ai, si := 0, 0
	for ai < len(v.dict.actors) || si < len(v.dict.strs) {
		var part []byte
		j := ai
		for ; j < len(v.dict.actors) && len(part) < auditDictSize; j++ {
			a := v.dict.actors[j]
			part = appendString(appendString(appendString(part, a.TokenID), string(a.Role)), a.Staff)
		}
		body = binary.AppendUvarint(body[:0], uint64(j-ai))
		body = append(body, part...)
		part = part[:0]
		k := si
		for ; k < len(v.dict.strs) && len(body)+len(part) < auditDictSize; k++ {
			part = appendString(part, v.dict.strs[k])
		}
		body = binary.AppendUvarint(body, uint64(k-si))
		body = append(body, part...)
		if err := record(recordAuditDict, body); err != nil {
			return err
		}
		ai, si = j, k
	}
	for i := range v.blocks() {
		s := v.summary(i)
		var packed []byte
		if i < len(v.sealed) {
			packed = v.sealed[i].packed
		} else {
			packed = (&auditTrail{}).pack(v.open.raw, v.open.offs)
		}
		body = binary.AppendUvarint(body[:0], s.baseIndex)
		body = binary.AppendVarint(body, s.baseAt)
		body = binary.AppendUvarint(body, uint64(s.n))
		body = append(body, packed...)
		if err := record(recordAuditBlock, body); err != nil {
			return err
		}
	}
	return nil
}

// binaryRecord is a snapshot record that is not JSON.
type binaryRecord interface {
	decodeRecord(body []byte) error
}

// auditDictRecord adds actors and strings to the dictionary.
type auditDictRecord struct {
	actors []register.Actor
	strs   []string
}

func (rec *auditDictRecord) decodeRecord(body []byte) error {
	r := &eventReader{b: body}
	n := r.uvarint()
	for i := uint64(0); i < n && r.err == nil; i++ {
		tok, role, st := r.bytes(), r.bytes(), r.bytes()
		rec.actors = append(rec.actors, register.Actor{TokenID: string(tok), Role: register.Role(role), Staff: string(st)})
	}
	n = r.uvarint()
	for i := uint64(0); i < n && r.err == nil; i++ {
		rec.strs = append(rec.strs, string(r.bytes()))
	}
	if r.err == nil && r.off != len(body) {
		r.err = errors.New("data after the dictionary")
	}
	if r.err != nil {
		return fmt.Errorf("audit dictionary: %w", r.err)
	}
	return nil
}

// auditBlockRecord is a block read back, checked and scanned for what the
// trail indexes.
type auditBlockRecord struct {
	sum    blockSummary
	packed []byte
	heads  []eventHead
}

func (rec *auditBlockRecord) decodeRecord(body []byte) error {
	r := &eventReader{b: body}
	rec.sum.baseIndex = r.uvarint()
	rec.sum.baseAt = r.varint()
	n := r.uvarint()
	if r.err == nil && (n == 0 || n > uint64(len(body))*8) {
		r.err = fmt.Errorf("%w: a block of %d events", errBadEvent, n)
	}
	if r.err != nil {
		return fmt.Errorf("audit block: %w", r.err)
	}
	rec.sum.n = uint32(n)
	rec.packed = append([]byte(nil), body[r.off:]...)
	_, heads, err := unpackBlock(rec.packed, &rec.sum, true)
	if err != nil {
		return fmt.Errorf("audit block: %w", err)
	}
	rec.heads = heads
	rec.sum.minAt, rec.sum.maxAt = heads[0].at, heads[0].at
	for _, h := range heads {
		rec.sum.minAt, rec.sum.maxAt = min(rec.sum.minAt, h.at), max(rec.sum.maxAt, h.at)
	}
	rec.sum.lastIndex = heads[len(heads)-1].index
	return nil
}

// restoreDict adds a dictionary record's entries.
func (a *auditTrail) restoreDict(rec *auditDictRecord) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ac := range rec.actors {
		if _, ok := a.dict.actorIDs[ac]; !ok {
			a.dict.actorIDs[ac] = uint32(len(a.dict.actors))
		}
		a.dict.actors = append(a.dict.actors, ac)
	}
	for _, s := range rec.strs {
		if _, ok := a.dict.strIDs[s]; !ok {
			a.dict.strIDs[s] = uint32(len(a.dict.strs))
		}
		a.dict.strs = append(a.dict.strs, s)
	}
}

// restoreBlock adds a block read back from a snapshot, as it was.
func (a *auditTrail) restoreBlock(rec *auditBlockRecord) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, h := range rec.heads {
		if int(h.maxActor) >= len(a.dict.actors) || int(h.maxS) >= len(a.dict.strs) {
			return fmt.Errorf("audit block %d: an event names an actor or string the dictionary does not hold", len(a.sealed))
		}
	}
	if a.open.n > 0 {
		a.seal()
	}
	s := rec.sum
	s.first = uint32(a.n)
	s.prefMaxAt = s.maxAt
	if k := len(a.sealed); k > 0 {
		s.prefMaxAt = max(s.prefMaxAt, a.sealed[k-1].prefMaxAt)
	}
	a.sealed = append(a.sealed, &sealedBlock{blockSummary: s, packed: rec.packed})
	for _, h := range rec.heads {
		a.index(h.regHash, h.hasReg, ActorKey(a.dict.actors[h.actor]), a.dict.strs[h.action])
	}
	return nil
}

// reopen makes the last block, if it is not full, the open block again
// once a restore is done, so that the events that follow fill it as they
// filled it on the node that wrote the snapshot: the blocks, and so the
// snapshots, of a restored trail are those of the original.
func (a *auditTrail) reopen() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := len(a.sealed) - 1
	if k < 0 || a.open.n > 0 {
		return nil
	}
	last := a.sealed[k]
	d, _, err := unpackBlock(last.packed, &last.blockSummary, false)
	if err != nil {
		return fmt.Errorf("audit block %d: %w", k, err)
	}
	start := d.offs[0]
	raw := d.raw[start:]
	if len(raw) >= a.blockSize {
		return nil
	}
	o := openBlock{blockSummary: last.blockSummary, raw: make([]byte, len(raw), a.blockSize+1024), offs: make([]uint32, len(d.offs), 256)}
	copy(o.raw, raw)
	for i, off := range d.offs {
		o.offs[i] = off - start
	}
	a.sealed, a.open = a.sealed[:k], o
	return nil
}

// restoredEvent is an audit event read back from a snapshot of the
// earlier format, one event as JSON.
type restoredEvent struct{ pendingEvent }

func (r *restoredEvent) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &r.ev); err != nil {
		return err
	}
	if len(r.ev.Details) == 0 {
		r.ev.Details = nil
	}
	return nil
}
