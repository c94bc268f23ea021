package courses

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
)

var at = time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)

func TestSCQFLevelsCompareWithTheRQFAsTheFrameworksPublish(t *testing.T) {
	want := map[int]int{1: 0, 2: 0, 3: 0, 4: 1, 5: 2, 6: 3, 7: 4, 8: 5, 9: 6, 10: 6, 11: 7, 12: 8}
	for scqf, rqf := range want {
		assert.Equal(t, rqf, Level{SCQF, scqf}.RQF(), "SCQF %d", scqf)
	}
	for n := 0; n <= 8; n++ {
		assert.Equal(t, n, Level{RQF, n}.RQF())
		assert.Equal(t, n, Level{CQFW, n}.RQF(), "CQFW levels are numbered as the RQF's")
	}
	assert.Equal(t, "RQF 4", Level{SCQF, 7}.Equivalent())
	assert.Equal(t, "", Level{RQF, 4}.Equivalent())
	assert.Equal(t, "CQFW entry", Level{CQFW, 0}.String())
}

func TestLevelsOutsideTheirFrameworkAreRefused(t *testing.T) {
	for _, l := range []Level{{RQF, 9}, {CQFW, -1}, {SCQF, 0}, {SCQF, 13}, {"eqf", 4}, {"", 4}} {
		assert.ErrorIs(t, l.Validate(), register.ErrInvalid, "%+v", l)
	}
	l, err := ParseLevel("SCQF:7")
	require.NoError(t, err)
	assert.Equal(t, Level{SCQF, 7}, l)
	l, err = ParseLevel("cqfw:entry")
	require.NoError(t, err)
	assert.Equal(t, Level{CQFW, 0}, l)
	for _, s := range []string{"4", "rqf:four", "rqf:9", "scqf:"} {
		_, err := ParseLevel(s)
		assert.ErrorIs(t, err, register.ErrInvalid, s)
	}
}

func TestUKPRNMustBeEightDigitsStartingWithOne(t *testing.T) {
	require.NoError(t, ValidateUKPRN("10007795"))
	for _, s := range []string{"1000779", "100077950", "20007795", "1000779X", "１0007795", " 10007795", ""} {
		err := ValidateUKPRN(s)
		require.ErrorIs(t, err, register.ErrInvalid, "%q", s)
		assert.Contains(t, err.Error(), "eight digits")
	}
	assert.NoError(t, NewProvider{Name: "Open University"}.Validate(), "a provider without a UKPRN is fine")
	assert.ErrorIs(t, NewProvider{Name: " "}.Validate(), register.ErrInvalid)
}

func accredited(ref string, from, until register.Date) StandingChange {
	return StandingChange{Standing: Accredited, Reference: ref, From: from, Until: until}
}

func TestStandingsCarryTheirOwnFieldsOnly(t *testing.T) {
	require.NoError(t, accredited("NALW-A-1", "2024-01-01", "2027-12-31").Validate())
	for name, s := range map[string]StandingChange{
		"accredited without reference": accredited("", "2024-01-01", "2027-12-31"),
		"accredited without dates":     {Standing: Accredited, Reference: "R"},
		"until before from":            accredited("R", "2027-01-01", "2026-12-31"),
		"aligned with a reference":     {Standing: Aligned, Reference: "R"},
		"withdrawn with dates":         {Standing: Withdrawn, From: "2024-01-01"},
		"unknown":                      {Standing: "approved"},
	} {
		assert.ErrorIs(t, s.Validate(), register.ErrInvalid, name)
	}
}

func course(t *testing.T) *Course {
	t.Helper()
	n := NewCourse{Provider: "P1", Title: " Level 4 Certificate in Social Prescribing ", Level: Level{RQF, 4}, Mode: "part-time",
		Standing: accredited("NALW-A-2024-01", "2024-01-01", "2026-12-31")}
	require.NoError(t, n.Validate())
	return n.Create("C1", "registrar-1", at, 5)
}

func TestSetStandingAppendsAndLeavesTheStoredCourseAlone(t *testing.T) {
	c := course(t)
	assert.Equal(t, "Level 4 Certificate in Social Prescribing", c.Title, "titles are kept trimmed")
	later := at.AddDate(1, 0, 0)
	n, err := c.SetStanding(StandingChange{Standing: Withdrawn, Reason: "provider closed the course"}, "registrar-2", later, 9)
	require.NoError(t, err)
	assert.Len(t, c.History, 1, "the stored course is unchanged")
	require.Len(t, n.History, 2)
	assert.Equal(t, Withdrawn, n.Current().Standing)
	assert.Equal(t, "registrar-2", n.Current().By)
	assert.Equal(t, uint64(9), n.ModifyIndex)

	_, err = n.SetStanding(StandingChange{Standing: Withdrawn, Reason: "again"}, "r", later, 10)
	assert.ErrorIs(t, err, register.ErrConflict)
	_, err = c.SetStanding(StandingChange{Standing: Withdrawn}, "r", later, 10)
	assert.ErrorIs(t, err, register.ErrInvalid, "withdrawing needs a reason")
	_, err = c.SetStanding(accredited("NALW-A-2027-01", "2027-01-01", "2029-12-31"), "r", later, 10)
	assert.NoError(t, err, "a renewed accreditation is a change")
}

func TestAQualificationIsJudgedByTheStandingOnItsAwardDay(t *testing.T) {
	c := course(t) // accredited 2024-01-01..2026-12-31, recorded 2026-03-15
	c, err := c.SetStanding(StandingChange{Standing: Withdrawn, Reason: "closed"}, "r", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), 7)
	require.NoError(t, err)
	for day, want := range map[register.Date]Standing{
		"2023-12-31": Withdrawn,  // before the accreditation began
		"2024-07-01": Accredited, // before the course was catalogued: its first standing
		"2026-05-31": Accredited,
		"2026-06-01": Withdrawn,
	} {
		assert.Equal(t, want, c.StandingOn(day).Standing, string(day))
	}
}

func TestResolveTakesTheCataloguesFacts(t *testing.T) {
	c := course(t)
	c.Level = Level{SCQF, 7}
	p := &Provider{ID: "P1", Name: "Glasgow Caledonian University"}
	q, err := Resolve(register.Qualification{Course: "C1", Title: "typed by the applicant", Awarded: "2025-06-30"}, c, p)
	require.NoError(t, err)
	assert.Equal(t, register.Qualification{Title: c.Title, Level: 4, Provider: p.Name, Accreditation: "nalw-accredited", Awarded: "2025-06-30", Course: "C1"}, q)
	_, err = Resolve(register.Qualification{Course: "C1", Awarded: "30/06/2025"}, c, p)
	assert.ErrorIs(t, err, register.ErrInvalid)
}

func TestCriteria(t *testing.T) {
	c := register.DefaultCriteria
	good := register.Qualification{Course: "C1", Level: 4, Accreditation: "nalw-aligned"}
	require.NoError(t, Meets(c, []register.Qualification{good}, nil))

	for name, qs := range map[string][]register.Qualification{
		"none":             nil,
		"too low":          {{Course: "C1", Level: 3, Accreditation: "nalw-accredited"}},
		"course withdrawn": {{Course: "C1", Level: 5, Accreditation: "other"}},
		"not in catalogue": {{Level: 6, Accreditation: "nalw-accredited", Assessment: "looks fine"}},
	} {
		err := Meets(c, qs, nil)
		require.ErrorIs(t, err, register.ErrConflict, name)
		assert.Contains(t, err.Error(), "RQF Level 4 or above (SCQF 7)", name)
		assert.Contains(t, err.Error(), "alternative route", name)
	}
	route := &register.EntryRoute{Kind: "experience", Reason: "Six years as a community connector, references checked."}
	assert.NoError(t, Meets(c, nil, route))
	assert.ErrorIs(t, Meets(c, nil, &register.EntryRoute{Kind: "experience"}), register.ErrInvalid, "a route needs a reason")
	assert.ErrorIs(t, Meets(c, nil, &register.EntryRoute{Kind: "luck", Reason: "x"}), register.ErrInvalid)

	strict := register.Criteria{Required: true, MinRQFLevel: 5}
	assert.ErrorIs(t, Meets(strict, nil, route), register.ErrConflict, "routes not allowed")
	assert.ErrorIs(t, Meets(strict, []register.Qualification{good}, nil), register.ErrConflict)
	assert.NoError(t, Meets(register.Criteria{}, nil, nil), "criteria that are not required pass everything")
	assert.True(t, errors.Is(register.Criteria{MinRQFLevel: 9}.Validate(), register.ErrInvalid))
}

func TestCatalogueFiltersAndOrders(t *testing.T) {
	mk := func(id string, l Level, s StandingChange) *Course {
		return NewCourse{Provider: "P1", Title: "Course " + id, Level: l, Mode: "distance", Standing: s}.Create(id, "r", at, 1)
	}
	cs := []*Course{
		mk("C1", Level{RQF, 3}, StandingChange{Standing: Aligned}),
		mk("C2", Level{SCQF, 7}, accredited("R", "2024-01-01", "2028-01-01")),
		mk("C3", Level{RQF, 5}, StandingChange{Standing: Withdrawn}),
		mk("C4", Level{RQF, 6}, StandingChange{Standing: Aligned}),
	}
	ps := []*Provider{{ID: "P1", Name: "Open University", UKPRN: "10007773"}}
	ids := func(es []Entry) (out []string) {
		for _, e := range es {
			out = append(out, e.ID)
		}
		return
	}
	assert.Equal(t, []string{"C2", "C4", "C1", "C3"}, ids(Catalogue(cs, ps, Filter{})))
	assert.Equal(t, []string{"C2", "C4", "C3"}, ids(Catalogue(cs, ps, Filter{MinRQFLevel: 4})), "SCQF 7 is RQF 4")
	assert.Equal(t, []string{"C4", "C1"}, ids(Catalogue(cs, ps, Filter{Standing: Aligned})))
	assert.Equal(t, "Open University", Catalogue(cs, ps, Filter{})[0].ProviderName)
	_, err := ParseFilter("approved", "")
	assert.ErrorIs(t, err, register.ErrInvalid)
	_, err = ParseFilter("", "nine")
	assert.ErrorIs(t, err, register.ErrInvalid)
}
