package trustbundle

import "time"

// Metadata is the register's issuer metadata, served at
// /.well-known/jwt-vc-issuer and carried in the trust bundle: the issuer
// URL, where its keys are, and the register's Quality Mark standing now.
type Metadata struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
	// QualityMark is the register's current PSA Quality Mark standing.
	// A credential carries the mark as it stood when it was issued; a
	// verifier compares the two so that a mark withdrawn since is not
	// shown as current.
	QualityMark *QualityMarkStanding `json:"quality_mark,omitempty"`
	// CredentialsCarryStatus is true when every credential the register
	// issues has a status list entry: a verifier then refuses one without.
	CredentialsCarryStatus bool `json:"credentials_carry_status,omitempty"`
}

// QualityMarkStanding is whether the register holds the PSA Quality Mark.
type QualityMarkStanding struct {
	Scheme string `json:"scheme"`
	Held   bool   `json:"held"`
	// Until is the last day of the accreditation (YYYY-MM-DD) while held.
	Until     string `json:"until,omitempty"`
	Reference string `json:"reference,omitempty"`
	// AsOf is when the register stated this.
	AsOf time.Time `json:"as_of"`
}

// QualityMark returns the register's Quality Mark standing as its signed
// trust statement states it, or nil if it does not say: then nothing is
// known beyond what each credential says.
func (c *Checked) QualityMark() *QualityMarkStanding { return c.statement.Metadata.QualityMark }

// Metadata returns the register's issuer metadata from its signed trust
// statement.
func (c *Checked) Metadata() Metadata { return c.statement.Metadata }
