// Package state is the register's in-memory state store: go-memdb tables
// that the Raft FSM writes and the API reads, in the style of the Consul and
// Nomad state stores.
//
// The two tables with a row per registrant, registrants and credentials,
// are the exception (rows.go): go-memdb keeps every index entry as a radix
// tree leaf and node, each with its own watch channel, 400 to 500 bytes an
// entry. With six such indexes a register of a typical shape (two
// qualifications, a credential and three audit events a registrant) held
// 7.4 KB of heap a registrant, 3.2 KB of it in radix trees, against a
// target of 1.5 KB of RSS. Their rows are instead compact binary strings in
// copy-on-write B-trees, 16 bytes an index entry, published as one row of
// a memdb table so that reads, snapshots and watches still see one moment
// of the whole store.
//
// Every write carries the Raft log index it comes from. Stored objects are
// immutable: readers get pointers to shared values and must not change
// them; writers insert changed copies.
package state

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/namefold"
	"github.com/nalw/linkpass/nameindex"
)

// Meta keys.
const (
	metaSerial = "serial/registrant"
	metaIndex  = "index/" // + table name
)

// Store is the state store.
type Store struct {
	db *memdb.MemDB
	// strs interns the bulk tables' repeated strings (rows.go).
	strs  *strtab
	audit *auditTrail
	// names is the search index of registrants' names, brought up to date
	// as each write commits (see nameindex for why it is not a memdb
	// index).
	names *nameindex.Index
}

// New returns an empty store.
func New() (*Store, error) {
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		return nil, fmt.Errorf("state: building schema: %w", err)
	}
	s := &Store{db: db, strs: newStrtab(), audit: newAuditTrail(), names: nameindex.New()}
	tx := db.Txn(true)
	defer tx.Abort()
	for _, b := range []*bulkRow{{Table: tableRegistrants, regs: newRegTrees()}, {Table: tableCredentials, creds: newCredTrees()}} {
		if err := tx.Insert(tableRows, b); err != nil {
			return nil, fmt.Errorf("state: creating %s: %w", b.Table, err)
		}
	}
	tx.Commit()
	return s, nil
}

// indexName is what the name index keeps of a registrant.
func indexName(r *register.Registrant) nameindex.Name {
	n := nameindex.Name{Key: r.Number, Given: r.Given, Family: r.Family}
	if r.Status == register.Removed {
		n.Removed = r.StatusChangedAt
	}
	return n
}

// sameIndexName says a and b are indexed alike.
func sameIndexName(a, b nameindex.Name) bool {
	return a.Key == b.Key && a.Given == b.Given && a.Family == b.Family && a.Removed.Equal(b.Removed)
}

// Write runs fn in one write transaction for the change at log index idx.
// The transaction commits only if fn returns nil, so a refused change leaves
// nothing behind.
func (s *Store) Write(idx uint64, fn func(tx *Txn) error) error {
	tx := s.txn(idx)
	defer tx.tx.Abort()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.flush(); err != nil {
		return err
	}
	for table := range tx.touched {
		if err := tx.tx.Insert(tableMeta, &meta{Key: metaIndex + table, Value: idx}); err != nil {
			return fmt.Errorf("state: updating index of %s: %w", table, err)
		}
	}
	if err := tx.tx.Insert(tableMeta, &meta{Key: metaIndex + "*", Value: idx}); err != nil {
		return fmt.Errorf("state: updating last index: %w", err)
	}
	s.audit.append(tx.events...)
	tx.tx.Commit()
	// Readers may for a moment find a committed change through its old
	// name; they read the record itself, so nothing they show is stale.
	for _, r := range tx.renamed {
		s.names.Put(indexName(r))
	}
	return nil
}

func (s *Store) txn(idx uint64) *Txn {
	return &Txn{tx: s.db.Txn(true), idx: idx, strs: s.strs}
}

// flush writes the bulk tables' changed trees into the transaction.
func (t *Txn) flush() error {
	for _, b := range []*bulkRow{{Table: tableRegistrants, regs: t.regsMut}, {Table: tableCredentials, creds: t.credsMut}} {
		if b.regs == nil && b.creds == nil {
			continue
		}
		if err := t.tx.Insert(tableRows, b); err != nil {
			return fmt.Errorf("state: updating %s: %w", b.Table, err)
		}
	}
	return nil
}

// Txn is a write transaction for one log index.
type Txn struct {
	tx   *memdb.Txn
	strs *strtab
	// regsMut and credsMut are this transaction's copies of the bulk
	// tables, made on its first change to each.
	regsMut  *regTrees
	credsMut *credTrees
	idx      uint64
	seq      uint32
	touched  map[string]bool
	settings *register.Settings
	events   []pendingEvent
	// renamed are those put whose indexed name changed, for the name
	// index once committed.
	renamed []*register.Registrant
}

// Index is the log index this transaction writes at.
func (t *Txn) Index() uint64 { return t.idx }

func (t *Txn) touch(table string) {
	if t.touched == nil {
		t.touched = map[string]bool{}
	}
	t.touched[table] = true
}

func (t *Txn) insert(table string, obj any) error {
	if err := t.tx.Insert(table, obj); err != nil {
		return fmt.Errorf("state: insert into %s: %w", table, err)
	}
	t.touch(table)
	return nil
}

// NextSerial returns the next registration serial and records it used.
func (t *Txn) NextSerial() (uint64, error) {
	n := getMeta(t.tx, metaSerial)
	if n == 0 {
		n = firstSerial - 1
	}
	n++
	return n, t.insert(tableMeta, &meta{Key: metaSerial, Value: n})
}

// Registrant returns a registrant or an error wrapping register.ErrNotFound.
func (t *Txn) Registrant(number string) (*register.Registrant, error) {
	return t.regs().get(number)
}

// PutRegistrant stores a registrant (a new value, never a mutated one).
func (t *Txn) PutRegistrant(r *register.Registrant) error {
	renamed, err := t.regsW().put(r, t.strs)
	if err != nil {
		return fmt.Errorf("state: insert into %s: %w", tableRegistrants, err)
	}
	t.touch(tableRegistrants)
	if renamed {
		// Unchanged against this transaction's previous version, which is
		// either indexed already or in this list with the same name.
		t.renamed = append(t.renamed, r)
	}
	return nil
}

// Registrants returns every registrant with status.
func (t *Txn) Registrants(status register.Status) ([]*register.Registrant, error) {
	return t.regs().all(status)
}

// RegistrantByExternalRef returns the registrant imported with ref, or nil.
func (t *Txn) RegistrantByExternalRef(ref string) (*register.Registrant, error) {
	return t.regs().byExternalRef(ref)
}

// LikelyDuplicate returns a registrant with the duplicate key k
// (register.DuplicateKey), or nil.
func (t *Txn) LikelyDuplicate(k string) (*register.Registrant, error) {
	return t.regs().likelyDuplicate(k)
}

// regs reads the registrants as this transaction has them so far.
func (t *Txn) regs() regView {
	tr := t.regsMut
	if tr == nil {
		tr = bulkOf(t.tx, tableRegistrants).regs
	}
	return regView{t: tr, strs: t.strs.table(), tab: t.strs}
}

// regsW returns the registrants' trees for this transaction to change.
func (t *Txn) regsW() *regTrees {
	if t.regsMut == nil {
		t.regsMut = bulkOf(t.tx, tableRegistrants).regs.copy()
	}
	return t.regsMut
}

func (t *Txn) creds() credView {
	tr := t.credsMut
	if tr == nil {
		tr = bulkOf(t.tx, tableCredentials).creds
	}
	return credView{t: tr, strs: t.strs.table(), tab: t.strs}
}

func (t *Txn) credsW() *credTrees {
	if t.credsMut == nil {
		t.credsMut = bulkOf(t.tx, tableCredentials).creds.copy()
	}
	return t.credsMut
}

// Audit appends an audit event stamped with this transaction's index.
func (t *Txn) Audit(ev register.AuditEvent) error {
	ev.Index, ev.Seq = t.idx, t.seq
	t.seq++
	p, err := encodeEvent(&ev)
	if err != nil {
		return err
	}
	t.events = append(t.events, p)
	t.touch(tableAudit)
	return nil
}

// Settings returns the register settings (defaults before any are set).
func (t *Txn) Settings() register.Settings {
	if t.settings != nil {
		return *t.settings
	}
	return settings(t.tx)
}

// PutSettings stores the register settings.
func (t *Txn) PutSettings(s register.Settings) error {
	s.ModifyIndex = t.idx
	t.settings = &s
	return t.insert(tableSettings, &s)
}

// Token returns an API token or an error wrapping register.ErrNotFound.
func (t *Txn) Token(id string) (*register.Token, error) { return token(t.tx, id) }

// PutToken stores an API token.
func (t *Txn) PutToken(tok *register.Token) error { return t.insert(tableTokens, tok) }

// Key returns a signing key record or an error wrapping register.ErrNotFound.
func (t *Txn) Key(kid string) (*register.SigningKey, error) { return key(t.tx, kid) }

// Keys returns every signing key record.
func (t *Txn) Keys() ([]*register.SigningKey, error) { return keys(t.tx) }

// PutKey stores a signing key record.
func (t *Txn) PutKey(k *register.SigningKey) error { return t.insert(tableKeys, k) }

// firstSerial mirrors regno.FirstSerial without importing it into the
// store's hot path; a test keeps the two equal.
const firstSerial = 100001

// Reads.

func (s *Store) read() *memdb.Txn { return s.db.Txn(false) }

// Registrant returns a registrant or an error wrapping register.ErrNotFound.
func (s *Store) Registrant(number string) (*register.Registrant, error) {
	return s.regs(s.read()).get(number)
}

// RegistrantByExternalRef returns the registrant imported with ref, or nil.
func (s *Store) RegistrantByExternalRef(ref string) (*register.Registrant, error) {
	return s.regs(s.read()).byExternalRef(ref)
}

// LikelyDuplicate returns a registrant with the duplicate key k
// (register.DuplicateKey), or nil.
func (s *Store) LikelyDuplicate(k string) (*register.Registrant, error) {
	return s.regs(s.read()).likelyDuplicate(k)
}

// Registrants returns registrants in number order, all of them if status is
// empty. Each is decoded afresh: callers that only count should use
// RegistrantCounts.
func (s *Store) Registrants(status register.Status) ([]*register.Registrant, error) {
	return s.regs(s.read()).all(status)
}

// EachRegistrant calls fn with every registrant with status (all if
// empty), in number order, and stops at fn's first error. Each is decoded
// over the last, so fn must Clone one it keeps. Unlike Registrants it
// holds only the one fn is given: a sweep over a register of a million
// that read them all first kept most of a gigabyte live, and the
// collector's headroom doubled that in RSS; and one that decoded each
// afresh made 185 MB of garbage every lapse check, an extra collection
// for the public searches to queue behind.
func (s *Store) EachRegistrant(status register.Status, fn func(*register.Registrant) error) error {
	return s.regs(s.read()).each(status, fn)
}

// RegistrantCounts returns how many registrants have each status (those
// with none are left out).
func (s *Store) RegistrantCounts() map[register.Status]int {
	return s.regs(s.read()).counts()
}

// regs reads the registrants as of tx.
func (s *Store) regs(tx *memdb.Txn) regView {
	return regView{t: bulkOf(tx, tableRegistrants).regs, strs: s.strs.table(), tab: s.strs}
}

// creds reads the credentials as of tx.
func (s *Store) creds(tx *memdb.Txn) credView {
	return credView{t: bulkOf(tx, tableCredentials).creds, strs: s.strs.table(), tab: s.strs}
}

// bulkOf returns a bulk table's trees as of tx. New writes both, and
// nothing deletes them.
func bulkOf(tx *memdb.Txn, table string) *bulkRow {
	obj, err := tx.First(tableRows, indexID, table)
	if err != nil || obj == nil {
		panic(fmt.Sprintf("state: the %s table is missing (%v)", table, err))
	}
	return obj.(*bulkRow)
}

// NameSearch is the answer to a name search.
type NameSearch struct {
	// Registrants are the best matches, best first, with their Ranks.
	Registrants []*register.Registrant
	Ranks       []namefold.Rank
	// Total counts every match; AtLeast means it is a lower bound (the
	// query was too broad to count in full).
	Total   int
	AtLeast bool
}

// Search finds registrants by name (see namefold for how names match),
// at most limit of them, best first, leaving out those removed before
// removedBefore (zero: none left out).
func (s *Store) Search(q namefold.Query, limit int, removedBefore time.Time) (NameSearch, error) {
	var out NameSearch
	var err error
	out.Total, out.AtLeast, err = s.search(q, limit, removedBefore, func(row string, rank namefold.Rank, _ int, regs regView) error {
		r, err := regs.decode(row)
		if err == nil {
			out.Registrants = append(out.Registrants, r)
			out.Ranks = append(out.Ranks, rank)
		}
		return err
	})
	if err != nil {
		return NameSearch{}, err
	}
	return out, nil
}

// SearchEach is Search for a caller that keeps only something made from
// each registrant found, as the public register keeps an entry: it calls
// fn with each, best first, and with how many fn is still to be called
// with, this one included (to size what it keeps), then returns the
// total and whether it is a lower bound. Every registrant is decoded into
// the same value, which is valid only until fn returns and must not be
// kept or changed: a search then allocates nothing for the registrants it
// reads.
func (s *Store) SearchEach(q namefold.Query, limit int, removedBefore time.Time, fn func(r *register.Registrant, rank namefold.Rank, left int) error) (total int, atLeast bool, err error) {
	var r register.Registrant
	return s.search(q, limit, removedBefore, func(row string, rank namefold.Rank, left int, regs regView) error {
		if err := decodeRegistrantInto(&r, row, regs.strs); err != nil {
			return fmt.Errorf("state: %w", err)
		}
		return fn(&r, rank, left)
	})
}

// search runs a name search and calls fn with each row found.
func (s *Store) search(q namefold.Query, limit int, removedBefore time.Time, fn func(row string, rank namefold.Rank, left int, regs regView) error) (int, bool, error) {
	var opts []nameindex.Option
	if !removedBefore.IsZero() {
		opts = append(opts, nameindex.HideRemovedBefore(removedBefore))
	}
	res := s.names.Search(q, limit, opts...)
	regs := s.regs(s.read())
	for i, h := range res.Hits {
		row, ok := regs.row(h.Key)
		if !ok {
			return 0, false, fmt.Errorf("state: search index names %s: %w: no registrant %s", h.Key, register.ErrNotFound, h.Key)
		}
		if err := fn(row, h.Rank, len(res.Hits)-i, regs); err != nil {
			return 0, false, err
		}
	}
	return res.Total, res.AtLeast, nil
}

// AuditFilter selects audit events. Every field set must match.
type AuditFilter struct {
	Registrant string
	// Action is an action exactly, such as "registrant.suspend".
	Action string
	// Actors, when not nil, are the actors (ActorKey) whose events to
	// return; an empty list returns none.
	Actors []string
	// From and To bound the event's time, both inclusive; zero is open.
	From, To time.Time
	// After returns only events at a log index greater than After.
	After uint64
	// Limit caps the number returned, except that the events of one change
	// are never split across pages; 0 means no cap.
	Limit int
}

// Audit returns audit events in log order. It reads only the events of
// the shortest index the filter names (registrant, action or actors), from
// the first one past After and From.
func (s *Store) Audit(f AuditFilter) ([]*register.AuditEvent, error) {
	return s.audit.view().query(f)
}

// AuditActions returns every action the audit trail holds, sorted.
func (s *Store) AuditActions() []string { return s.audit.view().actions() }

// Settings returns the register settings.
func (s *Store) Settings() register.Settings { return settings(s.read()) }

// Token returns an API token or an error wrapping register.ErrNotFound.
func (s *Store) Token(id string) (*register.Token, error) { return token(s.read(), id) }

// Tokens returns every API token record (hashes only, never secrets).
func (s *Store) Tokens() ([]*register.Token, error) {
	it, err := s.read().Get(tableTokens, indexID)
	if err != nil {
		return nil, fmt.Errorf("state: tokens: %w", err)
	}
	var out []*register.Token
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, obj.(*register.Token))
	}
	return out, nil
}

// Keys returns every signing key record.
func (s *Store) Keys() ([]*register.SigningKey, error) { return keys(s.read()) }

// Index returns the last log index that changed table, or any table if
// table is empty.
func (s *Store) Index(table string) uint64 {
	if table == "" {
		table = "*"
	}
	return getMeta(s.read(), metaIndex+table)
}

// Shared read helpers, used by both Store and Txn.

func settings(tx *memdb.Txn) register.Settings {
	obj, err := tx.First(tableSettings, indexID)
	if err != nil || obj == nil {
		return register.Settings{RegisterName: register.DefaultRegisterName, RemovedVisibleDays: register.DefaultRemovedVisibleDays}
	}
	return *obj.(*register.Settings)
}

func token(tx *memdb.Txn, id string) (*register.Token, error) {
	obj, err := tx.First(tableTokens, indexID, id)
	if err != nil {
		return nil, fmt.Errorf("state: token lookup: %w", err)
	}
	if obj == nil {
		return nil, fmt.Errorf("%w: no token %s", register.ErrNotFound, id)
	}
	return obj.(*register.Token), nil
}

func key(tx *memdb.Txn, kid string) (*register.SigningKey, error) {
	obj, err := tx.First(tableKeys, indexID, kid)
	if err != nil {
		return nil, fmt.Errorf("state: key lookup: %w", err)
	}
	if obj == nil {
		return nil, fmt.Errorf("%w: no signing key %s", register.ErrNotFound, kid)
	}
	return obj.(*register.SigningKey), nil
}

func keys(tx *memdb.Txn) ([]*register.SigningKey, error) {
	it, err := tx.Get(tableKeys, indexID)
	if err != nil {
		return nil, fmt.Errorf("state: keys: %w", err)
	}
	var out []*register.SigningKey
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, obj.(*register.SigningKey))
	}
	return out, nil
}

func getMeta(tx *memdb.Txn, k string) uint64 {
	obj, err := tx.First(tableMeta, indexID, k)
	if err != nil || obj == nil {
		return 0
	}
	return obj.(*meta).Value
}
