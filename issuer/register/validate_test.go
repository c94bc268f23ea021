package register_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
)

func validNew() register.NewRegistrant {
	return register.NewRegistrant{Given: "Siobhán", Family: "O'Neill-Fairweather", Nation: "northern-ireland", Email: "siobhan@example.org"}
}

func TestNewRegistrantValidateAcceptsRealisticEntries(t *testing.T) {
	for _, n := range []register.NewRegistrant{
		validNew(),
		{Given: "Mohammed", Family: "Al-Rashid", Nation: "england"},
		{Given: "Eilidh", Family: "MacLeod", Nation: "scotland", RegisteredUntil: today},
		{Given: "Dafydd", Family: "ap Gruffydd", Nation: "wales", RegisteredUntil: "2027-03-31"},
		{Given: strings.Repeat("a", register.MaxNameLen), Family: "B", Nation: "wales"},
	} {
		require.NoError(t, n.Validate(today), "%+v", n)
	}
}

func TestNewRegistrantValidateRefuses(t *testing.T) {
	mod := func(f func(n *register.NewRegistrant)) register.NewRegistrant {
		n := validNew()
		f(&n)
		return n
	}
	cases := map[string]register.NewRegistrant{
		"no given name":         mod(func(n *register.NewRegistrant) { n.Given = "" }),
		"blank family name":     mod(func(n *register.NewRegistrant) { n.Family = " \t" }),
		"given name too long":   mod(func(n *register.NewRegistrant) { n.Given = strings.Repeat("a", register.MaxNameLen+1) }),
		"family name too long":  mod(func(n *register.NewRegistrant) { n.Family = strings.Repeat("b", register.MaxNameLen+1) }),
		"NUL in name":           mod(func(n *register.NewRegistrant) { n.Given = "Ann\x00" }),
		"tab in name":           mod(func(n *register.NewRegistrant) { n.Family = "Smith\tJones" }),
		"escape in name":        mod(func(n *register.NewRegistrant) { n.Family = "\x1b[2JSmith" }),
		"DEL in name":           mod(func(n *register.NewRegistrant) { n.Given = "Ann\x7f" }),
		"invalid UTF-8 in name": mod(func(n *register.NewRegistrant) { n.Given = "Ann\xff" }),
		"no nation":             mod(func(n *register.NewRegistrant) { n.Nation = "" }),
		"nation capitalised":    mod(func(n *register.NewRegistrant) { n.Nation = "England" }),
		"nation not UK":         mod(func(n *register.NewRegistrant) { n.Nation = "ireland" }),
		"nation spelt wrong":    mod(func(n *register.NewRegistrant) { n.Nation = "northern ireland" }),
		"email not an address":  mod(func(n *register.NewRegistrant) { n.Email = "siobhan" }),
		"email with name":       mod(func(n *register.NewRegistrant) { n.Email = "Siobhan <siobhan@example.org>" }),
		"email with spaces":     mod(func(n *register.NewRegistrant) { n.Email = " siobhan@example.org" }),
		"two emails":            mod(func(n *register.NewRegistrant) { n.Email = "a@example.org, b@example.org" }),
		"email with newline":    mod(func(n *register.NewRegistrant) { n.Email = "a@example.org\nBcc: x@example.org" }),
		"until bad date":        mod(func(n *register.NewRegistrant) { n.RegisteredUntil = "2026-13-40" }),
		"until UK date":         mod(func(n *register.NewRegistrant) { n.RegisteredUntil = "31/12/2026" }),
		"until in the past":     mod(func(n *register.NewRegistrant) { n.RegisteredUntil = "2026-03-14" }),
	}
	for name, n := range cases {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, n.Validate(today), register.ErrInvalid)
		})
	}
}

func TestNewRegistrantCreate(t *testing.T) {
	n := validNew()
	n.Given = "  Siobhán "
	r := n.Create("LW1000017", day, 5)
	assert.Equal(t, "LW1000017", r.Number)
	assert.Equal(t, "Siobhán", r.Given, "names are trimmed")
	assert.Equal(t, register.Registered, r.Status)
	assert.Equal(t, today, r.RegisteredFrom)
	assert.Equal(t, register.Date("2027-03-14"), r.RegisteredUntil, "a year, inclusive of today")
	assert.Equal(t, uint64(5), r.CreateIndex)
	assert.Equal(t, uint64(5), r.ModifyIndex)
	assert.NotNil(t, r.Restrictions)
	assert.NotNil(t, r.CPD)
	assert.NotNil(t, r.Qualifications)
	assert.False(t, r.Restricted())

	n.RegisteredUntil = "2026-04-30"
	assert.Equal(t, register.Date("2026-04-30"), n.Create("LW1000017", day, 5).RegisteredUntil)
}

func TestNewRegistrantNamesAreNormalisedToNFC(t *testing.T) {
	n := validNew()
	n.Given, n.Family = "Sia\u0302n", "  Jo\u0308rg "
	require.NoError(t, n.Validate(today))
	r := n.Create("LW1000017", day, 5)
	assert.Equal(t, "Si\u00e2n", r.Given, "combining circumflex composed")
	assert.Equal(t, "J\u00f6rg", r.Family, "trimmed and composed")

	// The length limit counts the name as stored: a name at the limit
	// typed decomposed (one more code point per accent) is not refused.
	n.Given = strings.Repeat("e\u0301", register.MaxNameLen)
	require.NoError(t, n.Validate(today))
	assert.Equal(t, strings.Repeat("\u00e9", register.MaxNameLen), n.Create("LW1000017", day, 5).Given)
}

func TestQualificationTextIsNormalisedToNFC(t *testing.T) {
	r := validNew().Create("LW1000017", day, 5)
	q := register.Qualification{Title: "Certificat en pre\u0301scription sociale", Level: 4, Provider: "Universite\u0301", Accreditation: register.Accreditations[0], Awarded: "2024-06-30"}
	require.NoError(t, q.Validate())
	r2, err := r.AddQualification(q, 6)
	require.NoError(t, err)
	assert.Equal(t, "Certificat en pr\u00e9scription sociale", r2.Qualifications[0].Title)
	assert.Equal(t, "Universit\u00e9", r2.Qualifications[0].Provider)
}

func TestParseDate(t *testing.T) {
	for _, s := range []string{"2026-03-15", "2024-02-29", "1900-01-01", "2999-12-31"} {
		d, err := register.ParseDate(s)
		require.NoError(t, err, s)
		assert.Equal(t, register.Date(s), d)
	}
	for _, s := range []string{"", "2026-13-40", "31/12/2026", "2026-02-29", "2026-3-5", " 2026-03-05", "2026-03-05T00:00:00Z", "1899-12-31", "3000-01-01", "20260305", strings.Repeat("9", 500)} {
		_, err := register.ParseDate(s)
		require.ErrorIs(t, err, register.ErrInvalid, "%q", s)
		assert.Less(t, len(err.Error()), 200, "the message clips what the caller sent")
	}
}

func TestDateArithmetic(t *testing.T) {
	d := register.Date("2024-02-29")
	assert.Equal(t, register.Date("2025-03-01"), d.AddYears(1))
	assert.Equal(t, register.Date("2028-02-29"), d.AddYears(4))
	assert.Equal(t, register.Date("2024-03-01"), d.AddDays(1))
	assert.Equal(t, register.Date("2023-12-31"), register.Date("2024-01-01").AddDays(-1))
	assert.Equal(t, time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC), d.EndOfDay())
	assert.True(t, register.Date("").EndOfDay().IsZero())
	assert.Equal(t, register.Date("2026-03-15"), register.DateOf(time.Date(2026, 3, 16, 0, 30, 0, 0, time.FixedZone("CET", 3600))), "dates are UTC")
	assert.True(t, register.Date("2026-03-14").Before("2026-03-15"))
	assert.False(t, today.Before(today))
}

func TestQualityMarkHeldBoundaries(t *testing.T) {
	qm := register.QualityMark{Accredited: true, Since: "2025-04-01", Until: "2028-03-31", Reference: "PSA-1"}
	cases := map[register.Date]bool{
		"2025-03-31": false, // the day before it was awarded
		"2025-04-01": true,  // first day
		"2026-03-15": true,
		"2028-03-31": true,  // last day
		"2028-04-01": false, // the day after it ended
	}
	for d, held := range cases {
		assert.Equal(t, held, qm.Held(d), d)
	}
	withdrawn := qm
	withdrawn.Accredited = false
	assert.False(t, withdrawn.Held("2026-03-15"), "a withdrawn mark is never held, whatever the dates")
	assert.False(t, register.QualityMark{}.Held("2026-03-15"))
}

func TestQualityMarkValidate(t *testing.T) {
	require.NoError(t, register.QualityMark{}.Validate(), "not accredited needs no dates")
	require.NoError(t, register.QualityMark{Accredited: true, Since: "2026-01-01", Until: "2026-01-01"}.Validate())
	for name, qm := range map[string]register.QualityMark{
		"no since":       {Accredited: true, Until: "2027-01-01"},
		"no until":       {Accredited: true, Since: "2026-01-01"},
		"bad since":      {Accredited: true, Since: "2026-13-40", Until: "2027-01-01"},
		"until first":    {Accredited: true, Since: "2027-01-01", Until: "2026-01-01"},
		"long reference": {Accredited: true, Since: "2026-01-01", Until: "2027-01-01", Reference: strings.Repeat("r", 101)},
		"control ref":    {Accredited: true, Since: "2026-01-01", Until: "2027-01-01", Reference: "a\x00"},
	} {
		require.ErrorIs(t, qm.Validate(), register.ErrInvalid, name)
	}
}

func TestValidateIssuerURL(t *testing.T) {
	for _, s := range []string{"https://register.nalw.org.uk", "http://localhost:8080", "https://example.org/register"} {
		require.NoError(t, register.ValidateIssuerURL(s), s)
	}
	for _, s := range []string{"", "register.nalw.org.uk", "https://register.nalw.org.uk/", "ftp://x.org", "https://x.org?a=b", "https://x.org#f", "https://"} {
		require.ErrorIs(t, register.ValidateIssuerURL(s), register.ErrInvalid, s)
	}
}

// Names must be one line of visible text: a newline, a C1 control or an
// invisible format character (right-to-left override, line separator,
// zero-width space) could make a name read as something else on the
// public register or a credential. Lengths count characters, not bytes.
func TestNewRegistrantNamesRefuseLineBreaksAndFormatCharacters(t *testing.T) {
	for _, g := range []string{"Ann\nRegistered", "Ann\u0085", "Ann\u202eenoN", "Ann\u2028", "Ann\u200b"} {
		n := validNew()
		n.Given = g
		require.ErrorIs(t, n.Validate(today), register.ErrInvalid, "%q", g)
	}
	n := validNew()
	n.Given = strings.Repeat("é", register.MaxNameLen)
	require.NoError(t, n.Validate(today), "the limit is in characters")
}

// Zero-width joiners are part of how many Persian, Arabic and Indic names
// are written, so they are allowed where other invisible characters are not.
func TestNewRegistrantNamesAllowZeroWidthJoiners(t *testing.T) {
	for _, g := range []string{"Mehr\u200cnush", "\u0915\u094d\u200d\u0937"} {
		n := validNew()
		n.Given = g
		require.NoError(t, n.Validate(today), "%q", g)
	}
}
