package fsm_test

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// TestApplyBatchIsApplyInLogOrder applies one log, with imports (decoded
// ahead on other cores), refused and undecodable entries and a Raft
// configuration entry, entry by entry on one FSM and in batches on
// another: both answer the same for every entry and end in the same
// state.
func TestApplyBatchIsApplyInLogOrder(t *testing.T) {
	var logs []*raft.Log
	add := func(cmd fsm.Command) {
		data, err := fsm.Encode(cmd, registrar, start.Add(time.Duration(len(logs))*time.Second))
		require.NoError(t, err)
		logs = append(logs, &raft.Log{Index: uint64(len(logs) + 1), Term: 1, Type: raft.LogCommand, Data: data})
	}
	for b := 0; b < 6; b++ {
		var recs []register.Imported
		for i := 0; i < 300; i++ {
			k := b*300 + i
			recs = append(recs, register.Imported{Line: i + 2, ExternalRef: fmt.Sprintf("OLD-%d", k%1000), Given: "Siân", Family: fmt.Sprintf("Evans-%d", k%700),
				Nation: "wales", Email: fmt.Sprintf("p%d@example.org", k%700), RegisteredFrom: "2020-04-01", RegisteredUntil: "2027-03-31", Status: register.Registered})
		}
		if b == 3 {
			recs[17].RegisteredUntil = "2019-01-01" // refuses the whole batch
		}
		add(fsm.ImportRegistrants{Records: recs})
		add(fsm.ChangeRegistrant{Number: "LW1000015", Op: fsm.OpSuspend, Reason: "interim order"})
		add(fsm.ChangeRegistrant{Number: "LW1000015", Op: fsm.OpReinstate, Reason: "lifted"})
		if b == 2 {
			logs = append(logs, &raft.Log{Index: uint64(len(logs) + 1), Term: 1, Type: raft.LogConfiguration, Data: []byte("configuration")})
			logs = append(logs, &raft.Log{Index: uint64(len(logs) + 1), Term: 1, Type: raft.LogCommand, Data: []byte{byte(fsm.MsgSettings), '{'}})
		}
	}

	one, err := fsm.New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	var want []any
	for _, l := range logs {
		if l.Type == raft.LogCommand {
			want = append(want, one.Apply(l))
		} else {
			want = append(want, nil)
		}
	}
	many, err := fsm.New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	var got []any
	for _, n := range []int{1, 5, 2, 7} { // batches of several sizes, then the rest
		got = append(got, many.ApplyBatch(logs[len(got):len(got)+n])...)
	}
	got = append(got, many.ApplyBatch(logs[len(got):])...)

	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i], got[i], "entry %d", i+1)
	}
	assert.Nil(t, want[9], "a configuration entry has no answer")
	_, undecodable := want[10].(error)
	assert.True(t, undecodable, "the undecodable entry answered its error")
	_, refused := want[11].(error)
	assert.True(t, refused, "the batch with a bad record was refused")
	regs, err := many.State().Registrants("")
	require.NoError(t, err)
	assert.Len(t, regs, 700, "every new person once")
	assert.Equal(t, persisted(t, one.State()), persisted(t, many.State()))
}

// TestApplyBatchStopsAtAnEntryOfANewerRelease: the entries before it are
// applied, none after.
func TestApplyBatchStopsAtAnEntryOfANewerRelease(t *testing.T) {
	f, err := fsm.New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	var logs []*raft.Log
	for i, given := range []string{"Before", "", "After"} {
		data, err := fsm.Encode(fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: given, Family: "Test", Nation: "england"}}, registrar, start)
		require.NoError(t, err)
		if given == "" {
			data[0] = 250
		}
		logs = append(logs, &raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: data})
	}
	assert.PanicsWithValue(t,
		fmt.Sprintf("linkpass: log entry 2 (command type 250) needs a newer log format, and this release reads log format versions up to %d; upgrade linkpass on this node", fsm.LogVersion),
		func() { f.ApplyBatch(logs) })
	regs, err := f.State().Registrants("")
	require.NoError(t, err)
	require.Len(t, regs, 1)
	assert.Equal(t, "Before", regs[0].Given)
}
