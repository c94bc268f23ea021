// Package catalogue is the one set of operations on the course catalogue
// and the registration criteria, which the API (and so the CLI) and the
// console call. Each checks its input, then commits one command through
// the register's log, where package courses' rules decide.
package catalogue

import (
	"context"

	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// Service changes the catalogue of one register.
type Service struct{ srv *issuer.Server }

// New returns the catalogue operations of srv.
func New(srv *issuer.Server) *Service { return &Service{srv: srv} }

// AddProvider adds a training provider.
func (s *Service) AddProvider(ctx context.Context, actor register.Actor, n courses.NewProvider) (*courses.Provider, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	res, err := s.srv.Apply(ctx, actor, fsm.AddProvider{NewProvider: n})
	if err != nil {
		return nil, err
	}
	return res.(*courses.Provider), nil
}

// AddCourse adds a course with its first standing.
func (s *Service) AddCourse(ctx context.Context, actor register.Actor, n courses.NewCourse) (*courses.Course, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	res, err := s.srv.Apply(ctx, actor, fsm.AddCourse{NewCourse: n})
	if err != nil {
		return nil, err
	}
	return res.(*courses.Course), nil
}

// SetStanding records course id's new standing.
func (s *Service) SetStanding(ctx context.Context, actor register.Actor, id string, st courses.StandingChange) (*courses.Course, error) {
	if err := st.Validate(); err != nil {
		return nil, err
	}
	res, err := s.srv.Apply(ctx, actor, fsm.SetStanding{Course: id, Standing: st})
	if err != nil {
		return nil, err
	}
	return res.(*courses.Course), nil
}

// SetCriteria replaces the registration criteria.
func (s *Service) SetCriteria(ctx context.Context, actor register.Actor, c register.Criteria) (register.Settings, error) {
	if err := c.Validate(); err != nil {
		return register.Settings{}, err
	}
	res, err := s.srv.Apply(ctx, actor, fsm.SetCriteria{Criteria: c})
	if err != nil {
		return register.Settings{}, err
	}
	return res.(register.Settings), nil
}
