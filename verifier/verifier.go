package verifier

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Verifier checks link worker credentials against a Trust. It is safe for
// concurrent use.
type Verifier struct {
	trust   *Trust
	now     func() time.Time
	skew    time.Duration
	maxSize int
	status  StatusChecker
	// noStatus records that a signature-only check was asked for, so the
	// reason can say so.
	noStatus bool
}

// New returns a Verifier trusting trust, secure by default: 60 s clock
// skew, 8 KiB size limit, the system clock. Give it a status checker
// (WithStatusChecker): without one no credential is valid.
func New(trust *Trust, opts ...Option) (*Verifier, error) {
	if trust == nil {
		return nil, fmt.Errorf("%w: nil trust", ErrInvalidOption)
	}
	v := &Verifier{trust: trust, now: time.Now, skew: DefaultClockSkew, maxSize: DefaultMaxTokenSize}
	for _, o := range opts {
		if err := o.apply(v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// b64 decodes base64url strictly: no padding, and (Strict) the unused
// bits of the last character must be zero, so each byte string has exactly
// one encoding. Characters are checked before decoding (see split),
// because the decoder would otherwise skip '\r' and '\n'.
var b64 = base64.RawURLEncoding.Strict()

// sigLen is the encoded length of a 64-byte EdDSA or ES256 signature.
var sigLen = b64.EncodedLen(64)

// Verify checks token and returns what it found; it never returns nil.
// The steps run in this order, each only if the one before passed, so
// that nothing an attacker controls is acted on before it is
// authenticated (see docs/credential-format.md):
//
//  1. size: at most the maximum token size, before any parsing;
//  2. structure: compact serialization only, exactly three base64url
//     segments (no whitespace, padding or JSON serialization);
//  3. header: strict JSON; "alg" EdDSA or ES256, "typ" vc+jwt, no "crit",
//     no key-fetching or key-carrying parameters, a "kid";
//  4. key: the kid must be a trusted key, and "alg" must be that key's;
//  5. signature, over the raw signing input with the trusted key;
//  6. claims: strict JSON; iss a trusted issuer owning the key, issuer ==
//     iss, required claims, credential type, then the validity window;
//  7. status, through the StatusChecker. A credential is valid only when
//     its status was checked and is valid: with no checker, or no status
//     entry in the credential, it is OutcomeStatusNotChecked; no status
//     entry from an issuer that states all its credentials carry one
//     (Trust.RequireStatus) is OutcomeMissingClaim.
func (v *Verifier) Verify(ctx context.Context, token string) *Result {
	res := &Result{}
	if len(token) > v.maxSize {
		return res.fail(OutcomeTooLarge, nil, "the credential is %d bytes long, more than the %d bytes allowed", len(token), v.maxSize)
	}

	// Structure.
	dot1, dot2, reason := split(token)
	if reason != "" {
		return res.fail(OutcomeMalformed, nil, "the credential is not a compact signed token: %s", reason)
	}

	// One copy of the token as bytes, on the stack when it fits, serves
	// base64 decoding and the signing input without further copies.
	var tbuf [4096]byte
	tok := tbuf[:0]
	if len(token) > len(tbuf) {
		tok = make([]byte, 0, len(token))
	}
	tok = append(tok, token...)

	// Header.
	var hbuf [256]byte
	hdrJSON, err := decodeSegment(hbuf[:], tok[:dot1])
	if err != nil {
		return res.fail(OutcomeMalformed, err, "the credential's header is not valid base64url")
	}
	h, err := parseHeader(hdrJSON)
	if err != nil {
		return res.fail(OutcomeMalformed, err, "the credential's header is not strict JSON: %v", err)
	}
	if out, why := h.check(); out != "" {
		return res.fail(out, nil, "%s", why)
	}

	// Key: the algorithm comes from the trusted key, never the token.
	trust := v.trust.load() // one snapshot for the whole verification
	key := trust.keys[h.kid]
	if key == nil {
		return res.fail(OutcomeUnknownKey, nil, "the credential was signed with key %q, which this verifier does not trust", clip(h.kid))
	}
	if h.alg != key.alg {
		return res.fail(OutcomeUnsupportedAlg, nil, "the credential says algorithm %s but its key %s is %s", h.alg, key.kid, key.alg)
	}

	// Signature.
	sigSeg := tok[dot2+1:]
	if len(sigSeg) != sigLen {
		return res.fail(OutcomeBadSignature, nil, "the credential's signature has the wrong length for %s", key.alg)
	}
	var sig [64]byte
	if _, err := b64.Decode(sig[:], sigSeg); err != nil {
		return res.fail(OutcomeMalformed, err, "the credential's signature is not valid base64url")
	}
	if !key.verify(tok[:dot2], sig[:]) {
		return res.fail(OutcomeBadSignature, nil, "the credential's signature does not match: it was altered, or not signed by key %s", key.kid)
	}
	res.KeyID, res.Issuer = key.kid, key.issuer

	// Claims.
	var pbuf [2048]byte
	payload, err := decodeSegment(pbuf[:], tok[dot1+1:dot2])
	if err != nil {
		return res.fail(OutcomeMalformed, err, "the credential's payload is not valid base64url")
	}
	claims, present, err := decodeClaims(payload)
	if err != nil {
		return res.fail(OutcomeMalformed, err, "the credential's payload is not a well-formed credential: %v", err)
	}
	res.Claims = claims
	if !v.checkClaims(res, trust, claims, present, key) {
		return res
	}

	// Status.
	switch {
	case claims.Status == nil && trust.statusRequired[key.issuer]:
		return res.fail(OutcomeMissingClaim, nil, "the credential has no status entry, but its register states that all its credentials carry one: do not rely on it")
	case claims.Status == nil:
		return res.fail(OutcomeStatusNotChecked, nil, "the credential is genuine and current, but it has no status entry, so whether it was suspended or revoked cannot be checked")
	case v.status == nil && v.noStatus:
		return res.fail(OutcomeStatusNotChecked, nil, "the credential is genuine and current, but its status was not checked (a signature-only check was asked for): it may be suspended or revoked")
	case v.status == nil:
		return res.fail(OutcomeStatusNotChecked, nil, "the credential is genuine and current, but its status was not checked (no status information: sync a trust bundle or verify online): it may be suspended or revoked")
	}
	return v.checkStatus(ctx, res, claims)
}

func (r *Result) ok() *Result {
	r.Valid, r.Outcome = true, OutcomeValid
	r.Reason = "the credential is genuine and current, and its status is valid"
	return r
}

func (r *Result) fail(o Outcome, cause error, format string, args ...any) *Result {
	r.Valid, r.Outcome, r.cause = false, o, cause
	r.Reason = fmt.Sprintf(format, args...)
	return r
}

// split checks the compact serialization and returns the positions of its
// two dots, or a reason it is not one.
func split(token string) (dot1, dot2 int, reason string) {
	dots := 0
	dot1, dot2 = -1, -1
	for i := 0; i < len(token); i++ {
		c := token[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		case c == '.':
			switch dots {
			case 0:
				dot1 = i
			case 1:
				dot2 = i
			}
			dots++
		case c == '{' && i == 0:
			return 0, 0, "JSON serialization is not accepted"
		default:
			return 0, 0, fmt.Sprintf("it contains %q at byte %d, which cannot appear in one", c, i)
		}
	}
	switch {
	case dots == 4:
		return 0, 0, "it has five parts, like an encrypted token (JWE)"
	case dots == 0:
		return 0, 0, "it has one part, not three"
	case dots != 2:
		return 0, 0, fmt.Sprintf("it has %d parts, not three", dots+1)
	case dot1 == 0:
		return 0, 0, "its header is empty"
	case dot2 == dot1+1:
		return 0, 0, "its payload is empty"
	}
	return dot1, dot2, ""
}

// decodeSegment decodes a base64url segment into buf if it fits, or into a
// new slice.
func decodeSegment(buf, seg []byte) ([]byte, error) {
	n := b64.DecodedLen(len(seg))
	if n > len(buf) {
		buf = make([]byte, n)
	}
	n, err := b64.Decode(buf, seg)
	return buf[:n], err
}

func (k *trustedKey) verify(signingInput, sig []byte) bool {
	if k.ed != nil {
		return ed25519.Verify(k.ed, signingInput, sig)
	}
	digest := sha256.Sum256(signingInput)
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:])
	return ecdsa.Verify(k.ec, digest[:], r, s)
}

// timeFormat is how times appear in reasons.
const timeFormat = "2006-01-02 15:04 UTC"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// clip shortens attacker-controlled text quoted in a reason.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
