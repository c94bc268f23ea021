// Package credential defines the link worker registration credential: the
// W3C Verifiable Credential (Data Model 2.0) that the register signs as a JWT
// (VC-JOSE-COSE, typ "vc+jwt") and that verifiers and wallets read.
//
// The package holds the data model, its validation for the issuer and its
// signing (sign.go). It imports nothing of the issuer so that verifiers and
// wallets can depend on it.
package credential

import (
	"bytes"
	_ "embed" // the JSON-LD context document
)

// Media types and header values fixed by VC-JOSE-COSE.
const (
	// Typ is the JOSE "typ" header of a credential.
	Typ = "vc+jwt"
	// Cty is the JOSE "cty" header of a credential.
	Cty = "vc"
)

// Vocabulary of the credential.
const (
	ContextV2       = "https://www.w3.org/ns/credentials/v2"
	ContextLinkpass = "https://register.nalw.org.uk/ns/link-worker/v1"

	TypeVerifiableCredential = "VerifiableCredential"
	// TypeRegistration is the credential type a verifier insists on.
	TypeRegistration = "LinkWorkerRegistrationCredential"
	// SubjectType is the type of the credential subject.
	SubjectType = "LinkWorkerRegistration"

	// Role is the role every registrant of this register holds.
	Role = "Social prescribing link worker"

	// QualityMarkScheme names the accreditation scheme of the Quality Mark.
	QualityMarkScheme = "PSA Accredited Registers"
)

// Register statuses as they appear in credentialSubject.registerStatus.
// Only "registered" registrants receive credentials, but the field keeps the
// vocabulary of the register so that a verifier can explain what it sees.
const (
	StatusRegistered = "registered"
	StatusSuspended  = "suspended"
	StatusLapsed     = "lapsed"
	StatusRemoved    = "removed"
)

// Claims is the JWT payload: the credential itself plus the registered JWT
// claims that VC-JOSE-COSE allows alongside it.
type Claims struct {
	Context           []string `json:"@context"`
	Type              []string `json:"type"`
	ID                string   `json:"id"`
	Issuer            string   `json:"issuer"`
	ValidFrom         string   `json:"validFrom"`
	ValidUntil        string   `json:"validUntil"`
	CredentialSubject Subject  `json:"credentialSubject"`
	// Status points at the credential's entry in a Token Status List.
	Status *Status `json:"status,omitempty"`

	Iss string `json:"iss"`
	Iat int64  `json:"iat"`
	Nbf int64  `json:"nbf,omitempty"`
	Exp int64  `json:"exp"`
	Jti string `json:"jti"`
}

// Subject is what an employer needs to know about a link worker, and no
// more: nothing here may identify where someone lives, how to contact them
// or why their practice is restricted (see docs/credential-format.md).
type Subject struct {
	Type               string `json:"type"`
	RegistrationNumber string `json:"registrationNumber"`
	// Name is the name as it appears on the register.
	Name            string `json:"name"`
	Role            string `json:"role"`
	RegisterStatus  string `json:"registerStatus"`
	RegisteredUntil string `json:"registeredUntil"` // YYYY-MM-DD
	Nation          string `json:"nation"`
	// Restrictions says that conditions on practice exist; their wording is
	// only on the public register, which PublicRegister points to.
	Restrictions   bool            `json:"restrictions"`
	PublicRegister string          `json:"publicRegister"`
	Qualifications []Qualification `json:"qualifications"`
	// QualityMark is present only while the register holds the PSA Quality
	// Mark and the registrant is in good standing.
	QualityMark *QualityMark `json:"qualityMark,omitempty"`
}

// Qualification is a registrant's qualification as a verifier sees it.
type Qualification struct {
	Title         string `json:"title"`
	Level         int    `json:"level"`
	Provider      string `json:"provider"`
	Accreditation string `json:"accreditation"`
	YearAwarded   int    `json:"yearAwarded"`
}

// QualityMark records that the register is accredited by the Professional
// Standards Authority, and until when.
type QualityMark struct {
	Scheme     string `json:"scheme"`
	Register   string `json:"register"`
	ValidUntil string `json:"validUntil"` // YYYY-MM-DD
}

// Status is the "status" claim of draft-ietf-oauth-status-list.
type Status struct {
	StatusList StatusListRef `json:"status_list"`
}

// StatusListRef is a reference to one entry of a Token Status List.
type StatusListRef struct {
	Idx uint64 `json:"idx"`
	URI string `json:"uri"`
}

//go:embed link-worker-v1.jsonld
var contextDocument []byte

// ContextDocument returns the JSON-LD context document that
// ContextLinkpass names, defining every term of the credential that the
// VC 2.0 context does not, so that a JSON-LD processor can expand a
// credential. The register serves it at that URL's path.
func ContextDocument() []byte { return bytes.Clone(contextDocument) }
