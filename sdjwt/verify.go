package sdjwt

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// KBTyp is the typ of a Key Binding JWT.
const KBTyp = "kb+jwt"

// Token is a parsed SD-JWT, with or without a key binding JWT.
type Token struct {
	// JWT is the issuer-signed part.
	JWT string
	// Header and Payload are the issuer-signed JWT's, before disclosures
	// are applied.
	Header  map[string]any
	Payload map[string]any
	// Disclosures are those presented, in order.
	Disclosures []Disclosure
	// KeyBinding is the key binding JWT, or empty.
	KeyBinding string
	// presented is everything before the key binding JWT, for sd_hash.
	presented string
}

// Parse splits an SD-JWT (or SD-JWT+KB) and decodes its parts. It checks
// no signature: call Verify.
func Parse(s string) (*Token, error) {
	parts := strings.Split(s, "~")
	if len(parts) < 2 {
		return nil, fmt.Errorf("%w: no '~' separator; an SD-JWT is JWT~disclosures~", ErrMalformed)
	}
	t := &Token{JWT: parts[0], KeyBinding: parts[len(parts)-1]}
	t.presented = s[:len(s)-len(t.KeyBinding)]
	hp := strings.Split(t.JWT, ".")
	if len(hp) != 3 {
		return nil, fmt.Errorf("%w: the issuer-signed JWT has %d parts, want 3", ErrMalformed, len(hp))
	}
	if err := decodeSegment(hp[0], &t.Header); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if err := decodeSegment(hp[1], &t.Payload); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	seen := map[string]bool{}
	for _, enc := range parts[1 : len(parts)-1] {
		if enc == "" {
			return nil, fmt.Errorf("%w: empty disclosure", ErrMalformed)
		}
		var arr []any
		if err := decodeSegment(enc, &arr); err != nil {
			return nil, fmt.Errorf("%w: disclosure: %v", ErrMalformed, err)
		}
		d := Disclosure{Encoded: enc}
		switch len(arr) {
		case 2:
			d.Value = arr[1]
		case 3:
			name, ok := arr[1].(string)
			if !ok {
				return nil, fmt.Errorf("%w: disclosure claim name is not a string", ErrMalformed)
			}
			if name == "_sd" || name == "..." {
				return nil, fmt.Errorf("%w: disclosure may not name %q", ErrMalformed, name)
			}
			d.Name, d.Value = name, arr[2]
		default:
			return nil, fmt.Errorf("%w: disclosure has %d elements, want 2 or 3", ErrMalformed, len(arr))
		}
		salt, ok := arr[0].(string)
		if !ok {
			return nil, fmt.Errorf("%w: disclosure salt is not a string", ErrMalformed)
		}
		d.Salt = salt
		if seen[d.Digest()] {
			return nil, fmt.Errorf("%w: the same disclosure is presented twice", ErrDisclosure)
		}
		seen[d.Digest()] = true
		t.Disclosures = append(t.Disclosures, d)
	}
	return t, nil
}

func decodeSegment(seg string, v any) error {
	raw, err := b64.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// Verify checks the issuer's signature with key (a jwk.Key or a raw public
// key) under alg, and returns the claims with the presented disclosures
// applied and _sd, _sd_alg and undisclosed digests removed.
func (t *Token) Verify(alg string, key any) (map[string]any, error) {
	sa, ok := jwa.LookupSignatureAlgorithm(alg)
	if !ok || alg == "none" || strings.HasPrefix(alg, "HS") {
		return nil, fmt.Errorf("%w: algorithm %q is not accepted", ErrSignature, alg)
	}
	if _, err := jws.Verify([]byte(t.JWT), jws.WithKey(sa, key)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	if a, ok := t.Payload["_sd_alg"]; ok && a != HashAlg {
		return nil, fmt.Errorf("%w: _sd_alg %v is not %s", ErrMalformed, a, HashAlg)
	}
	byDigest := make(map[string]Disclosure, len(t.Disclosures))
	for _, d := range t.Disclosures {
		byDigest[d.Digest()] = d
	}
	used := map[string]bool{}
	out, err := reveal(t.Payload, byDigest, used)
	if err != nil {
		return nil, err
	}
	if len(used) != len(byDigest) {
		return nil, fmt.Errorf("%w: a disclosure matches no digest in the SD-JWT", ErrDisclosure)
	}
	return out.(map[string]any), nil
}

// reveal replaces digests by the disclosed claims, recursively.
func reveal(v any, byDigest map[string]Disclosure, used map[string]bool) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if k == "_sd" || k == "_sd_alg" {
				continue
			}
			r, err := reveal(val, byDigest, used)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		if sds, ok := x["_sd"]; ok {
			list, ok := sds.([]any)
			if !ok {
				return nil, fmt.Errorf("%w: _sd is not an array", ErrMalformed)
			}
			for _, e := range list {
				dg, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("%w: _sd holds a non-string", ErrMalformed)
				}
				d, ok := byDigest[dg]
				if !ok {
					continue // withheld, or a decoy
				}
				if used[dg] {
					return nil, fmt.Errorf("%w: digest used twice", ErrDisclosure)
				}
				used[dg] = true
				if d.Name == "" {
					return nil, fmt.Errorf("%w: an array element disclosure is referenced from _sd", ErrDisclosure)
				}
				if _, clash := out[d.Name]; clash {
					return nil, fmt.Errorf("%w: disclosed claim %q is also a plain claim", ErrDisclosure, d.Name)
				}
				r, err := reveal(d.Value, byDigest, used)
				if err != nil {
					return nil, err
				}
				out[d.Name] = r
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if m, ok := e.(map[string]any); ok && len(m) == 1 {
				if dg, ok := m["..."].(string); ok {
					d, found := byDigest[dg]
					if !found {
						continue
					}
					if used[dg] {
						return nil, fmt.Errorf("%w: digest used twice", ErrDisclosure)
					}
					used[dg] = true
					if d.Name != "" {
						return nil, fmt.Errorf("%w: a claim disclosure is referenced from an array", ErrDisclosure)
					}
					r, err := reveal(d.Value, byDigest, used)
					if err != nil {
						return nil, err
					}
					out = append(out, r)
					continue
				}
			}
			r, err := reveal(e, byDigest, used)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	}
	return v, nil
}

// SDHash is the sd_hash a key binding JWT must carry for presented, the
// SD-JWT up to and including the '~' after the last disclosure.
func SDHash(presented string) string {
	h := sha256.Sum256([]byte(presented))
	return b64.EncodeToString(h[:])
}

// KeyBindingCheck is what a verifier expects of a key binding JWT.
type KeyBindingCheck struct {
	Audience string
	Nonce    string
	Now      time.Time
	// MaxAge bounds how old iat may be (default 5 minutes).
	MaxAge time.Duration
}

// VerifyKeyBinding checks the key binding JWT against the holder's key from
// cnf.jwk: typ kb+jwt, signature, aud, nonce, iat and sd_hash over what was
// presented.
func (t *Token) VerifyKeyBinding(holder jwk.Key, c KeyBindingCheck) error {
	if t.KeyBinding == "" {
		return fmt.Errorf("%w: the presentation has no key binding JWT", ErrKeyBinding)
	}
	msg, err := jws.ParseString(t.KeyBinding)
	if err != nil || len(msg.Signatures()) != 1 {
		return fmt.Errorf("%w: not a compact JWS", ErrKeyBinding)
	}
	h := msg.Signatures()[0].ProtectedHeaders()
	if typ, _ := h.Type(); typ != KBTyp {
		return fmt.Errorf("%w: typ %q, want %s", ErrKeyBinding, typ, KBTyp)
	}
	alg, _ := h.Algorithm()
	if alg != jwa.ES256() && alg != jwa.EdDSA() {
		return fmt.Errorf("%w: algorithm %q is not accepted", ErrKeyBinding, alg.String())
	}
	payload, err := jws.Verify([]byte(t.KeyBinding), jws.WithKey(alg, holder))
	if err != nil {
		return fmt.Errorf("%w: signature by the holder key does not verify", ErrKeyBinding)
	}
	var p struct {
		Aud    string `json:"aud"`
		Nonce  string `json:"nonce"`
		Iat    int64  `json:"iat"`
		SDHash string `json:"sd_hash"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return fmt.Errorf("%w: payload: %v", ErrKeyBinding, err)
	}
	if p.Aud != c.Audience {
		return fmt.Errorf("%w: aud %q, want %q", ErrKeyBinding, p.Aud, c.Audience)
	}
	if p.Nonce != c.Nonce {
		return fmt.Errorf("%w: nonce does not match", ErrKeyBinding)
	}
	maxAge := c.MaxAge
	if maxAge == 0 {
		maxAge = 5 * time.Minute
	}
	iat := time.Unix(p.Iat, 0)
	if iat.After(c.Now.Add(time.Minute)) || iat.Before(c.Now.Add(-maxAge)) {
		return fmt.Errorf("%w: iat %s is outside the accepted window", ErrKeyBinding, iat.UTC().Format(time.RFC3339))
	}
	if p.SDHash != SDHash(t.presented) {
		return fmt.Errorf("%w: sd_hash does not match the presented SD-JWT", ErrKeyBinding)
	}
	return nil
}

// Present returns the SD-JWT with only the disclosures keep selects, and a
// key binding JWT signed by holder when holder is not nil.
func Present(iss *Issued, keep func(Disclosure) bool, holder Signer, aud, nonce string, now time.Time) (string, error) {
	var sb strings.Builder
	sb.WriteString(iss.JWT)
	sb.WriteByte('~')
	for _, d := range iss.Disclosures {
		if keep(d) {
			sb.WriteString(d.Encoded)
			sb.WriteByte('~')
		}
	}
	presented := sb.String()
	if holder == nil {
		return presented, nil
	}
	kb, err := SignJWT(map[string]any{"typ": KBTyp}, map[string]any{
		"aud": aud, "nonce": nonce, "iat": now.Unix(), "sd_hash": SDHash(presented),
	}, noKID{holder})
	if err != nil {
		return "", err
	}
	return presented + kb, nil
}

// noKID signs without naming a key id: the verifier takes the key from cnf.
type noKID struct{ Signer }

func (noKID) KeyID() string { return "" }
