package state

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/nalw/linkpass/issuer/register"
)

// metaClock records the latest time stamped on an applied log entry.
const metaClock = "clock/last"

// statusTables are the tables a status list is built from.
var statusTables = []string{tableCredentials, tableStatusLists, tableKeys, tableSettings}

// ReadTxn is a consistent read of the store: everything read through it
// comes from the same point in the log, and watches added from it fire on
// any change committed after that point.
type ReadTxn struct {
	tx *memdb.Txn
	s  *Store
}

// ReadTxn opens a read transaction.
func (s *Store) ReadTxn() *ReadTxn { return &ReadTxn{tx: s.read(), s: s} }

// Index returns the last log index this read includes.
func (r *ReadTxn) Index() uint64 { return getMeta(r.tx, metaIndex+"*") }

// EachEntryInList calls fn with the entry index and status of every
// credential with an entry in status list id, in entry order: all a list
// is built from, without decoding the credentials.
func (r *ReadTxn) EachEntryInList(id string, fn func(idx uint64, status register.CredentialStatus) error) error {
	return r.s.creds(r.tx).entriesIn(id, fn)
}

// StatusIndex returns the last log index that changed anything a status
// list is built from.
func (r *ReadTxn) StatusIndex() uint64 { return statusIndex(r.tx) }

// LastAt returns the latest time stamped on an applied log entry.
func (r *ReadTxn) LastAt() time.Time { return lastAt(r.tx) }

// WatchAny adds to ws a channel closed by the next committed change.
func (r *ReadTxn) WatchAny(ws memdb.WatchSet) error {
	ch, _, err := r.tx.FirstWatch(tableMeta, indexID, metaIndex+"*")
	if err != nil {
		return fmt.Errorf("state: watch: %w", err)
	}
	ws.Add(ch)
	return nil
}

// Settings returns the register settings.
func (r *ReadTxn) Settings() register.Settings { return settings(r.tx) }

// Keys returns every signing key record.
func (r *ReadTxn) Keys() ([]*register.SigningKey, error) { return keys(r.tx) }

// StatusLists returns every status list record, in id order.
func (r *ReadTxn) StatusLists() ([]*register.StatusList, error) { return statusLists(r.tx) }

// CredentialsInList returns the records of every credential with an entry
// in status list id.
func (r *ReadTxn) CredentialsInList(id string) ([]*register.IssuedCredential, error) {
	return r.s.creds(r.tx).inList(id)
}

// StatusIndex returns the last log index that changed anything a status
// list is built from.
func (s *Store) StatusIndex() uint64 { return statusIndex(s.read()) }

// LastAt returns the latest time stamped on an applied log entry: the
// register's clock must not run behind it.
func (s *Store) LastAt() time.Time { return lastAt(s.read()) }

// RecordTime notes that this change is dated at; the store keeps the
// latest such time, so that a clock set back can be told apart.
func (t *Txn) RecordTime(at time.Time) error {
	n := at.UnixNano()
	if n <= 0 || uint64(n) <= getMeta(t.tx, metaClock) {
		return nil
	}
	return t.insert(tableMeta, &meta{Key: metaClock, Value: uint64(n)})
}

func statusIndex(tx *memdb.Txn) uint64 {
	var max uint64
	for _, table := range statusTables {
		if v := getMeta(tx, metaIndex+table); v > max {
			max = v
		}
	}
	return max
}

func lastAt(tx *memdb.Txn) time.Time {
	n := getMeta(tx, metaClock)
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(n)).UTC()
}
