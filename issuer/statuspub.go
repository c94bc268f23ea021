package issuer

import (
	"github.com/nalw/linkpass/issuer/statuspub"
	"github.com/nalw/linkpass/keys"
)

// Published returns the current token of status list id.
func (s *Server) Published(id string) (*statuspub.List, bool) { return s.pub.Published(id) }

// PublishedLists returns every current status list token, in list order.
func (s *Server) PublishedLists() []*statuspub.List { return s.pub.Lists() }

// activeSigner returns the signer of the active signing key, for the
// status list publisher.
func (s *Server) activeSigner() (keys.Signer, error) {
	if err := s.signingRefusal(); err != nil {
		return nil, err
	}
	rec, err := s.activeKey()
	if err != nil {
		return nil, err
	}
	return s.signers.get(rec.KID)
}

func (s *Server) newPublisher() *statuspub.Publisher {
	return statuspub.New(statuspub.Config{
		State: s.State, Signer: s.activeSigner, Clock: s.Now,
		TTL: s.cfg.StatusListTTL, Validity: s.cfg.StatusListValidity, Logger: s.logger,
	})
}
