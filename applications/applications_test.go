package applications

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
)

var at = time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)

const today = register.Date("2026-03-15")

func good() New {
	return New{Given: "Amara", Family: "Nwosu", Nation: "england", Email: "amara@example.org", DateOfBirth: "1990-04-01",
		Qualifications: []register.Qualification{{Course: "C1", Awarded: "2025-06-30"}},
		Declarations:   Declarations{Truthful: true}, PrivacyConsent: true}
}

func TestAnApplicationNeedsEverythingTheFormAsksFor(t *testing.T) {
	require.NoError(t, good().Validate(today))
	for name, tc := range map[string]struct {
		change func(*New)
		want   string
	}{
		"no email":          {func(n *New) { n.Email = "" }, "email is required"},
		"bad email":         {func(n *New) { n.Email = "Amara <amara@example.org>" }, "plain address"},
		"no name":           {func(n *New) { n.Family = " " }, "family name is required"},
		"bad nation":        {func(n *New) { n.Nation = "cornwall" }, "nation"},
		"bad date of birth": {func(n *New) { n.DateOfBirth = "01/04/1990" }, "date of birth"},
		"a child":           {func(n *New) { n.DateOfBirth = "2015-01-01" }, "not plausible"},
		"no qualification":  {func(n *New) { n.Qualifications = nil }, "at least one qualification"},
		"future award":      {func(n *New) { n.Qualifications[0].Awarded = "2027-01-01" }, "qualification 1"},
		"other without level": {func(n *New) {
			n.Qualifications = []register.Qualification{{Title: "BSc", Provider: "X", Accreditation: "other", Awarded: "2020-01-01"}}
		}, "level"},
		"untrue":              {func(n *New) { n.Declarations.Truthful = false }, "true and complete"},
		"yes without details": {func(n *New) { n.Declarations.Convictions = true }, "give details"},
		"no consent":          {func(n *New) { n.PrivacyConsent = false }, "privacy notice"},
	} {
		n := good()
		n.Qualifications = append([]register.Qualification(nil), n.Qualifications...)
		tc.change(&n)
		err := n.Validate(today)
		require.ErrorIs(t, err, register.ErrInvalid, name)
		assert.Contains(t, err.Error(), tc.want, name)
	}
}

func TestTheLifeOfAnApplication(t *testing.T) {
	a := good().Create("A1001", at, 1)
	assert.Equal(t, Submitted, a.State)
	m, err := a.RequestInfo("Send your certificate.", "st_1", at.Add(time.Hour), 2)
	require.NoError(t, err)
	assert.Equal(t, MoreInfo, m.State)
	assert.Equal(t, Submitted, a.State, "the stored application is unchanged")
	assert.Len(t, m.History, 2)

	_, err = m.Refuse("", "st_1", 28, at, 3)
	assert.ErrorIs(t, err, register.ErrInvalid, "reasons are required")
	r, err := m.Refuse("No qualification that counts.", "st_1", 28, at, 3)
	require.NoError(t, err)
	assert.Equal(t, register.Date("2026-04-12"), r.AppealBy)
	_, err = r.Approve("LW1000015", "", "st_1", at, 4)
	assert.ErrorIs(t, err, register.ErrConflict, "a refused application is not approved without an appeal")

	_, err = r.Appeal("Late", "st_1", at.AddDate(0, 0, 29), 4)
	assert.ErrorIs(t, err, register.ErrConflict, "after the appeal period")
	ap, err := r.Appeal("My course was accredited when I finished it.", "st_1", at.AddDate(0, 0, 28), 4)
	require.NoError(t, err)
	assert.Equal(t, Appealed, ap.State)
	up, err := ap.DecideAppeal(true, "The course was accredited then.", "st_2", at.AddDate(0, 1, 0), 5)
	require.NoError(t, err)
	assert.Equal(t, Submitted, up.State)
	ok, err := up.Approve("LW1000015", "", "st_2", at.AddDate(0, 1, 0), 6)
	require.NoError(t, err)
	assert.Equal(t, Approved, ok.State)
	assert.Equal(t, "LW1000015", ok.Registrant)
	_, err = ok.RequestInfo("more?", "st_2", at, 7)
	assert.ErrorIs(t, err, register.ErrConflict)

	dis, err := ap.DecideAppeal(false, "The course was not accredited.", "st_2", at, 5)
	require.NoError(t, err)
	assert.Equal(t, AppealDismissed, dis.State)
	assert.False(t, dis.State.Open())
}

func TestTheSamePersonHasTheSameKey(t *testing.T) {
	a := good().Create("A1", at, 1)
	n := good()
	n.Given, n.Family = "AMARA", "Nwósu"
	assert.Equal(t, a.Key(), n.Create("A2", at, 2).Key(), "names fold as the register's search does")
	n.DateOfBirth = "1990-04-02"
	assert.NotEqual(t, a.Key(), n.Create("A3", at, 3).Key())
}
