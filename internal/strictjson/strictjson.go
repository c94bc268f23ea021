// Package strictjson is a small pull decoder for the strict JSON that
// signed credentials must be: I-JSON (RFC 7493). Unlike encoding/json it
// rejects duplicate member names (RFC 8725 section 3.8: a JWT parser that
// keeps the first or the last duplicate can be played against another that
// keeps the other), invalid UTF-8, lone surrogate escapes and trailing
// data, and it matches member names exactly, never case-insensitively.
//
// Names are compared after unescaping, so {"iss":1,"\u0069ss":2} is a
// duplicate. Decoding allocates only for the strings it returns.
package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// Errors returned by the decoder; each returned error wraps one of them.
var (
	ErrSyntax    = errors.New("invalid JSON")
	ErrDuplicate = errors.New("duplicate member name")
	ErrUTF8      = errors.New("invalid UTF-8 or lone surrogate in string")
	ErrDepth     = errors.New("JSON nested too deeply")
	ErrType      = errors.New("unexpected JSON type")
	ErrRange     = errors.New("number out of range")
	// ErrTrailing is the ErrSyntax of data after the value.
	ErrTrailing = fmt.Errorf("%w: data after the JSON value", ErrSyntax)
)

// MaxDepth bounds nesting so that hostile input cannot exhaust the stack.
const MaxDepth = 32

// smallObject is the number of member names checked for duplicates by
// linear scan; larger objects switch to a map so that a hostile object of
// thousands of members costs linear, not quadratic, time.
const smallObject = 16

// Decoder reads one JSON value from a byte slice.
type Decoder struct {
	data  []byte
	pos   int
	depth int
}

// NewDecoder returns a decoder reading data.
func NewDecoder(data []byte) *Decoder { return &Decoder{data: data} }

// Valid reports whether data is one strict JSON value, returning the
// first problem found.
func Valid(data []byte) error {
	d := Decoder{data: data}
	if err := d.Skip(); err != nil {
		return err
	}
	return d.End()
}

func (d *Decoder) errorf(kind error, format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", kind, d.pos, fmt.Sprintf(format, args...))
}

func (d *Decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end of input.
func (d *Decoder) peek() byte {
	d.skipSpace()
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

// End checks that nothing but whitespace follows the value read.
func (d *Decoder) End() error {
	if d.peek() != 0 || d.pos < len(d.data) {
		return d.errorf(ErrTrailing, "starting %q", clipBytes(d.data[d.pos:]))
	}
	return nil
}

// clipBytes returns the start of b, for an error message.
func clipBytes(b []byte) []byte {
	if len(b) > 16 {
		return b[:16]
	}
	return b
}

// Object reads an object, calling member once for each member with its
// unescaped name. member must consume the member's value with one of the
// read methods or Skip. name is only valid during the call. A name seen
// twice in the object fails with ErrDuplicate before member is called.
func (d *Decoder) Object(member func(name []byte) error) error {
	if d.peek() != '{' {
		return d.errorf(ErrType, "want an object")
	}
	if d.depth++; d.depth > MaxDepth {
		return d.errorf(ErrDepth, "more than %d levels", MaxDepth)
	}
	d.pos++
	var small [smallObject][]byte
	seen := small[:0]
	var many map[string]struct{}
	if d.peek() == '}' {
		d.pos++
		d.depth--
		return nil
	}
	for {
		if d.peek() != '"' {
			return d.errorf(ErrSyntax, "want a member name")
		}
		name, err := d.readString()
		if err != nil {
			return err
		}
		switch {
		case many != nil:
			if _, dup := many[string(name)]; dup {
				return d.errorf(ErrDuplicate, "%q", name)
			}
			many[string(name)] = struct{}{}
		case len(seen) < smallObject:
			for _, s := range seen {
				if bytes.Equal(s, name) {
					return d.errorf(ErrDuplicate, "%q", name)
				}
			}
			seen = append(seen, name)
		default:
			many = make(map[string]struct{}, 2*smallObject)
			for _, s := range seen {
				many[string(s)] = struct{}{}
			}
			if _, dup := many[string(name)]; dup {
				return d.errorf(ErrDuplicate, "%q", name)
			}
			many[string(name)] = struct{}{}
		}
		if d.peek() != ':' {
			return d.errorf(ErrSyntax, "want ':' after member name")
		}
		d.pos++
		start := d.pos
		if err := member(name); err != nil {
			return err
		}
		if done, err := d.next(start, '}'); done || err != nil {
			return err
		}
	}
}

// next finishes a member or element whose value started at start: it
// skips the value if the callback did not consume it (so a forgetful
// caller cannot desynchronise the decoder), then reads ',' or the closing
// byte, reporting whether the container is done.
func (d *Decoder) next(start int, closing byte) (done bool, err error) {
	if d.pos == start {
		if err := d.Skip(); err != nil {
			return false, err
		}
	}
	switch d.peek() {
	case ',':
		d.pos++
		return false, nil
	case closing:
		d.pos++
		d.depth--
		return true, nil
	}
	return false, d.errorf(ErrSyntax, "want ',' or '%c'", closing)
}

// Array reads an array, calling elem once per element; elem must consume
// the element.
func (d *Decoder) Array(elem func() error) error {
	if d.peek() != '[' {
		return d.errorf(ErrType, "want an array")
	}
	if d.depth++; d.depth > MaxDepth {
		return d.errorf(ErrDepth, "more than %d levels", MaxDepth)
	}
	d.pos++
	if d.peek() == ']' {
		d.pos++
		d.depth--
		return nil
	}
	for {
		start := d.pos
		if err := elem(); err != nil {
			return err
		}
		if done, err := d.next(start, ']'); done || err != nil {
			return err
		}
	}
}

// Null consumes a null if one comes next and reports whether it did.
func (d *Decoder) Null() bool {
	if d.peek() == 'n' && bytes.HasPrefix(d.data[d.pos:], []byte("null")) {
		d.pos += 4
		return true
	}
	return false
}

// Bool reads true or false.
func (d *Decoder) Bool() (bool, error) {
	switch d.peek() {
	case 't':
		if bytes.HasPrefix(d.data[d.pos:], []byte("true")) {
			d.pos += 4
			return true, nil
		}
	case 'f':
		if bytes.HasPrefix(d.data[d.pos:], []byte("false")) {
			d.pos += 5
			return false, nil
		}
	}
	return false, d.errorf(ErrType, "want true or false")
}

// String reads a string.
func (d *Decoder) String() (string, error) {
	if d.peek() != '"' {
		return "", d.errorf(ErrType, "want a string")
	}
	b, err := d.readString()
	return string(b), err
}

// readString reads the string at d.pos (which is '"') and returns its
// unescaped bytes: a subslice of the input when it has no escapes, a new
// slice otherwise.
func (d *Decoder) readString() ([]byte, error) {
	d.pos++
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			s := d.data[start:d.pos]
			d.pos++
			return s, nil
		case c == '\\':
			return d.readEscapedString(start)
		case c < 0x20:
			return nil, d.errorf(ErrSyntax, "control character in string")
		case c < utf8.RuneSelf:
			d.pos++
		default:
			r, size := utf8.DecodeRune(d.data[d.pos:])
			if r == utf8.RuneError && size == 1 {
				return nil, d.errorf(ErrUTF8, "invalid UTF-8")
			}
			d.pos += size
		}
	}
	return nil, d.errorf(ErrSyntax, "unterminated string")
}

// readEscapedString continues readString once a backslash is found.
func (d *Decoder) readEscapedString(start int) ([]byte, error) {
	out := make([]byte, 0, d.pos-start+16)
	out = append(out, d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return out, nil
		case c == '\\':
			if d.pos+1 >= len(d.data) {
				return nil, d.errorf(ErrSyntax, "unterminated escape")
			}
			e := d.data[d.pos+1]
			d.pos += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, err := d.readHex4()
				if err != nil {
					return nil, err
				}
				if utf16.IsSurrogate(r) {
					if r >= 0xDC00 || d.pos+1 >= len(d.data) || d.data[d.pos] != '\\' || d.data[d.pos+1] != 'u' {
						return nil, d.errorf(ErrUTF8, "lone surrogate")
					}
					d.pos += 2
					r2, err := d.readHex4()
					if err != nil {
						return nil, err
					}
					if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
						return nil, d.errorf(ErrUTF8, "lone surrogate")
					}
				}
				out = utf8.AppendRune(out, r)
			default:
				return nil, d.errorf(ErrSyntax, "invalid escape \\%c", e)
			}
		case c < 0x20:
			return nil, d.errorf(ErrSyntax, "control character in string")
		case c < utf8.RuneSelf:
			out = append(out, c)
			d.pos++
		default:
			r, size := utf8.DecodeRune(d.data[d.pos:])
			if r == utf8.RuneError && size == 1 {
				return nil, d.errorf(ErrUTF8, "invalid UTF-8")
			}
			out = append(out, d.data[d.pos:d.pos+size]...)
			d.pos += size
		}
	}
	return nil, d.errorf(ErrSyntax, "unterminated string")
}

func (d *Decoder) readHex4() (rune, error) {
	if d.pos+4 > len(d.data) {
		return 0, d.errorf(ErrSyntax, "short \\u escape")
	}
	var r rune
	for _, c := range d.data[d.pos : d.pos+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, d.errorf(ErrSyntax, "invalid \\u escape")
		}
		r = r<<4 | rune(c)
	}
	d.pos += 4
	return r, nil
}

// Int reads an integer: a JSON number with no fraction or exponent that
// fits in an int64.
func (d *Decoder) Int() (int64, error) {
	neg, digits, err := d.readInteger()
	if err != nil {
		return 0, err
	}
	var n uint64
	for _, c := range digits {
		if n > (1<<63)/10 {
			return 0, d.errorf(ErrRange, "integer overflows int64")
		}
		n = n*10 + uint64(c-'0')
	}
	switch {
	case neg && n <= 1<<63:
		return -int64(n), nil
	case !neg && n < 1<<63:
		return int64(n), nil
	}
	return 0, d.errorf(ErrRange, "integer overflows int64")
}

// Uint reads a non-negative integer that fits in a uint64.
func (d *Decoder) Uint() (uint64, error) {
	neg, digits, err := d.readInteger()
	if err != nil {
		return 0, err
	}
	if neg {
		return 0, d.errorf(ErrRange, "negative integer")
	}
	var n uint64
	for _, c := range digits {
		v := uint64(c - '0')
		if n > (1<<64-1-v)/10 {
			return 0, d.errorf(ErrRange, "integer overflows uint64")
		}
		n = n*10 + v
	}
	return n, nil
}

// readInteger reads a JSON number and returns its sign and digits,
// failing with ErrType if it has a fraction or an exponent.
func (d *Decoder) readInteger() (neg bool, digits []byte, err error) {
	c := d.peek()
	if c != '-' && (c < '0' || c > '9') {
		return false, nil, d.errorf(ErrType, "want an integer")
	}
	start := d.pos
	if err := d.skipNumber(); err != nil {
		return false, nil, err
	}
	num := d.data[start:d.pos]
	if bytes.ContainsAny(num, ".eE") {
		d.pos = start
		return false, nil, d.errorf(ErrType, "want an integer, not %s", num)
	}
	if num[0] == '-' {
		return true, num[1:], nil
	}
	return false, num, nil
}

// skipNumber consumes a number following RFC 8259's grammar exactly:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *Decoder) skipNumber() error {
	p, b := d.pos, d.data
	if p < len(b) && b[p] == '-' {
		p++
	}
	switch {
	case p < len(b) && b[p] == '0':
		p++
	case p < len(b) && '1' <= b[p] && b[p] <= '9':
		for p < len(b) && '0' <= b[p] && b[p] <= '9' {
			p++
		}
	default:
		return d.errorf(ErrSyntax, "invalid number")
	}
	if p < len(b) && b[p] == '.' {
		p++
		if p >= len(b) || b[p] < '0' || b[p] > '9' {
			return d.errorf(ErrSyntax, "invalid number fraction")
		}
		for p < len(b) && '0' <= b[p] && b[p] <= '9' {
			p++
		}
	}
	if p < len(b) && (b[p] == 'e' || b[p] == 'E') {
		p++
		if p < len(b) && (b[p] == '+' || b[p] == '-') {
			p++
		}
		if p >= len(b) || b[p] < '0' || b[p] > '9' {
			return d.errorf(ErrSyntax, "invalid number exponent")
		}
		for p < len(b) && '0' <= b[p] && b[p] <= '9' {
			p++
		}
	}
	d.pos = p
	return nil
}

// Skip reads and discards any value, checking it as strictly as the read
// methods do (duplicates in nested objects included).
func (d *Decoder) Skip() error {
	switch c := d.peek(); {
	case c == '{':
		return d.Object(func([]byte) error { return d.Skip() })
	case c == '[':
		return d.Array(d.Skip)
	case c == '"':
		_, err := d.readString()
		return err
	case c == '-' || '0' <= c && c <= '9':
		return d.skipNumber()
	case c == 't' || c == 'f':
		_, err := d.Bool()
		if err != nil {
			return d.errorf(ErrSyntax, "invalid literal")
		}
		return nil
	case c == 'n':
		if !d.Null() {
			return d.errorf(ErrSyntax, "invalid literal")
		}
		return nil
	case c == 0:
		return d.errorf(ErrSyntax, "unexpected end of input")
	default:
		return d.errorf(ErrSyntax, "unexpected character %q", c)
	}
}

// ErrShape is wrapped by Unmarshal when strict JSON does not fit the Go
// value: an unknown member, or a value of the wrong type.
var ErrShape = errors.New("JSON does not match the expected shape")

// Unmarshal decodes one strict JSON value into v. It refuses what Valid
// refuses (duplicate members, invalid UTF-8, lone surrogates, trailing
// data) and any member name that is not exactly one of v's: encoding/json
// alone would match "Given_Name" to given_name, letting two spellings of
// one member through where the last wins. Then encoding/json fills v.
// It is the one way request bodies are read, so that every endpoint acts
// on exactly the input a proxy, a log or a second parser sees.
func Unmarshal(data []byte, v any) error {
	d := Decoder{data: data}
	if err := d.checkShape(reflect.TypeOf(v)); err != nil {
		return err
	}
	if err := d.End(); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %w", ErrShape, err)
	}
	return nil
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// checkShape reads one value strictly, refusing object members that type
// t has no field for, matched exactly. Types that decode themselves, and
// values headed for an interface, are only checked for strictness.
func (d *Decoder) checkShape(t reflect.Type) error {
	for t != nil && t.Kind() == reflect.Pointer {
		if t.Implements(jsonUnmarshaler) || t.Implements(textUnmarshaler) {
			return d.Skip()
		}
		t = t.Elem()
	}
	if t == nil || d.Null() {
		return d.Skip()
	}
	if pt := reflect.PointerTo(t); pt.Implements(jsonUnmarshaler) || pt.Implements(textUnmarshaler) {
		return d.Skip()
	}
	switch t.Kind() {
	case reflect.Struct:
		if d.peek() != '{' {
			return d.Skip() // encoding/json reports the type mismatch
		}
		fields := fieldsOf(t)
		return d.Object(func(name []byte) error {
			ft, ok := fields[string(name)]
			if !ok {
				return d.errorf(ErrShape, "unknown member %q", name)
			}
			return d.checkShape(ft)
		})
	case reflect.Map:
		if d.peek() != '{' {
			return d.Skip()
		}
		return d.Object(func([]byte) error { return d.checkShape(t.Elem()) })
	case reflect.Slice, reflect.Array:
		if d.peek() != '[' {
			return d.Skip()
		}
		return d.Array(func() error { return d.checkShape(t.Elem()) })
	}
	return d.Skip()
}

var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// fieldsOf returns the JSON member names of struct type t, as
// encoding/json names them (tags, untagged embedded structs flattened),
// with the type each decodes into.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := sf.Type
		if sf.Anonymous && name == "" {
			et := ft
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				for n, t := range fieldsOf(et) {
					if _, shadowed := fields[n]; !shadowed {
						fields[n] = t
					}
				}
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		fields[name] = ft
	}
	fieldCache.Store(t, fields)
	return fields
}
