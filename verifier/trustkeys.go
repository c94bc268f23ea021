package verifier

import "fmt"

// SetIssuerKeys makes the keys of jwks the whole key set trusted for
// issuer, trusting issuer if it was not yet: a key the issuer had that
// jwks no longer lists (a retired key) stops being trusted. Verifications
// see the old set or the new one, never a mix. The rules for each key
// are AddIssuer's, and nothing changes unless every key is acceptable
// and none of their kids is trusted for another issuer.
func (t *Trust) SetIssuerKeys(issuer string, jwks []byte) error {
	keys, err := parseIssuerKeys(issuer, jwks)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	next := t.load().clone()
	for kid := range next.issuers[issuer] {
		delete(next.keys, kid)
	}
	next.issuers[issuer] = make(map[string]bool, len(keys))
	for _, k := range keys {
		if old, ok := next.keys[k.kid]; ok {
			// The issuer's old keys are gone, so old is another issuer's
			// or an earlier key of this same set.
			if old.issuer != issuer {
				return fmt.Errorf("%w: kid %s belongs to issuer %s", ErrKeyConflict, k.kid, old.issuer)
			}
			if !old.equal(k) {
				return fmt.Errorf("%w: kid %s names two different keys", ErrKeyConflict, k.kid)
			}
		}
		next.keys[k.kid] = k
		next.issuers[issuer][k.kid] = true
	}
	t.snap.Store(next)
	return nil
}
