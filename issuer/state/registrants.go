package state

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/tidwall/btree"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/nameindex"
)

// regTrees is the registrants table (see rows.go): rows by number, by
// external reference (imports are idempotent on it) and by duplicate key
// (register.DuplicateKey, so that likely duplicates are found without
// reading the whole register), and a count by status.
type regTrees struct {
	byNumber *btree.BTreeG[numItem]
	byRef    *btree.BTreeG[string]
	byDup    *btree.BTreeG[dupItem]
	counts   map[register.Status]int
	// nums holds byNumber's rows again, by serial, for lookups.
	nums numRows
}

// numItem is a row under a key of its number (numKey), so that a lookup
// compares keys in the tree's own arrays and reads only the row it finds:
// reading each row on the way down was a cache miss a comparison, a
// quarter of a name search at 1,000,000 (up to 50 hits each).
type numItem struct {
	k   uint64
	row string
}

// numKey packs a number of two bytes and then 1 to 13 digits, as
// registration numbers are (LW, the serial and a check digit), into a
// key that orders as the numbers do as strings: the two bytes, then each
// digit as 1 to 10 in base 11, a digit short of 13 as 0, since a string
// orders before any longer one it starts. Any other number has key 0 and
// is compared as a string.
func numKey(number string) uint64 {
	const maxDigits = 13 // 11^13 < 2^47
	if len(number) < 3 || len(number) > 2+maxDigits {
		return 0
	}
	var k uint64
	for i := 2; i < 2+maxDigits; i++ {
		k *= 11
		if i < len(number) {
			c := number[i]
			if c < '0' || c > '9' {
				return 0
			}
			k += uint64(c-'0') + 1
		}
	}
	return 1<<63 | uint64(number[0])<<55 | uint64(number[1])<<47 | k
}

func newNumItem(row string) numItem { return numItem{numKey(regNumber(row)), row} }

func numLess(a, b numItem) bool {
	if a.k != 0 && b.k != 0 {
		return a.k < b.k
	}
	return regNumber(a.row) < regNumber(b.row)
}

// dupItem is a row under a hash of its duplicate key: the key itself is
// not in the row, and is checked on the row when found.
type dupItem struct {
	h   uint64
	row string
}

// dupHash hashes a duplicate key: 64-bit FNV-1a, which snapshots carry
// (snapshotrows.go) so that a restore need not fold every name again. It
// is part of the snapshot format. The keys are the register's own, not
// the public's, so a hash an attacker could aim at costs nothing.
func dupHash(k string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(k); i++ {
		h ^= uint64(k[i])
		h *= 1099511628211
	}
	return h
}

// A registrant row starts with its number, external reference and status,
// so that the trees order rows and a scan filters on status without
// decoding them.
func regNumber(row string) string { s, _ := field(row, 0); return s }

func regRef(row string) (ref, number string) {
	number, i := field(row, 0)
	ref, _ = field(row, i)
	return ref, number
}

func newRegTrees() *regTrees {
	return &regTrees{
		byNumber: newTree(numLess),
		byRef: newTree(func(a, b string) bool {
			ra, na := regRef(a)
			rb, nb := regRef(b)
			return ra < rb || ra == rb && na < nb
		}),
		byDup: newTree(func(a, b dupItem) bool {
			return a.h < b.h || a.h == b.h && regNumber(a.row) < regNumber(b.row)
		}),
		counts: map[register.Status]int{},
	}
}

// copy returns trees to change, leaving t as it is for its readers.
func (t *regTrees) copy() *regTrees {
	c := &regTrees{byNumber: t.byNumber.Copy(), byRef: t.byRef.Copy(), byDup: t.byDup.Copy(), counts: make(map[register.Status]int, len(t.counts)),
		nums: t.nums.copy()}
	for k, v := range t.counts {
		c.counts[k] = v
	}
	return c
}

// compact replaces the trees with compacted copies (see compacted).
func (t *regTrees) compact() {
	t.byNumber, t.byRef, t.byDup = compacted(t.byNumber), compacted(t.byRef), compacted(t.byDup)
}

// regProbe is a row holding only the leading fields, to search the trees
// with.
func regProbe(number, ref string) string {
	// Built on the stack and copied once: every lookup by number, up to
	// 50 a name search, makes one.
	// The fields as rowEncoder.str writes them.
	var buf [32]byte
	b := binary.AppendUvarint(buf[:0], uint64(len(number)))
	b = append(b, number...)
	b = binary.AppendUvarint(b, uint64(len(ref)))
	return string(append(b, ref...))
}

// put stores r, replacing the row with its number and that row's index
// entries. It reports whether what the name index keeps of r differs from
// what it kept of the row replaced (always, for a new registrant). Most
// changes (CPD, renewals, status) leave the name, email and reference
// alone: the old row is then read only for its leading fields, and each
// index's item is replaced where it stands rather than deleted and added.
func (t *regTrees) put(r *register.Registrant, strs *strtab) (renamed bool, err error) {
	if r.Number == "" {
		return false, fmt.Errorf("registrant has no registration number")
	}
	row := encodeRegistrant(r, strs)
	it, replaced := t.byNumber.Set(newNumItem(row))
	t.nums.set(row)
	old := it.row
	if !replaced {
		if r.ExternalRef != "" {
			t.byRef.Set(row)
		}
		if k := r.DuplicateKey(); k != "" {
			t.byDup.Set(dupItem{dupHash(k), row})
		}
		t.counts[r.Status]++
		return true, nil
	}
	o, err := decodeRegHead(old, strs.table())
	if err != nil {
		return false, err
	}
	// An item equal in its tree's order replaces the old one in place.
	if o.ExternalRef != r.ExternalRef && o.ExternalRef != "" {
		t.byRef.Delete(old)
	}
	if r.ExternalRef != "" {
		t.byRef.Set(row)
	}
	k := r.DuplicateKey()
	if o.Given != r.Given || o.Family != r.Family || o.Email != r.Email {
		if oldKey := o.DuplicateKey(); oldKey != "" {
			t.byDup.Delete(dupItem{dupHash(oldKey), old})
		}
	}
	if k != "" {
		t.byDup.Set(dupItem{dupHash(k), row})
	}
	if o.Status != r.Status {
		t.counts[o.Status]--
		t.counts[r.Status]++
	}
	return !sameIndexName(indexName(&o), indexName(r)), nil
}

func encodeRegistrant(r *register.Registrant, strs *strtab) string {
	e := rowEncoder{b: make([]byte, 0, 128), strs: strs}
	e.registrant(r)
	return e.row()
}

// registrant appends r's row.
func (e *rowEncoder) registrant(r *register.Registrant) {
	e.str(r.Number)
	e.str(r.ExternalRef)
	e.sym(string(r.Status))
	e.str(r.Given)
	e.str(r.Family)
	e.sym(r.Nation)
	e.str(r.Email)
	e.sym(r.StatusReason)
	e.time(r.StatusChangedAt)
	e.sym(string(r.SuspendedUntil))
	e.sym(string(r.SuspensionReview))
	e.count(len(r.Restrictions), r.Restrictions == nil)
	for _, x := range r.Restrictions {
		e.sym(x.Text)
		e.time(x.Since)
		e.sym(string(x.Review))
	}
	e.sym(string(r.RegisteredFrom))
	e.sym(string(r.RegisteredUntil))
	e.count(len(r.CPD), r.CPD == nil)
	for _, c := range r.CPD {
		e.int(int64(c.Year))
		e.float(c.Hours)
		e.float(c.FormalHours)
	}
	e.count(len(r.Qualifications), r.Qualifications == nil)
	for _, q := range r.Qualifications {
		e.sym(q.Title)
		e.int(int64(q.Level))
		e.sym(q.Provider)
		e.sym(q.Accreditation)
		e.sym(string(q.Awarded))
		e.sym(q.Course)
		e.str(q.Assessment)
	}
	if r.EntryRoute == nil {
		e.uint(0)
	} else {
		e.uint(1)
		e.sym(r.EntryRoute.Kind)
		e.str(r.EntryRoute.Reason)
	}
	e.uint(r.CreateIndex)
	e.uint(r.ModifyIndex)
}

func decodeRegistrant(row string, strs []string) (*register.Registrant, error) {
	r := &register.Registrant{}
	if err := decodeRegistrantInto(r, row, strs); err != nil {
		return nil, err
	}
	return r, nil
}

// decodeRegistrantInto decodes row over r, reusing r's slices' arrays
// (a search reads many rows into one value; see Store.SearchEach).
func decodeRegistrantInto(r *register.Registrant, row string, strs []string) error {
	d := rowDecoder{s: row, strs: strs}
	*r = register.Registrant{Restrictions: r.Restrictions[:0], CPD: r.CPD[:0], Qualifications: r.Qualifications[:0]}
	d.regHead(r)
	r.SuspendedUntil = register.Date(d.sym())
	r.SuspensionReview = register.Date(d.sym())
	r.Restrictions = reuse(r.Restrictions, d.count())
	for i := range r.Restrictions {
		x := &r.Restrictions[i]
		x.Text = d.sym()
		x.Since = d.time()
		x.Review = register.Date(d.sym())
	}
	r.RegisteredFrom = register.Date(d.sym())
	r.RegisteredUntil = register.Date(d.sym())
	r.CPD = reuse(r.CPD, d.count())
	for i := range r.CPD {
		c := &r.CPD[i]
		c.Year = int(d.int())
		c.Hours = d.float()
		c.FormalHours = d.float()
	}
	r.Qualifications = reuse(r.Qualifications, d.count())
	for i := range r.Qualifications {
		q := &r.Qualifications[i]
		q.Title = d.sym()
		q.Level = int(d.int())
		q.Provider = d.sym()
		q.Accreditation = d.sym()
		q.Awarded = register.Date(d.sym())
		q.Course = d.sym()
		q.Assessment = d.str()
	}
	switch d.uint() {
	case 0:
	case 1:
		r.EntryRoute = &register.EntryRoute{Kind: d.sym(), Reason: d.str()}
	default:
		d.fail()
	}
	r.CreateIndex = d.uint()
	r.ModifyIndex = d.uint()
	if err := d.done(); err != nil {
		return fmt.Errorf("registrant row: %w", err)
	}
	return nil
}

// registrantName decodes only what the name index keeps of a row, its
// leading fields, for a restore that builds the index beside the full
// decode.
func registrantName(row string, strs []string) (nameindex.Name, error) {
	r, err := decodeRegHead(row, strs)
	return indexName(&r), err
}

// decodeRegHead decodes the leading fields of a row (regHead), sharing the
// row's bytes and allocating nothing.
func decodeRegHead(row string, strs []string) (register.Registrant, error) {
	d := rowDecoder{s: row, strs: strs}
	var r register.Registrant
	d.regHead(&r)
	if d.err != nil {
		return r, fmt.Errorf("registrant row: %w", d.err)
	}
	return r, nil
}

// regHead decodes a registrant row's leading fields into r, up to its
// status's time: those its indexes and the name index are made from.
func (d *rowDecoder) regHead(r *register.Registrant) {
	r.Number = d.str()
	r.ExternalRef = d.str()
	r.Status = register.Status(d.sym())
	r.Given = d.str()
	r.Family = d.str()
	r.Nation = d.sym()
	r.Email = d.str()
	r.StatusReason = d.sym()
	r.StatusChangedAt = d.time()
}

// reuse returns s resized to n, over its own array if it is big enough:
// nil for a count of -1 (a nil slice), as decodeRegistrant keeps it.
func reuse[T any](s []T, n int) []T {
	switch {
	case n < 0:
		return nil
	case s != nil && cap(s) >= n:
		clear(s[:n])
		return s[:n]
	}
	return make([]T, n)
}

// regView reads one version of the registrants table.
type regView struct {
	t    *regTrees
	strs []string
	tab  *strtab
}

func (v regView) decode(row string) (*register.Registrant, error) {
	r, err := decodeRegistrant(row, v.strs)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	return r, nil
}

func (v regView) get(number string) (*register.Registrant, error) {
	row, ok := v.row(number)
	if !ok {
		return nil, fmt.Errorf("%w: no registrant %s", register.ErrNotFound, number)
	}
	return v.decode(row)
}

// row returns the row of the registrant with number, undecoded.
func (v regView) row(number string) (string, bool) {
	if row, ok := v.t.nums.get(number); ok {
		return row, true
	}
	it, ok := v.t.byNumber.Get(numItem{numKey(number), regProbe(number, "")})
	return it.row, ok
}

// byExternalRef returns the registrant imported with ref, or nil.
func (v regView) byExternalRef(ref string) (*register.Registrant, error) {
	if ref == "" {
		return nil, nil
	}
	var found string
	v.t.byRef.Ascend(regProbe("", ref), func(row string) bool {
		if r, _ := regRef(row); r == ref {
			found = row
		}
		return false
	})
	if found == "" {
		return nil, nil
	}
	return v.decode(found)
}

// likelyDuplicate returns a registrant with duplicate key k, or nil.
func (v regView) likelyDuplicate(k string) (*register.Registrant, error) {
	if k == "" {
		return nil, nil
	}
	h := dupHash(k)
	var out *register.Registrant
	var err error
	v.t.byDup.Ascend(dupItem{h: h}, func(it dupItem) bool {
		if it.h != h {
			return false
		}
		var r *register.Registrant
		if r, err = v.decode(it.row); err != nil {
			return false
		}
		if r.DuplicateKey() == k {
			out = r
			return false
		}
		return true
	})
	return out, err
}

// each calls fn with every registrant with status (all if empty), in
// number order, decoding only those.
func (v regView) each(status register.Status, fn func(*register.Registrant) error) error {
	want := uint64(0)
	if status != "" {
		var ok bool
		if want, ok = v.tab.lookup(string(status)); !ok {
			return nil // no row was ever written with it
		}
	}
	var err error
	var r register.Registrant
	v.t.byNumber.Scan(func(it numItem) bool {
		row := it.row
		if status != "" && regStatusID(row) != want {
			return true
		}
		if err = decodeRegistrantInto(&r, row, v.strs); err != nil {
			err = fmt.Errorf("state: %w", err)
		} else {
			err = fn(&r)
		}
		return err == nil
	})
	return err
}

// regStatusID reads the interned status of a row.
func regStatusID(row string) uint64 {
	_, i := field(row, 0)
	_, i = field(row, i)
	id, _ := uvarintAt(row, i)
	return id
}

func (v regView) all(status register.Status) ([]*register.Registrant, error) {
	var out []*register.Registrant
	if status == "" {
		out = make([]*register.Registrant, 0, v.t.byNumber.Len())
	}
	err := v.each(status, func(r *register.Registrant) error { out = append(out, r.Clone()); return nil })
	return out, err
}

// counts returns how many registrants there are with each status.
func (v regView) counts() map[register.Status]int {
	out := make(map[register.Status]int, len(v.t.counts))
	for k, n := range v.t.counts {
		if n > 0 {
			out[k] = n
		}
	}
	return out
}

// byEmail returns the registrants whose email is email, case folded. It
// reads each row's email in place and decodes only the rows that match:
// every account sign-in asks, and a register of a million would otherwise
// decode a million registrants each time.
func (v regView) byEmail(email string) ([]*register.Registrant, error) {
	var out []*register.Registrant
	var err error
	v.t.byNumber.Scan(func(it numItem) bool {
		row := it.row
		if e := regEmail(row); e == "" || !strings.EqualFold(e, email) {
			return true
		}
		var r *register.Registrant
		if r, err = v.decode(row); err == nil {
			out = append(out, r)
		}
		return err == nil
	})
	return out, err
}

// regEmail reads the email of a row (as the trees keep it, interned)
// without decoding the rest: number, reference, status, given and family
// names and nation come first.
func regEmail(row string) string {
	_, i := field(row, 0)
	_, i = field(row, i)
	_, w := uvarintAt(row, i)
	i += w
	_, i = field(row, i)
	_, i = field(row, i)
	_, w = uvarintAt(row, i)
	e, _ := field(row, i+w)
	return e
}
