package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
	"github.com/tidwall/btree"

	"github.com/nalw/linkpass/issuer/register"
)

// credTrees is the credentials table (see rows.go): rows by JTI, by
// registrant, and by status list entry. One status entry, one credential:
// sharing an entry would tie two credentials' fates together and make them
// linkable. The entry's tree also finds a list's credentials. Credentials
// by signing key are read only to retire a key, by a scan.
type credTrees struct {
	byJTI        *btree.BTreeG[string]
	byRegistrant *btree.BTreeG[string]
	bySlot       *btree.BTreeG[slotItem]
}

// slotItem is a row under a key of its status list entry (slotKey), so
// that asking whether an entry is taken, twice an issue, compares keys in
// the tree's own arrays rather than reading a row at each step: at a few
// hundred thousand credentials those reads were a twentieth of the
// server's CPU in a run of writes.
type slotItem struct {
	k   uint64
	row string
}

// slotKey packs a list's string id and an index into a key that orders as
// the pair does, or 0 where they do not fit, and the rows are compared.
func slotKey(list, idx uint64) uint64 {
	if list >= 1<<31 || idx >= 1<<32 {
		return 0
	}
	return 1<<63 | list<<32 | idx
}

func newSlotItem(row string) slotItem {
	l, i, _ := credSlot(row)
	return slotItem{slotKey(l, i), row}
}

// slotLess orders by entry, then JTI; keys that differ decide alone.
func slotLess(a, b slotItem) bool {
	if a.k != b.k && a.k != 0 && b.k != 0 {
		return a.k < b.k
	}
	la, ia, ja := credSlot(a.row)
	lb, ib, jb := credSlot(b.row)
	if la != lb {
		return la < lb
	}
	if ia != ib {
		return ia < ib
	}
	return ja < jb
}

// A credential row starts with its JTI, registrant, status list (interned)
// and index in the list, the fields the trees order rows by.
func credJTI(row string) string { s, _ := field(row, 0); return s }

func credRegistrant(row string) (registrant, jti string) {
	jti, i := field(row, 0)
	registrant, _ = field(row, i)
	return registrant, jti
}

func credSlot(row string) (list, idx uint64, jti string) {
	jti, i := field(row, 0)
	_, i = field(row, i)
	list, w := uvarintAt(row, i)
	idx, _ = uvarintAt(row, i+w)
	return list, idx, jti
}

func newCredTrees() *credTrees {
	return &credTrees{
		byJTI: newTree(func(a, b string) bool { return credJTI(a) < credJTI(b) }),
		byRegistrant: newTree(func(a, b string) bool {
			ra, ja := credRegistrant(a)
			rb, jb := credRegistrant(b)
			return ra < rb || ra == rb && ja < jb
		}),
		bySlot: newTree(slotLess),
	}
}

func (t *credTrees) copy() *credTrees {
	return &credTrees{byJTI: t.byJTI.Copy(), byRegistrant: t.byRegistrant.Copy(), bySlot: t.bySlot.Copy()}
}

// compact replaces the trees with compacted copies (see compacted).
func (t *credTrees) compact() {
	t.byJTI, t.byRegistrant, t.bySlot = compacted(t.byJTI), compacted(t.byRegistrant), compacted(t.bySlot)
}

// credProbe is a row holding only the leading fields, to search with.
func credProbe(jti, registrant string, list, idx uint64) string {
	e := rowEncoder{}
	e.str(jti)
	e.str(registrant)
	e.uint(list)
	e.uint(idx)
	return e.row()
}

func (t *credTrees) put(c *register.IssuedCredential, strs *strtab) error {
	if c.JTI == "" {
		return fmt.Errorf("credential has no JTI")
	}
	row := encodeCredential(c, strs)
	if old, ok := t.byJTI.Set(row); ok {
		t.byRegistrant.Delete(old)
		t.bySlot.Delete(newSlotItem(old))
	}
	t.byRegistrant.Set(row)
	t.bySlot.Set(newSlotItem(row))
	return nil
}

func encodeCredential(c *register.IssuedCredential, strs *strtab) string {
	e := rowEncoder{b: make([]byte, 0, 96), strs: strs}
	e.credential(c)
	return e.row()
}

// credential appends c's row.
func (e *rowEncoder) credential(c *register.IssuedCredential) {
	e.str(c.JTI)
	e.str(c.Registrant)
	e.sym(c.List)
	e.uint(c.Idx)
	e.sym(string(c.Status))
	e.sym(c.KID)
	e.time(c.IssuedAt)
	e.time(c.ExpiresAt)
	e.sym(c.StatusReason)
	e.time(c.StatusChangedAt)
	e.str(c.Grant)
	e.str(c.Holder)
	e.uint(c.CreateIndex)
	e.uint(c.ModifyIndex)
}

func decodeCredential(row string, strs []string) (*register.IssuedCredential, error) {
	d := rowDecoder{s: row, strs: strs}
	c := &register.IssuedCredential{}
	d.credHead(c)
	c.KID = d.sym()
	c.IssuedAt = d.time()
	c.ExpiresAt = d.time()
	c.StatusReason = d.sym()
	c.StatusChangedAt = d.time()
	c.Grant = d.str()
	c.Holder = d.str()
	c.CreateIndex = d.uint()
	c.ModifyIndex = d.uint()
	if err := d.done(); err != nil {
		return nil, fmt.Errorf("credential row: %w", err)
	}
	return c, nil
}

// credHead decodes a credential row's leading fields into c: its JTI,
// registrant, status list entry and status.
func (d *rowDecoder) credHead(c *register.IssuedCredential) {
	c.JTI = d.str()
	c.Registrant = d.str()
	c.List = d.sym()
	c.Idx = d.uint()
	c.Status = register.CredentialStatus(d.sym())
}

// credView reads one version of the credentials table.
type credView struct {
	t    *credTrees
	strs []string
	tab  *strtab
}

func (v credView) decode(row string) (*register.IssuedCredential, error) {
	c, err := decodeCredential(row, v.strs)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	return c, nil
}

func (v credView) get(jti string) (*register.IssuedCredential, error) {
	row, ok := v.t.byJTI.Get(credProbe(jti, "", 0, 0))
	if !ok {
		return nil, fmt.Errorf("%w: no credential %s", register.ErrNotFound, jti)
	}
	return v.decode(row)
}

func (v credView) of(number string) ([]*register.IssuedCredential, error) {
	return ascendWhile(v.t.byRegistrant, credProbe("", number, 0, 0), func(row string) bool {
		r, _ := credRegistrant(row)
		return r == number
	}, v.decode)
}

func (v credView) slotTaken(list string, idx uint64) bool {
	id, ok := v.tab.lookup(list)
	if !ok {
		return false
	}
	k, taken := slotKey(id, idx), false
	v.t.bySlot.Ascend(slotItem{k, credProbe("", "", id, idx)}, func(it slotItem) bool {
		if k != 0 && it.k != 0 {
			taken = it.k == k
		} else {
			l, i, _ := credSlot(it.row)
			taken = l == id && i == idx
		}
		return false
	})
	return taken
}

func (v credView) inList(list string) ([]*register.IssuedCredential, error) {
	var out []*register.IssuedCredential
	var err error
	v.listRows(list, func(row string) bool {
		var c *register.IssuedCredential
		if c, err = v.decode(row); err == nil {
			out = append(out, c)
		}
		return err == nil
	})
	return out, err
}

// entriesIn calls fn with the entry and status of every credential with
// an entry in list, in entry order, decoding only the leading fields of
// each row: a start rebuilds every list from them, and decoding a million
// credentials in full was most of the 0.4–0.6 s it took.
func (v credView) entriesIn(list string, fn func(idx uint64, status register.CredentialStatus) error) error {
	var c register.IssuedCredential
	var err error
	v.listRows(list, func(row string) bool {
		d := rowDecoder{s: row, strs: v.strs}
		if d.credHead(&c); d.err != nil {
			err = fmt.Errorf("state: credential row %q: %w", c.JTI, d.err)
		} else {
			err = fn(c.Idx, c.Status)
		}
		return err == nil
	})
	return err
}

// listRows calls fn with the row of every credential with an entry in
// list, in entry order, until fn returns false.
func (v credView) listRows(list string, fn func(row string) bool) {
	id, ok := v.tab.lookup(list)
	if !ok {
		return
	}
	v.t.bySlot.Ascend(slotItem{slotKey(id, 0), credProbe("", "", id, 0)}, func(it slotItem) bool {
		if l, _, _ := credSlot(it.row); l != id {
			return false
		}
		return fn(it.row)
	})
}

// each calls fn with every credential in JTI order.
func (v credView) each(fn func(*register.IssuedCredential) error) error {
	var err error
	v.t.byJTI.Scan(func(row string) bool {
		var c *register.IssuedCredential
		if c, err = v.decode(row); err == nil {
			err = fn(c)
		}
		return err == nil
	})
	return err
}

// Credential returns an issued credential's record or an error wrapping
// register.ErrNotFound.
func (t *Txn) Credential(jti string) (*register.IssuedCredential, error) {
	return t.creds().get(jti)
}

// PutCredential stores an issued credential's record.
func (t *Txn) PutCredential(c *register.IssuedCredential) error {
	if err := t.credsW().put(c, t.strs); err != nil {
		return fmt.Errorf("state: insert into %s: %w", tableCredentials, err)
	}
	t.touch(tableCredentials)
	return nil
}

// CredentialsOf returns the records of every credential issued to a
// registrant.
func (t *Txn) CredentialsOf(number string) ([]*register.IssuedCredential, error) {
	return t.creds().of(number)
}

// SlotTaken reports whether an entry of a status list is allocated.
func (t *Txn) SlotTaken(list string, idx uint64) (bool, error) {
	return t.creds().slotTaken(list, idx), nil
}

// SlotTaken reports whether an entry of a status list is allocated.
func (s *Store) SlotTaken(list string, idx uint64) (bool, error) {
	return s.creds(s.read()).slotTaken(list, idx), nil
}

// StatusList returns a status list's record, or nil if it does not exist.
func (t *Txn) StatusList(id string) (*register.StatusList, error) { return statusList(t.tx, id) }

// PutStatusList stores a status list's record.
func (t *Txn) PutStatusList(l *register.StatusList) error { return t.insert(tableStatusLists, l) }

// Credential returns an issued credential's record.
func (s *Store) Credential(jti string) (*register.IssuedCredential, error) {
	return s.creds(s.read()).get(jti)
}

// CredentialsOf returns the records of a registrant's credentials.
func (s *Store) CredentialsOf(number string) ([]*register.IssuedCredential, error) {
	return s.creds(s.read()).of(number)
}

// CredentialsInList returns the records of every credential with an entry
// in status list id.
func (s *Store) CredentialsInList(id string) ([]*register.IssuedCredential, error) {
	return s.creds(s.read()).inList(id)
}

// CredentialsSignedBy returns the records of every credential key kid signed.
func (s *Store) CredentialsSignedBy(kid string) ([]*register.IssuedCredential, error) {
	var out []*register.IssuedCredential
	err := s.creds(s.read()).each(func(c *register.IssuedCredential) error {
		if c.KID == kid {
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// StatusLists returns every status list record, in id order.
func (s *Store) StatusLists() ([]*register.StatusList, error) { return statusLists(s.read()) }

func statusLists(tx *memdb.Txn) ([]*register.StatusList, error) {
	it, err := tx.Get(tableStatusLists, indexID)
	if err != nil {
		return nil, fmt.Errorf("state: status lists: %w", err)
	}
	var out []*register.StatusList
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, obj.(*register.StatusList))
	}
	return out, nil
}

func statusList(tx *memdb.Txn, id string) (*register.StatusList, error) {
	obj, err := tx.First(tableStatusLists, indexID, id)
	if err != nil {
		return nil, fmt.Errorf("state: status list lookup: %w", err)
	}
	if obj == nil {
		return nil, nil
	}
	return obj.(*register.StatusList), nil
}
