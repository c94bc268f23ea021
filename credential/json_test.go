package credential_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/credential/credentialtest"
)

var nastyStrings = []string{
	"",
	`O'Brien "Ned" Kelly`,
	`back\slash \\ \"`,
	"tab\tnewline\ncr\rbell\abackspace\bformfeed\fnul\x00unit\x1fdel\x7f",
	"line\u2028separator\u2029paragraph",
	"Zoë Ní Bhriain-Łukasiewicz 李小龍 🙂",
	"<script>alert('x')</script> & co",
	"invalid utf-8: \xff\xfe \xc3( \xed\xa0\x80 end",
	"truncated rune at end \xe2\x82",
	strings.Repeat("é", 100),
}

func TestAppendJSONMatchesEncodingJSONForNastyStrings(t *testing.T) {
	for _, s := range nastyStrings {
		c := credentialtest.Claims(time.Now())
		c.CredentialSubject.Name = s
		c.ID = s
		c.Context = append(c.Context, s)
		c.CredentialSubject.Qualifications[0].Provider = s
		c.Status.StatusList.URI = s
		want, err := json.Marshal(c)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(c.AppendJSON(nil)), "%q", s)
	}
}

func TestAppendJSONMatchesEncodingJSONForOptionalMembers(t *testing.T) {
	cases := map[string]func(c *credential.Claims){
		"full":                 func(*credential.Claims) {},
		"no status":            func(c *credential.Claims) { c.Status = nil },
		"no quality mark":      func(c *credential.Claims) { c.CredentialSubject.QualityMark = nil },
		"nbf set":              func(c *credential.Claims) { c.Nbf = c.Iat },
		"nil qualifications":   func(c *credential.Claims) { c.CredentialSubject.Qualifications = nil },
		"empty qualifications": func(c *credential.Claims) { c.CredentialSubject.Qualifications = []credential.Qualification{} },
		"two qualifications": func(c *credential.Claims) {
			q := c.CredentialSubject.Qualifications
			c.CredentialSubject.Qualifications = append(q, q[0])
		},
		"nil context and type":    func(c *credential.Claims) { c.Context, c.Type = nil, nil },
		"restrictions, negatives": func(c *credential.Claims) { c.CredentialSubject.Restrictions = true; c.Iat = -1; c.Exp = -5 },
		"max status index":        func(c *credential.Claims) { c.Status.StatusList.Idx = 1<<64 - 1 },
		"zero value":              func(c *credential.Claims) { *c = credential.Claims{} },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			c := credentialtest.Claims(time.Now())
			change(c)
			want, err := json.Marshal(c)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(c.AppendJSON(nil)))
		})
	}
}

func TestAppendJSONAppendsToExistingBuffer(t *testing.T) {
	c := credentialtest.Claims(time.Now())
	want, err := json.Marshal(c)
	require.NoError(t, err)
	assert.Equal(t, "prefix"+string(want), string(c.AppendJSON([]byte("prefix"))))
}

// FuzzAppendJSON checks the hand-written encoder against encoding/json for
// arbitrary strings in every string member.
func FuzzAppendJSON(f *testing.F) {
	for _, s := range nastyStrings {
		f.Add(s, int64(1700000000), uint64(7))
	}
	f.Fuzz(func(t *testing.T, s string, n int64, idx uint64) {
		c := credentialtest.Claims(time.Unix(1700000000, 0))
		c.ID, c.Issuer, c.Iss, c.Jti = s, s, s, s
		c.CredentialSubject.Name = s
		c.CredentialSubject.Nation = s
		c.CredentialSubject.QualityMark.Register = s
		c.Iat, c.Nbf, c.Exp = n, n, -n
		c.Status.StatusList.Idx = idx
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.AppendJSON(nil); string(got) != string(want) {
			t.Fatalf("AppendJSON differs from encoding/json:\n got %s\nwant %s", got, want)
		}
	})
}
