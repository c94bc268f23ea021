package state

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/namefold"
	"github.com/nalw/linkpass/regno"
)

var at = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := New()
	require.NoError(t, err)
	return s
}

func person(number, given, family string, status register.Status, idx uint64) *register.Registrant {
	return &register.Registrant{
		Number: number, Given: given, Family: family, Nation: "england", Email: given + "@example.org",
		Status: status, StatusChangedAt: at, RegisteredFrom: "2026-03-15", RegisteredUntil: "2027-03-14",
		Restrictions: []register.Restriction{}, CPD: []register.CPD{}, Qualifications: []register.Qualification{},
		CreateIndex: idx, ModifyIndex: idx,
	}
}

func write(t *testing.T, s *Store, idx uint64, fn func(tx *Txn) error) {
	t.Helper()
	require.NoError(t, s.Write(idx, fn))
}

func TestSchemaBuilds(t *testing.T) {
	_, err := memdb.NewMemDB(schema())
	require.NoError(t, err)
}

func TestSnapshotRecordTypesCoverEveryTable(t *testing.T) {
	var inSchema, inSnapshot []string
	for name := range schema().Tables {
		if name != tableRows {
			inSchema = append(inSchema, name)
		}
	}
	inSchema = append(inSchema, tableAudit)                         // kept outside memdb (audit.go)
	inSchema = append(inSchema, tableRegistrants, tableCredentials) // in memdb's rows table (rows.go)
	seenType := map[byte]bool{}
	for _, rt := range recordTables {
		require.False(t, seenType[rt.typ], "record type %d used twice", rt.typ)
		require.NotEqual(t, byte(recordEnd), rt.typ)
		seenType[rt.typ] = true
		inSnapshot = append(inSnapshot, rt.table)
	}
	slices.Sort(inSchema)
	slices.Sort(inSnapshot)
	inSnapshot = slices.Compact(inSnapshot) // the trail has a record type for each of its parts
	require.Equal(t, inSchema, inSnapshot, "a table missing from snapshots would vanish on restore")
}

func TestFirstSerialMatchesRegno(t *testing.T) {
	require.Equal(t, uint64(regno.FirstSerial), uint64(firstSerial))
}

func TestNextSerialStartsAtFirstSerialAndIncrements(t *testing.T) {
	s := newStore(t)
	var got []uint64
	for i := uint64(1); i <= 3; i++ {
		write(t, s, i, func(tx *Txn) error {
			n, err := tx.NextSerial()
			got = append(got, n)
			return err
		})
	}
	require.Equal(t, []uint64{firstSerial, firstSerial + 1, firstSerial + 2}, got)
}

func TestWriteCommitsNothingWhenFnFails(t *testing.T) {
	s := newStore(t)
	write(t, s, 1, func(tx *Txn) error {
		return tx.PutRegistrant(person("LW1000017", "Amara", "Nwosu", register.Registered, 1))
	})
	before := dump(t, s)

	refused := errors.New("refused by the rules")
	err := s.Write(2, func(tx *Txn) error {
		if _, err := tx.NextSerial(); err != nil {
			return err
		}
		require.NoError(t, tx.PutRegistrant(person("LW1000025", "Gareth", "Llewellyn", register.Registered, 2)))
		require.NoError(t, tx.Audit(register.AuditEvent{At: at, Action: "registrant.add", Registrant: "LW1000025"}))
		require.NoError(t, tx.PutSettings(register.Settings{RegisterName: "changed"}))
		require.NoError(t, tx.PutToken(&register.Token{ID: "t1", Role: register.RoleAdmin, SecretHash: []byte{1}}))
		require.NoError(t, tx.PutKey(&register.SigningKey{KID: "k1", Alg: "ES256", PublicJWK: []byte("{}")}))
		return refused
	})
	require.ErrorIs(t, err, refused)

	require.Equal(t, before, dump(t, s), "no table changed, meta indexes and serial included")
	assert.Equal(t, uint64(1), s.Index(""))
	assert.Equal(t, uint64(1), s.Index(tableRegistrants))
	assert.Equal(t, uint64(0), s.Index(tableAudit))
	assert.Equal(t, uint64(0), s.Index(tableTokens))
	_, err = s.Registrant("LW1000025")
	require.ErrorIs(t, err, register.ErrNotFound)
	assert.Equal(t, register.DefaultRegisterName, s.Settings().RegisterName)

	var serial uint64
	write(t, s, 3, func(tx *Txn) (err error) { serial, err = tx.NextSerial(); return err })
	assert.Equal(t, uint64(firstSerial), serial, "the refused change did not use up a serial")
}

func TestWriteRecordsIndexPerTable(t *testing.T) {
	s := newStore(t)
	assert.Zero(t, s.Index(""))
	write(t, s, 3, func(tx *Txn) error {
		if err := tx.PutRegistrant(person("LW1000017", "Amara", "Nwosu", register.Registered, 3)); err != nil {
			return err
		}
		return tx.Audit(register.AuditEvent{At: at, Action: "registrant.add", Registrant: "LW1000017"})
	})
	write(t, s, 7, func(tx *Txn) error {
		return tx.PutToken(&register.Token{ID: "t1", Role: register.RoleAuditor, SecretHash: []byte{1}})
	})
	write(t, s, 9, func(tx *Txn) error { return tx.PutSettings(register.Settings{RegisterName: "R"}) })

	assert.Equal(t, uint64(3), s.Index(tableRegistrants))
	assert.Equal(t, uint64(3), s.Index(tableAudit))
	assert.Equal(t, uint64(7), s.Index(tableTokens))
	assert.Equal(t, uint64(9), s.Index(tableSettings))
	assert.Equal(t, uint64(0), s.Index(tableKeys))
	assert.Equal(t, uint64(9), s.Index(""))
	assert.Equal(t, uint64(9), s.Settings().ModifyIndex, "settings carry the index they were written at")
}

func TestSettingsDefaultsAndSingleRow(t *testing.T) {
	s := newStore(t)
	d := s.Settings()
	assert.Equal(t, register.DefaultRegisterName, d.RegisterName)
	assert.Equal(t, register.DefaultRemovedVisibleDays, d.RemovedVisibleDays)
	write(t, s, 1, func(tx *Txn) error { return tx.PutSettings(register.Settings{RegisterName: "A"}) })
	write(t, s, 2, func(tx *Txn) error {
		s := tx.Settings()
		s.RegisterName = "B"
		if err := tx.PutSettings(s); err != nil {
			return err
		}
		if tx.Settings().RegisterName != "B" {
			return errors.New("a transaction does not see its own settings")
		}
		return nil
	})
	assert.Equal(t, "B", s.Settings().RegisterName)
	n := 0
	it, err := s.read().Get(tableSettings, indexID)
	require.NoError(t, err)
	for obj := it.Next(); obj != nil; obj = it.Next() {
		n++
	}
	assert.Equal(t, 1, n)
}

func TestRegistrantsByStatusInNumberOrder(t *testing.T) {
	s := newStore(t)
	nums := []string{regno.Format(100003), regno.Format(100001), regno.Format(100002)}
	write(t, s, 1, func(tx *Txn) error {
		for i, n := range nums {
			st := register.Registered
			if i == 0 {
				st = register.Suspended
			}
			if err := tx.PutRegistrant(person(n, "A", "B", st, 1)); err != nil {
				return err
			}
		}
		return nil
	})
	all, err := s.Registrants("")
	require.NoError(t, err)
	require.Equal(t, []string{regno.Format(100001), regno.Format(100002), regno.Format(100003)}, numbers(all))
	susp, err := s.Registrants(register.Suspended)
	require.NoError(t, err)
	require.Equal(t, []string{regno.Format(100003)}, numbers(susp))
	none, err := s.Registrants(register.Removed)
	require.NoError(t, err)
	require.Empty(t, none)
	_, err = s.Registrant("LW9999999")
	require.ErrorIs(t, err, register.ErrNotFound)
}

func numbers(rs []*register.Registrant) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Number)
	}
	return out
}

func TestSearchByNameWords(t *testing.T) {
	s := newStore(t)
	write(t, s, 1, func(tx *Txn) error {
		for i, p := range [][2]string{{"Siobhan", "Okonkwo-Fairweather"}, {"Amara", "Nwosu"}, {"Ciaran", "O'Neill"}, {"Ann", "O'Neill"}, {"Joanne", "Smith"}} {
			if err := tx.PutRegistrant(person(regno.Format(uint64(100001+i)), p[0], p[1], register.Registered, 1)); err != nil {
				return err
			}
		}
		return nil
	})
	names := func(q string, limit int) []string {
		rs, err := s.Search(namefold.NewQuery(q), limit, time.Time{})
		require.NoError(t, err)
		out := []string{}
		for _, r := range rs.Registrants {
			out = append(out, r.FullName())
		}
		return out
	}
	assert.Equal(t, []string{"Amara Nwosu"}, names("nwosu", 10), "case-insensitive")
	assert.Equal(t, []string{"Amara Nwosu"}, names("  NWOSU   amara ", 10), "every word, any order")
	assert.Equal(t, []string{"Ciaran O'Neill", "Ann O'Neill"}, names("o'neill", 10))
	assert.Equal(t, []string{"Ciaran O'Neill"}, names("o'neill", 1), "limit")
	assert.Equal(t, []string{"Ann O'Neill"}, names("ann", 10), "a word matches from the start of a part of a name")
	assert.Empty(t, names("amara smith", 10), "all words must match")
	assert.Empty(t, names("   ", 10))
}

// TestSearchEachSeesWhatSearchReturns reads registrants of every shape
// (nil, empty and longer lists of restrictions, CPD and qualifications,
// an entry route or none) one after another through SearchEach's one
// reused value, and expects each to equal the registrant Search decodes
// afresh: nothing of one registrant may show through in the next.
func TestSearchEachSeesWhatSearchReturns(t *testing.T) {
	s := newStore(t)
	write(t, s, 1, func(tx *Txn) error {
		for i := range 12 {
			p := person(regno.Format(uint64(100001+i)), fmt.Sprintf("Given%d", i), "Evans", register.Registered, 1)
			switch i % 3 {
			case 0:
				p.Restrictions, p.CPD, p.Qualifications = nil, nil, nil
			case 1:
				for j := range i {
					p.Restrictions = append(p.Restrictions, register.Restriction{Text: fmt.Sprintf("restriction %d", j), Since: at, Review: "2027-01-01"})
					p.CPD = append(p.CPD, register.CPD{Year: 2020 + j, Hours: float64(j), FormalHours: 1})
					p.Qualifications = append(p.Qualifications, register.Qualification{Title: fmt.Sprintf("title %d", j), Level: j, Provider: "p", Awarded: "2020-01-01", Assessment: "a"})
				}
				p.EntryRoute = &register.EntryRoute{Kind: "grandparent", Reason: "r"}
			}
			if err := tx.PutRegistrant(p); err != nil {
				return err
			}
		}
		return nil
	})
	q := namefold.NewQuery("evans")
	want, err := s.Search(q, 10, time.Time{})
	require.NoError(t, err)
	require.Len(t, want.Registrants, 10)
	var got []register.Registrant
	var ranks []namefold.Rank
	var left []int
	total, atLeast, err := s.SearchEach(q, 10, time.Time{}, func(r *register.Registrant, rank namefold.Rank, n int) error {
		c := *r
		c.Restrictions, c.CPD, c.Qualifications = slices.Clone(r.Restrictions), slices.Clone(r.CPD), slices.Clone(r.Qualifications)
		got, ranks, left = append(got, c), append(ranks, rank), append(left, n)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, want.Total, total)
	assert.Equal(t, want.AtLeast, atLeast)
	assert.Equal(t, want.Ranks, ranks)
	assert.Equal(t, []int{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, left)
	for i, r := range want.Registrants {
		assert.Equal(t, *r, got[i], r.Number)
	}
}

// TestAuditOrderedByIndexThenSeq writes events in log order (as Raft
// applies them) at indices whose little-endian or varint encodings would
// sort wrongly, with more than 256 events in one change, and expects
// numeric order back from every way of reading the trail.
func TestAuditOrderedByIndexThenSeq(t *testing.T) {
	s := newStore(t)
	type change struct {
		idx uint64
		n   int
	}
	changes := []change{{1, 1}, {2, 300}, {255, 1}, {256, 2}, {257, 1}, {511, 1}, {65535, 1}, {65536, 3}, {65537, 1}, {1 << 24, 1}, {1<<32 + 1, 2}, {1 << 40, 1}}
	for _, c := range changes {
		write(t, s, c.idx, func(tx *Txn) error {
			for range c.n {
				if err := tx.Audit(register.AuditEvent{At: at, Action: "test", Registrant: "LW1000017"}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	var want [][2]uint64
	for _, c := range changes {
		for seq := range c.n {
			want = append(want, [2]uint64{c.idx, uint64(seq)})
		}
	}
	keys := func(evs []*register.AuditEvent) [][2]uint64 {
		var out [][2]uint64
		for _, ev := range evs {
			out = append(out, [2]uint64{ev.Index, uint64(ev.Seq)})
		}
		return out
	}
	all, err := s.Audit(AuditFilter{})
	require.NoError(t, err)
	require.Equal(t, want, keys(all))

	byReg, err := s.Audit(AuditFilter{Registrant: "LW1000017"})
	require.NoError(t, err)
	require.Equal(t, want, keys(byReg), "the registrant index orders the same way")

	after, err := s.Audit(AuditFilter{After: 256})
	require.NoError(t, err)
	require.Equal(t, [2]uint64{257, 0}, keys(after)[0])
	require.Len(t, after, len(want)-1-300-1-2)

	after, err = s.Audit(AuditFilter{After: 65536})
	require.NoError(t, err)
	require.Equal(t, [2]uint64{65537, 0}, keys(after)[0])
}

// auditChanges writes changes at indices 1..len(sizes), change i holding
// sizes[i] events, two registrants alternating.
func auditChanges(t *testing.T, s *Store, sizes []int) {
	t.Helper()
	for i, n := range sizes {
		write(t, s, uint64(i+1), func(tx *Txn) error {
			for j := range n {
				reg := "LW1000017"
				if (i+j)%2 == 1 {
					reg = "LW1000025"
				}
				if err := tx.Audit(register.AuditEvent{At: at, Actor: register.System, Action: "registrant.lapse", Registrant: reg}); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

func TestAuditPageNeverSplitsAChange(t *testing.T) {
	s := newStore(t)
	auditChanges(t, s, []int{1, 5, 1})
	page, err := s.Audit(AuditFilter{Limit: 2})
	require.NoError(t, err)
	require.Len(t, page, 6, "the limit falls inside change 2, so all of change 2 is returned")
	for _, ev := range page[1:] {
		assert.Equal(t, uint64(2), ev.Index)
	}
	page, err = s.Audit(AuditFilter{Limit: 1})
	require.NoError(t, err)
	require.Len(t, page, 1, "the limit falls between changes")
}

func TestAuditPagingByAfterLosesNothing(t *testing.T) {
	s := newStore(t)
	sizes := []int{1, 4, 1, 1, 7, 2, 1, 3, 1, 1, 1, 6}
	auditChanges(t, s, sizes)
	all, err := s.Audit(AuditFilter{})
	require.NoError(t, err)
	for _, filter := range []AuditFilter{{}, {Registrant: "LW1000025"}} {
		want, err := s.Audit(filter)
		require.NoError(t, err)
		for limit := 1; limit <= 8; limit++ {
			var got []*register.AuditEvent
			f := filter
			f.Limit = limit
			for pages := 0; ; pages++ {
				require.Less(t, pages, 100, "paging does not end")
				page, err := s.Audit(f)
				require.NoError(t, err)
				if len(page) == 0 {
					break
				}
				got = append(got, page...)
				f.After = page[len(page)-1].Index
			}
			require.Equal(t, want, got, "registrant %q limit %d", filter.Registrant, limit)
		}
	}
	total := 0
	for _, n := range sizes {
		total += n
	}
	require.Len(t, all, total)
}

// dump returns every object of every table, in index order.
func dump(t *testing.T, s *Store) map[string][]any {
	t.Helper()
	out := map[string][]any{}
	tx := s.read()
	for name := range schema().Tables {
		if name == tableRows {
			continue
		}
		it, err := tx.Get(name, indexID)
		require.NoError(t, err)
		rows := []any{}
		for obj := it.Next(); obj != nil; obj = it.Next() {
			rows = append(rows, obj)
		}
		out[name] = rows
	}
	regs, err := s.Registrants("")
	require.NoError(t, err)
	out[tableRegistrants] = []any{}
	for _, r := range regs {
		out[tableRegistrants] = append(out[tableRegistrants], r)
	}
	out[tableCredentials] = []any{}
	require.NoError(t, s.creds(tx).each(func(c *register.IssuedCredential) error {
		out[tableCredentials] = append(out[tableCredentials], c)
		return nil
	}))
	// The bulk tables' other trees, item by item in their order, and the
	// counts by status: a restore must rebuild them exactly.
	regs3, creds3 := bulkOf(tx, tableRegistrants).regs, bulkOf(tx, tableCredentials).creds
	trees := []any{fmt.Sprint(s.RegistrantCounts())}
	regs3.byRef.Scan(func(row string) bool { trees = append(trees, "ref "+fmt.Sprint(regRef(row))); return true })
	regs3.byDup.Scan(func(it dupItem) bool {
		trees = append(trees, fmt.Sprint("dup ", it.h, " ", regNumber(it.row)))
		return true
	})
	creds3.byRegistrant.Scan(func(row string) bool { trees = append(trees, "cred "+fmt.Sprint(credRegistrant(row))); return true })
	creds3.bySlot.Scan(func(it slotItem) bool {
		l, i, j := credSlot(it.row)
		trees = append(trees, fmt.Sprint("slot ", s.strs.table()[l-1], i, j))
		return true
	})
	out["~trees"] = trees
	return out
}

func ExampleStore_Index() {
	s, _ := New()
	_ = s.Write(4, func(tx *Txn) error { return tx.PutSettings(register.Settings{RegisterName: "R"}) })
	fmt.Println(s.Index(""), s.Index("settings"), s.Index("registrants"))
	// Output: 4 4 0
}

func TestSearchIndexFollowsWritesAndRestores(t *testing.T) {
	s := newStore(t)
	n := regno.Format(100001)
	write(t, s, 1, func(tx *Txn) error {
		return tx.PutRegistrant(person(n, "Siân", "Ó Súilleabháin", register.Registered, 1))
	})
	found := func(s *Store, q string) int {
		t.Helper()
		rs, err := s.Search(namefold.NewQuery(q), 10, time.Time{})
		require.NoError(t, err)
		return rs.Total
	}
	assert.Equal(t, 1, found(s, "sian o suilleabhain"))

	// A refused change leaves the index as it was.
	err := s.Write(2, func(tx *Txn) error {
		if err := tx.PutRegistrant(person(n, "Mary", "Jones", register.Registered, 2)); err != nil {
			return err
		}
		return errors.New("refused")
	})
	require.Error(t, err)
	assert.Equal(t, 0, found(s, "jones"))
	assert.Equal(t, 1, found(s, "sian"))

	// A restored store has its index rebuilt.
	var buf bytes.Buffer
	require.NoError(t, s.Snapshot().Persist(&buf))
	restored, err := Restore(&buf)
	require.NoError(t, err)
	assert.Equal(t, 1, found(restored, "O’Suilleabhain"))
}

func TestSearchIndexFollowsRenamesAndRemovalsButNotOtherChanges(t *testing.T) {
	s := newStore(t)
	n := regno.Format(100001)
	r := person(n, "Siân", "Evans", register.Registered, 1)
	write(t, s, 1, func(tx *Txn) error { return tx.PutRegistrant(r) })
	search := func(q string, removedBefore time.Time) NameSearch {
		t.Helper()
		rs, err := s.Search(namefold.NewQuery(q), 10, removedBefore)
		require.NoError(t, err)
		return rs
	}

	// A change that leaves the name alone: found as before, as it is now.
	c := *r
	c.CPD, c.ModifyIndex = []register.CPD{{Year: 2026, Hours: 21}}, 2
	write(t, s, 2, func(tx *Txn) error { return tx.PutRegistrant(&c) })
	got := search("sian evans", time.Time{})
	require.Equal(t, 1, got.Total)
	assert.Equal(t, &c, got.Registrants[0])

	// A rename: the new name finds them, the old one no longer does.
	d := c
	d.Family, d.ModifyIndex = "Pritchard", 3
	write(t, s, 3, func(tx *Txn) error { return tx.PutRegistrant(&d) })
	assert.Equal(t, 0, search("evans", time.Time{}).Total)
	assert.Equal(t, 1, search("sian pritchard", time.Time{}).Total)

	// Renamed and changed again in one transaction: the last name counts.
	e, f := d, d
	e.Family, e.ModifyIndex = "Morgan", 4
	f.Family, f.CPD, f.ModifyIndex = "Morgan", nil, 4
	write(t, s, 4, func(tx *Txn) error {
		if err := tx.PutRegistrant(&e); err != nil {
			return err
		}
		return tx.PutRegistrant(&f)
	})
	assert.Equal(t, 0, search("pritchard", time.Time{}).Total)
	got = search("morgan", time.Time{})
	require.Equal(t, 1, got.Total)
	assert.Equal(t, &f, got.Registrants[0])

	// A removal, with the name unchanged, is indexed: a search that hides
	// entries removed before a day after it no longer finds them.
	g := f
	g.Status, g.StatusChangedAt, g.ModifyIndex = register.Removed, at.Add(time.Hour), 5
	write(t, s, 5, func(tx *Txn) error { return tx.PutRegistrant(&g) })
	assert.Equal(t, 1, search("morgan", time.Time{}).Total)
	assert.Equal(t, 0, search("morgan", g.StatusChangedAt.AddDate(0, 0, 2)).Total)
}

func TestEachRegistrantVisitsThoseWithTheStatusInNumberOrderAndStopsAtAnError(t *testing.T) {
	s := newStore(t)
	write(t, s, 1, func(tx *Txn) error {
		for _, r := range []*register.Registrant{
			person("LW1000031", "Cerys", "Jones", register.Registered, 1),
			person("LW1000015", "Amara", "Nwosu", register.Registered, 1),
			person("LW1000023", "Bryn", "Evans", register.Lapsed, 1),
		} {
			if err := tx.PutRegistrant(r); err != nil {
				return err
			}
		}
		return nil
	})
	var got []string
	require.NoError(t, s.EachRegistrant(register.Registered, func(r *register.Registrant) error {
		got = append(got, r.Number)
		return nil
	}))
	assert.Equal(t, []string{"LW1000015", "LW1000031"}, got)

	stop := errors.New("stop")
	got = nil
	err := s.EachRegistrant("", func(r *register.Registrant) error {
		got = append(got, r.Number)
		return stop
	})
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, []string{"LW1000015"}, got)
}

func TestEachRegistrantGivesEachWhole(t *testing.T) {
	// EachRegistrant decodes every row over the last: a registrant kept
	// with Clone must still be itself once the sweep has moved on, lists
	// and all, and Registrants must give values that share nothing.
	s := newStore(t)
	a := person("LW1000015", "Amara", "Nwosu", register.Registered, 1)
	a.Restrictions = []register.Restriction{{Text: "Supervised practice only", Since: at}}
	a.Qualifications = []register.Qualification{{Title: "Level 4 Social Prescribing", Level: 4, Provider: "NALW", Accreditation: "nalw-accredited", Awarded: "2025-07-01"}}
	a.CPD = []register.CPD{{Year: 2026, Hours: 21, FormalHours: 11}}
	a.EntryRoute = &register.EntryRoute{Kind: "experience", Reason: "Ten years in community work"}
	b := person("LW1000023", "Bryn", "Evans", register.Registered, 2)
	c := person("LW1000031", "Cerys", "Jones", register.Registered, 3)
	c.Qualifications = []register.Qualification{{Title: "Level 5 Health and Wellbeing", Level: 5, Provider: "OU", Accreditation: "aligned", Awarded: "2024-06-30"},
		{Title: "Level 3 Care", Level: 3, Provider: "City", Accreditation: "none", Awarded: "2020-01-31"}}
	write(t, s, 3, func(tx *Txn) error {
		for _, r := range []*register.Registrant{a, b, c} {
			if err := tx.PutRegistrant(r); err != nil {
				return err
			}
		}
		return nil
	})
	want := []*register.Registrant{}
	for _, n := range []string{a.Number, b.Number, c.Number} {
		r, err := s.Registrant(n)
		require.NoError(t, err)
		want = append(want, r)
	}
	var kept []*register.Registrant
	require.NoError(t, s.EachRegistrant("", func(r *register.Registrant) error {
		kept = append(kept, r.Clone())
		return nil
	}))
	assert.Equal(t, want, kept)
	all, err := s.Registrants("")
	require.NoError(t, err)
	assert.Equal(t, want, all)
	all[0].Qualifications[0].Title = "changed"
	assert.Equal(t, "Level 4 Social Prescribing", kept[0].Qualifications[0].Title)
}
