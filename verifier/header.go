package verifier

import (
	"fmt"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/internal/strictjson"
)

// header is the part of the JOSE protected header the verifier reads.
type header struct {
	alg, typ, cty, kid             string
	hasAlg, hasTyp, hasCty, hasKid bool
	// forbidden is the first forbidden parameter seen, if any.
	forbidden string
}

// isForbidden lists header parameters that are never accepted:
//   - crit: we understand no extensions, so RFC 7515 requires rejection;
//   - jku, x5u: URLs to fetch keys from (RFC 8725 3.10: an attacker's
//     server); they are never fetched, and the token is refused;
//   - jwk, x5c: keys carried in the token itself, which prove nothing;
//   - x5t, x5t#S256: certificate selection we do not do;
//   - b64 (RFC 7797) and zip (JWE only): they change how the token is
//     processed and no credential of ours uses them.
func isForbidden(name []byte) bool {
	switch string(name) {
	case "crit", "jku", "x5u", "jwk", "x5c", "x5t", "x5t#S256", "b64", "zip":
		return true
	}
	return false
}

// parseHeader decodes the protected header strictly: duplicate members,
// trailing data and wrongly typed known members are errors.
func parseHeader(data []byte) (header, error) {
	var h header
	d := strictjson.NewDecoder(data)
	err := d.Object(func(name []byte) error {
		var err error
		switch string(name) {
		case "alg":
			h.alg, err = d.String()
			h.hasAlg = true
		case "typ":
			h.typ, err = d.String()
			h.hasTyp = true
		case "cty":
			h.cty, err = d.String()
			h.hasCty = true
		case "kid":
			h.kid, err = d.String()
			h.hasKid = true
		default:
			if h.forbidden == "" && isForbidden(name) {
				h.forbidden = string(name)
			}
			err = d.Skip()
		}
		if err != nil {
			return fmt.Errorf("%q: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return h, err
	}
	return h, d.End()
}

// check applies the header rules that need no key, in order: algorithm,
// type, forbidden parameters, key id. It returns the failing outcome and
// a reason, or "" if the header is acceptable.
func (h *header) check() (Outcome, string) {
	switch {
	case !h.hasAlg:
		return OutcomeUnsupportedAlg, "the credential's header names no signing algorithm"
	case h.alg != AlgEdDSA && h.alg != AlgES256:
		// Exact, case-sensitive comparison: "none", "None", "HS256"...
		return OutcomeUnsupportedAlg, fmt.Sprintf("the credential uses signing algorithm %q, which is not accepted (only EdDSA and ES256)", clip(h.alg))
	case !h.hasTyp:
		return OutcomeWrongType, `the credential's header has no "typ"; a credential's is "vc+jwt"`
	case !typIsVCJWT(h.typ):
		return OutcomeWrongType, fmt.Sprintf("the token's type is %q, not %q: it is not a verifiable credential", clip(h.typ), credential.Typ)
	case h.hasCty && !mediaTypeIs(h.cty, credential.Cty):
		// RFC 7515 4.1.10: "application/vc" and "vc" are the same.
		return OutcomeWrongType, fmt.Sprintf("the token's content type is %q, not %q", clip(h.cty), credential.Cty)
	case h.forbidden != "":
		return OutcomeForbiddenHeader, fmt.Sprintf("the credential's header contains %q, which is never accepted", h.forbidden)
	case !h.hasKid || h.kid == "":
		return OutcomeUnknownKey, `the credential's header does not say which key signed it ("kid")`
	}
	return "", ""
}

// typIsVCJWT compares a "typ" with vc+jwt as RFC 7515 4.1.9 asks: media
// types are case-insensitive and the "application/" prefix may be omitted.
func typIsVCJWT(typ string) bool { return mediaTypeIs(typ, credential.Typ) }
