package trustbundle

import (
	"encoding/json"
	"time"
)

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

// QualityMark returns the register's Quality Mark standing as the bundle
// states it, or nil if the bundle does not say (a register of an older
// release): then nothing is known beyond what each credential says.
func (c *Checked) QualityMark() *QualityMarkStanding { return c.qualityMark }

// parseQualityMark reads the standing out of metadata, leniently: the
// member is optional and a malformed one is treated as absent.
func parseQualityMark(metadata json.RawMessage) *QualityMarkStanding {
	var m Metadata
	if json.Unmarshal(metadata, &m) != nil || m.QualityMark == nil {
		return nil
	}
	return m.QualityMark
}
