package trustbundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/nalw/linkpass/verifier"
)

// Limits of Parse.
const (
	// MaxSize is the largest bundle Parse reads: 64 MiB, room for 64
	// status lists at the verifier's 1 MiB token limit.
	MaxSize = 64 << 20
	// MaxStatusLists is the most status lists a bundle may hold.
	MaxStatusLists = 1024
	// maxDepth bounds JSON nesting.
	maxDepth = 32
)

// Errors of this package; test for them with errors.Is.
var (
	ErrTooLarge       = errors.New("trustbundle: bundle too large")
	ErrMalformed      = errors.New("trustbundle: bundle is not strict JSON in the bundle's shape")
	ErrFormat         = errors.New("trustbundle: unsupported bundle format")
	ErrInvalid        = errors.New("trustbundle: invalid bundle")
	ErrKeys           = errors.New("trustbundle: bundle keys not acceptable")
	ErrStatusList     = errors.New("trustbundle: bundle status list not acceptable")
	ErrInsecureFile   = errors.New("trustbundle: bundle file may be changed by others")
	ErrIssuerMismatch = errors.New("trustbundle: bundle of another issuer")
	ErrFetch          = errors.New("trustbundle: bundle could not be fetched")
	// ErrUnsignedFormat (with ErrFormat) is a format 1 bundle, from before
	// the register signed its keys and metadata: it proves nothing.
	ErrUnsignedFormat = errors.New("trustbundle: bundle of the unsigned format 1")
)

// members lists the members of a bundle, all required.
var members = map[string]bool{
	"format": true, "issuer": true, "statement": true, "status_lists": true, "created_at": true,
}

// listMembers lists the members of each status_lists entry, all required.
var listMembers = map[string]bool{"uri": true, "token": true}

// Parse reads a bundle strictly: at most MaxSize bytes of UTF-8 JSON with
// no duplicate member names at any depth and nothing after the value; a
// format other than Format is ErrFormat; every member of the bundle and
// of each status list is required and matched exactly (no unknown or
// differently cased names); then Validate. Parse checks no signature:
// Check does.
func Parse(data []byte) (*Bundle, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrTooLarge, len(data), MaxSize)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: invalid UTF-8", ErrMalformed)
	}
	top := map[string]bool{}
	var badList error
	err := walkJSON(data, func(path []string, name string) error {
		switch {
		case len(path) == 0:
			top[name] = true
		case len(path) == 2 && path[0] == "status_lists" && !listMembers[name]:
			badList = fmt.Errorf("%w: unknown status list member %q", ErrMalformed, clip(name))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}

	// The format first, so that a newer bundle is told apart from a
	// broken one.
	var head struct {
		Format *json.RawMessage `json:"format"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !top["format"] || head.Format == nil {
		return nil, fmt.Errorf("%w: no \"format\"", ErrInvalid)
	}
	if string(*head.Format) == "1" {
		return nil, fmt.Errorf("%w: %w, whose keys and metadata are not signed; this verifier reads format %d only (update the register to a release that signs its trust statement)", ErrFormat, ErrUnsignedFormat, Format)
	}
	if string(*head.Format) != fmt.Sprint(Format) {
		return nil, fmt.Errorf("%w: format %s; this verifier reads format %d (update linkpass)", ErrFormat, clip(string(*head.Format)), Format)
	}

	for name := range top {
		if !members[name] {
			return nil, fmt.Errorf("%w: unknown member %q", ErrMalformed, clip(name))
		}
	}
	for name := range members {
		if !top[name] {
			return nil, fmt.Errorf("%w: no %q", ErrInvalid, name)
		}
	}
	if badList != nil {
		return nil, badList
	}

	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if b.StatusLists == nil {
		return nil, fmt.Errorf("%w: \"status_lists\" is not an array", ErrInvalid)
	}
	for i, l := range b.StatusLists {
		if l.URI == "" || l.Token == "" {
			return nil, fmt.Errorf("%w: status list %d lacks its uri or token", ErrInvalid, i)
		}
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return &b, nil
}

// Validate reports the first problem with b's contents: a format other
// than Format; an issuer that is not an absolute http(s) URL without a
// trailing slash, query or fragment; no statement; more than MaxStatusLists
// lists, or a list whose uri is empty, not under the issuer or repeated,
// or whose token is empty or larger than the verifier reads; no
// created_at. It checks no signature: Check does.
func (b *Bundle) Validate() error {
	if b.Format != Format {
		return fmt.Errorf("%w: format %d; this verifier reads format %d", ErrFormat, b.Format, Format)
	}
	if err := checkIssuerURL(b.Issuer); err != nil {
		return err
	}
	if b.Statement == "" {
		return fmt.Errorf("%w: no trust statement", ErrInvalid)
	}
	if len(b.StatusLists) > MaxStatusLists {
		return fmt.Errorf("%w: %d status lists, more than %d", ErrInvalid, len(b.StatusLists), MaxStatusLists)
	}
	seen := make(map[string]bool, len(b.StatusLists))
	for i, l := range b.StatusLists {
		switch {
		case !strings.HasPrefix(l.URI, b.Issuer+"/"):
			return fmt.Errorf("%w: status list %d: uri %q is not under the issuer %q", ErrInvalid, i, clip(l.URI), b.Issuer)
		case seen[l.URI]:
			return fmt.Errorf("%w: status list %q appears twice", ErrInvalid, clip(l.URI))
		case l.Token == "":
			return fmt.Errorf("%w: status list %q has no token", ErrInvalid, clip(l.URI))
		case len(l.Token) > verifier.MaxStatusListTokenSize:
			return fmt.Errorf("%w: status list %q: token of %d bytes, more than %d", ErrInvalid, clip(l.URI), len(l.Token), verifier.MaxStatusListTokenSize)
		}
		seen[l.URI] = true
	}
	if b.CreatedAt.IsZero() {
		return fmt.Errorf("%w: no \"created_at\"", ErrInvalid)
	}
	return nil
}

// checkIssuerURL applies the register's rule for its issuer URL.
func checkIssuerURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "/") || strings.ContainsAny(s, "?# \t\r\n") {
		return fmt.Errorf("%w: issuer %q is not an absolute http(s) URL without a trailing slash, query or fragment", ErrInvalid, clip(s))
	}
	return nil
}

// walkJSON checks that data is one JSON value with no duplicate member
// names at any depth, nested at most maxDepth, with nothing after it. It
// calls member for every member name with the path of names (and "[]"
// for array elements) that leads to its object.
func walkJSON(data []byte, member func(path []string, name string) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := walkValue(dec, nil, member); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

func walkValue(dec *json.Decoder, path []string, member func([]string, string) error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	if len(path) >= maxDepth {
		return fmt.Errorf("nested more than %d deep", maxDepth)
	}
	switch delim {
	case '{':
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			name := tok.(string) // the decoder allows nothing else here
			if seen[name] {
				return fmt.Errorf("duplicate member %q", clip(name))
			}
			seen[name] = true
			if err := member(path, name); err != nil {
				return err
			}
			if err := walkValue(dec, append(path, name), member); err != nil {
				return err
			}
		}
	case '[':
		for dec.More() {
			if err := walkValue(dec, append(path, "[]"), member); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

// clip shortens text from a bundle quoted in an error.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
