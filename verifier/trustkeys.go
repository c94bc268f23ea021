package verifier

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
