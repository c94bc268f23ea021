// Package keys holds the register's signing keys: generating them, naming
// them by their RFC 7638 thumbprint, signing with them, publishing their
// public halves as JWKs, and keeping them in files on disk.
//
// The package imports nothing of linkpass, so that any part of the project
// (or a tool outside it) can use it.
package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Algorithms a Key can sign with, as JOSE "alg" values.
const (
	// AlgEdDSA is Ed25519 (RFC 8037); it is the default.
	AlgEdDSA = "EdDSA"
	// AlgES256 is ECDSA on P-256 with SHA-256 (RFC 7518).
	AlgES256 = "ES256"
)

// Errors returned by this package; test for them with errors.Is.
var (
	ErrUnsupportedAlgorithm = errors.New("keys: unsupported algorithm")
	ErrInvalidKeyID         = errors.New("keys: invalid key id")
	ErrInvalidKey           = errors.New("keys: invalid key")
	ErrKeyExists            = errors.New("keys: key already exists")
	ErrKeyNotFound          = errors.New("keys: key not found")
	ErrInsecurePermissions  = errors.New("keys: insecure permissions")
	ErrKeyMismatch          = errors.New("keys: key does not match its key id")
)

// Signer signs JWS signing inputs. It is small on purpose so that a key
// held in an HSM or a cloud KMS can implement it (see docs/keys.md).
type Signer interface {
	// KeyID returns the JOSE "kid" of the key: its RFC 7638 thumbprint.
	KeyID() string
	// Algorithm returns the JOSE "alg" the key signs with: "EdDSA" or "ES256".
	Algorithm() string
	// Sign returns the JWS signature of signingInput
	// (BASE64URL(header) || '.' || BASE64URL(payload)). ES256 signatures
	// are in JWS form: r || s, 32 bytes each.
	Sign(signingInput []byte) ([]byte, error)
}

// Key is a private signing key together with its key id and algorithm.
//
// A Key never prints its private material: fmt verbs, String and slog all
// show only the key id and the algorithm.
type Key struct {
	kid string
	alg string
	ed  ed25519.PrivateKey // set when alg is AlgEdDSA
	ec  *ecdsa.PrivateKey  // set when alg is AlgES256
}

var _ Signer = (*Key)(nil)

// Generate makes a new key for alg, "EdDSA" (Ed25519) or "ES256" (P-256).
// An empty alg means "EdDSA".
func Generate(alg string) (*Key, error) {
	switch alg {
	case "", AlgEdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("keys: generate Ed25519 key: %w", err)
		}
		return newKey(AlgEdDSA, priv, nil)
	case AlgES256:
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("keys: generate P-256 key: %w", err)
		}
		return newKey(AlgES256, nil, priv)
	default:
		return nil, fmt.Errorf("%w: %q (want %q or %q)", ErrUnsupportedAlgorithm, alg, AlgEdDSA, AlgES256)
	}
}

// newKey wraps exactly one of ed or ec and names it by its thumbprint.
func newKey(alg string, ed ed25519.PrivateKey, ec *ecdsa.PrivateKey) (*Key, error) {
	k := &Key{alg: alg, ed: ed, ec: ec}
	pub, err := jwk.Import(k.Public())
	if err != nil {
		return nil, fmt.Errorf("%w: import public key: %v", ErrInvalidKey, err)
	}
	kid, err := thumbprint(pub)
	if err != nil {
		return nil, err
	}
	k.kid = kid
	return k, nil
}

// KeyID returns the key's RFC 7638 JWK thumbprint (SHA-256, base64url).
func (k *Key) KeyID() string { return k.kid }

// Algorithm returns the JOSE algorithm the key signs with.
func (k *Key) Algorithm() string { return k.alg }

// Public returns the public half of the key: an ed25519.PublicKey or an
// *ecdsa.PublicKey.
func (k *Key) Public() crypto.PublicKey {
	if k.ec != nil {
		return &k.ec.PublicKey
	}
	return k.ed.Public()
}

// Sign signs signingInput. Ed25519 signs with the raw private key (no
// per-call key reconstruction); ES256 returns r || s as JWS requires.
func (k *Key) Sign(signingInput []byte) ([]byte, error) {
	switch k.alg {
	case AlgEdDSA:
		return ed25519.Sign(k.ed, signingInput), nil
	case AlgES256:
		digest := sha256.Sum256(signingInput)
		r, s, err := ecdsa.Sign(rand.Reader, k.ec, digest[:])
		if err != nil {
			return nil, fmt.Errorf("keys: ES256 sign: %w", err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig, nil
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, k.alg)
	}
}

// PublicJWK returns the JSON of the public JWK with "kid", "alg" and
// "use":"sig". It never contains private members.
func (k *Key) PublicJWK() ([]byte, error) {
	return k.marshalJWK(k.Public())
}

// privateJWK returns the JSON of the private JWK, for the key file only.
func (k *Key) privateJWK() ([]byte, error) {
	if k.ec != nil {
		return k.marshalJWK(k.ec)
	}
	return k.marshalJWK(k.ed)
}

func (k *Key) marshalJWK(raw any) ([]byte, error) {
	j, err := jwk.Import(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: import: %v", ErrInvalidKey, err)
	}
	for name, v := range map[string]any{
		jwk.KeyIDKey:     k.kid,
		jwk.AlgorithmKey: k.alg,
		jwk.KeyUsageKey:  jwk.ForSignature,
	} {
		if err := j.Set(name, v); err != nil {
			return nil, fmt.Errorf("keys: set JWK %q: %w", name, err)
		}
	}
	out, err := json.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("keys: marshal JWK: %w", err)
	}
	return out, nil
}

// The printing methods below have value receivers so that a copied Key
// (fmt.Sprint(*k)) is as safe to print as a *Key.

// String shows the key id and algorithm only.
func (k Key) String() string {
	return "keys.Key{kid=" + k.kid + " alg=" + k.alg + "}"
}

// Format makes every fmt verb (%v, %+v, %#v, %s, %x, ...) print String, so
// that private key bytes cannot reach a log line through fmt.
func (k Key) Format(f fmt.State, _ rune) {
	_, _ = f.Write([]byte(k.String()))
}

// LogValue shows the key id and algorithm only, for log/slog.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kid", k.kid), slog.String("alg", k.alg))
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint, base64url without
// padding, of the JWK in pubJWK. A private JWK gives its public key's
// thumbprint, which is the same value.
func Thumbprint(pubJWK []byte) (string, error) {
	j, err := jwk.ParseKey(pubJWK)
	if err != nil {
		return "", fmt.Errorf("%w: parse JWK: %v", ErrInvalidKey, err)
	}
	return thumbprint(j)
}

func thumbprint(j jwk.Key) (string, error) {
	sum, err := j.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("%w: thumbprint: %v", ErrInvalidKey, err)
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// ValidKeyID reports whether kid has the shape of a SHA-256 thumbprint:
// exactly 43 base64url characters. Such a string can never hold a path
// separator, a dot or a quote.
func ValidKeyID(kid string) bool {
	if len(kid) != base64.RawURLEncoding.EncodedLen(sha256.Size) {
		return false
	}
	for i := 0; i < len(kid); i++ {
		c := kid[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// JWKS builds a JWK Set, {"keys":[...]}, from public JWKs as returned by
// PublicJWK. It refuses input that is not a JSON object or that holds a
// private member, so that a private key cannot be published by mistake.
func JWKS(publicJWKs ...[]byte) ([]byte, error) {
	set := struct {
		Keys []json.RawMessage `json:"keys"`
	}{Keys: make([]json.RawMessage, 0, len(publicJWKs))}
	for i, raw := range publicJWKs {
		var members map[string]json.RawMessage
		if err := json.Unmarshal(raw, &members); err != nil {
			return nil, fmt.Errorf("%w: JWK %d is not a JSON object: %v", ErrInvalidKey, i, err)
		}
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
			if _, ok := members[private]; ok {
				return nil, fmt.Errorf("%w: JWK %d has private member %q", ErrInvalidKey, i, private)
			}
		}
		set.Keys = append(set.Keys, json.RawMessage(raw))
	}
	out, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("keys: marshal JWKS: %w", err)
	}
	return out, nil
}
