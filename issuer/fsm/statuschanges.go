package fsm

import (
	"sort"
	"sync"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

// StatusChange is a status list entry set by a log entry: the entry of a
// credential just issued, or of one whose status changed.
type StatusChange struct {
	// Index is the log entry that set it.
	Index uint64
	List  string
	Idx   uint64
	Value uint8
}

// maxStatusChanges bounds the journal when nothing trims it (a follower
// publishes nothing): past it the journal starts afresh, and a publisher
// that needed what was dropped reads every credential instead.
const maxStatusChanges = 1 << 17

// statusJournal records the status list entries each applied log entry
// set, so that the publisher can bring its lists up to date by setting
// those entries instead of reading every credential. It is derived from
// the log as the store is, and kept beside it.
type statusJournal struct {
	mu    sync.Mutex
	store *state.Store
	// base: the journal holds every change made by entries after it.
	base    uint64
	changes []StatusChange // in log order
}

func (j *statusJournal) reset(st *state.Store, base uint64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.store, j.base, j.changes = st, base, nil
}

// record notes the changes of the entry at idx. The FSM records them
// before the entry's write commits, so that whoever reads the store at
// idx finds them here.
func (j *statusJournal) record(idx uint64, ch []StatusChange) {
	if len(ch) == 0 {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.changes)+len(ch) > maxStatusChanges {
		j.base, j.changes = idx-1, nil
	}
	j.changes = append(j.changes, ch...)
}

// retract forgets the changes of the entry at idx, whose write did not
// commit after all. Nobody can have read them: readers take only changes
// of entries the store already holds.
func (j *statusJournal) retract(idx uint64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := len(j.changes)
	for n > 0 && j.changes[n-1].Index == idx {
		n--
	}
	j.changes = j.changes[:n]
}

// StatusChanges returns the status list entries that the log entries after
// `after`, up to and including upto, set in store st, in log order. It
// reports false when it does not hold them all (st was replaced by a
// snapshot restore, or the changes were trimmed or dropped); the caller
// then reads every credential.
func (f *FSM) StatusChanges(st *state.Store, after, upto uint64) ([]StatusChange, bool) {
	j := &f.journal
	j.mu.Lock()
	defer j.mu.Unlock()
	if st != j.store || after < j.base {
		return nil, false
	}
	lo := sort.Search(len(j.changes), func(i int) bool { return j.changes[i].Index > after })
	hi := sort.Search(len(j.changes), func(i int) bool { return j.changes[i].Index > upto })
	if lo >= hi {
		return nil, true
	}
	return append([]StatusChange(nil), j.changes[lo:hi]...), true
}

// TrimStatusChanges forgets the changes of entries up to upto: the
// publisher has them in its lists.
func (f *FSM) TrimStatusChanges(upto uint64) {
	j := &f.journal
	j.mu.Lock()
	defer j.mu.Unlock()
	if upto <= j.base {
		return
	}
	n := sort.Search(len(j.changes), func(i int) bool { return j.changes[i].Index > upto })
	// Copy what is kept so that the dropped prefix is freed.
	j.changes = append(j.changes[:0:0], j.changes[n:]...)
	j.base = upto
}

// putCredential stores a credential's record and notes its status list
// entry for the publisher. Every credential the FSM stores goes through it.
func putCredential(tx *state.Txn, env *envelope, c *register.IssuedCredential) error {
	if err := tx.PutCredential(c); err != nil {
		return err
	}
	env.status = append(env.status, StatusChange{Index: tx.Index(), List: c.List, Idx: c.Idx, Value: c.Status.StatusValue()})
	return nil
}
