package register_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
)

// day is the date of every change in these tests unless a test says
// otherwise: midday, so that a date boundary is never an accident of time
// zones.
var day = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

const today = register.Date("2026-03-15")

// registrant returns a registered registrant valid until until, with one
// restriction, one qualification and one CPD record, so that every slice
// of the value is non-empty and immutability checks see them.
func registrant(status register.Status, until register.Date) *register.Registrant {
	return &register.Registrant{
		Number: "LW1000017", Given: "Amara", Family: "Nwosu", Nation: "england", Email: "amara@example.org",
		Status: status, StatusReason: "joined the register", StatusChangedAt: day.AddDate(-1, 0, 0),
		Restrictions:   []register.Restriction{{Text: "Must not work alone.", Since: day.AddDate(0, -2, 0)}},
		RegisteredFrom: "2025-03-15", RegisteredUntil: until,
		CPD:            []register.CPD{{Year: 2025, Hours: 22, FormalHours: 12}},
		Qualifications: []register.Qualification{validQual()},
		CreateIndex:    3, ModifyIndex: 7,
	}
}

func unrestricted(status register.Status, until register.Date) *register.Registrant {
	r := registrant(status, until)
	r.Restrictions = []register.Restriction{}
	return r
}

func validQual() register.Qualification {
	return register.Qualification{Title: "Level 4 Certificate in Social Prescribing", Level: 4, Provider: "University of Westminster", Accreditation: "nalw-accredited", Awarded: "2023-07-14"}
}

// deepCopy copies a registrant without sharing any slice with it.
func deepCopy(r *register.Registrant) *register.Registrant {
	c := *r
	c.Restrictions = slices.Clone(r.Restrictions)
	c.CPD = slices.Clone(r.CPD)
	c.Qualifications = slices.Clone(r.Qualifications)
	return &c
}

// unchanged runs op on r and asserts that r is exactly as it was before,
// whatever op returned.
func unchanged(t *testing.T, r *register.Registrant, op func(r *register.Registrant)) {
	t.Helper()
	before := deepCopy(r)
	op(r)
	require.Equal(t, before, r, "the receiver was changed")
}

func TestStatusTransitionsAllowed(t *testing.T) {
	const idx = 42
	cases := []struct {
		name   string
		from   *register.Registrant
		op     func(r *register.Registrant) (*register.Registrant, error)
		want   register.Status
		reason string
	}{
		{"suspend registered", unrestricted(register.Registered, "2026-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) {
				return r.Suspend("interim order", "", day, idx)
			}, register.Suspended, "interim order"},
		{"reinstate suspended", unrestricted(register.Suspended, "2026-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) {
				return r.Reinstate("order lifted", day, idx)
			},
			register.Registered, "order lifted"},
		{"remove registered", unrestricted(register.Registered, "2026-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) { return r.Remove("struck off", day, idx) },
			register.Removed, "struck off"},
		{"remove suspended", unrestricted(register.Suspended, "2026-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) { return r.Remove("struck off", day, idx) },
			register.Removed, "struck off"},
		{"remove lapsed", unrestricted(register.Lapsed, "2025-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) { return r.Remove("voluntary", day, idx) },
			register.Removed, "voluntary"},
		{"renew lapsed comes back registered", unrestricted(register.Lapsed, "2025-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) { return r.Renew("", day, idx) },
			register.Registered, "renewed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.op(c.from)
			require.NoError(t, err)
			assert.Equal(t, c.want, got.Status)
			assert.Equal(t, c.reason, got.StatusReason)
			assert.Equal(t, day, got.StatusChangedAt)
			assert.Equal(t, uint64(idx), got.ModifyIndex)
			assert.Equal(t, c.from.CreateIndex, got.CreateIndex)
		})
	}
}

func TestStatusTransitionsRefusedWithConflict(t *testing.T) {
	cases := []struct {
		name string
		from *register.Registrant
		op   func(r *register.Registrant) (*register.Registrant, error)
	}{
		{"reinstate registered", registrant(register.Registered, "2026-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) { return r.Reinstate("x", day, 9) }},
		{"reinstate lapsed", registrant(register.Lapsed, "2025-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) { return r.Reinstate("x", day, 9) }},
		{"reinstate removed", registrant(register.Removed, "2026-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) { return r.Reinstate("x", day, 9) }},
		{"suspend suspended", registrant(register.Suspended, "2026-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) { return r.Suspend("x", "", day, 9) }},
		{"suspend removed", registrant(register.Removed, "2026-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) { return r.Suspend("x", "", day, 9) }},
		{"suspend lapsed", registrant(register.Lapsed, "2025-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) { return r.Suspend("x", "", day, 9) }},
		{"renew removed", registrant(register.Removed, "2026-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) { return r.Renew("", day, 9) }},
		{"renew removed with date", registrant(register.Removed, "2026-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) { return r.Renew("2027-12-31", day, 9) }},
		{"remove twice", registrant(register.Removed, "2026-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) { return r.Remove("x", day, 9) }},
		{"unrestrict without restrictions", unrestricted(register.Registered, "2026-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) { return r.Unrestrict("x", day, 9) }},
		{"restrict removed", registrant(register.Removed, "2026-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) { return r.Restrict("text", "x", day, 9) }},
		{"qualification for removed", registrant(register.Removed, "2026-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) { return r.AddQualification(validQual(), 9) }},
		{"cpd for removed", registrant(register.Removed, "2026-12-31"),
			func(r *register.Registrant) (*register.Registrant, error) {
				return r.RecordCPD(register.CPD{Year: 2026, Hours: 1}, 9)
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			unchanged(t, c.from, func(r *register.Registrant) {
				got, err := c.op(r)
				require.ErrorIs(t, err, register.ErrConflict)
				require.NotErrorIs(t, err, register.ErrInvalid)
				assert.Nil(t, got)
				assert.Contains(t, err.Error(), r.Number, "the message names the registrant")
			})
		})
	}
}

func TestConflictMessageSaysCurrentStatus(t *testing.T) {
	_, err := registrant(register.Lapsed, "2025-12-31").Suspend("x", "", day, 9)
	require.ErrorIs(t, err, register.ErrConflict)
	assert.Contains(t, err.Error(), "lapsed")
	_, err = unrestricted(register.Registered, "2026-12-31").Unrestrict("x", day, 9)
	assert.Contains(t, err.Error(), "no restrictions")
}

func TestReasonRequired(t *testing.T) {
	reasons := map[string]string{
		"empty":            "",
		"blank":            " \t ",
		"control char":     "bad\x00reason",
		"too long":         strings.Repeat("r", register.MaxReasonLen+1),
		"invalid utf8":     "bad \xff reason",
		"escape character": "bad \x1b[31m reason",
	}
	ops := map[string]struct {
		from *register.Registrant
		op   func(r *register.Registrant, reason string) (*register.Registrant, error)
	}{
		"suspend": {registrant(register.Registered, "2026-12-31"), func(r *register.Registrant, reason string) (*register.Registrant, error) {
			return r.Suspend(reason, "", day, 9)
		}},
		"reinstate": {registrant(register.Suspended, "2026-12-31"), func(r *register.Registrant, reason string) (*register.Registrant, error) {
			return r.Reinstate(reason, day, 9)
		}},
		"remove": {registrant(register.Registered, "2026-12-31"), func(r *register.Registrant, reason string) (*register.Registrant, error) {
			return r.Remove(reason, day, 9)
		}},
		"restrict": {registrant(register.Registered, "2026-12-31"), func(r *register.Registrant, reason string) (*register.Registrant, error) {
			return r.Restrict("Must not work alone.", reason, day, 9)
		}},
		"unrestrict": {registrant(register.Registered, "2026-12-31"), func(r *register.Registrant, reason string) (*register.Registrant, error) {
			return r.Unrestrict(reason, day, 9)
		}},
	}
	for opName, o := range ops {
		for reasonName, reason := range reasons {
			t.Run(opName+"/"+reasonName, func(t *testing.T) {
				unchanged(t, o.from, func(r *register.Registrant) {
					got, err := o.op(r, reason)
					require.ErrorIs(t, err, register.ErrInvalid)
					assert.Nil(t, got)
					assert.Contains(t, err.Error(), "reason")
				})
			})
		}
		t.Run(opName+"/valid reason accepted", func(t *testing.T) {
			got, err := o.op(o.from, "Panel decision FTP-1")
			require.NoError(t, err)
			require.NotNil(t, got)
		})
	}
}

func TestReasonCheckedBeforeStatus(t *testing.T) {
	// A missing reason is the caller's mistake whatever the status, so it
	// is reported as invalid, not as a conflict.
	_, err := registrant(register.Removed, "2026-12-31").Remove("", day, 9)
	require.ErrorIs(t, err, register.ErrInvalid)
}

func TestSuspendUntilMustBeAValidFutureDate(t *testing.T) {
	r := registrant(register.Registered, "2026-12-31")
	for _, until := range []register.Date{"2026-13-40", "31/12/2026", "2026-3-20", "tomorrow", today, "2026-03-14", "1899-12-31"} {
		t.Run(string(until), func(t *testing.T) {
			unchanged(t, r, func(r *register.Registrant) {
				_, err := r.Suspend("order", until, day, 9)
				require.ErrorIs(t, err, register.ErrInvalid)
			})
		})
	}
	got, err := r.Suspend("order", "2026-03-16", day, 9)
	require.NoError(t, err)
	assert.Equal(t, register.Date("2026-03-16"), got.SuspendedUntil)
}

func TestSuspendedUntilClearedByReinstatement(t *testing.T) {
	s, err := registrant(register.Registered, "2026-12-31").Suspend("order", "2026-06-01", day, 9)
	require.NoError(t, err)
	got, err := s.Reinstate("order ended", day.AddDate(0, 1, 0), 10)
	require.NoError(t, err)
	assert.Equal(t, register.Registered, got.Status)
	assert.Empty(t, got.SuspendedUntil)
}

func TestReinstateAfterRegistrationExpiredGivesLapsed(t *testing.T) {
	r := registrant(register.Suspended, "2026-03-14")
	unchanged(t, r, func(r *register.Registrant) {
		got, err := r.Reinstate("hearing closed", day, 11)
		require.NoError(t, err)
		assert.Equal(t, register.Lapsed, got.Status)
		assert.Contains(t, got.StatusReason, "hearing closed")
		assert.Contains(t, got.StatusReason, "2026-03-14")
		assert.False(t, got.GoodStanding(today))
	})
}

func TestReinstateOnLastDayOfRegistrationGivesRegistered(t *testing.T) {
	got, err := registrant(register.Suspended, today).Reinstate("hearing closed", day, 11)
	require.NoError(t, err)
	assert.Equal(t, register.Registered, got.Status)
	assert.True(t, got.GoodStanding(today))
}

func TestLapseOnlyRegisteredPastEndDate(t *testing.T) {
	cases := []struct {
		status register.Status
		until  register.Date
		lapses bool
	}{
		{register.Registered, "2026-03-14", true},
		{register.Registered, "2020-01-01", true},
		{register.Registered, today, false}, // valid all of its last day
		{register.Registered, "2026-03-16", false},
		{register.Suspended, "2026-03-14", false},
		{register.Removed, "2026-03-14", false},
		{register.Lapsed, "2026-03-14", false},
	}
	for _, c := range cases {
		t.Run(string(c.status)+"/"+string(c.until), func(t *testing.T) {
			unchanged(t, registrant(c.status, c.until), func(r *register.Registrant) {
				got, ok := r.Lapse(day, 12)
				require.Equal(t, c.lapses, ok)
				if !c.lapses {
					assert.Nil(t, got)
					return
				}
				assert.Equal(t, register.Lapsed, got.Status)
				assert.Contains(t, got.StatusReason, string(c.until))
				assert.Equal(t, uint64(12), got.ModifyIndex)
				assert.Equal(t, day, got.StatusChangedAt)
			})
		})
	}
}

func TestRenew(t *testing.T) {
	t.Run("current registration extends by a year from its end", func(t *testing.T) {
		got, err := registrant(register.Registered, "2026-06-30").Renew("", day, 5)
		require.NoError(t, err)
		assert.Equal(t, register.Date("2027-06-30"), got.RegisteredUntil)
		assert.Equal(t, register.Registered, got.Status)
		assert.Equal(t, "joined the register", got.StatusReason, "renewal is not a status change")
	})
	t.Run("expired registration runs a year from today", func(t *testing.T) {
		got, err := registrant(register.Lapsed, "2025-01-31").Renew("", day, 5)
		require.NoError(t, err)
		assert.Equal(t, register.Date("2027-03-14"), got.RegisteredUntil)
		assert.Equal(t, register.Registered, got.Status)
	})
	t.Run("explicit date", func(t *testing.T) {
		got, err := registrant(register.Registered, "2026-06-30").Renew("2028-03-31", day, 5)
		require.NoError(t, err)
		assert.Equal(t, register.Date("2028-03-31"), got.RegisteredUntil)
	})
	t.Run("suspended stays suspended", func(t *testing.T) {
		r := registrant(register.Suspended, "2026-06-30")
		r.SuspendedUntil = "2026-09-01"
		got, err := r.Renew("", day, 5)
		require.NoError(t, err)
		assert.Equal(t, register.Suspended, got.Status)
		assert.Equal(t, register.Date("2026-09-01"), got.SuspendedUntil)
		assert.Equal(t, register.Date("2027-06-30"), got.RegisteredUntil)
	})
	for _, until := range []register.Date{"2026-13-40", "31/12/2026", "2026-03-14", "3000-01-01"} {
		t.Run("refuses "+string(until), func(t *testing.T) {
			unchanged(t, registrant(register.Registered, "2026-06-30"), func(r *register.Registrant) {
				_, err := r.Renew(until, day, 5)
				require.ErrorIs(t, err, register.ErrInvalid)
			})
		})
	}
}

func TestRestrictAndUnrestrict(t *testing.T) {
	r := unrestricted(register.Registered, "2026-12-31")
	got, err := r.Restrict("  Must not undertake home visits alone.  ", "FTP panel", day, 20)
	require.NoError(t, err)
	require.True(t, got.Restricted())
	assert.Equal(t, []register.Restriction{{Text: "Must not undertake home visits alone.", Since: day}}, got.Restrictions)
	assert.Equal(t, register.Registered, got.Status, "conditions do not change the status")

	for name, text := range map[string]string{"empty": "", "blank": "  ", "too long": strings.Repeat("x", register.MaxRestrictionLen+1), "control": "a\x07b"} {
		t.Run("refuses "+name+" text", func(t *testing.T) {
			_, err := r.Restrict(text, "FTP panel", day, 20)
			require.ErrorIs(t, err, register.ErrInvalid)
		})
	}

	lifted, err := got.Unrestrict("conditions met", day, 21)
	require.NoError(t, err)
	assert.False(t, lifted.Restricted())
	assert.NotNil(t, lifted.Restrictions, "an empty list, not null, so JSON shows []")
	assert.True(t, got.Restricted(), "the restricted value is untouched")
}

func TestRestrictLapsedAndSuspendedAllowed(t *testing.T) {
	for _, s := range []register.Status{register.Suspended, register.Lapsed} {
		got, err := unrestricted(s, "2025-12-31").Restrict("Must not work alone.", "panel", day, 3)
		require.NoError(t, err, s)
		assert.Equal(t, s, got.Status)
	}
}

func TestQualificationValidation(t *testing.T) {
	mod := func(f func(q *register.Qualification)) register.Qualification {
		q := validQual()
		f(&q)
		return q
	}
	bad := map[string]register.Qualification{
		"no title":            mod(func(q *register.Qualification) { q.Title = " " }),
		"title too long":      mod(func(q *register.Qualification) { q.Title = strings.Repeat("t", register.MaxTitleLen+1) }),
		"no provider":         mod(func(q *register.Qualification) { q.Provider = "" }),
		"level 0":             mod(func(q *register.Qualification) { q.Level = 0 }),
		"level 13":            mod(func(q *register.Qualification) { q.Level = 13 }),
		"unknown accred":      mod(func(q *register.Qualification) { q.Accreditation = "NALW-accredited" }),
		"bad awarded":         mod(func(q *register.Qualification) { q.Awarded = "2023-02-30" }),
		"missing awarded":     mod(func(q *register.Qualification) { q.Awarded = "" }),
		"control in provider": mod(func(q *register.Qualification) { q.Provider = "Uni\x00" }),
	}
	r := registrant(register.Registered, "2026-12-31")
	for name, q := range bad {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, q.Validate(), register.ErrInvalid)
			unchanged(t, r, func(r *register.Registrant) {
				_, err := r.AddQualification(q, 4)
				require.ErrorIs(t, err, register.ErrInvalid)
			})
		})
	}
	for _, lvl := range []int{1, 12} {
		require.NoError(t, mod(func(q *register.Qualification) { q.Level = lvl }).Validate())
	}
	got, err := r.AddQualification(mod(func(q *register.Qualification) { q.Title = "  Padded  " }), 4)
	require.NoError(t, err)
	require.Len(t, got.Qualifications, 2)
	assert.Equal(t, "Padded", got.Qualifications[1].Title)
}

func TestRecordCPD(t *testing.T) {
	r := registrant(register.Registered, "2026-12-31")
	got, err := r.RecordCPD(register.CPD{Year: 2024, Hours: 30, FormalHours: 10}, 8)
	require.NoError(t, err)
	assert.Equal(t, []register.CPD{{Year: 2024, Hours: 30, FormalHours: 10}, {Year: 2025, Hours: 22, FormalHours: 12}}, got.CPD, "sorted by year")

	replaced, err := got.RecordCPD(register.CPD{Year: 2025, Hours: 5, FormalHours: 5}, 9)
	require.NoError(t, err)
	assert.Equal(t, []register.CPD{{Year: 2024, Hours: 30, FormalHours: 10}, {Year: 2025, Hours: 5, FormalHours: 5}}, replaced.CPD, "same year replaces")

	for name, p := range map[string]register.CPD{
		"year 1999":        {Year: 1999, Hours: 1},
		"year 3000":        {Year: 3000, Hours: 1},
		"negative hours":   {Year: 2026, Hours: -1},
		"too many hours":   {Year: 2026, Hours: 2001},
		"formal over hrs":  {Year: 2026, Hours: 5, FormalHours: 6},
		"negative formal":  {Year: 2026, Hours: 5, FormalHours: -1},
		"missing year (0)": {Hours: 5},
	} {
		t.Run(name, func(t *testing.T) {
			unchanged(t, r, func(r *register.Registrant) {
				_, err := r.RecordCPD(p, 9)
				require.ErrorIs(t, err, register.ErrInvalid)
			})
		})
	}
}

// TestEveryMethodLeavesReceiverUnchanged runs every changing method, in
// success and failure, against a value whose slices have spare capacity:
// an append that shared the receiver's array would show up here.
func TestEveryMethodLeavesReceiverUnchanged(t *testing.T) {
	withSpareCapacity := func(s register.Status) *register.Registrant {
		r := registrant(s, "2026-12-31")
		r.Restrictions = append(make([]register.Restriction, 0, 8), r.Restrictions...)
		r.CPD = append(make([]register.CPD, 0, 8), r.CPD...)
		r.Qualifications = append(make([]register.Qualification, 0, 8), r.Qualifications...)
		return r
	}
	ops := map[string]func(r *register.Registrant) *register.Registrant{
		"suspend": func(r *register.Registrant) *register.Registrant {
			c, _ := r.Suspend("x", "2026-04-01", day, 99)
			return c
		},
		"reinstate":  func(r *register.Registrant) *register.Registrant { c, _ := r.Reinstate("x", day, 99); return c },
		"remove":     func(r *register.Registrant) *register.Registrant { c, _ := r.Remove("x", day, 99); return c },
		"renew":      func(r *register.Registrant) *register.Registrant { c, _ := r.Renew("", day, 99); return c },
		"renew date": func(r *register.Registrant) *register.Registrant { c, _ := r.Renew("2029-01-01", day, 99); return c },
		"lapse":      func(r *register.Registrant) *register.Registrant { c, _ := r.Lapse(day.AddDate(2, 0, 0), 99); return c },
		"restrict": func(r *register.Registrant) *register.Registrant {
			c, _ := r.Restrict("New rule.", "x", day, 99)
			return c
		},
		"unrestrict": func(r *register.Registrant) *register.Registrant { c, _ := r.Unrestrict("x", day, 99); return c },
		"qualification": func(r *register.Registrant) *register.Registrant {
			c, _ := r.AddQualification(validQual(), 99)
			return c
		},
		"cpd new year": func(r *register.Registrant) *register.Registrant {
			c, _ := r.RecordCPD(register.CPD{Year: 2026, Hours: 3}, 99)
			return c
		},
		"cpd same year": func(r *register.Registrant) *register.Registrant {
			c, _ := r.RecordCPD(register.CPD{Year: 2025, Hours: 3}, 99)
			return c
		},
	}
	for name, op := range ops {
		for _, s := range []register.Status{register.Registered, register.Suspended, register.Lapsed, register.Removed} {
			t.Run(name+"/"+string(s), func(t *testing.T) {
				r := withSpareCapacity(s)
				before := deepCopy(r)
				c := op(r)
				require.Equal(t, before, r)
				if c == nil {
					return
				}
				// Changing the result must not reach back into the receiver.
				for i := range c.Restrictions {
					c.Restrictions[i].Text = "mutated"
				}
				for i := range c.CPD {
					c.CPD[i].Hours = -1
				}
				for i := range c.Qualifications {
					c.Qualifications[i].Title = "mutated"
				}
				_ = append(c.Restrictions, register.Restriction{Text: "appended"})
				_ = append(c.CPD, register.CPD{Year: 1})
				_ = append(c.Qualifications, register.Qualification{Title: "appended"})
				require.Equal(t, before, r)
				// Nothing was written into the receiver's spare capacity.
				assert.Empty(t, slices.DeleteFunc(slices.Clone(r.Restrictions[len(r.Restrictions):cap(r.Restrictions)]), func(x register.Restriction) bool { return x == register.Restriction{} }))
				assert.Empty(t, slices.DeleteFunc(slices.Clone(r.CPD[len(r.CPD):cap(r.CPD)]), func(x register.CPD) bool { return x == register.CPD{} }))
				assert.Empty(t, slices.DeleteFunc(slices.Clone(r.Qualifications[len(r.Qualifications):cap(r.Qualifications)]), func(x register.Qualification) bool { return x == register.Qualification{} }))
			})
		}
	}
}

func TestGoodStanding(t *testing.T) {
	assert.True(t, registrant(register.Registered, today).GoodStanding(today))
	assert.False(t, registrant(register.Registered, "2026-03-14").GoodStanding(today))
	for _, s := range []register.Status{register.Suspended, register.Lapsed, register.Removed} {
		assert.False(t, registrant(s, "2030-01-01").GoodStanding(today), s)
	}
}

func TestParseStatus(t *testing.T) {
	for _, s := range []register.Status{register.Registered, register.Suspended, register.Lapsed, register.Removed} {
		got, err := register.ParseStatus(string(s))
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
	for _, s := range []string{"", "Registered", "struck-off", "registered "} {
		_, err := register.ParseStatus(s)
		require.ErrorIs(t, err, register.ErrInvalid, s)
	}
}

func TestParseRole(t *testing.T) {
	for _, s := range []string{"admin", "registrar", "auditor"} {
		_, err := register.ParseRole(s)
		require.NoError(t, err)
	}
	for _, s := range []string{"", "Admin", "system", "root"} {
		_, err := register.ParseRole(s)
		require.ErrorIs(t, err, register.ErrInvalid, s)
	}
}

func TestSentinelErrorsAreDistinct(t *testing.T) {
	all := []error{register.ErrInvalid, register.ErrNotFound, register.ErrConflict, register.ErrUnauthenticated, register.ErrForbidden, register.ErrUnavailable}
	for i, a := range all {
		for j, b := range all {
			assert.Equal(t, i == j, errors.Is(a, b), "%v vs %v", a, b)
		}
	}
}

func TestRegistrantCloneSharesNothing(t *testing.T) {
	r := &register.Registrant{Number: "LW1000015", Given: "Siân", Family: "Evans",
		Restrictions:   []register.Restriction{{Text: "Supervised practice only"}},
		CPD:            []register.CPD{{Year: 2026, Hours: 21}},
		Qualifications: []register.Qualification{{Title: "Level 4 Social Prescribing", Level: 4}},
		EntryRoute:     &register.EntryRoute{Kind: "experience", Reason: "Ten years"}}
	// Every list and pointer of a registrant is set above, so a field
	// added later that Clone would share fails here until Clone copies it.
	v := reflect.ValueOf(r).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); (f.Kind() == reflect.Slice || f.Kind() == reflect.Pointer || f.Kind() == reflect.Map) && f.IsNil() {
			t.Fatalf("the test sets no %s: set it, and make Clone copy it", v.Type().Field(i).Name)
		}
	}
	c := r.Clone()
	if !reflect.DeepEqual(r, c) {
		t.Fatalf("clone differs:\n%+v\n%+v", r, c)
	}
	r.Restrictions[0].Text, r.CPD[0].Hours, r.Qualifications[0].Title, r.EntryRoute.Reason = "x", 1, "x", "x"
	if c.Restrictions[0].Text != "Supervised practice only" || c.CPD[0].Hours != 21 || c.Qualifications[0].Title != "Level 4 Social Prescribing" || c.EntryRoute.Reason != "Ten years" {
		t.Fatalf("the clone shares with the original: %+v", c)
	}
	// A list left nil stays nil, an empty one empty: JSON tells them apart.
	e := (&register.Registrant{CPD: []register.CPD{}}).Clone()
	if e.Restrictions != nil || e.CPD == nil || len(e.CPD) != 0 {
		t.Fatalf("nil and empty lists not kept: %#v %#v", e.Restrictions, e.CPD)
	}
}
