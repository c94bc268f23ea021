package verifier

import (
	"errors"
	"fmt"

	"github.com/nalw/linkpass/credential"
)

// ErrUnverified marks claims read without checking a signature.
var ErrUnverified = errors.New("verifier: claims read without verification")

// ParseUnverifiedClaims reads a credential's claims WITHOUT checking its
// signature, issuer, dates or status. It exists for the wallet, which must
// list what it holds when it has no trust material; nothing it returns may
// be presented as checked. It applies the same size cap and strict
// structure rules as Verify.
func ParseUnverifiedClaims(token string) (*credential.Claims, error) {
	if len(token) > DefaultMaxTokenSize {
		return nil, fmt.Errorf("%w: %d bytes is more than %d", ErrTooLarge, len(token), DefaultMaxTokenSize)
	}
	dot1, dot2, reason := split(token)
	if reason != "" {
		return nil, fmt.Errorf("%w: %s", ErrMalformed, reason)
	}
	tok := []byte(token)
	var hbuf [256]byte
	hdrJSON, err := decodeSegment(hbuf[:], tok[:dot1])
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if _, err := parseHeader(hdrJSON); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	var pbuf [2048]byte
	payload, err := decodeSegment(pbuf[:], tok[dot1+1:dot2])
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	claims, _, err := decodeClaims(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	return claims, nil
}
