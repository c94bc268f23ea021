package keys

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// fileSuffix ends the name of every key file: <kid>.jwk.
const fileSuffix = ".jwk"

// Dir is a directory of private key files, one private JWK per file named
// <kid>.jwk, readable by the owner only.
type Dir struct {
	path string
}

// OpenDir opens the key directory at dir, creating it with mode 0700 if it
// does not exist. It refuses a directory that group or others can write
// to, since they could replace or remove keys. (Files inside are 0600;
// a readable directory reveals only key ids, which are public.)
func OpenDir(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: create key directory %s: %w", dir, err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("keys: open key directory %s: %w", dir, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("keys: key directory %s is not a directory", dir)
	}
	if perm := info.Mode().Perm(); perm&0o022 != 0 {
		return nil, fmt.Errorf("%w: key directory %s is writable by group or others (mode %#o); run `chmod 700 %s`",
			ErrInsecurePermissions, dir, perm, dir)
	}
	return &Dir{path: dir}, nil
}

// Path returns the directory's path.
func (d *Dir) Path() string { return d.path }

func (d *Dir) file(kid string) string { return filepath.Join(d.path, kid+fileSuffix) }

// Save writes k as a private JWK to <kid>.jwk with mode 0600. The write is
// atomic and durable: a temporary file is written and fsynced, then
// hard-linked to its final name (which, unlike rename, fails if the name
// exists, so an existing key is never overwritten), and the directory is
// fsynced. Saving a kid that already exists returns ErrKeyExists.
func (d *Dir) Save(k *Key) error {
	if !ValidKeyID(k.kid) {
		return fmt.Errorf("%w: %q", ErrInvalidKeyID, k.kid)
	}
	data, err := k.privateJWK()
	if err != nil {
		return err
	}
	final := d.file(k.kid)

	// os.CreateTemp creates the file with mode 0600.
	tmp, err := os.CreateTemp(d.path, ".tmp-"+k.kid+"-*")
	if err != nil {
		return fmt.Errorf("keys: save %s: %w", k.kid, err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // after the link, this removes the temporary name only
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("keys: save %s: %w", k.kid, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("keys: save %s: %w", k.kid, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("keys: save %s: fsync: %w", k.kid, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("keys: save %s: %w", k.kid, err)
	}
	if err := os.Link(tmpName, final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s", ErrKeyExists, k.kid)
		}
		return fmt.Errorf("keys: save %s: %w", k.kid, err)
	}
	if err := os.Remove(tmpName); err != nil {
		return fmt.Errorf("keys: save %s: remove temporary file: %w", k.kid, err)
	}
	return syncDir(d.path)
}

// syncDir makes a directory entry change durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("keys: fsync directory %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("keys: fsync directory %s: %w", dir, err)
	}
	return nil
}

// Load reads the key kid. It refuses a kid that is not thumbprint-shaped
// (so no path can be smuggled in), a file that is not a regular file or
// that group or others can access, and a key whose thumbprint is not kid.
func (d *Dir) Load(kid string) (*Key, error) {
	if !ValidKeyID(kid) {
		return nil, fmt.Errorf("%w: %q is not a base64url SHA-256 thumbprint", ErrInvalidKeyID, kid)
	}
	name := d.file(kid)
	info, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrKeyNotFound, kid)
	}
	if err != nil {
		return nil, fmt.Errorf("keys: load %s: %w", kid, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrInsecurePermissions, name)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: key file %s has mode %#o; run `chmod 600 %s`",
			ErrInsecurePermissions, name, perm, name)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("keys: load %s: %w", kid, err)
	}
	k, err := parsePrivateJWK(data)
	if err != nil {
		return nil, fmt.Errorf("keys: load %s: %w", kid, err)
	}
	if k.kid != kid {
		return nil, fmt.Errorf("%w: file %s holds key %s", ErrKeyMismatch, name, k.kid)
	}
	return k, nil
}

// parsePrivateJWK rebuilds a Key from a private JWK, recomputing its kid
// from the key material (the file's "kid" member is checked, not trusted).
func parsePrivateJWK(data []byte) (*Key, error) {
	j, err := jwk.ParseKey(data)
	if err != nil {
		return nil, fmt.Errorf("%w: parse JWK: %v", ErrInvalidKey, err)
	}
	alg, ok := j.Algorithm()
	if !ok {
		return nil, fmt.Errorf("%w: JWK has no \"alg\"", ErrInvalidKey)
	}
	var k *Key
	switch alg.String() {
	case AlgEdDSA:
		var priv ed25519.PrivateKey
		if err := jwk.Export(j, &priv); err != nil {
			return nil, fmt.Errorf("%w: want an Ed25519 private key: %v", ErrInvalidKey, err)
		}
		k, err = newKey(AlgEdDSA, priv, nil)
	case AlgES256:
		var priv ecdsa.PrivateKey
		if err := jwk.Export(j, &priv); err != nil {
			return nil, fmt.Errorf("%w: want a P-256 private key: %v", ErrInvalidKey, err)
		}
		if priv.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: ES256 key is not on P-256", ErrInvalidKey)
		}
		k, err = newKey(AlgES256, nil, &priv)
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, alg.String())
	}
	if err != nil {
		return nil, err
	}
	if stated, ok := j.KeyID(); ok && stated != k.kid {
		return nil, fmt.Errorf("%w: JWK says kid %q, its thumbprint is %q", ErrKeyMismatch, stated, k.kid)
	}
	return k, nil
}

// List returns the key ids stored in the directory, sorted. Files whose
// names are not <thumbprint>.jwk are ignored.
func (d *Dir) List() ([]string, error) {
	entries, err := os.ReadDir(d.path)
	if err != nil {
		return nil, fmt.Errorf("keys: list %s: %w", d.path, err)
	}
	var kids []string
	for _, e := range entries {
		kid, ok := strings.CutSuffix(e.Name(), fileSuffix)
		if ok && e.Type().IsRegular() && ValidKeyID(kid) {
			kids = append(kids, kid)
		}
	}
	slices.Sort(kids)
	return kids, nil
}
