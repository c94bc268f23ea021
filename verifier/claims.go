package verifier

import (
	"fmt"
	"slices"
	"time"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/internal/strictjson"
)

// claimSet records which payload members were present, since a zero value
// cannot tell "absent" from "0" or "".
type claimSet uint16

const (
	hasContext claimSet = 1 << iota
	hasType
	hasIssuer
	hasSubject
	hasIss
	hasIat
	hasNbf
	hasExp
	hasValidFrom
	hasValidUntil
	hasVCClaim // "vc" or "vp", the VC 1.1 JWT encoding
)

// decodeClaims decodes the payload strictly into credential.Claims:
// duplicate members anywhere, wrong types for known members, fractional
// or out-of-range numbers and trailing data are errors; unknown members
// are checked and ignored.
func decodeClaims(data []byte) (*credential.Claims, claimSet, error) {
	c := &credential.Claims{}
	var present claimSet
	d := strictjson.NewDecoder(data)
	err := d.Object(func(name []byte) error {
		var err error
		switch string(name) {
		case "@context":
			c.Context, err = readStrings(d)
			present |= hasContext
		case "type":
			c.Type, err = readStrings(d)
			present |= hasType
		case "id":
			c.ID, err = d.String()
		case "issuer":
			c.Issuer, err = d.String()
			present |= hasIssuer
		case "validFrom":
			c.ValidFrom, err = d.String()
			present |= hasValidFrom
		case "validUntil":
			c.ValidUntil, err = d.String()
			present |= hasValidUntil
		case "credentialSubject":
			err = decodeSubject(d, &c.CredentialSubject)
			present |= hasSubject
		case "status":
			if !d.Null() {
				c.Status = &credential.Status{}
				err = decodeStatus(d, c.Status)
			}
		case "iss":
			c.Iss, err = d.String()
			present |= hasIss
		case "iat":
			c.Iat, err = d.Int()
			present |= hasIat
		case "nbf":
			c.Nbf, err = d.Int()
			present |= hasNbf
		case "exp":
			c.Exp, err = d.Int()
			present |= hasExp
		case "jti":
			c.Jti, err = d.String()
		case "vc", "vp":
			present |= hasVCClaim
			err = d.Skip()
		default:
			err = d.Skip()
		}
		if err != nil {
			return fmt.Errorf("%q: %w", name, err)
		}
		return nil
	})
	if err == nil {
		err = d.End()
	}
	if err != nil {
		return nil, 0, err
	}
	return c, present, nil
}

func readStrings(d *strictjson.Decoder) ([]string, error) {
	var out []string
	err := d.Array(func() error {
		s, err := d.String()
		out = append(out, s)
		return err
	})
	return out, err
}

func decodeSubject(d *strictjson.Decoder, s *credential.Subject) error {
	return d.Object(func(name []byte) error {
		var err error
		switch string(name) {
		case "type":
			s.Type, err = d.String()
		case "registrationNumber":
			s.RegistrationNumber, err = d.String()
		case "name":
			s.Name, err = d.String()
		case "role":
			s.Role, err = d.String()
		case "registerStatus":
			s.RegisterStatus, err = d.String()
		case "registeredUntil":
			s.RegisteredUntil, err = d.String()
		case "nation":
			s.Nation, err = d.String()
		case "restrictions":
			s.Restrictions, err = d.Bool()
		case "publicRegister":
			s.PublicRegister, err = d.String()
		case "qualifications":
			if !d.Null() {
				s.Qualifications = []credential.Qualification{}
				err = d.Array(func() error {
					var q credential.Qualification
					err := decodeQualification(d, &q)
					s.Qualifications = append(s.Qualifications, q)
					return err
				})
			}
		case "qualityMark":
			if !d.Null() {
				s.QualityMark = &credential.QualityMark{}
				err = decodeQualityMark(d, s.QualityMark)
			}
		default:
			err = d.Skip()
		}
		if err != nil {
			return fmt.Errorf("credentialSubject.%s: %w", name, err)
		}
		return nil
	})
}

func decodeQualification(d *strictjson.Decoder, q *credential.Qualification) error {
	return d.Object(func(name []byte) error {
		var err error
		var n int64
		switch string(name) {
		case "title":
			q.Title, err = d.String()
		case "level":
			n, err = d.Int()
			q.Level = int(n)
		case "provider":
			q.Provider, err = d.String()
		case "accreditation":
			q.Accreditation, err = d.String()
		case "yearAwarded":
			n, err = d.Int()
			q.YearAwarded = int(n)
		default:
			err = d.Skip()
		}
		return err
	})
}

func decodeQualityMark(d *strictjson.Decoder, m *credential.QualityMark) error {
	return d.Object(func(name []byte) error {
		var err error
		switch string(name) {
		case "scheme":
			m.Scheme, err = d.String()
		case "register":
			m.Register, err = d.String()
		case "validUntil":
			m.ValidUntil, err = d.String()
		default:
			err = d.Skip()
		}
		return err
	})
}

func decodeStatus(d *strictjson.Decoder, s *credential.Status) error {
	var hasList bool
	err := d.Object(func(name []byte) error {
		if string(name) != "status_list" {
			return d.Skip()
		}
		hasList = true
		var hasIdx, hasURI bool
		err := d.Object(func(name []byte) error {
			var err error
			switch string(name) {
			case "idx":
				s.StatusList.Idx, err = d.Uint()
				hasIdx = true
			case "uri":
				s.StatusList.URI, err = d.String()
				hasURI = true
			default:
				err = d.Skip()
			}
			return err
		})
		if err == nil && (!hasIdx || !hasURI || s.StatusList.URI == "") {
			err = fmt.Errorf("status_list needs idx and uri")
		}
		return err
	})
	if err == nil && !hasList {
		err = fmt.Errorf("status has no status_list")
	}
	return err
}

// checkClaims applies the claim rules after the signature has verified:
// issuer, required claims, credential type, validity window. It records
// a failure in res and reports whether the claims passed.
func (v *Verifier) checkClaims(res *Result, trust *trustSet, c *credential.Claims, present claimSet, key *trustedKey) bool {
	// Issuer: the key must belong to the issuer the credential names, so
	// one trusted issuer's key cannot vouch for another issuer's name.
	if present&hasIss == 0 || c.Iss == "" {
		res.fail(OutcomeMissingClaim, nil, `the credential does not name its issuer ("iss")`)
		return false
	}
	if trust.issuers[c.Iss] == nil {
		res.fail(OutcomeUntrustedIssuer, nil, "the credential was issued by %q, which this verifier does not trust", clip(c.Iss))
		return false
	}
	if c.Iss != key.issuer {
		res.fail(OutcomeUntrustedIssuer, nil, "the credential names issuer %q but was signed with a key of %q", clip(c.Iss), key.issuer)
		return false
	}
	if present&hasIssuer == 0 {
		res.fail(OutcomeMissingClaim, nil, `the credential has no "issuer"`)
		return false
	}
	if c.Issuer != c.Iss {
		res.fail(OutcomeUntrustedIssuer, nil, "the credential's issuer %q differs from its iss %q", clip(c.Issuer), clip(c.Iss))
		return false
	}

	// Required claims.
	for _, req := range [...]struct {
		bit  claimSet
		name string
	}{{hasExp, "exp"}, {hasIat, "iat"}, {hasContext, "@context"}, {hasType, "type"}, {hasSubject, "credentialSubject"}} {
		if present&req.bit == 0 {
			res.fail(OutcomeMissingClaim, nil, "the credential has no %q claim", req.name)
			return false
		}
	}
	if c.CredentialSubject.RegistrationNumber == "" || c.CredentialSubject.Name == "" {
		res.fail(OutcomeMissingClaim, nil, "the credential does not give the registrant's name and registration number")
		return false
	}

	// Credential type.
	if len(c.Context) == 0 || c.Context[0] != credential.ContextV2 {
		res.fail(OutcomeWrongCredentialType, nil, "the credential is not a W3C Verifiable Credential 2.0 (its first @context is not %s)", credential.ContextV2)
		return false
	}
	if present&hasVCClaim != 0 {
		// VC-JOSE-COSE 3.1.3: the secured payload is the credential
		// itself; a "vc" or "vp" claim is the VC 1.1 encoding, whose
		// members a 1.1 reader would take instead of these.
		res.fail(OutcomeWrongCredentialType, nil, `the credential carries a "vc" or "vp" claim (the VC 1.1 JWT encoding), which a VC 2.0 credential secured with JOSE must not`)
		return false
	}
	if !slices.Contains(c.Type, credential.TypeVerifiableCredential) || !slices.Contains(c.Type, credential.TypeRegistration) {
		res.fail(OutcomeWrongCredentialType, nil, "the credential is not a link worker registration credential")
		return false
	}

	// Validity window, with the clock skew in the credential's favour.
	now := v.now()
	exp := time.Unix(c.Exp, 0)
	if !now.Add(-v.skew).Before(exp) {
		res.fail(OutcomeExpired, nil, "the credential expired on %s", formatTime(exp))
		return false
	}
	if present&hasValidUntil != 0 {
		until, err := time.Parse(time.RFC3339, c.ValidUntil)
		if err != nil {
			res.fail(OutcomeMalformed, err, "the credential's validUntil %q is not a date and time", clip(c.ValidUntil))
			return false
		}
		if !now.Add(-v.skew).Before(until) {
			res.fail(OutcomeExpired, nil, "the credential expired on %s", formatTime(until))
			return false
		}
	}
	if present&hasNbf != 0 {
		if nbf := time.Unix(c.Nbf, 0); now.Add(v.skew).Before(nbf) {
			res.fail(OutcomeNotYetValid, nil, "the credential is not valid until %s", formatTime(nbf))
			return false
		}
	}
	if present&hasValidFrom != 0 {
		from, err := time.Parse(time.RFC3339, c.ValidFrom)
		if err != nil {
			res.fail(OutcomeMalformed, err, "the credential's validFrom %q is not a date and time", clip(c.ValidFrom))
			return false
		}
		if now.Add(v.skew).Before(from) {
			res.fail(OutcomeNotYetValid, nil, "the credential is not valid until %s", formatTime(from))
			return false
		}
	}
	if iat := time.Unix(c.Iat, 0); now.Add(v.skew).Before(iat) {
		res.fail(OutcomeNotYetValid, nil, "the credential claims to be issued in the future, at %s", formatTime(iat))
		return false
	}
	return true
}
