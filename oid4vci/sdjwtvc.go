package oid4vci

import (
	"crypto"
	"encoding/base64"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/sdjwt"
)

const cryptoSHA256 = crypto.SHA256

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// TypSDJWTVC is the header typ of an SD-JWT VC.
const TypSDJWTVC = "dc+sd-jwt"

// issueSDJWT signs the SD-JWT VC of a drafted credential, bound to the
// holder key. It says what the vc+jwt says (docs/credential-format.md):
// name, registration number, status and the restrictions flag are always
// disclosed; nation and each qualification are the holder's to withhold.
func issueSDJWT(d *issuer.Draft, holder jwk.Key) (string, error) {
	c := d.Claims
	sub := c.CredentialSubject
	b := sdjwt.New().
		Claim("iss", c.Iss).
		Claim("iat", c.Iat).
		Claim("nbf", c.Iat).
		Claim("exp", c.Exp).
		Claim("vct", c.Iss+PathVCT).
		Claim("cnf", map[string]any{"jwk": holder}).
		Claim("status", map[string]any{"status_list": map[string]any{"idx": c.Status.StatusList.Idx, "uri": c.Status.StatusList.URI}}).
		Claim("registration_number", sub.RegistrationNumber).
		Claim("name", sub.Name).
		Claim("role", sub.Role).
		Claim("register_status", sub.RegisterStatus).
		Claim("registered_until", sub.RegisteredUntil).
		Claim("restrictions", sub.Restrictions).
		Claim("public_register", sub.PublicRegister).
		Selective("nation", sub.Nation)
	if sub.QualityMark != nil {
		b.Claim("quality_mark", map[string]any{"scheme": sub.QualityMark.Scheme, "register": sub.QualityMark.Register, "valid_until": sub.QualityMark.ValidUntil})
	}
	quals := make([]any, 0, len(sub.Qualifications))
	for _, q := range sub.Qualifications {
		m := map[string]any{"title": q.Title, "level": q.Level, "provider": q.Provider, "year_awarded": q.YearAwarded}
		if q.Accreditation != "" {
			m["accreditation"] = q.Accreditation
		}
		quals = append(quals, m)
	}
	b.SelectiveElements("qualifications", quals)
	iss, err := b.Sign(TypSDJWTVC, d.Signer)
	if err != nil {
		return "", err
	}
	return iss.Compact, nil
}
