package namefold

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"
)

func TestWordsFoldsCaseAccentsAndBreaks(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"Siân", []string{"sian"}},
		{"Llŷr ap Gwilym", []string{"llyr", "ap", "gwilym"}},
		{"Gwenllïan Ŵyn", []string{"gwenllian", "wyn"}},
		{"Ó Súilleabháin", []string{"o", "suilleabhain"}},
		{"Ní Bhriain", []string{"ni", "bhriain"}},
		{"Caoimhín Mac Giolla Phádraig", []string{"caoimhin", "mac", "giolla", "phadraig"}},
		{"Mòrag NicDhòmhnaill", []string{"morag", "nicdhomhnaill"}},
		{"Mac an t-Saoir", []string{"mac", "an", "t", "saoir"}},
		{"Zoë", []string{"zoe"}},
		{"O'Neill", []string{"o", "neill"}},
		{"O’Neill", []string{"o", "neill"}},
		{"O‘Neill", []string{"o", "neill"}},
		{"Oʼneill", []string{"o", "neill"}},
		{"D`Arcy", []string{"d", "arcy"}},
		{"Okonkwo-Fairweather", []string{"okonkwo", "fairweather"}},
		{"Okonkwo–Fairweather", []string{"okonkwo", "fairweather"}}, // en dash
		{"  Smith   Jones ", []string{"smith", "jones"}},
		{"Ørsted Æbelø", []string{"orsted", "aebelo"}},
		{"Strauß", []string{"strauss"}},
		{"St. John", []string{"st", "john"}},
		{"ÓNEILL", []string{"oneill"}},
		{"", nil},
		{"’- ", nil},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, Words(c.in), "Words(%q)", c.in)
		assert.Equal(t, c.want, Words(norm.NFD.String(c.in)), "Words(NFD %q)", c.in)
		assert.Equal(t, c.want, Words(norm.NFC.String(c.in)), "Words(NFC %q)", c.in)
	}
}

func TestComposedAndDecomposedFoldAlike(t *testing.T) {
	// Written out by hand so that the test does not depend on the
	// normaliser it is checking: "Siân" as one code point per letter, and as
	// "a" followed by a combining circumflex.
	composed := "Si\u00e2n \u00d3 S\u00failleabh\u00e1in"
	decomposed := "Sia\u0302n O\u0301 Su\u0301illeabha\u0301in"
	require.NotEqual(t, composed, decomposed)
	assert.Equal(t, Words(composed), Words(decomposed))
	assert.Equal(t, "siansuilleabhain", strings.Replace(Key(decomposed), "o", "", 1))
}

func TestKey(t *testing.T) {
	for _, s := range []string{"O'Neill", "O’Neill", "O Neill", "oneill", "Ó Néill", "O-NEILL"} {
		assert.Equal(t, "oneill", Key(s), s)
	}
	assert.Equal(t, "okonkwofairweather", Key("Okonkwo-Fairweather"))
	assert.Equal(t, "okonkwofairweather", Key("okonkwo fairweather"))
	assert.NotEqual(t, Key("O'Neill"), Key("O'Neil"))
}

func TestTermsIndexPartsAndJoinedRuns(t *testing.T) {
	assert.Equal(t, []string{"sian", "o", "osuilleabhain", "suilleabhain"}, Terms("Siân", "Ó Súilleabháin"))
	assert.Equal(t, []string{"okonkwo", "okonkwofairweather", "fairweather"}, Terms("Okonkwo-Fairweather"))
	// Runs stay within a field and are at most MaxRun words long.
	terms := Terms("A B C D E")
	assert.Contains(t, terms, "abcd")
	assert.NotContains(t, terms, "abcde")
	assert.NotContains(t, Terms("Siân", "Evans"), "sianevans")
	// A repeated word is one term.
	assert.Equal(t, []string{"ann", "annann"}, Terms("Ann Ann"))
}

func TestAppendTermsLeads(t *testing.T) {
	got := AppendTerms(nil, "Mary Ann", "Mac an t-Saoir")
	want := []Term{{"mary", 0}, {"maryann", 4}, {"ann", 0}, {"mac", 0}, {"macan", 3}, {"macant", 5}, {"macantsaoir", 6},
		{"an", 0}, {"ant", 2}, {"antsaoir", 3}, {"t", 0}, {"tsaoir", 1}, {"saoir", 0}}
	assert.Equal(t, want, got)
	// A term that is a word in one place and joined in another is a word.
	assert.Equal(t, []Term{{"o", 0}, {"oneill", 0}, {"neill", 0}}, AppendTerms(nil, "O Neill", "Oneill"))
	assert.Equal(t, []Term{{"oneill", 0}, {"o", 0}, {"neill", 0}}, AppendTerms(nil, "Oneill", "O Neill"))
}
