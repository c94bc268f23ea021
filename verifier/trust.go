package verifier

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Algorithms a trusted key may have, as JOSE "alg" values.
const (
	AlgEdDSA = "EdDSA" // Ed25519 keys only
	AlgES256 = "ES256" // P-256 keys only
)

// Errors returned by Trust; test for them with errors.Is.
var (
	ErrInvalidJWKS  = errors.New("verifier: invalid JWKS")
	ErrKeyConflict  = errors.New("verifier: key id already trusted")
	ErrNoSuchIssuer = errors.New("verifier: issuer not trusted")
	ErrNoSuchKey    = errors.New("verifier: key not trusted")
)

// Trust is the set of issuers a Verifier trusts and their public keys.
// It is safe for concurrent use: changes (a trust bundle sync, a key
// retired) take effect for verifications that start after them.
type Trust struct {
	mu   sync.Mutex // serialises writers; readers use snap
	snap atomic.Pointer[trustSet]
}

// trustSet is an immutable snapshot; writers copy, change, and swap.
type trustSet struct {
	keys    map[string]*trustedKey     // by kid, across all issuers
	issuers map[string]map[string]bool // issuer -> its kids
	// statusRequired holds the issuers that state every credential they
	// issue carries a status entry (RequireStatus).
	statusRequired map[string]bool
}

// trustedKey is one public key, with everything a verification needs from
// it. The algorithm is the key's, never the token's.
type trustedKey struct {
	kid    string
	alg    string
	issuer string
	ed     ed25519.PublicKey // when alg is AlgEdDSA
	ec     *ecdsa.PublicKey  // when alg is AlgES256
}

// NewTrust returns an empty Trust.
func NewTrust() *Trust {
	t := &Trust{}
	t.snap.Store(&trustSet{keys: map[string]*trustedKey{}, issuers: map[string]map[string]bool{}, statusRequired: map[string]bool{}})
	return t
}

func (t *Trust) load() *trustSet { return t.snap.Load() }

func (s *trustSet) clone() *trustSet {
	c := &trustSet{keys: maps.Clone(s.keys), issuers: make(map[string]map[string]bool, len(s.issuers)), statusRequired: maps.Clone(s.statusRequired)}
	for iss, kids := range s.issuers {
		c.issuers[iss] = maps.Clone(kids)
	}
	return c
}

// AddIssuer trusts issuer (the exact "iss" its credentials carry) and adds
// the public keys of jwks to it. Every key must be a public signature key
// ("use", if present, "sig") with a "kid" and an "alg" of EdDSA (Ed25519)
// or ES256 (P-256); a JWKS holding a private or symmetric key is refused
// whole. Nothing is added unless every key is acceptable. A kid already
// trusted for another issuer, or for this issuer with other key material,
// is ErrKeyConflict; re-adding an identical key is a no-op.
func (t *Trust) AddIssuer(issuer string, jwks []byte) error {
	added, err := parseIssuerKeys(issuer, jwks)
	if err != nil {
		return err
	}

	return t.update(issuer, added, false)
}

// update adds keys to issuer's set (after dropping the issuer's current
// keys, if replace) in a copy of the trust set, and publishes the copy only
// if every key is acceptable: a kid trusted for another issuer, or naming
// other key material, is ErrKeyConflict and changes nothing.
func (t *Trust) update(issuer string, keys []*trustedKey, replace bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	next := t.load().clone()
	if replace {
		for kid := range next.issuers[issuer] {
			delete(next.keys, kid)
		}
		next.issuers[issuer] = make(map[string]bool, len(keys))
	} else if next.issuers[issuer] == nil {
		next.issuers[issuer] = map[string]bool{}
	}
	for _, k := range keys {
		if old, ok := next.keys[k.kid]; ok {
			if old.issuer != issuer {
				return fmt.Errorf("%w: kid %s belongs to issuer %s", ErrKeyConflict, k.kid, old.issuer)
			}
			if !old.equal(k) {
				return fmt.Errorf("%w: kid %s names different key material", ErrKeyConflict, k.kid)
			}
		}
		next.keys[k.kid] = k
		next.issuers[issuer][k.kid] = true
	}
	t.snap.Store(next)
	return nil
}

// parseIssuerKeys checks every key of jwks as AddIssuer describes and
// returns them, owned by issuer.
func parseIssuerKeys(issuer string, jwks []byte) ([]*trustedKey, error) {
	if issuer == "" {
		return nil, fmt.Errorf("%w: empty issuer", ErrInvalidJWKS)
	}
	set, err := jwk.Parse(jwks)
	if err != nil {
		return nil, fmt.Errorf("%w for %s: %v", ErrInvalidJWKS, issuer, err)
	}
	if set.Len() == 0 {
		return nil, fmt.Errorf("%w for %s: no keys", ErrInvalidJWKS, issuer)
	}
	keys := make([]*trustedKey, 0, set.Len())
	for i := range set.Len() {
		j, _ := set.Key(i)
		k, err := trustedKeyOf(j)
		if err != nil {
			return nil, fmt.Errorf("%w for %s: key %d: %w", ErrInvalidJWKS, issuer, i, err)
		}
		k.issuer = issuer
		keys = append(keys, k)
	}
	return keys, nil
}

// RemoveKey stops trusting the key kid of issuer: credentials signed with
// it then verify as OutcomeUnknownKey. The issuer stays trusted.
func (t *Trust) RemoveKey(issuer, kid string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := t.load()
	if cur.issuers[issuer] == nil {
		return fmt.Errorf("%w: %s", ErrNoSuchIssuer, issuer)
	}
	if !cur.issuers[issuer][kid] {
		return fmt.Errorf("%w: %s of %s", ErrNoSuchKey, kid, issuer)
	}
	next := cur.clone()
	delete(next.keys, kid)
	delete(next.issuers[issuer], kid)
	t.snap.Store(next)
	return nil
}

// RemoveIssuer stops trusting issuer and all its keys.
func (t *Trust) RemoveIssuer(issuer string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := t.load()
	if cur.issuers[issuer] == nil {
		return fmt.Errorf("%w: %s", ErrNoSuchIssuer, issuer)
	}
	next := cur.clone()
	for kid := range next.issuers[issuer] {
		delete(next.keys, kid)
	}
	delete(next.issuers, issuer)
	delete(next.statusRequired, issuer)
	t.snap.Store(next)
	return nil
}

// Issuers returns the trusted issuers, sorted.
func (t *Trust) Issuers() []string {
	return slices.Sorted(maps.Keys(t.load().issuers))
}

// KeyIDs returns the kids trusted for issuer, sorted.
func (t *Trust) KeyIDs(issuer string) []string {
	return slices.Sorted(maps.Keys(t.load().issuers[issuer]))
}

// trustedKeyOf checks one JWK and extracts its raw public key.
func trustedKeyOf(j jwk.Key) (*trustedKey, error) {
	private, err := jwk.IsPrivateKey(j)
	if err != nil {
		return nil, fmt.Errorf("not an asymmetric key (kty %s)", j.KeyType())
	}
	if private {
		return nil, errors.New("is a private key; a trust bundle must hold public keys only")
	}
	if use, ok := j.KeyUsage(); ok && use != jwk.ForSignature.String() {
		return nil, fmt.Errorf("has \"use\" %q, want \"sig\"", use)
	}
	if ops, ok := j.KeyOps(); ok && !slices.Contains(ops, jwk.KeyOpVerify) {
		return nil, errors.New("has \"key_ops\" without \"verify\"")
	}
	kid, ok := j.KeyID()
	if !ok || kid == "" {
		return nil, errors.New("has no \"kid\"")
	}
	alg, ok := j.Algorithm()
	if !ok {
		return nil, fmt.Errorf("kid %s has no \"alg\"; the algorithm must come from the trusted key", kid)
	}
	k := &trustedKey{kid: kid, alg: alg.String()}
	switch k.alg {
	case AlgEdDSA:
		var pub ed25519.PublicKey
		if err := jwk.Export(j, &pub); err != nil {
			return nil, fmt.Errorf("kid %s: alg EdDSA needs an Ed25519 key: %v", kid, err)
		}
		if len(pub) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("kid %s: not an Ed25519 key", kid)
		}
		k.ed = pub
	case AlgES256:
		var pub ecdsa.PublicKey
		if err := jwk.Export(j, &pub); err != nil {
			return nil, fmt.Errorf("kid %s: alg ES256 needs a P-256 key: %v", kid, err)
		}
		if pub.Curve != elliptic.P256() {
			return nil, fmt.Errorf("kid %s: alg ES256 needs a P-256 key", kid)
		}
		k.ec = &pub
	default:
		return nil, fmt.Errorf("kid %s: alg %q is not accepted (only EdDSA and ES256)", kid, k.alg)
	}
	return k, nil
}

func (k *trustedKey) equal(o *trustedKey) bool {
	if k.alg != o.alg {
		return false
	}
	if k.ed != nil {
		return k.ed.Equal(o.ed)
	}
	return o.ec != nil && k.ec.Equal(o.ec)
}
