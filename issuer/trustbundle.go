package issuer

import (
	"encoding/json"
	"time"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/trustbundle"
)

// Metadata is the register's issuer metadata, with its Quality Mark
// standing today.
func (s *Server) Metadata() trustbundle.Metadata {
	settings := s.State().Settings()
	now := s.Now().UTC().Truncate(time.Second)
	qm := &trustbundle.QualityMarkStanding{Scheme: credential.QualityMarkScheme, Held: settings.QualityMark.Held(register.DateOf(now)), AsOf: now}
	if qm.Held {
		qm.Until, qm.Reference = string(settings.QualityMark.Until), settings.QualityMark.Reference
	}
	return trustbundle.Metadata{Issuer: settings.IssuerURL, JWKSURI: settings.IssuerURL + "/.well-known/jwks.json", QualityMark: qm}
}

// TrustBundle returns everything an offline verifier needs.
func (s *Server) TrustBundle() (*trustbundle.Bundle, error) {
	jwks, err := s.JWKS()
	if err != nil {
		return nil, err
	}
	issuerURL := s.State().Settings().IssuerURL
	meta, err := json.Marshal(s.Metadata())
	if err != nil {
		return nil, err
	}
	b := &trustbundle.Bundle{Format: trustbundle.Format, Issuer: issuerURL, Metadata: meta, JWKS: jwks,
		StatusLists: []trustbundle.StatusList{}, CreatedAt: s.Now().UTC().Truncate(time.Second)}
	for _, p := range s.PublishedLists() {
		b.StatusLists = append(b.StatusLists, trustbundle.StatusList{URI: p.URI, Token: string(p.Token)})
	}
	return b, nil
}
