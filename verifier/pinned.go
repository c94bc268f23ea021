package verifier

import (
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// ErrPinnedJWS matches every error of VerifyPinnedJWS.
var ErrPinnedJWS = errors.New("verifier: signed document refused")

// PinnedKey is one public key a caller trusts for itself, outside any
// Trust: the root key of a register's trust statements, pinned by its
// fingerprint.
type PinnedKey struct {
	k *trustedKey
	// Fingerprint is the key's RFC 7638 JWK thumbprint (SHA-256,
	// base64url), computed from the key material.
	Fingerprint string
}

// ParsePinnedKey reads a public JWK under the rules of Trust.AddIssuer
// (public, signature, EdDSA or ES256, with kid and alg); its kid must be
// its own thumbprint, so that the fingerprint a person confirms names the
// key material and nothing else.
func ParsePinnedKey(publicJWK []byte) (*PinnedKey, error) {
	j, err := jwk.ParseKey(publicJWK)
	if err != nil {
		return nil, fmt.Errorf("%w: key: %v", ErrPinnedJWS, err)
	}
	k, err := trustedKeyOf(j)
	if err != nil {
		return nil, fmt.Errorf("%w: key: %w", ErrPinnedJWS, err)
	}
	tp, err := j.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%w: key: %v", ErrPinnedJWS, err)
	}
	fp := base64.RawURLEncoding.EncodeToString(tp)
	if k.kid != fp {
		return nil, fmt.Errorf("%w: key: kid %q is not the key's thumbprint %s", ErrPinnedJWS, clip(k.kid), fp)
	}
	return &PinnedKey{k: k, Fingerprint: fp}, nil
}

// Equal reports whether p and o are the same key.
func (p *PinnedKey) Equal(o *PinnedKey) bool { return o != nil && p.k.equal(o.k) }

// VerifyPinnedJWS checks a compact JWS of type typ signed by key and
// returns its payload, under the header rules of a Status List Token: at
// most maxSize bytes; strict base64url and strict JSON header; "alg"
// EdDSA or ES256 and the key's own; "typ" typ; no "cty"; no "crit",
// "jku", "jwk", "x5u", "x5c" or the like; "kid" the key's. The payload
// is returned unparsed.
func VerifyPinnedJWS(key *PinnedKey, typ, token string, maxSize int) ([]byte, error) {
	if len(token) > maxSize {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrPinnedJWS, len(token), maxSize)
	}
	dot1, dot2, reason := split(token)
	if reason != "" {
		return nil, fmt.Errorf("%w: not a compact signed token: %s", ErrPinnedJWS, reason)
	}
	tok := []byte(token)
	hdrJSON, err := decodeSegment(nil, tok[:dot1])
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrPinnedJWS, err)
	}
	h, err := parseHeader(hdrJSON)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrPinnedJWS, err)
	}
	switch {
	case !h.hasTyp || !mediaTypeIs(h.typ, typ):
		return nil, fmt.Errorf("%w: its type is %q, not %q", ErrPinnedJWS, clip(h.typ), typ)
	case h.hasCty:
		return nil, fmt.Errorf("%w: \"cty\" is not used", ErrPinnedJWS)
	case h.forbidden != "":
		return nil, fmt.Errorf("%w: its header contains %q, which is never accepted", ErrPinnedJWS, h.forbidden)
	case h.kid != key.k.kid:
		return nil, fmt.Errorf("%w: signed by key %q, not by %s", ErrPinnedJWS, clip(h.kid), key.k.kid)
	case h.alg != key.k.alg:
		return nil, fmt.Errorf("%w: algorithm %q, but key %s is %s", ErrPinnedJWS, clip(h.alg), key.k.kid, key.k.alg)
	}
	sigSeg := tok[dot2+1:]
	if len(sigSeg) != sigLen {
		return nil, fmt.Errorf("%w: signature of the wrong length", ErrPinnedJWS)
	}
	var sig [64]byte
	if _, err := b64.Decode(sig[:], sigSeg); err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrPinnedJWS, err)
	}
	if !key.k.verify(tok[:dot2], sig[:]) {
		return nil, fmt.Errorf("%w: bad signature: altered, or not signed by key %s", ErrPinnedJWS, key.k.kid)
	}
	payload, err := decodeSegment(nil, tok[dot1+1:dot2])
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrPinnedJWS, err)
	}
	return payload, nil
}

// SignedKeyID returns the "kid" of a compact JWS's header without
// verifying anything, so a caller can say which key signed a document it
// refuses.
func SignedKeyID(token string) string {
	dot1, _, reason := split(token)
	if reason != "" {
		return ""
	}
	hdrJSON, err := decodeSegment(nil, []byte(token[:dot1]))
	if err != nil {
		return ""
	}
	h, err := parseHeader(hdrJSON)
	if err != nil {
		return ""
	}
	return clip(h.kid)
}
