package publicregister

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/nalw/linkpass/issuer/register"
)

// TestAppendJSONIsMarshalIndent holds the public answers' own JSON to the
// bytes encoding/json writes, over answers with every optional member set
// and unset, nil and empty lists, and strings that need escapes (quotes,
// control characters, HTML, U+2028, invalid UTF-8) or none (accents).
func TestAppendJSONIsMarshalIndent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"", "Siân", "O'Neill", "Ó Súilleabháin", "a\"b", `back\slash`, "<script>", "Tom & Jerry", "x>y",
		"tab\there", "new\nline", "\x01\x1f", "\x7f", "line\u2028sep", "para\u2029sep", "bad\xffutf8", "\xe2\x80", "Zoë", "2027-03-31", "日本"}
	str := func() string {
		s := ""
		for range rng.IntN(3) {
			s += pieces[rng.IntN(len(pieces))]
		}
		return s
	}
	strs := func() []string {
		switch rng.IntN(3) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		out := make([]string, 1+rng.IntN(3))
		for i := range out {
			out[i] = str()
		}
		return out
	}
	entry := func() Entry {
		return Entry{RegistrationNumber: str(), Name: str(), Status: str(), StatusSince: str(), SuspendedUntil: register.Date(str()),
			Restrictions: strs(), Nation: str(), RegisteredUntil: register.Date(str()), RemovedOn: register.Date(str()),
			MayPractise: rng.IntN(2) == 0, LapsesOn: register.Date(str()), Qualifications: strs()}
	}
	qm := func() QualityMark {
		return QualityMark{Held: rng.IntN(2) == 0, Until: register.Date(str()), Reference: str()}
	}
	for i := range 2000 {
		s := SearchResult{Register: str(), QualityMark: qm(), Query: str(), Total: rng.IntN(200) - 1, TotalAtLeast: rng.IntN(2) == 0,
			Refine: rng.IntN(2) == 0, Truncated: rng.IntN(2) == 0, CheckedAt: str()}
		if rng.IntN(5) > 0 {
			s.Results = []Entry{}
			for range rng.IntN(4) {
				s.Results = append(s.Results, entry())
			}
		}
		want, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if got := s.AppendJSON([]byte("prefix")); !bytes.Equal(got[len("prefix"):], want) {
			t.Fatalf("search result %d:\ngot  %s\nwant %s", i, got[len("prefix"):], want)
		}
		e := EntryResult{Register: str(), QualityMark: qm(), Entry: entry(), CheckedAt: str()}
		if want, err = json.MarshalIndent(e, "", "  "); err != nil {
			t.Fatal(err)
		}
		if got := e.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("entry result %d:\ngot  %s\nwant %s", i, got, want)
		}
	}
}
