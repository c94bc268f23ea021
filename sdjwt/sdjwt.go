// Package sdjwt implements Selective Disclosure for JWTs (SD-JWT, RFC 9901):
// issuing an SD-JWT whose chosen claims are replaced by salted digests,
// parsing and checking one against the issuer's key, and checking a Key
// Binding JWT made with the holder's key.
//
// It knows nothing of the register: SD-JWT VC (package oid4vci) decides
// which claims are disclosable and what the header says.
package sdjwt

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// HashAlg is the only digest algorithm issued and accepted (_sd_alg).
const HashAlg = "sha-256"

// Errors; test for them with errors.Is.
var (
	ErrMalformed  = errors.New("sdjwt: malformed SD-JWT")
	ErrSignature  = errors.New("sdjwt: signature does not verify")
	ErrDisclosure = errors.New("sdjwt: disclosure does not match the SD-JWT")
	ErrKeyBinding = errors.New("sdjwt: key binding JWT refused")
)

// Signer signs JWS signing inputs: the same three methods as keys.Signer
// and credential.Signer, so a *keys.Key or an HSM-held key satisfies it.
type Signer interface {
	KeyID() string
	Algorithm() string
	Sign(signingInput []byte) ([]byte, error)
}

var b64 = base64.RawURLEncoding

// Disclosure is one disclosed claim: a salt, the claim's name (empty for an
// array element) and its value, encoded as base64url of a JSON array.
type Disclosure struct {
	Salt    string
	Name    string // empty for an array element
	Value   any
	Encoded string
}

// Digest is the disclosure's digest as it appears in _sd or "...".
func (d Disclosure) Digest() string { return digest(d.Encoded) }

func digest(encoded string) string {
	h := sha256.Sum256([]byte(encoded))
	return b64.EncodeToString(h[:])
}

func newDisclosure(rnd io.Reader, name string, value any, element bool) (Disclosure, error) {
	var salt [16]byte // 128 bits, as RFC 9901 recommends
	if _, err := io.ReadFull(rnd, salt[:]); err != nil {
		return Disclosure{}, fmt.Errorf("sdjwt: salt: %w", err)
	}
	d := Disclosure{Salt: b64.EncodeToString(salt[:]), Name: name, Value: value}
	arr := []any{d.Salt, name, value}
	if element {
		arr = []any{d.Salt, value}
	}
	raw, err := json.Marshal(arr)
	if err != nil {
		return Disclosure{}, fmt.Errorf("sdjwt: encoding disclosure of %q: %w", name, err)
	}
	d.Encoded = b64.EncodeToString(raw)
	return d, nil
}

// Builder collects the claims of one SD-JWT.
type Builder struct {
	plain    map[string]any
	sd       map[string]any
	sdArrays map[string][]any
	rand     io.Reader
}

// New returns an empty builder that draws salts from crypto/rand.
func New() *Builder {
	return &Builder{plain: map[string]any{}, sd: map[string]any{}, sdArrays: map[string][]any{}, rand: rand.Reader}
}

// Claim adds a claim that is always disclosed.
func (b *Builder) Claim(name string, value any) *Builder { b.plain[name] = value; return b }

// Selective adds a top-level claim the holder may withhold.
func (b *Builder) Selective(name string, value any) *Builder { b.sd[name] = value; return b }

// SelectiveElements adds an array, always present, each of whose elements
// the holder may withhold on its own.
func (b *Builder) SelectiveElements(name string, elems []any) *Builder {
	b.sdArrays[name] = elems
	return b
}

// Issued is a signed SD-JWT with all its disclosures.
type Issued struct {
	// Compact is the SD-JWT as issued: JWT~disclosure~...~ (no key binding).
	Compact     string
	JWT         string
	Disclosures []Disclosure
}

// Sign builds the payload, signs it with s under a header carrying typ, and
// returns the SD-JWT with every disclosure.
func (b *Builder) Sign(typ string, s Signer) (*Issued, error) {
	payload := make(map[string]any, len(b.plain)+3)
	for k, v := range b.plain {
		payload[k] = v
	}
	var all []Disclosure
	var digests []string
	for _, name := range sortedKeys(b.sd) {
		if _, dup := payload[name]; dup {
			return nil, fmt.Errorf("sdjwt: claim %q is both plain and selective", name)
		}
		d, err := newDisclosure(b.rand, name, b.sd[name], false)
		if err != nil {
			return nil, err
		}
		all = append(all, d)
		digests = append(digests, d.Digest())
	}
	for _, name := range sortedKeys(b.sdArrays) {
		if _, dup := payload[name]; dup {
			return nil, fmt.Errorf("sdjwt: claim %q is both plain and selective", name)
		}
		arr := make([]any, 0, len(b.sdArrays[name]))
		for _, e := range b.sdArrays[name] {
			d, err := newDisclosure(b.rand, "", e, true)
			if err != nil {
				return nil, err
			}
			all = append(all, d)
			arr = append(arr, map[string]any{"...": d.Digest()})
		}
		payload[name] = arr
	}
	if len(digests) > 0 {
		// Sorted, so the order says nothing about which claim is which.
		sort.Strings(digests)
		payload["_sd"] = digests
	}
	if len(all) > 0 {
		payload["_sd_alg"] = HashAlg
	}
	jwt, err := SignJWT(map[string]any{"typ": typ}, payload, s)
	if err != nil {
		return nil, err
	}
	var sb strings.Builder
	sb.WriteString(jwt)
	sb.WriteByte('~')
	for _, d := range all {
		sb.WriteString(d.Encoded)
		sb.WriteByte('~')
	}
	return &Issued{Compact: sb.String(), JWT: jwt, Disclosures: all}, nil
}

// SignJWT signs payload as a compact JWS with s. The header gets alg and
// kid from s on top of the members given.
func SignJWT(header map[string]any, payload any, s Signer) (string, error) {
	h := make(map[string]any, len(header)+2)
	for k, v := range header {
		h[k] = v
	}
	h["alg"] = s.Algorithm()
	if kid := s.KeyID(); kid != "" {
		h["kid"] = kid
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("sdjwt: header: %w", err)
	}
	pj, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("sdjwt: payload: %w", err)
	}
	input := b64.EncodeToString(hj) + "." + b64.EncodeToString(pj)
	sig, err := s.Sign([]byte(input))
	if err != nil {
		return "", fmt.Errorf("sdjwt: signing with key %s: %w", s.KeyID(), err)
	}
	return input + "." + b64.EncodeToString(sig), nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
