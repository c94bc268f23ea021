// Package namefold folds people's names for matching. It is the one place
// the register's folding rules live: public search, duplicate detection and
// the console all match names through it, so that a name found one way is
// found every way.
//
// Folding is insensitive to Unicode normalisation (composed or decomposed
// input folds the same), to case, to accents and diacritics (Siân → sian,
// Llŷr → llyr, Ó Súilleabháin → o suilleabhain, Zoë → zoe), and treats
// apostrophes of every kind (' ’ ‘ ʼ), hyphens, spaces and other punctuation
// as word breaks. A name is matched through its terms: each word, and each
// run of adjacent words joined together, so that "oneill", "O Neill",
// "O’Neill" and "O'Neill" all find O'Neill.
package namefold

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/unicode/norm"
)

// MaxRun is the longest run of adjacent words of one name field that is
// also indexed joined ("Mac an t-Saoir" → "macantsaoir"). Longer runs are
// rare in names and each extra term costs index memory.
const MaxRun = 4

// marks are the combining marks that decomposition splits off letters
// (acute, grave, circumflex, diaeresis, cedilla, ...).
var marks = runes.In(unicode.Mn)

// letters maps the letters that carry their mark inside the letter itself,
// so that decomposition leaves them whole, to what people type instead.
var letters = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d",
	'ð': "d", 'þ': "th", 'ı': "i", 'ħ': "h", 'ŧ': "t", 'ŋ': "n",
}

// isApostrophe reports the apostrophe-like characters people type inside
// names. Some (ʼ U+02BC, ʻ U+02BB) are letters to Unicode, so they are named
// here rather than caught as punctuation.
func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', '‘', 'ʼ', 'ʻ', '`', '´', '′', '‛', '＇':
		return true
	}
	return false
}

// Words returns the folded words of s in order: lower case, without
// accents, split at spaces, hyphens, apostrophes and any other character
// that is neither a letter nor a digit. "O’Neill-Jones" → [o neill jones].
func Words(s string) []string {
	return appendWords(nil, s)
}

func appendWords(dst []string, s string) []string {
	if isPlainASCII(s) {
		return appendASCIIWords(dst, s)
	}
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			dst = append(dst, b.String())
			b.Reset()
		}
	}
	for _, r := range norm.NFKD.String(s) {
		switch {
		case marks.Contains(r):
			// A mark folds into the letter before it, dropped.
		case isApostrophe(r) || !(unicode.IsLetter(r) || unicode.IsDigit(r)):
			flush()
		default:
			r = unicode.ToLower(r)
			if alt, ok := letters[r]; ok {
				b.WriteString(alt)
			} else {
				b.WriteRune(r)
			}
		}
	}
	flush()
	return dst
}

// isPlainASCII reports whether s has only ASCII, which needs no
// normalisation; most names do, and folding them is then much cheaper.
func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isASCIIWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func appendASCIIWords(dst []string, s string) []string {
	for i := 0; i < len(s); {
		if !isASCIIWordByte(s[i]) {
			i++
			continue
		}
		j := i
		lower := true
		for j < len(s) && isASCIIWordByte(s[j]) {
			if s[j] >= 'A' && s[j] <= 'Z' {
				lower = false
			}
			j++
		}
		if lower {
			dst = append(dst, s[i:j])
		} else {
			dst = append(dst, strings.ToLower(s[i:j]))
		}
		i = j
	}
	return dst
}

// Key returns the folded name with every break removed: "O’Neill" and
// "oneill" both give "oneill", "Okonkwo-Fairweather" gives
// "okonkwofairweather". Two names are the same for matching, for example for
// duplicate detection, when their keys are equal.
func Key(s string) string {
	return strings.Join(Words(s), "")
}

// Terms returns the search terms of a name given as its fields (given
// names, family name, ...): every word of every field, and every run of 2 to
// MaxRun adjacent words of one field joined. Runs never cross fields, so
// "Siân" "Evans" gives no "sianevans". Terms are distinct and in a stable
// order.
func Terms(fields ...string) []string {
	ts := AppendTerms(nil, fields...)
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Text
	}
	return out
}

// Term is one search term of a name, as Terms gives it, with how it was
// formed.
type Term struct {
	Text string
	// Lead is 0 when the term is a word of the name, otherwise the
	// length in bytes of the run joined into it without its last word
	// (the least, if the name joins it more than one way), itself a term
	// of the name. A query word no longer than Lead that starts the term
	// starts the lead too, so an index need not walk the term for it:
	// "evans" need not walk "evansbadofen", nor "oneill" "oneillbadofen".
	Lead int
}

// AppendTerms appends the terms of a name to dst, in the order Terms gives
// them.
func AppendTerms(dst []Term, fields ...string) []Term {
	start := len(dst)
	add := func(text string, lead int) {
		for i := start; i < len(dst); i++ {
			if dst[i].Text == text {
				dst[i].Lead = min(dst[i].Lead, lead)
				return
			}
		}
		dst = append(dst, Term{Text: text, Lead: lead})
	}
	var words []string
	for _, f := range fields {
		words = appendWords(words[:0], f)
		for i := range words {
			add(words[i], 0)
			joined := words[i]
			for j := i + 1; j < len(words) && j-i < MaxRun; j++ {
				lead := len(joined)
				joined += words[j]
				add(joined, lead)
			}
		}
	}
	return dst
}
