package fsm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

// FSM applies committed log entries to the state store. It implements
// raft.FSM.
type FSM struct {
	state   atomic.Pointer[state.Store]
	logger  *slog.Logger
	journal statusJournal

	// What a start would replay: entries and their bytes applied, in all
	// and as of the last snapshot or restore (see Backlog).
	entries, bytes         atomic.Uint64
	snapEntries, snapBytes atomic.Uint64
}

// New returns an FSM over an empty store.
func New(logger *slog.Logger) (*FSM, error) {
	s, err := state.New()
	if err != nil {
		return nil, err
	}
	f := &FSM{logger: logger}
	f.state.Store(s)
	f.journal.reset(s, 0)
	return f, nil
}

// State returns the current store. After a restore it is a different store,
// so callers fetch it for each request rather than keeping it.
func (f *FSM) State() *state.Store { return f.state.Load() }

// applier decodes a command of one type and applies it in a write
// transaction.
type applier struct {
	decode func(body []byte) (any, error)
	apply  func(tx *state.Txn, env *envelope, cmd any) (any, error)
}

var appliers = map[MessageType]applier{
	MsgSettings:         decode(applySettings),
	MsgRegistrantAdd:    decode(applyAddRegistrant),
	MsgRegistrantChange: decode(applyChangeRegistrant),
	MsgLapseSweep:       decode(applyLapseSweep),
	MsgTokenCreate:      decode(applyCreateToken),
	MsgTokenRevoke:      decode(applyRevokeToken),
	MsgKeyAdd:           decode(applyAddKey),
	MsgKeyRetire:        decode(applyRetireKey),
	MsgCredentialIssue:  decode(applyIssueCredential),
	MsgCredentialRevoke: decode(applyRevokeCredential),

	MsgImportRegistrants: decode(applyImportRegistrants),
}

// preparer is a command with work that depends on nothing but the command
// (checks, derived keys): it is done as the entry is decoded, which may be
// on another core while earlier entries apply (ApplyBatch).
type preparer interface{ prepare() }

// decode adapts a typed applier to the table. Unknown members are ignored
// on purpose: an entry written by a newer release with an added optional
// member must still apply on a node not yet upgraded.
func decode[C any](fn func(tx *state.Txn, env *envelope, cmd *C) (any, error)) applier {
	return applier{
		decode: func(body []byte) (any, error) {
			cmd := new(C)
			if err := json.Unmarshal(body, cmd); err != nil {
				return nil, fmt.Errorf("fsm: decoding %T: %w", *cmd, err)
			}
			if p, ok := any(cmd).(preparer); ok {
				p.prepare()
			}
			return cmd, nil
		},
		apply: func(tx *state.Txn, env *envelope, cmd any) (any, error) { return fn(tx, env, cmd.(*C)) },
	}
}

// decoded is a log entry read, not yet applied.
type decoded struct {
	env envelope
	fn  applier
	cmd any
	// err refuses the entry; newer stops the node (see applyDecoded).
	err   error
	newer string
	typ   MessageType
}

// decodeEntry reads a log entry. It depends on nothing but the entry, so
// entries may be decoded in any order, in parallel.
func decodeEntry(l *raft.Log) *decoded {
	d := &decoded{}
	if len(l.Data) == 0 {
		d.err = fmt.Errorf("fsm: empty log entry at index %d", l.Index)
		return d
	}
	d.typ = MessageType(l.Data[0])
	envErr := json.Unmarshal(l.Data[1:], &d.env)
	fn, ok := appliers[d.typ]
	if !ok || d.env.V > LogVersion {
		d.newer = "a newer log format"
		if d.env.V > LogVersion {
			d.newer = fmt.Sprintf("log format version %d", d.env.V)
		}
		return d
	}
	if envErr != nil {
		d.err = fmt.Errorf("fsm: decoding entry %d: %w", l.Index, envErr)
		return d
	}
	d.fn = fn
	d.cmd, d.err = fn.decode(d.env.Body)
	return d
}

// Apply applies one log entry. It returns Applied, or an error when the
// register's rules refused the change; a refused change leaves the store
// untouched.
func (f *FSM) Apply(l *raft.Log) any {
	f.count(l)
	return f.applyDecoded(l, decodeEntry(l))
}

func (f *FSM) count(l *raft.Log) {
	f.entries.Add(1)
	f.bytes.Add(uint64(len(l.Data)))
}

// Backlog is how many entries, and how many bytes of them, were applied
// since the last snapshot was taken or restored: what a start after a
// crash would replay from the log.
func (f *FSM) Backlog() (entries, bytes uint64) {
	return f.entries.Load() - f.snapEntries.Load(), f.bytes.Load() - f.snapBytes.Load()
}

// snapshotted records that the state as applied now is in a snapshot.
func (f *FSM) snapshotted() {
	f.snapEntries.Store(f.entries.Load())
	f.snapBytes.Store(f.bytes.Load())
}

// decodeAhead is how many entries of a batch are decoded ahead of the one
// being applied.
var decodeAhead = max(2, runtime.GOMAXPROCS(0))

// ApplyBatch applies a batch of committed entries in order, decoding the
// next ones on other cores while each applies: replaying a bulk import
// from the log spends about as long decoding and checking records as
// storing them. Apply order, and so the result, is that of the log.
func (f *FSM) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	if len(logs) == 1 {
		if logs[0].Type == raft.LogCommand {
			out[0] = f.Apply(logs[0])
		}
		return out
	}
	ready := make([]chan *decoded, len(logs))
	for i := range ready {
		ready[i] = make(chan *decoded, 1)
	}
	slots := make(chan struct{}, decodeAhead)
	go func() {
		for i, l := range logs {
			slots <- struct{}{}
			go func() {
				var d *decoded
				// Only commands reach the FSM's state; Raft's configuration
				// entries have no answer.
				if l.Type == raft.LogCommand {
					d = decodeEntry(l)
				}
				ready[i] <- d
			}()
		}
	}()
	for i, l := range logs {
		d := <-ready[i]
		if d != nil {
			f.count(l)
			out[i] = f.applyDecoded(l, d)
		}
		<-slots
	}
	return out
}

func (f *FSM) applyDecoded(l *raft.Log, d *decoded) any {
	if d.newer != "" {
		// A newer release wrote this entry. Skipping it would leave this
		// node's register silently different from the log, so stop, as the
		// Consul and Nomad FSMs do: the operator must upgrade this node.
		f.logger.Error("a log entry needs a newer linkpass; upgrade linkpass on this node before starting it again", "type", d.typ, "index", l.Index, "needs", d.newer, "reads_up_to", LogVersion)
		panic(fmt.Sprintf("linkpass: log entry %d (command type %d) needs %s, and this release reads log format versions up to %d; upgrade linkpass on this node", l.Index, d.typ, d.newer, LogVersion))
	}
	if d.err != nil {
		if d.fn.apply == nil {
			f.logger.Error("undecodable log entry", "index", l.Index, "err", d.err)
		}
		return d.err
	}
	env := &d.env
	var result any
	err := f.State().Write(l.Index, func(tx *state.Txn) error {
		var err error
		if result, err = d.fn.apply(tx, env, d.cmd); err != nil {
			return err
		}
		// The latest time on the log lets the leader refuse to act on a
		// clock that has been set back.
		if err := tx.RecordTime(env.At); err != nil {
			return err
		}
		f.journal.record(l.Index, env.status)
		return nil
	})
	if err != nil {
		f.journal.retract(l.Index)
		return err
	}
	// The FSM is the store's only writer and applies one entry at a time,
	// so the status index names this entry exactly when this entry changed
	// what status lists are built from.
	return Applied{Result: result, StatusChanged: f.State().StatusIndex() == l.Index}
}

// Applied is what Apply returns for a change it made (a refused change
// returns its error instead).
type Applied struct {
	// Result is the command's result.
	Result any
	// StatusChanged says the change touched what status lists are built
	// from (credentials, lists, keys, settings): it must be published
	// before it is acknowledged.
	StatusChanged bool
}

// Snapshot returns a point-in-time snapshot. Raft persists it off the apply
// path.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	// Raft calls this between applies, so the snapshot holds exactly what
	// was applied. Should persisting it fail, the backlog is undercounted
	// until the next snapshot, which Raft's own threshold still takes.
	f.snapshotted()
	return &snapshot{snap: f.State().Snapshot()}, nil
}

// Restore replaces the state with a snapshot's, built aside and swapped in
// whole so that readers never see a half-restored register.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	t0 := time.Now()
	s, err := state.Restore(rc)
	if err != nil {
		return err
	}
	f.journal.reset(s, s.Index(""))
	f.state.Store(s)
	f.snapshotted()
	// At a start, or when a leader sends this node its snapshot.
	f.logger.Info("register restored from a snapshot", "index", s.Index(""), "took_s", math.Round(time.Since(t0).Seconds()*1000)/1000)
	return nil
}

type snapshot struct{ snap *state.Snapshot }

func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	if err := s.snap.Persist(sink); err != nil {
		return errors.Join(err, sink.Cancel())
	}
	return sink.Close()
}

func (s *snapshot) Release() {}

// Result is what AddRegistrant and ChangeRegistrant return.
type Result struct {
	Registrant *register.Registrant
	// Changed is what a correction altered.
	Changed []register.Changed `json:"changed,omitempty"`
	// Superseded is the credentials a correction revoked because they
	// state what was corrected.
	Superseded []string `json:"superseded,omitempty"`
}
