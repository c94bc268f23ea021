package bulkimport_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/bulkimport"
	"github.com/nalw/linkpass/issuer/register"
)

// The documented example file reads without a problem and every record in
// it passes the register's rules.
func TestReadCSVReadsTheDocumentedExample(t *testing.T) {
	f, err := os.Open("../../docs/examples/import.csv")
	require.NoError(t, err)
	defer f.Close()
	recs, problems, err := bulkimport.ReadCSV(f)
	require.NoError(t, err)
	require.Empty(t, problems)
	require.Len(t, recs, 5)
	for _, m := range recs {
		assert.NoError(t, m.Validate(), "line %d", m.Line)
	}
	assert.Equal(t, 2, recs[0].Line)
	assert.Equal(t, "Ó Súilleabháin", recs[0].Family)
	require.Len(t, recs[1].Qualifications, 2)
	assert.Equal(t, register.Qualification{Title: "Mental Health First Aid", Level: 2, Provider: "MHFA England", Accreditation: "other", Awarded: "2021-02-11"}, recs[1].Qualifications[1])
	assert.Equal(t, []string{"Must work under the supervision of a registered link worker until 2027"}, recs[1].Restrictions)
	assert.Equal(t, "northern-ireland", recs[2].Nation)
	assert.Equal(t, register.Lapsed, recs[2].Status)
}

func TestReadCSVReportsEveryBadLineByNumber(t *testing.T) {
	in := "\ufeffExternal_Ref,given_name,family_name,nation,registered_from,registered_until,status,qualification\n" +
		"A1,Ada,Lovelace,england,2020-01-01,2027-01-01,registered,\n" +
		"A2,Too,Short,england\n" +
		"\n" +
		"A3,Bad,Level,wales,2020-01-01,2027-01-01,registered,Cert | four | Uni | other | 2020-01-01\n" +
		"A4,Bad,Parts,wales,2020-01-01,2027-01-01,registered,Cert | 4 | Uni\n" +
		"A5,Fine,Again,wales,2020-01-01,2027-01-01,registered,\n"
	recs, problems, err := bulkimport.ReadCSV(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, []int{2, 7}, []int{recs[0].Line, recs[1].Line})
	require.Len(t, problems, 3)
	assert.Equal(t, 3, problems[0].Line)
	assert.Contains(t, problems[0].Message, "has 4 columns, the header has 8")
	assert.Equal(t, 5, problems[1].Line)
	assert.Contains(t, problems[1].Message, `level "four" is not a number`)
	assert.Equal(t, "A3", problems[1].ExternalRef)
	assert.Equal(t, 6, problems[2].Line)
	assert.Contains(t, problems[2].Message, "five parts separated by |")
}

func TestReadCSVRefusesAHeaderItDoesNotKnow(t *testing.T) {
	for name, header := range map[string]string{
		"unknown column": "external_ref,given_name,family_name,nation,registered_from,registered_until,status,middle_name\n",
		"missing column": "external_ref,given_name,family_name,nation,registered_until,status\n",
		"repeated":       "external_ref,given_name,given_name,family_name,nation,registered_from,registered_until,status\n",
		"empty file":     "",
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := bulkimport.ReadCSV(strings.NewReader(header))
			assert.ErrorIs(t, err, bulkimport.ErrHeader)
		})
	}
}

func TestWithinFileFindsRepeatedReferencesAndDuplicates(t *testing.T) {
	rec := func(line int, ref, given, family, email string) register.Imported {
		return register.Imported{Line: line, ExternalRef: ref, Given: given, Family: family, Email: email}
	}
	recs := []register.Imported{
		rec(2, "A1", "Zoë", "O'Neill", "zoe@example.org"),
		rec(3, "A1", "Someone", "Else", ""),
		rec(4, "A2", "ZOE", "O’Neill", "ZOE@example.org"),
		rec(5, "A3", "Zoë", "O'Neill", ""),
	}
	keep, problems, dups := bulkimport.WithinFile(recs, false)
	require.Len(t, problems, 1)
	assert.Equal(t, 3, problems[0].Line)
	assert.Contains(t, problems[0].Message, "also on line 2")
	require.Len(t, dups, 1)
	assert.Equal(t, 4, dups[0].Line)
	assert.Equal(t, 2, dups[0].DuplicateOfLine)
	assert.Len(t, keep, 2, "a namesake without an email is not a likely duplicate")

	keep, _, dups = bulkimport.WithinFile(recs, true)
	assert.Empty(t, dups)
	assert.Len(t, keep, 3)
}
