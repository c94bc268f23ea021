// Package credentialtest provides a realistic credential for tests of the
// packages that sign, verify or display credentials.
package credentialtest

import (
	"time"

	"github.com/nalw/linkpass/credential"
)

// Issuer is the issuer URL of the sample credential.
const Issuer = "https://register.nalw.org.uk"

// Claims returns a valid credential issued at now: valid for 90 days, for
// a registrant registered until a year after now, with a status list entry
// and the Quality Mark. Each call returns a fresh value the caller may
// change.
func Claims(now time.Time) *credential.Claims {
	now = now.UTC().Truncate(time.Second)
	until := now.AddDate(0, 0, 90)
	return &credential.Claims{
		Context:    []string{credential.ContextV2, credential.ContextLinkpass},
		Type:       []string{credential.TypeVerifiableCredential, credential.TypeRegistration},
		ID:         "urn:uuid:3f1c7a52-8d0e-4b7a-9a0c-2f6e1d5b9c41",
		Issuer:     Issuer,
		ValidFrom:  now.Format(time.RFC3339),
		ValidUntil: until.Format(time.RFC3339),
		CredentialSubject: credential.Subject{
			Type:               credential.SubjectType,
			RegistrationNumber: "LW1000015",
			Name:               "Aisha Okafor-Brown",
			Role:               credential.Role,
			RegisterStatus:     credential.StatusRegistered,
			RegisteredUntil:    now.AddDate(1, 0, 0).Format(credential.DateLayout),
			Nation:             "england",
			Restrictions:       false,
			PublicRegister:     "https://register.nalw.org.uk/register/LW1000015",
			Qualifications: []credential.Qualification{{
				Title:         "Level 4 Certificate in Social Prescribing",
				Level:         4,
				Provider:      "Example College",
				Accreditation: "nalw-accredited",
				YearAwarded:   2024,
			}},
			QualityMark: &credential.QualityMark{
				Scheme:     credential.QualityMarkScheme,
				Register:   "NALW Register of Social Prescribing Link Workers",
				ValidUntil: now.AddDate(2, 0, 0).Format(credential.DateLayout),
			},
		},
		Status: &credential.Status{StatusList: credential.StatusListRef{
			Idx: 4217,
			URI: "https://register.nalw.org.uk/status/1",
		}},
		Iss: Issuer,
		Iat: now.Unix(),
		Exp: until.Unix(),
		Jti: "urn:uuid:3f1c7a52-8d0e-4b7a-9a0c-2f6e1d5b9c41",
	}
}
