package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidAcceptsStrictJSON(t *testing.T) {
	for _, s := range []string{
		`{}`, `[]`, `0`, `-0`, `1.5e-3`, `"x"`, `true`, `false`, `null`,
		` {"a":1, "b":[1,2,{"a":2}], "c":{"a":{}} } `,
		`{"iss":"a","ISS":"b"}`, // names are case-sensitive
		`{"emoji":"\ud83d\ude00","e":"é","nul":"\u0000"}`,
		`[{"a":1},{"a":1}]`, // the same name in sibling objects is fine
	} {
		assert.NoError(t, Valid([]byte(s)), s)
	}
}

func TestValidRejects(t *testing.T) {
	cases := []struct {
		in   string
		want error
	}{
		{`{"iss":"a","iss":"b"}`, ErrDuplicate},
		{`{"iss":"a","\u0069ss":"b"}`, ErrDuplicate},
		{`{"a":{"x":1,"x":2}}`, ErrDuplicate},
		{`[{"x":1,"y":2,"x":3}]`, ErrDuplicate},
		{manyMembers(40, true), ErrDuplicate},
		{`"\ud800"`, ErrUTF8},
		{`"\udc00\ud800"`, ErrUTF8},
		{`"\ud800\u0041"`, ErrUTF8},
		{"\"\xff\"", ErrUTF8},
		{"\"\xed\xa0\x80\"", ErrUTF8},
		{`{"a":1}x`, ErrSyntax},
		{`{"a":1}{"a":1}`, ErrSyntax},
		{`{"a" 1}`, ErrSyntax},
		{`{"a":1,}`, ErrSyntax},
		{`[1,]`, ErrSyntax},
		{`{a:1}`, ErrSyntax},
		{`01`, ErrSyntax},
		{`1.`, ErrSyntax},
		{`1e`, ErrSyntax},
		{`+1`, ErrSyntax},
		{`NaN`, ErrSyntax},
		{`nul`, ErrSyntax},
		{`tru`, ErrSyntax},
		{"\"a\tb\"", ErrSyntax},
		{`"\x"`, ErrSyntax},
		{`"\u12"`, ErrSyntax},
		{`"abc`, ErrSyntax},
		{``, ErrSyntax},
		{"\x00", ErrSyntax},
		{strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), ErrDepth},
	}
	for _, tc := range cases {
		assert.ErrorIs(t, Valid([]byte(tc.in)), tc.want, "%q", tc.in)
	}
}

func TestLargeObjectWithoutDuplicatesIsValid(t *testing.T) {
	assert.NoError(t, Valid([]byte(manyMembers(40, false))))
}

func manyMembers(n int, dup bool) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"m` + strings.Repeat("x", i) + `":1`)
	}
	if dup {
		b.WriteString(`,"m` + strings.Repeat("x", n-3) + `":2`)
	}
	b.WriteString("}")
	return b.String()
}

func TestIntAndUint(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "-0": 0, "1700000000": 1700000000,
		"9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63,
	} {
		got, err := NewDecoder([]byte(in)).Int()
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for in, want := range map[string]error{
		"9223372036854775808": ErrRange, "-9223372036854775809": ErrRange,
		"1.0": ErrType, "1e3": ErrType, `"1"`: ErrType, "null": ErrType,
	} {
		_, err := NewDecoder([]byte(in)).Int()
		assert.ErrorIs(t, err, want, in)
	}
	u, err := NewDecoder([]byte("18446744073709551615")).Uint()
	require.NoError(t, err)
	assert.Equal(t, uint64(1<<64-1), u)
	_, err = NewDecoder([]byte("18446744073709551616")).Uint()
	assert.ErrorIs(t, err, ErrRange)
	_, err = NewDecoder([]byte("-1")).Uint()
	assert.ErrorIs(t, err, ErrRange)
}

func TestStringUnescapes(t *testing.T) {
	got, err := NewDecoder([]byte(`"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"`)).String()
	require.NoError(t, err)
	assert.Equal(t, "a\"b\\c/d\b\f\n\r\té😀", got)
}

func TestObjectSkipsValueTheCallbackIgnores(t *testing.T) {
	var names []string
	d := NewDecoder([]byte(`{"a":{"b":[1,2]},"c":3}`))
	require.NoError(t, d.Object(func(name []byte) error {
		names = append(names, string(name))
		return nil
	}))
	require.NoError(t, d.End())
	assert.Equal(t, []string{"a", "c"}, names)
}

// referenceDuplicates reports whether any object in the (encoding/json
// valid) data repeats a member name, using encoding/json's tokenizer.
func referenceDuplicates(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object bool
		names  map[string]bool
		expect bool // next string token in an object is a name
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return false
		}
		if err != nil {
			return false
		}
		top := (*frame)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.expect {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			name := tok.(string)
			if top.names[name] {
				return true
			}
			top.names[name] = true
			top.expect = false
			continue
		}
		if top != nil && top.object {
			top.expect = true
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{':
				stack = append(stack, &frame{object: true, names: map[string]bool{}, expect: true})
			case '[':
				stack = append(stack, &frame{})
			case ']':
				stack = stack[:len(stack)-1]
			}
		}
	}
}

// FuzzStrictJSON checks the strict decoder against encoding/json: whatever
// it accepts encoding/json accepts, without duplicates; and whatever
// encoding/json accepts as valid UTF-8 without duplicates, it accepts
// unless the only problem is a lone surrogate escape or deep nesting.
func FuzzStrictJSON(f *testing.F) {
	for _, s := range []string{
		`{"iss":"a","iss":"b"}`, `{"a":[1,{"b":null}],"c":"\u00e9"}`, `"\ud800"`,
		`{"alg":"EdDSA","typ":"vc+jwt","cty":"vc","kid":"abc"}`, `-1.5E+10`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := Valid(data)
		if err == nil {
			if !json.Valid(data) {
				t.Fatalf("strict accepted what encoding/json rejects: %q", data)
			}
			if referenceDuplicates(data) {
				t.Fatalf("strict accepted duplicate names: %q", data)
			}
			return
		}
		if json.Valid(data) && utf8.Valid(data) && !referenceDuplicates(data) &&
			!errors.Is(err, ErrUTF8) && !errors.Is(err, ErrDepth) {
			t.Fatalf("strict rejected valid JSON %q: %v", data, err)
		}
		if errors.Is(err, ErrDuplicate) && json.Valid(data) && !referenceDuplicates(data) &&
			!bytes.Contains(data, []byte(`\u`)) {
			t.Fatalf("strict reported a duplicate encoding/json does not see in %q: %v", data, err)
		}
	})
}

func BenchmarkValidHeader(b *testing.B) {
	data := []byte(`{"alg":"EdDSA","typ":"vc+jwt","cty":"vc","kid":"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := Valid(data); err != nil {
			b.Fatal(err)
		}
	}
}

func TestUnmarshalRefusesWhatEncodingJSONWouldAccept(t *testing.T) {
	type inner struct {
		Year int `json:"year"`
	}
	type embedded struct {
		Given string `json:"given_name"`
	}
	type req struct {
		embedded
		Name   string  `json:"name"`
		Inner  *inner  `json:"inner,omitempty"`
		List   []inner `json:"list"`
		Hidden string  `json:"-"`
	}
	for in, want := range map[string]error{
		`{"name":"a","name":"b"}`:             ErrDuplicate,
		`{"name":"a","n\u0061me":"b"}`:        ErrDuplicate,
		"{\"name\":\"\xff\"}":                 ErrUTF8,
		`{"name":"\ud800"}`:                   ErrUTF8,
		`{"name":"a"} {}`:                     ErrSyntax,
		`{"name":"a","shoe":1}`:               ErrShape,
		`{"name":7}`:                          ErrShape,
		`{"Name":"last wins otherwise"}`:      ErrShape,
		`{"name":"a","NAME":"b"}`:             ErrShape,
		`{"given_name":"a","Given_Name":"b"}`: ErrShape,
		`{"inner":{"year":1,"Year":2}}`:       ErrShape,
		`{"list":[{"year":1},{"YEAR":2}]}`:    ErrShape,
		`{"Hidden":"x"}`:                      ErrShape,
		`{"-":"x"}`:                           ErrShape,
	} {
		var r req
		assert.ErrorIs(t, Unmarshal([]byte(in), &r), want, "%q", in)
	}
	var r req
	require.NoError(t, Unmarshal([]byte(` {"name":"Si\u00e2n","given_name":"G","inner":{"year":2},"list":[{"year":3}]} `), &r))
	assert.Equal(t, req{embedded: embedded{Given: "G"}, Name: "Siân", Inner: &inner{Year: 2}, List: []inner{{Year: 3}}}, r)
}
