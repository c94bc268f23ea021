package credential

import (
	"encoding/base64"
	"errors"
	"fmt"
)

// Algorithms a credential can be signed with, as JOSE "alg" values.
const (
	AlgEdDSA = "EdDSA"
	AlgES256 = "ES256"
)

// Errors returned by Sign; test for them with errors.Is.
var (
	ErrUnsupportedAlgorithm = errors.New("credential: unsupported signing algorithm")
	ErrSigner               = errors.New("credential: signer failed")
)

// Signer signs JWS signing inputs. It is the same three-method interface
// as keys.Signer, declared here so that this package needs nothing else:
// a *keys.Key, or a key held in an HSM or KMS, satisfies it.
type Signer interface {
	KeyID() string
	Algorithm() string
	Sign(signingInput []byte) ([]byte, error)
}

// signatureSize is the JWS signature length of both EdDSA (Ed25519) and
// ES256 (r || s).
const signatureSize = 64

// Sign validates c and signs it with s, returning the compact JWS. The
// protected header is exactly
//
//	{"alg":<s.Algorithm()>,"typ":"vc+jwt","cty":"vc","kid":<s.KeyID()>}
//
// as VC-JOSE-COSE describes for a credential secured as a JWT.
func Sign(c *Claims, s Signer) (string, error) {
	if err := c.Validate(); err != nil {
		return "", err
	}
	alg := s.Algorithm()
	if alg != AlgEdDSA && alg != AlgES256 {
		return "", fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, alg)
	}
	kid := s.KeyID()
	if kid == "" {
		return "", fmt.Errorf("%w: empty key id", ErrSigner)
	}

	var scratch [2048]byte
	header := appendHeader(scratch[:0], alg, kid)
	payload := c.AppendJSON(header[len(header):])

	enc := base64.RawURLEncoding
	hLen, pLen := enc.EncodedLen(len(header)), enc.EncodedLen(len(payload))
	out := make([]byte, hLen+1+pLen+1+enc.EncodedLen(signatureSize))
	enc.Encode(out, header)
	out[hLen] = '.'
	enc.Encode(out[hLen+1:], payload)
	signingInput := out[:hLen+1+pLen]

	sig, err := s.Sign(signingInput)
	if err != nil {
		return "", fmt.Errorf("%w: key %s: %w", ErrSigner, kid, err)
	}
	if len(sig) != signatureSize {
		return "", fmt.Errorf("%w: key %s returned a %d-byte %s signature, want %d",
			ErrSigner, kid, len(sig), alg, signatureSize)
	}
	out[len(signingInput)] = '.'
	enc.Encode(out[len(signingInput)+1:], sig)
	return string(out), nil
}

// appendHeader appends the protected header JSON.
func appendHeader(dst []byte, alg, kid string) []byte {
	dst = append(dst, `{"alg":`...)
	dst = appendString(dst, alg)
	dst = append(dst, `,"typ":"`+Typ+`","cty":"`+Cty+`","kid":`...)
	dst = appendString(dst, kid)
	return append(dst, '}')
}
