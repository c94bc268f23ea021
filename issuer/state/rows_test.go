package state

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
)

// fillAll sets every field reachable from v to a value that is not zero
// and differs from field to field, so that a field the row codec forgets
// (one added to the register's types later, say) fails the round trip.
func fillAll(t *testing.T, v reflect.Value, n *int) {
	t.Helper()
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d-é", *n))
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(*n) * -7)
	case reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint8:
		v.SetUint(uint64(*n) * 1000003)
	case reflect.Float64:
		v.SetFloat(float64(*n) + 0.25)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillAll(t, v.Elem(), n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fillAll(t, v.Index(i), n)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2026, 1, 1+*n, 10, 0, *n, 123456789+*n, time.UTC)))
			return
		}
		for i := range v.NumField() {
			require.True(t, v.Type().Field(i).IsExported(), "%s.%s", v.Type(), v.Type().Field(i).Name)
			fillAll(t, v.Field(i), n)
		}
	default:
		t.Fatalf("the row codec test cannot fill a %s", v.Type())
	}
}

func TestRowsKeepEveryFieldOfARegistrant(t *testing.T) {
	var r register.Registrant
	n := 0
	fillAll(t, reflect.ValueOf(&r).Elem(), &n)
	strs := newStrtab()
	for name, tab := range map[string]*strtab{"interned": strs, "written out": nil} {
		row := encodeRegistrant(&r, tab)
		var table []string
		if tab != nil {
			table = tab.table()
		}
		got, err := decodeRegistrant(row, table)
		require.NoError(t, err, name)
		assert.Equal(t, &r, got, name)
	}
}

// TestRowFieldsReadInPlaceAgreeWithTheDecoder keeps regStatusID and
// regEmail in step with the row's layout.
func TestRowFieldsReadInPlaceAgreeWithTheDecoder(t *testing.T) {
	var r register.Registrant
	n := 0
	fillAll(t, reflect.ValueOf(&r).Elem(), &n)
	strs := newStrtab()
	row := encodeRegistrant(&r, strs)
	assert.Equal(t, r.Email, regEmail(row))
	want, ok := strs.lookup(string(r.Status))
	require.True(t, ok)
	assert.Equal(t, want, regStatusID(row))
	r.Email = ""
	assert.Empty(t, regEmail(encodeRegistrant(&r, strs)))
}

// TestRegistrantNameAgreesWithTheDecoder keeps registrantName, which a
// restore's name index reads, in step with the row's layout: for every
// status, and a removed entry's day of removal.
func TestRegistrantNameAgreesWithTheDecoder(t *testing.T) {
	var r register.Registrant
	n := 0
	fillAll(t, reflect.ValueOf(&r).Elem(), &n)
	strs := newStrtab()
	for _, st := range []register.Status{register.Registered, register.Suspended, register.Lapsed, register.Removed} {
		r.Status = st
		row := encodeRegistrant(&r, strs)
		got, err := registrantName(row, strs.table())
		require.NoError(t, err, st)
		assert.Equal(t, indexName(&r), got, st)
	}
	assert.False(t, indexName(&r).Removed.IsZero(), "the last case is a removal")
	_, err := registrantName(encodeRegistrant(&r, strs)[:5], strs.table())
	assert.Error(t, err, "a cut row")
}

func TestRowsKeepEveryFieldOfACredential(t *testing.T) {
	var c register.IssuedCredential
	n := 0
	fillAll(t, reflect.ValueOf(&c).Elem(), &n)
	strs := newStrtab()
	for name, tab := range map[string]*strtab{"interned": strs, "written out": nil} {
		row := encodeCredential(&c, tab)
		var table []string
		if tab != nil {
			table = tab.table()
		}
		got, err := decodeCredential(row, table)
		require.NoError(t, err, name)
		assert.Equal(t, &c, got, name)
	}
}

func TestRowsKeepNilApartFromEmptyAndZeroTimesAndOffsets(t *testing.T) {
	strs := newStrtab()
	paris := time.FixedZone("", 3600)
	for _, r := range []*register.Registrant{
		{Number: "LW1", StatusChangedAt: time.Date(2026, 3, 1, 9, 30, 0, 5, paris)},
		{Number: "LW2", Restrictions: []register.Restriction{}, CPD: []register.CPD{}, Qualifications: []register.Qualification{}},
		{Number: "LW3", CPD: []register.CPD{{Year: 2026, Hours: 1e-300, FormalHours: -3}}, StatusChangedAt: time.Unix(-1e10, 0).UTC()},
	} {
		got, err := decodeRegistrant(encodeRegistrant(r, strs), strs.table())
		require.NoError(t, err)
		assert.Equal(t, r, got)
	}
}

func TestRowDecoderRefusesEveryTruncation(t *testing.T) {
	r := person("LW1000017", "Amara", "Nwosu", register.Registered, 1)
	r.Qualifications = []register.Qualification{{Title: "Level 4", Level: 4}}
	r.EntryRoute = &register.EntryRoute{Kind: "experience", Reason: "ten years"}
	row := encodeRegistrant(r, nil)
	for n := range len(row) {
		_, err := decodeRegistrant(row[:n], nil)
		require.ErrorIs(t, err, errBadRow, "row cut to %d of %d bytes", n, len(row))
	}
	_, err := decodeRegistrant(row+"x", nil)
	require.ErrorIs(t, err, errBadRow, "a byte past the end")
	c := &register.IssuedCredential{JTI: "j", Registrant: "LW1", List: "1", Idx: 7, IssuedAt: at}
	crow := encodeCredential(c, nil)
	for n := range len(crow) {
		_, err := decodeCredential(crow[:n], nil)
		require.ErrorIs(t, err, errBadRow, "credential row cut to %d of %d bytes", n, len(crow))
	}
}

func TestRegistrantsByEmailFoldCaseAndDecodeOnlyMatches(t *testing.T) {
	s := newStore(t)
	a := person("LW1000017", "Amara", "Nwosu", register.Registered, 1)
	a.Email = "Amara.Nwosu@example.org"
	b := person("LW1000025", "Bryn", "Jones", register.Removed, 2)
	b.Email = "amara.nwosu@EXAMPLE.org"
	c := person("LW1000033", "Cai", "Evans", register.Registered, 3)
	c.Email = "cai@example.org"
	for i, r := range []*register.Registrant{a, b, c} {
		write(t, s, uint64(i+1), func(tx *Txn) error { return tx.PutRegistrant(r) })
	}
	got, err := s.RegistrantsByEmail(" amara.nwosu@example.org ")
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, []string{a.Number, b.Number}, []string{got[0].Number, got[1].Number})
	assert.Equal(t, a, got[0])
	none, err := s.RegistrantsByEmail("nobody@example.org")
	require.NoError(t, err)
	assert.Empty(t, none)
}

// The secondary trees follow a row through changes of the fields they
// order by, and forget its old values.
func TestRegistrantIndexesFollowChanges(t *testing.T) {
	s := newStore(t)
	r := person("LW1000017", "Amara", "Nwosu", register.Registered, 1)
	r.ExternalRef = "OLD-1"
	write(t, s, 1, func(tx *Txn) error { return tx.PutRegistrant(r) })
	write(t, s, 2, func(tx *Txn) error {
		return tx.PutRegistrant(person("LW1000025", "Bryn", "Jones", register.Suspended, 2))
	})

	got, err := s.RegistrantByExternalRef("OLD-1")
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Equal(t, "LW1000017", got.Number)
	dup, err := s.LikelyDuplicate(r.DuplicateKey())
	require.NoError(t, err)
	require.NotNil(t, dup)
	assert.Equal(t, "LW1000017", dup.Number)
	assert.Equal(t, map[register.Status]int{register.Registered: 1, register.Suspended: 1}, s.RegistrantCounts())

	c := *r
	c.ExternalRef, c.Email, c.Status, c.ModifyIndex = "OLD-2", "amara@nhs.example", register.Lapsed, 3
	write(t, s, 3, func(tx *Txn) error { return tx.PutRegistrant(&c) })

	gone, err := s.RegistrantByExternalRef("OLD-1")
	require.NoError(t, err)
	assert.Nil(t, gone, "the old reference finds nobody")
	got, err = s.RegistrantByExternalRef("OLD-2")
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Equal(t, register.Lapsed, got.Status)
	gone, err = s.LikelyDuplicate(r.DuplicateKey())
	require.NoError(t, err)
	assert.Nil(t, gone, "the old email's key finds nobody")
	dup, err = s.LikelyDuplicate(c.DuplicateKey())
	require.NoError(t, err)
	require.NotNil(t, dup)
	assert.Equal(t, "LW1000017", dup.Number)
	assert.Equal(t, map[register.Status]int{register.Lapsed: 1, register.Suspended: 1}, s.RegistrantCounts())
	lapsed, err := s.Registrants(register.Lapsed)
	require.NoError(t, err)
	require.Len(t, lapsed, 1)
	assert.Equal(t, "LW1000017", lapsed[0].Number)
	removed, err := s.Registrants(register.Removed)
	require.NoError(t, err)
	assert.Empty(t, removed)

	none, err := s.RegistrantByExternalRef("OLD")
	require.NoError(t, err)
	assert.Nil(t, none, "a prefix of a reference is not the reference")
}

func TestCredentialIndexesFollowChanges(t *testing.T) {
	s := newStore(t)
	c := &register.IssuedCredential{JTI: "jti-1", Registrant: "LW1000017", KID: "k1", IssuedAt: at, Status: register.CredentialValid, List: "1", Idx: 5}
	write(t, s, 1, func(tx *Txn) error {
		return errors.Join(tx.PutCredential(c),
			tx.PutCredential(&register.IssuedCredential{JTI: "jti-2", Registrant: "LW1000017", KID: "k1", List: "10", Idx: 5}),
			tx.PutCredential(&register.IssuedCredential{JTI: "jti-3", Registrant: "LW1000025", KID: "k2", List: "1", Idx: 6}))
	})
	jtis := func(cs []*register.IssuedCredential, err error) []string {
		t.Helper()
		require.NoError(t, err)
		out := []string{}
		for _, c := range cs {
			out = append(out, c.JTI)
		}
		return out
	}
	assert.Equal(t, []string{"jti-1", "jti-3"}, jtis(s.CredentialsInList("1")), "list 1 is not list 10")
	assert.Equal(t, []string{"jti-1", "jti-2"}, jtis(s.CredentialsOf("LW1000017")))
	assert.Equal(t, []string{"jti-3"}, jtis(s.CredentialsSignedBy("k2")))
	assert.Empty(t, jtis(s.CredentialsInList("2")))
	assert.Empty(t, jtis(s.CredentialsOf("LW100001")))

	moved := *c
	moved.Registrant, moved.List, moved.Idx, moved.Status = "LW1000025", "2", 9, register.CredentialRevoked
	write(t, s, 2, func(tx *Txn) error { return tx.PutCredential(&moved) })
	assert.Equal(t, []string{"jti-3"}, jtis(s.CredentialsInList("1")))
	assert.Equal(t, []string{"jti-1"}, jtis(s.CredentialsInList("2")))
	assert.Equal(t, []string{"jti-2"}, jtis(s.CredentialsOf("LW1000017")))
	assert.Equal(t, []string{"jti-1", "jti-3"}, jtis(s.CredentialsOf("LW1000025")))
	for _, slot := range []struct {
		list  string
		idx   uint64
		taken bool
	}{{"1", 5, false}, {"2", 9, true}, {"10", 5, true}, {"1", 6, true}, {"3", 9, false}} {
		taken, err := s.SlotTaken(slot.list, slot.idx)
		require.NoError(t, err)
		assert.Equal(t, slot.taken, taken, "slot %s/%d", slot.list, slot.idx)
	}
	got, err := s.Credential("jti-1")
	require.NoError(t, err)
	assert.Equal(t, &moved, got)
	_, err = s.Credential("jti-9")
	require.ErrorIs(t, err, register.ErrNotFound)
}

// A refused change leaves the bulk tables as they were, and a read
// opened before a change goes on seeing the register as it was.
func TestBulkTablesAreTransactional(t *testing.T) {
	s := newStore(t)
	r := person("LW1000017", "Amara", "Nwosu", register.Registered, 1)
	write(t, s, 1, func(tx *Txn) error {
		return errors.Join(tx.PutRegistrant(r), tx.PutCredential(&register.IssuedCredential{JTI: "jti-1", Registrant: r.Number, List: "1", Idx: 1}))
	})
	before := s.ReadTxn()
	ws := memdb.NewWatchSet()
	require.NoError(t, before.WatchAny(ws))
	require.False(t, fired(ws))

	refused := fmt.Errorf("refused")
	err := s.Write(2, func(tx *Txn) error {
		c := *r
		c.Status, c.ExternalRef = register.Removed, "OLD-1"
		if err := tx.PutRegistrant(&c); err != nil {
			return err
		}
		if err := tx.PutCredential(&register.IssuedCredential{JTI: "jti-2", Registrant: r.Number, List: "1", Idx: 2}); err != nil {
			return err
		}
		got, err := tx.Registrant(r.Number)
		require.NoError(t, err)
		require.Equal(t, register.Removed, got.Status, "a transaction reads its own writes")
		return refused
	})
	require.ErrorIs(t, err, refused)
	got, err := s.Registrant(r.Number)
	require.NoError(t, err)
	assert.Equal(t, r, got)
	ref, err := s.RegistrantByExternalRef("OLD-1")
	require.NoError(t, err)
	assert.Nil(t, ref)
	_, err = s.Credential("jti-2")
	require.ErrorIs(t, err, register.ErrNotFound)
	taken, err := s.SlotTaken("1", 2)
	require.NoError(t, err)
	assert.False(t, taken)
	assert.Equal(t, map[register.Status]int{register.Registered: 1}, s.RegistrantCounts())
	assert.Equal(t, uint64(1), s.Index(""))

	write(t, s, 3, func(tx *Txn) error {
		return tx.PutCredential(&register.IssuedCredential{JTI: "jti-3", Registrant: r.Number, List: "1", Idx: 3})
	})
	assert.True(t, fired(ws), "a committed change to the credentials fires a watch")
	old, err := before.CredentialsInList("1")
	require.NoError(t, err)
	assert.Len(t, old, 1, "the earlier read sees the list as it was")
	now, err := s.ReadTxn().CredentialsInList("1")
	require.NoError(t, err)
	assert.Len(t, now, 2)
}

func TestPutRefusesRowsWithoutKey(t *testing.T) {
	s := newStore(t)
	require.Error(t, s.Write(1, func(tx *Txn) error { return tx.PutRegistrant(&register.Registrant{Given: "A"}) }))
	require.Error(t, s.Write(1, func(tx *Txn) error { return tx.PutCredential(&register.IssuedCredential{Registrant: "LW1"}) }))
	assert.Empty(t, s.RegistrantCounts())
}

// fired reports whether a channel of ws is closed.
func fired(ws memdb.WatchSet) bool {
	for ch := range ws {
		select {
		case <-ch:
			return true
		default:
		}
	}
	return false
}

// Readers share published trees with the writer's copies; under -race
// this shows they never touch the same memory unguarded.
func TestReadsRunAlongsideWrites(t *testing.T) {
	s := newStore(t)
	const n = 300
	done := make(chan error, 1)
	go func() {
		for i := range n {
			num := fmt.Sprintf("LW%07d", i)
			err := s.Write(uint64(i+1), func(tx *Txn) error {
				r := person(num, "Given", fmt.Sprintf("F%d", i), register.Registered, uint64(i+1))
				r.Nation = fmt.Sprintf("nation-%d", i) // new interned strings all along
				return errors.Join(tx.PutRegistrant(r), tx.PutCredential(&register.IssuedCredential{JTI: fmt.Sprint("j", i), Registrant: num, List: fmt.Sprint(i % 7), Idx: uint64(i)}))
			})
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for seen := 0; seen < n; {
		rs, err := s.Registrants("")
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(rs), seen, "the register never goes back")
		seen = len(rs)
		for _, r := range rs {
			require.Equal(t, fmt.Sprintf("nation-%d", r.CreateIndex-1), r.Nation)
			cs, err := s.CredentialsOf(r.Number)
			require.NoError(t, err)
			require.Len(t, cs, 1, "a registrant and their credential were written together")
		}
	}
	require.NoError(t, <-done)
}

func TestCompactedTreesKeepTheirRowsInHalfTheHeap(t *testing.T) {
	const n = 200_000
	rows := make([]string, n)
	for i := range rows {
		rows[i] = regProbe(fmt.Sprintf("LW%07d", i), "")
	}
	live := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	base := live()
	tree := newTree(func(a, b string) bool { return regNumber(a) < regNumber(b) })
	for _, row := range rows { // as a restore fills it
		tree.Load(row)
	}
	loaded := live() - base
	c := compacted(tree)
	assert.Equal(t, tree.Items(), c.Items())
	c.Delete(rows[7])
	assert.Equal(t, n, tree.Len(), "the tree compacted was changed")
	tree = nil
	compact := live() - base
	assert.Equal(t, n-1, c.Len())
	t.Logf("%.1f bytes a row loaded, %.1f compacted", float64(loaded)/n, float64(compact)/n)
	assert.Less(t, float64(compact), 0.7*float64(loaded))
	runtime.KeepAlive(c)
	runtime.KeepAlive(rows)
}

func TestRegistrantIndexesFollowChangesThatLeaveTheirKeysAlone(t *testing.T) {
	s := newStore(t)
	r := person("LW1000017", "Amara", "Nwosu", register.Registered, 1)
	r.ExternalRef = "OLD-1"
	write(t, s, 1, func(tx *Txn) error { return tx.PutRegistrant(r) })

	// A CPD record and a lapse: the reference, name and email stay.
	c := *r
	c.CPD = []register.CPD{{Year: 2026, Hours: 21, FormalHours: 11}}
	c.Status, c.ModifyIndex = register.Lapsed, 2
	write(t, s, 2, func(tx *Txn) error { return tx.PutRegistrant(&c) })

	byRef, err := s.RegistrantByExternalRef("OLD-1")
	require.NoError(t, err)
	require.NotNil(t, byRef)
	assert.Equal(t, &c, byRef, "the reference finds the row as it is now")
	dup, err := s.LikelyDuplicate(r.DuplicateKey())
	require.NoError(t, err)
	require.NotNil(t, dup)
	assert.Equal(t, &c, dup, "the duplicate key finds the row as it is now")
	assert.Equal(t, map[register.Status]int{register.Lapsed: 1}, s.RegistrantCounts())

	// A new given name moves the duplicate key; the reference stays.
	d := c
	d.Given, d.ModifyIndex = "Ama", 3
	write(t, s, 3, func(tx *Txn) error { return tx.PutRegistrant(&d) })
	gone, err := s.LikelyDuplicate(r.DuplicateKey())
	require.NoError(t, err)
	assert.Nil(t, gone, "the old name's key finds nobody")
	dup, err = s.LikelyDuplicate(d.DuplicateKey())
	require.NoError(t, err)
	assert.Equal(t, &d, dup)
	byRef, err = s.RegistrantByExternalRef("OLD-1")
	require.NoError(t, err)
	assert.Equal(t, &d, byRef)
	assert.Equal(t, 1, s.regs(s.read()).t.byDup.Len(), "one duplicate key a registrant")
	assert.Equal(t, 1, s.regs(s.read()).t.byRef.Len(), "one reference a registrant")
}

func TestNumberKeysOrderAsTheNumbers(t *testing.T) {
	numbers := []string{"", "A", "LW", "LW0", "LW00", "LW1", "LW10", "LW1000015", "LW10000015", "LW1000002", "LW100001x",
		"LW9999999999999", "LW99999999999999", "LX1", "Lw1", "lw1", "LW1 2", "\xffW1", "LW\xff"}
	for _, a := range numbers {
		for _, b := range numbers {
			ia, ib := numItem{numKey(a), regProbe(a, "")}, numItem{numKey(b), regProbe(b, "")}
			assert.Equal(t, a < b, numLess(ia, ib), "%q < %q", a, b)
		}
	}
	assert.NotZero(t, numKey("LW1000015"))
	assert.NotZero(t, numKey("LW9999999999999"), "13 digits")
	assert.Zero(t, numKey("LW99999999999999"), "14 digits")
	assert.Zero(t, numKey("LW100001x"))
}
