package state

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/regno"
)

// trailFixture writes events that test what the binary encoding must keep:
// times in other zones and before 1970, nanoseconds, strings that are not
// UTF-8, empty and absent details, events of no registrant, and one change
// with many events.
func trailFixture(t *testing.T, s *Store) {
	t.Helper()
	zones := []*time.Location{time.UTC, time.FixedZone("BST", 3600), time.FixedZone("", -(9*3600 + 30*60))}
	for i := range 300 {
		idx := uint64(10 + i)
		write(t, s, idx, func(tx *Txn) error {
			ev := register.AuditEvent{
				At:         at.Add(time.Duration(i)*time.Minute + time.Duration(i)*time.Nanosecond).In(zones[i%3]),
				Actor:      register.Actor{TokenID: fmt.Sprintf("tok%d", i%4), Role: register.RoleRegistrar, Staff: fmt.Sprintf("st_%d", i%3)},
				Action:     []string{"registrant.add", "registrant.suspend", "staff.sign-in"}[i%3],
				Registrant: regno.Format(uint64(100001 + i%17)),
				Target:     fmt.Sprint(i),
				Reason:     []string{"", "panel decision", "bad \xff byte"}[i%3],
				Details:    []map[string]string{nil, {}, {"a": "1", "b\xfe": "two", "": ""}}[i%3],
			}
			if ev.Action == "staff.sign-in" {
				ev.Registrant = ""
			}
			if i == 7 {
				ev.At = time.Date(1969, 7, 20, 20, 17, 40, 5, time.UTC)
			}
			if i == 8 {
				ev.At = time.Time{}
			}
			n := 1
			if i == 100 {
				n = 500 // a sweep: one change, many events
			}
			for range n {
				if err := tx.Audit(ev); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

// asJSON is how the API renders events: a trail must give back exactly
// what it was given, as JSON would.
func asJSON(t *testing.T, evs []*register.AuditEvent) string {
	t.Helper()
	b, err := json.Marshal(evs)
	require.NoError(t, err)
	return string(b)
}

// oldSnapshot writes the trail of s as snapshots held it before it was
// binary: one JSON record of type 6 per event.
func oldSnapshot(t *testing.T, evs []*register.AuditEvent) []byte {
	t.Helper()
	var recs [][]byte
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		require.NoError(t, err)
		recs = append(recs, record(6, string(b)))
	}
	return snapshotOf(recs...)
}

func TestAuditTrailGivesBackWhatItWasGiven(t *testing.T) {
	for _, size := range []int{auditBlockSize, 300} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			s := newStore(t)
			s.audit.blockSize = size
			trailFixture(t, s)
			got, err := s.Audit(AuditFilter{})
			require.NoError(t, err)
			require.Len(t, got, 799)

			// What JSON makes of the same events is what the trail returns.
			var want []*register.AuditEvent
			require.NoError(t, json.Unmarshal([]byte(asJSON(t, got)), &want))
			for i := range want {
				if len(want[i].Details) == 0 {
					want[i].Details = nil
				}
			}
			require.Equal(t, asJSON(t, want), asJSON(t, got))
			assert.Equal(t, "bad \ufffd byte", got[2].Reason, "not UTF-8 is coerced as JSON would")
			assert.Equal(t, map[string]string{"a": "1", "b\ufffd": "two", "": ""}, got[2].Details)
			assert.Nil(t, got[1].Details, "empty details are none")
			_, off := got[1].At.Zone()
			assert.Equal(t, 3600, off)
			assert.True(t, got[1].At.Equal(at.Add(time.Minute+time.Nanosecond)))
			assert.True(t, got[8].At.IsZero())
			assert.Equal(t, time.Date(1969, 7, 20, 20, 17, 40, 5, time.UTC), got[7].At)
			for i, ev := range got[100:600] {
				require.Equal(t, uint64(110), ev.Index)
				require.Equal(t, uint32(i), ev.Seq)
			}

			// Through a snapshot in the binary format, and in the JSON
			// format of earlier snapshots, the trail comes back the same,
			// and a restored store takes new events as the original did.
			b := persist(t, s)
			for name, snap := range map[string][]byte{"binary": b, "json": oldSnapshot(t, got)} {
				r, err := Restore(bytes.NewReader(snap))
				require.NoError(t, err, name)
				back, err := r.Audit(AuditFilter{})
				require.NoError(t, err, name)
				require.Equal(t, asJSON(t, got), asJSON(t, back), name)
				assert.Equal(t, s.AuditActions(), r.AuditActions(), name)
				for _, reg := range []string{regno.Format(100001), regno.Format(100005)} {
					w, err := s.Audit(AuditFilter{Registrant: reg})
					require.NoError(t, err)
					g, err := r.Audit(AuditFilter{Registrant: reg})
					require.NoError(t, err)
					require.NotEmpty(t, w)
					require.Equal(t, asJSON(t, w), asJSON(t, g), name)
				}
				for _, st := range []*Store{s, r} {
					write(t, st, 1000, func(tx *Txn) error {
						return tx.Audit(register.AuditEvent{At: at, Actor: register.System, Action: "registrant.lapse", Registrant: regno.Format(100001)})
					})
				}
				w, err := s.Audit(AuditFilter{Registrant: regno.Format(100001), After: 999})
				require.NoError(t, err)
				g, err := r.Audit(AuditFilter{Registrant: regno.Format(100001), After: 999})
				require.NoError(t, err)
				require.Len(t, g, 1, name)
				require.Equal(t, asJSON(t, w[:1]), asJSON(t, g), name)
				// Its blocks are the original's, so its snapshot is too
				// (when both cut blocks at the same size).
				if size == auditBlockSize {
					require.Equal(t, persist(t, s), persist(t, r), name)
				}
				s = newStore(t)
				s.audit.blockSize = size
				trailFixture(t, s)
			}
			// A snapshot of the restored trail is the snapshot it came from.
			r, err := Restore(bytes.NewReader(b))
			require.NoError(t, err)
			assert.Equal(t, b, persist(t, r))
		})
	}
}

func TestAuditViewDoesNotSeeLaterEvents(t *testing.T) {
	s := newStore(t)
	s.audit.blockSize = 200
	add := func(idx uint64) {
		write(t, s, idx, func(tx *Txn) error {
			return tx.Audit(register.AuditEvent{At: at, Actor: register.System, Action: fmt.Sprintf("a.%d", idx%3), Registrant: regno.Format(100001)})
		})
	}
	for i := range 20 {
		add(uint64(i + 1))
	}
	snap := s.Snapshot()
	v := s.audit.view()
	for i := range 50 {
		add(uint64(i + 21))
	}
	for _, f := range []AuditFilter{{}, {Registrant: regno.Format(100001)}, {Action: "a.1"}, {Actors: []string{"system"}}} {
		evs, err := v.query(f)
		require.NoError(t, err)
		for _, ev := range evs {
			assert.LessOrEqual(t, ev.Index, uint64(20), "%+v", f)
		}
		assert.NotEmpty(t, evs)
	}
	var buf bytes.Buffer
	require.NoError(t, snap.Persist(&buf))
	r, err := Restore(&buf)
	require.NoError(t, err)
	evs, err := r.Audit(AuditFilter{})
	require.NoError(t, err)
	assert.Len(t, evs, 20)
}

// blockRecordOf encodes a block record that says it holds n events, as
// the trail would: based at index 5 and time 1000, the events' lengths,
// then the events.
func blockRecordOf(n uint64, evs ...[]byte) []byte {
	body := binary.AppendUvarint(nil, 5)
	body = binary.AppendVarint(body, 1000)
	body = binary.AppendUvarint(body, n)
	var raw []byte
	for _, ev := range evs {
		raw = binary.AppendUvarint(raw, uint64(len(ev)))
	}
	for _, ev := range evs {
		raw = append(raw, ev...)
	}
	return record(recordAuditBlock, string(append(body, s2.Encode(nil, raw)...)))
}

func TestRestoreRefusesCorruptAuditRecords(t *testing.T) {
	dict := binary.AppendUvarint(nil, 1)
	dict = appendString(appendString(appendString(dict, "system"), "system"), "")
	dict = binary.AppendUvarint(dict, 1)
	dict = appendString(dict, "registrant.add")
	dictRec := record(recordAuditDict, string(dict))
	// One well-formed event: index 5, seq 0, at 1000, no zone, actor 0,
	// action 0, a registrant, no target, reason or details.
	ev := func(actor, action uint64) []byte {
		b := binary.AppendVarint(nil, 0)
		b = binary.AppendUvarint(b, 0)
		b = binary.AppendVarint(b, 0)
		b = binary.AppendUvarint(b, 0)
		b = binary.AppendVarint(b, 0)
		b = binary.AppendUvarint(b, actor)
		b = binary.AppendUvarint(b, action)
		b = appendString(b, "LW1000017")
		b = appendString(appendString(b, ""), "")
		return binary.AppendUvarint(b, 0)
	}
	good := snapshotOf(dictRec, blockRecordOf(1, ev(0, 0)))
	r, err := Restore(bytes.NewReader(good))
	require.NoError(t, err, "the well-formed variant of the cases below restores")
	evs, err := r.Audit(AuditFilter{Registrant: "LW1000017"})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, "registrant.add", evs[0].Action)
	assert.Equal(t, uint64(5), evs[0].Index)

	for name, b := range map[string][]byte{
		"block before its dictionary": snapshotOf(blockRecordOf(1, ev(0, 0))),
		"unknown actor":               snapshotOf(dictRec, blockRecordOf(1, ev(1, 0))),
		"unknown action":              snapshotOf(dictRec, blockRecordOf(1, ev(0, 3))),
		"fewer events than it says":   snapshotOf(dictRec, blockRecordOf(2, ev(0, 0))),
		"more events than it says":    snapshotOf(dictRec, blockRecordOf(1, ev(0, 0), ev(0, 0))),
		"two events as one":           snapshotOf(dictRec, blockRecordOf(1, append(ev(0, 0), ev(0, 0)...))),
		"no events":                   snapshotOf(dictRec, blockRecordOf(0)),
		"cut event":                   snapshotOf(dictRec, blockRecordOf(1, ev(0, 0)[:9])),
		"not compressed":              snapshotOf(dictRec, record(recordAuditBlock, string(append(binary.AppendUvarint(binary.AppendVarint(binary.AppendUvarint(nil, 5), 0), 1), 0xff, 0xff)))),
		"dictionary cut":              snapshotOf(record(recordAuditDict, string(dict[:len(dict)-3]))),
		"dictionary with more":        snapshotOf(record(recordAuditDict, string(append(dict, 0)))),
	} {
		t.Run(name, func(t *testing.T) {
			s, err := Restore(bytes.NewReader(b))
			require.ErrorIs(t, err, ErrCorruptSnapshot)
			assert.Nil(t, s)
		})
	}
}
