package credential

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrInvalidClaims is wrapped by every error Validate returns.
var ErrInvalidClaims = errors.New("credential: invalid claims")

// DateLayout is the layout of the date-only fields (registeredUntil,
// qualityMark.validUntil).
const DateLayout = "2006-01-02"

// EndOfDay returns the first instant after the date d (YYYY-MM-DD), in UTC:
// a registration "until 2027-03-31" covers all of that day, so a credential
// may be valid up to, but not including, 2027-04-01T00:00:00Z.
func EndOfDay(d string) (time.Time, error) {
	t, err := time.Parse(DateLayout, d)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q is not a YYYY-MM-DD date", ErrInvalidClaims, d)
	}
	return t.AddDate(0, 0, 1), nil
}

// Validate checks, for the issuer, that c is a credential the register may
// sign: every required member present, the vocabulary right, iss equal to
// issuer, the validity window coherent, and the credential ending no later
// than the end of the registrant's registeredUntil day. It returns the
// first problem found, wrapping ErrInvalidClaims. It does not look at the
// clock: whether a credential is current is the verifier's question.
func (c *Claims) Validate() error {
	if len(c.Context) == 0 || c.Context[0] != ContextV2 {
		return invalid("@context", "must start with %q", ContextV2)
	}
	if !slices.Contains(c.Context, ContextLinkpass) {
		return invalid("@context", "must include %q", ContextLinkpass)
	}
	if !slices.Contains(c.Type, TypeVerifiableCredential) || !slices.Contains(c.Type, TypeRegistration) {
		return invalid("type", "must include %q and %q", TypeVerifiableCredential, TypeRegistration)
	}
	if c.ID == "" {
		return invalid("id", "is empty")
	}
	if c.Issuer == "" {
		return invalid("issuer", "is empty")
	}
	if c.Iss != c.Issuer {
		return invalid("iss", "%q differs from issuer %q", c.Iss, c.Issuer)
	}
	if c.Jti == "" {
		return invalid("jti", "is empty")
	}
	validFrom, err := time.Parse(time.RFC3339, c.ValidFrom)
	if err != nil {
		return invalid("validFrom", "%q is not an RFC 3339 date-time", c.ValidFrom)
	}
	validUntil, err := time.Parse(time.RFC3339, c.ValidUntil)
	if err != nil {
		return invalid("validUntil", "%q is not an RFC 3339 date-time", c.ValidUntil)
	}
	if !validFrom.Before(validUntil) {
		return invalid("validUntil", "%s is not after validFrom %s", c.ValidUntil, c.ValidFrom)
	}
	if c.Iat <= 0 {
		return invalid("iat", "is missing")
	}
	if c.Exp <= c.Iat {
		return invalid("exp", "%d is not after iat %d", c.Exp, c.Iat)
	}
	if c.Nbf < 0 || c.Nbf >= c.Exp {
		return invalid("nbf", "%d is not before exp %d", c.Nbf, c.Exp)
	}
	if err := c.CredentialSubject.validate(); err != nil {
		return err
	}
	end, err := EndOfDay(c.CredentialSubject.RegisteredUntil)
	if err != nil {
		return invalid("credentialSubject.registeredUntil", "%q is not a YYYY-MM-DD date", c.CredentialSubject.RegisteredUntil)
	}
	if c.Exp > end.Unix() {
		return invalid("exp", "%s is after the end of registeredUntil %s",
			time.Unix(c.Exp, 0).UTC().Format(time.RFC3339), c.CredentialSubject.RegisteredUntil)
	}
	if validUntil.After(end) {
		return invalid("validUntil", "%s is after the end of registeredUntil %s",
			c.ValidUntil, c.CredentialSubject.RegisteredUntil)
	}
	if c.Status != nil && c.Status.StatusList.URI == "" {
		return invalid("status.status_list.uri", "is empty")
	}
	return nil
}

func (s *Subject) validate() error {
	switch {
	case s.Type != SubjectType:
		return invalid("credentialSubject.type", "must be %q", SubjectType)
	case s.RegistrationNumber == "":
		return invalid("credentialSubject.registrationNumber", "is empty")
	case s.Name == "":
		return invalid("credentialSubject.name", "is empty")
	case s.Role == "":
		return invalid("credentialSubject.role", "is empty")
	case s.RegisterStatus != StatusRegistered:
		// Only registrants in good standing are issued credentials.
		return invalid("credentialSubject.registerStatus", "is %q, want %q", s.RegisterStatus, StatusRegistered)
	case s.Nation == "":
		return invalid("credentialSubject.nation", "is empty")
	case s.PublicRegister == "":
		return invalid("credentialSubject.publicRegister", "is empty")
	}
	for i, q := range s.Qualifications {
		if q.Title == "" {
			return invalid(fmt.Sprintf("credentialSubject.qualifications[%d].title", i), "is empty")
		}
	}
	if q := s.QualityMark; q != nil {
		if q.Scheme == "" || q.Register == "" {
			return invalid("credentialSubject.qualityMark", "needs scheme and register")
		}
		if _, err := time.Parse(DateLayout, q.ValidUntil); err != nil {
			return invalid("credentialSubject.qualityMark.validUntil", "%q is not a YYYY-MM-DD date", q.ValidUntil)
		}
	}
	return nil
}

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s %s", ErrInvalidClaims, field, fmt.Sprintf(format, args...))
}
