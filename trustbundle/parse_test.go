package trustbundle

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseReadsTheRegistersBundle(t *testing.T) {
	f := newFixture(t, nil, testNow)
	b, err := Parse(marshal(t, f.bundle))
	require.NoError(t, err)
	assert.Equal(t, Format, b.Format)
	assert.Equal(t, testIssuer, b.Issuer)
	assert.Equal(t, f.bundle.Statement, b.Statement)
	require.Len(t, b.StatusLists, 1)
	assert.Equal(t, f.bundle.StatusLists[0], b.StatusLists[0])
	assert.True(t, f.bundle.CreatedAt.Equal(b.CreatedAt))
}

// edit returns the bundle JSON as a generic map for a test to change,
// and its JSON after change.
func edit(t *testing.T, b *Bundle, change func(m map[string]any)) []byte {
	var m map[string]any
	require.NoError(t, json.Unmarshal(marshal(t, b), &m))
	change(m)
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

func TestParseRejects(t *testing.T) {
	f := newFixture(t, nil, testNow)
	good := string(marshal(t, f.bundle))
	list := func(m map[string]any) map[string]any { return m["status_lists"].([]any)[0].(map[string]any) }
	manyLists := make([]any, MaxStatusLists+1)
	for i := range manyLists {
		manyLists[i] = map[string]any{"uri": testIssuer + "/status/" + strings.Repeat("x", i+1), "token": "a.b.c"}
	}

	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"too large", []byte(good + strings.Repeat(" ", MaxSize)), ErrTooLarge},
		{"empty", nil, ErrMalformed},
		{"not an object", []byte(`[1]`), ErrMalformed},
		{"invalid UTF-8", []byte(strings.Replace(good, `"issuer"`, "\"issuer\xff\"", 1)), ErrMalformed},
		{"trailing data", []byte(good + "{}"), ErrMalformed},
		{"trailing garbage", []byte(good + "x"), ErrMalformed},
		{"duplicate member", []byte(strings.Replace(good, `"format": 2,`, `"format": 2, "format": 2,`, 1)), ErrMalformed},
		{"duplicate issuer, second one evil", []byte(strings.Replace(good, `"format": 2,`, `"format": 2, "issuer": "https://evil.example",`, 1)), ErrMalformed},
		{"duplicate inside a list", []byte(strings.Replace(good, `"uri":`, `"uri": "x", "uri":`, 1)), ErrMalformed},
		{"nested too deep", []byte(strings.Replace(good, `"status_lists": [`, `"status_lists": [`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`,`, 1)), ErrMalformed},
		{"unknown member", edit(t, f.bundle, func(m map[string]any) { m["signature"] = "x" }), ErrMalformed},
		{"member in other case", []byte(strings.Replace(good, `"issuer": "https`, `"Issuer": "https`, 1)), ErrMalformed},
		{"unknown list member", edit(t, f.bundle, func(m map[string]any) { list(m)["kid"] = "x" }), ErrMalformed},
		{"list member in other case", edit(t, f.bundle, func(m map[string]any) { list(m)["URI"] = list(m)["uri"]; delete(list(m), "uri") }), ErrMalformed},
		{"format 3", edit(t, f.bundle, func(m map[string]any) { m["format"] = 3 }), ErrFormat},
		{"format 3 with new members", edit(t, f.bundle, func(m map[string]any) { m["format"] = 3; m["signatures"] = []any{} }), ErrFormat},
		{"format 1, unsigned keys", edit(t, f.bundle, func(m map[string]any) {
			m["format"] = 1
			delete(m, "statement")
			m["jwks"] = map[string]any{"keys": []any{}}
			m["metadata"] = map[string]any{}
		}), ErrFormat},
		{"format as string", edit(t, f.bundle, func(m map[string]any) { m["format"] = "2" }), ErrFormat},
		{"no format", edit(t, f.bundle, func(m map[string]any) { delete(m, "format") }), ErrInvalid},
		{"no issuer", edit(t, f.bundle, func(m map[string]any) { delete(m, "issuer") }), ErrInvalid},
		{"no statement", edit(t, f.bundle, func(m map[string]any) { delete(m, "statement") }), ErrInvalid},
		{"empty statement", edit(t, f.bundle, func(m map[string]any) { m["statement"] = "" }), ErrInvalid},
		{"unsigned jwks beside the statement", edit(t, f.bundle, func(m map[string]any) { m["jwks"] = map[string]any{"keys": []any{}} }), ErrMalformed},
		{"no status_lists", edit(t, f.bundle, func(m map[string]any) { delete(m, "status_lists") }), ErrInvalid},
		{"no created_at", edit(t, f.bundle, func(m map[string]any) { delete(m, "created_at") }), ErrInvalid},
		{"status_lists null", edit(t, f.bundle, func(m map[string]any) { m["status_lists"] = nil }), ErrInvalid},
		{"list without token", edit(t, f.bundle, func(m map[string]any) { delete(list(m), "token") }), ErrInvalid},
		{"issuer with trailing slash", edit(t, f.bundle, func(m map[string]any) { m["issuer"] = testIssuer + "/" }), ErrInvalid},
		{"issuer not a URL", edit(t, f.bundle, func(m map[string]any) { m["issuer"] = "register" }), ErrInvalid},
		{"issuer with query", edit(t, f.bundle, func(m map[string]any) { m["issuer"] = testIssuer + "?a=b" }), ErrInvalid},
		{"list uri not under the issuer", edit(t, f.bundle, func(m map[string]any) { list(m)["uri"] = "https://evil.example/status/1" }), ErrInvalid},
		{"list uri on a look-alike host", edit(t, f.bundle, func(m map[string]any) { list(m)["uri"] = testIssuer + ".evil.example/status/1" }), ErrInvalid},
		{"same list twice", edit(t, f.bundle, func(m map[string]any) {
			m["status_lists"] = append(m["status_lists"].([]any), list(m))
		}), ErrInvalid},
		{"too many lists", edit(t, f.bundle, func(m map[string]any) { m["status_lists"] = manyLists }), ErrInvalid},
		{"created_at not a time", edit(t, f.bundle, func(m map[string]any) { m["created_at"] = "yesterday" }), ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Parse(tc.data)
			require.ErrorIs(t, err, tc.want)
			assert.Nil(t, b)
		})
	}
}

func TestValidateRefusesBuiltBundles(t *testing.T) {
	f := newFixture(t, nil, testNow)
	require.NoError(t, f.bundle.Validate())

	b := *f.bundle
	b.Format = 1
	assert.ErrorIs(t, b.Validate(), ErrFormat)

	b = *f.bundle
	b.StatusLists = []StatusList{{URI: testListURI, Token: strings.Repeat("A", 1<<20+1)}}
	assert.ErrorIs(t, b.Validate(), ErrInvalid)
}
