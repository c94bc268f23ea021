package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KEK is a key-encryption key: 32 bytes the operators of a cluster give
// every node, under which private keys travel through the replicated log.
type KEK struct{ aead cipher.AEAD }

// KEKSize is the length of a key-encryption key in bytes (AES-256).
const KEKSize = 32

// ErrSealed means a sealed key could not be opened: another KEK, or
// damaged.
var ErrSealed = errors.New("keys: the sealed key cannot be opened with this key-encryption key")

// sealVersion opens every sealed key, so that a later format can be told
// apart.
const sealVersion = 1

// NewKEKText returns a new random key-encryption key in its file form
// (base64url, one line).
func NewKEKText() (string, error) {
	b := make([]byte, KEKSize)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b) + "\n", nil
}

// ParseKEK reads a key-encryption key in its file form.
func ParseKEK(text []byte) (*KEK, error) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(string(text)))
	if err != nil || len(raw) != KEKSize {
		return nil, fmt.Errorf("keys: a key-encryption key is %d random bytes in base64url on one line (make one with `linkpass cluster kek`)", KEKSize)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &KEK{aead: aead}, nil
}

// Seal encrypts k's private JWK under the KEK with AES-256-GCM. The key id
// is bound in as associated data, so a sealed key cannot be passed off as
// another.
func (kek *KEK) Seal(k *Key) ([]byte, error) {
	plain, err := k.privateJWK()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+kek.aead.NonceSize(), 1+kek.aead.NonceSize()+len(plain)+kek.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return kek.aead.Seal(out, out[1:], plain, []byte(k.kid)), nil
}

// Open decrypts a key sealed for kid and checks that it is kid.
func (kek *KEK) Open(kid string, sealed []byte) (*Key, error) {
	n := kek.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != sealVersion {
		return nil, fmt.Errorf("%w: key %s: unknown format", ErrSealed, kid)
	}
	plain, err := kek.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(kid))
	if err != nil {
		return nil, fmt.Errorf("%w: key %s", ErrSealed, kid)
	}
	k, err := parsePrivateJWK(plain)
	if err != nil {
		return nil, err
	}
	if k.kid != kid {
		return nil, fmt.Errorf("%w: sealed as %s, holds %s", ErrKeyMismatch, kid, k.kid)
	}
	return k, nil
}
