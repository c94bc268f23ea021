package issuer

import (
	"fmt"
	"time"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/issuer/datadir"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/trustroot"
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
	return trustbundle.Metadata{Issuer: settings.IssuerURL, JWKSURI: settings.IssuerURL + "/.well-known/jwks.json", QualityMark: qm,
		CredentialsCarryStatus: true} // every credential is issued with a status list entry
}

// openTrustRoot loads the register's root key, making it on first start,
// and logs its fingerprint: the operator publishes it so that practices
// can confirm the root they pin.
func (s *Server) openTrustRoot() error {
	dir := datadir.Layout(s.cfg.DataDir).RootKey()
	root, made, err := trustroot.Open(dir)
	if err != nil {
		return fmt.Errorf("%w: root key in %s: %v", ErrDataDir, dir, err)
	}
	s.rootKey = root
	if s.root, err = trustroot.New(root, func() trustroot.State { return s.State() }, s.Metadata, s.Now); err != nil {
		return err
	}
	if made {
		s.logger.Info("made the register's root key; publish its fingerprint so that practices can confirm it at their first sync", "root_fingerprint", root.KeyID())
	} else {
		s.logger.Info("root key loaded", "root_fingerprint", root.KeyID())
	}
	return nil
}

// RootFingerprint is the fingerprint of the register's root key (its
// RFC 7638 thumbprint), as `linkpass verify sync` shows it.
func (s *Server) RootFingerprint() string { return s.root.Fingerprint() }

// TrustStatement returns the register's current signed trust statement.
func (s *Server) TrustStatement() (string, error) {
	tok, _, err := s.root.Statement()
	return tok, err
}

// TrustBundle returns everything an offline verifier needs: the signed
// trust statement and every signed status list.
func (s *Server) TrustBundle() (*trustbundle.Bundle, error) {
	stmt, err := s.TrustStatement()
	if err != nil {
		return nil, err
	}
	issuerURL := s.State().Settings().IssuerURL
	b := &trustbundle.Bundle{Format: trustbundle.Format, Issuer: issuerURL, Statement: stmt,
		StatusLists: []trustbundle.StatusList{}, CreatedAt: s.Now().UTC().Truncate(time.Second)}
	for _, p := range s.PublishedLists() {
		b.StatusLists = append(b.StatusLists, trustbundle.StatusList{URI: p.URI, Token: string(p.Token)})
	}
	return b, nil
}
