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
	return t.update(issuer, keys, true)
}

// RequireStatus records that issuer states every credential it issues
// carries a status entry (the register says so in its signed trust
// statement): a credential of issuer without one is then refused as
// OutcomeMissingClaim, rather than reported as not checked, because the
// register never issues such a credential.
func (t *Trust) RequireStatus(issuer string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := t.load()
	if cur.issuers[issuer] == nil {
		return fmt.Errorf("%w: %s", ErrNoSuchIssuer, issuer)
	}
	next := cur.clone()
	next.statusRequired[issuer] = true
	t.snap.Store(next)
	return nil
}
