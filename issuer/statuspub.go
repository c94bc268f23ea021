package issuer

import (
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
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
	rec, err := s.activeKey()
	if err != nil {
		return nil, err
	}
	return s.signers.get(rec.KID)
}

func (s *Server) newPublisher() *statuspub.Publisher {
	cfg := statuspub.Config{
		State: s.State, Signer: s.activeSigner, Clock: s.Now,
		TTL: s.cfg.StatusListTTL, Validity: s.cfg.StatusListValidity, Logger: s.logger,
		Changes: s.fsm,
	}
	if s.node != nil {
		// Only the leader signs; every node serves the tokens it wrote
		// to the log.
		cfg.Active = s.node.IsLeader
		cfg.Replicate = s.replicateLists
	}
	return statuspub.New(cfg)
}

// replicateLists writes tokens the leader signed to the log.
func (s *Server) replicateLists(lists []*statuspub.List, index, built uint64) error {
	cmd := fsm.PublishStatus{Lists: make([]state.PublishedList, 0, len(lists))}
	for _, l := range lists {
		cmd.Lists = append(cmd.Lists, state.PublishedList{ID: l.ID, URI: l.URI, Token: l.Token, ETag: l.ETag, IssuedAt: l.IssuedAt, TTL: l.TTL, Index: index, Built: built})
	}
	_, err := s.apply(register.System, cmd)
	return err
}
