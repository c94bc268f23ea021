package backup

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// A sealed backup is a backup archive encrypted with AES-256-GCM under an
// operator's backup key, so that a copy kept off the machine (a bucket, a
// tape) reveals neither personal data nor signing keys to whoever holds
// it. Layout (docs/backup-format.md):
//
//	magic "LPSEAL01" (8 bytes) | key id (8 bytes) | nonce (12 bytes) | ciphertext and tag
//
// The key id is the first 8 bytes of SHA-256 of the key, so that a restore
// with the wrong key says so instead of "damaged". The magic and key id
// are authenticated as additional data.
const sealMagic = "LPSEAL01"

const (
	sealKeyLen   = 32
	sealIDLen    = 8
	sealNonceLen = 12
	sealHeader   = len(sealMagic) + sealIDLen + sealNonceLen
)

// ErrWrongKey means a sealed backup was sealed under another key.
var ErrWrongKey = errors.New("backup: sealed under another backup key")

// Key is a backup key: 32 random bytes.
type Key struct {
	k  [sealKeyLen]byte
	id [sealIDLen]byte
}

// NewKey makes a random backup key.
func NewKey() (*Key, error) {
	var b [sealKeyLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	return keyFrom(b[:]), nil
}

func keyFrom(b []byte) *Key {
	k := &Key{}
	copy(k.k[:], b)
	sum := sha256.Sum256(k.k[:])
	copy(k.id[:], sum[:sealIDLen])
	return k
}

// ID is the key's id, as sealed backups name it.
func (k *Key) ID() string { return hex.EncodeToString(k.id[:]) }

// Encode gives the key as a backup key file holds it: base64url, one line.
func (k *Key) Encode() []byte {
	return []byte(base64.RawURLEncoding.EncodeToString(k.k[:]) + "\n")
}

// LoadKey reads a backup key file. It must not be readable by group or
// others, as with signing keys.
func LoadKey(path string) (*Key, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("backup key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("backup key %s: mode %04o lets others read it; chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("backup key: %w", err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(raw) != sealKeyLen {
		return nil, fmt.Errorf("backup key %s: not a backup key (make one with `linkpass backup keygen --out FILE`)", path)
	}
	return keyFrom(raw), nil
}

// IsSealed reports whether b starts as a sealed backup does.
func IsSealed(b []byte) bool { return bytes.HasPrefix(b, []byte(sealMagic)) }

// SealedKeyID returns the id of the key a sealed backup needs.
func SealedKeyID(b []byte) (string, error) {
	if !IsSealed(b) || len(b) < sealHeader {
		return "", fmt.Errorf("%w: not a sealed backup", ErrInvalid)
	}
	return hex.EncodeToString(b[len(sealMagic) : len(sealMagic)+sealIDLen]), nil
}

// Seal encrypts a backup archive under k.
func Seal(k *Key, archive []byte) ([]byte, error) {
	aead, err := k.aead()
	if err != nil {
		return nil, err
	}
	out := make([]byte, sealHeader, sealHeader+len(archive)+aead.Overhead())
	copy(out, sealMagic)
	copy(out[len(sealMagic):], k.id[:])
	if _, err := rand.Read(out[len(sealMagic)+sealIDLen : sealHeader]); err != nil {
		return nil, err
	}
	nonce := out[len(sealMagic)+sealIDLen : sealHeader]
	return aead.Seal(out, nonce, archive, out[:len(sealMagic)+sealIDLen]), nil
}

// Open decrypts a sealed backup with k. It returns ErrWrongKey, naming
// both keys, when it was sealed under another key, and ErrInvalid when it
// has been altered or truncated.
func Open(k *Key, sealed []byte) ([]byte, error) {
	id, err := SealedKeyID(sealed)
	if err != nil {
		return nil, err
	}
	if id != k.ID() {
		return nil, fmt.Errorf("%w: this backup needs key %s; the key given is %s", ErrWrongKey, id, k.ID())
	}
	aead, err := k.aead()
	if err != nil {
		return nil, err
	}
	nonce := sealed[len(sealMagic)+sealIDLen : sealHeader]
	plain, err := aead.Open(nil, nonce, sealed[sealHeader:], sealed[:len(sealMagic)+sealIDLen])
	if err != nil {
		return nil, fmt.Errorf("%w: the sealed backup does not authenticate: it was altered or truncated", ErrInvalid)
	}
	return plain, nil
}

func (k *Key) aead() (cipher.AEAD, error) {
	block, err := aes.NewCipher(k.k[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
