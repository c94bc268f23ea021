package fsm_test

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// applied applies cmd at the next index and returns Apply's answer as it
// is, unlike h.apply.
func (h *harness) applied(cmd fsm.Command) any {
	h.t.Helper()
	data, err := fsm.Encode(cmd, registrar, h.at)
	require.NoError(h.t, err)
	h.idx++
	return h.f.Apply(&raft.Log{Index: h.idx, Term: 1, Type: raft.LogCommand, Data: data})
}

// TestApplySaysWhichChangesStatusListsMustCarry: an issue or a suspension
// changes what status lists are built from, so its writer waits for them
// to be published; recording CPD does not, so its writer need not.
func TestApplySaysWhichChangesStatusListsMustCarry(t *testing.T) {
	h := newHarness(t)
	r := h.add("Grace", "Adeyemi")
	h.issue(r.Number, "c1", 3)

	res := h.applied(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpCPD, CPD: &register.CPD{Year: 2026, Hours: 4}})
	require.IsType(t, fsm.Applied{}, res)
	assert.False(t, res.(fsm.Applied).StatusChanged, "CPD is not on any status list")
	assert.IsType(t, fsm.Result{}, res.(fsm.Applied).Result)

	res = h.applied(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpSuspend, Reason: "interim order"})
	require.IsType(t, fsm.Applied{}, res)
	assert.True(t, res.(fsm.Applied).StatusChanged, "the suspension suspends c1")

	res = h.applied(fsm.ChangeRegistrant{Number: "NALW-0000-0000", Op: fsm.OpSuspend, Reason: "x"})
	assert.ErrorIs(t, res.(error), register.ErrNotFound, "a refused change answers its error")
}

// TestStatusChangesNameEveryEntrySet: the journal gives, entry by entry,
// the status list entries each log entry set, nothing for a refused
// entry, and says it has nothing for a store a restore replaced.
func TestStatusChangesNameEveryEntrySet(t *testing.T) {
	h := newHarness(t)
	r := h.add("Grace", "Adeyemi")
	start := h.idx
	h.issue(r.Number, "c1", 3)
	issued := h.idx
	h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpSuspend, Reason: "interim order"})
	suspended := h.idx
	res := h.apply(registrar, fsm.IssueCredential{ListSize: 1 << 10, Credential: register.IssuedCredential{
		JTI: "c2", Registrant: r.Number, KID: "kid", IssuedAt: h.at, ExpiresAt: h.at.Add(time.Hour), List: "1", Idx: 7}})
	require.ErrorIs(t, res.(error), register.ErrConflict, "no credential while suspended")
	h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpReinstate, Reason: "lifted"})
	h.issue(r.Number, "c3", 9) // supersedes c1
	last := h.idx

	st := h.f.State()
	got, ok := h.f.StatusChanges(st, start, last)
	require.True(t, ok)
	assert.Equal(t, []fsm.StatusChange{
		{Index: issued, List: "1", Idx: 3, Value: 0},
		{Index: suspended, List: "1", Idx: 3, Value: 2},
		{Index: suspended + 2, List: "1", Idx: 3, Value: 0},
		{Index: last, List: "1", Idx: 3, Value: 1},
		{Index: last, List: "1", Idx: 9, Value: 0},
	}, got)

	got, ok = h.f.StatusChanges(st, suspended, suspended+1)
	require.True(t, ok)
	assert.Empty(t, got, "the refused issue set nothing")

	h.f.TrimStatusChanges(suspended)
	_, ok = h.f.StatusChanges(st, start, last)
	assert.False(t, ok, "trimmed changes are gone, and it says so")
	got, ok = h.f.StatusChanges(st, suspended, last)
	require.True(t, ok)
	assert.Len(t, got, 3)

	snap, err := h.f.Snapshot()
	require.NoError(t, err)
	sink := &bufferSink{}
	require.NoError(t, snap.Persist(sink))
	require.NoError(t, h.f.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))))
	_, ok = h.f.StatusChanges(st, suspended, last)
	assert.False(t, ok, "the store before the restore has no journal")
	got, ok = h.f.StatusChanges(h.f.State(), last, last)
	require.True(t, ok)
	assert.Empty(t, got)
	h.change(fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpSuspend, Reason: "again"})
	got, ok = h.f.StatusChanges(h.f.State(), last, h.idx)
	require.True(t, ok)
	assert.Equal(t, []fsm.StatusChange{{Index: h.idx, List: "1", Idx: 9, Value: 2}}, got)
}
