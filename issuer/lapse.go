package issuer

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// ClockFault says why the register's clock cannot be trusted to act on:
// it reads earlier than the last committed change. Nil when it is fine.
// While it is set the register takes no changes, publishes no status
// list and is not ready; it clears by itself when the clock catches up.
func (s *Server) ClockFault() error {
	// The last change first: read after it, the clock is past any change
	// committed meanwhile, which another writer may have just dated.
	last := s.State().LastAt()
	now := s.Now()
	if !now.Before(last) {
		return nil
	}
	return fmt.Errorf("%w: the register's clock reads %s, earlier than its last committed change at %s (%s behind): it takes no changes and publishes no status list until the clock is right; check this machine's time and NTP",
		register.ErrUnavailable, now.UTC().Format(time.RFC3339), last.UTC().Format(time.RFC3339), last.Sub(now).Round(time.Second))
}

// LapseSweep is what a lapse sweep would do now.
type LapseSweep struct {
	// Due is how many registered registrants are past their end date.
	Due int `json:"due"`
	// Registered is how many registrants are registered.
	Registered int `json:"registered"`
	// Limit is the most the automatic sweep lapses on its own.
	Limit int `json:"limit"`
	// Held says the automatic sweep is waiting for confirmation.
	Held bool `json:"held"`
	// Lapsed is how many a confirmed sweep lapsed.
	Lapsed int `json:"lapsed"`
}

// lapseHold remembers the sweep last held, so that it is logged once.
type lapseHold struct {
	mu  sync.Mutex
	due int
}

// PendingLapse says how many registrations a sweep would lapse now, and
// whether that is more than the automatic sweep may lapse on its own.
func (s *Server) PendingLapse() (*LapseSweep, error) {
	// One day and grace period for the million: Standing works out their
	// lapse once, as a public search does for its answer.
	on := register.StandingOn(register.DateOf(s.Now()), s.State().Settings().GraceDays)
	p := &LapseSweep{}
	err := s.State().EachRegistrant(register.Registered, func(r *register.Registrant) error {
		p.Registered++
		if on.Due(r) {
			p.Due++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// One registrant may always lapse, so that a small register still
	// lapses on its own; beyond that, a sweep of more than the configured
	// share is more likely a clock gone wrong than a real lapse.
	p.Limit = max(1, int(math.Floor(s.cfg.LapseConfirmShare*float64(p.Registered))))
	p.Held = p.Due > p.Limit
	return p, nil
}

// LapseExpired lapses registrations that have run out, unless there are
// more of them than the automatic sweep may lapse: then it lapses none,
// logs once what it would do, and waits for ConfirmLapse. It writes to the
// log only when there is something to lapse.
func (s *Server) LapseExpired() (int, error) {
	p, err := s.PendingLapse()
	if err != nil {
		return 0, err
	}
	s.lapseHold.mu.Lock()
	defer s.lapseHold.mu.Unlock()
	if p.Held {
		if p.Due != s.lapseHold.due {
			s.logger.Error(fmt.Sprintf("automatic lapse sweep held: it would lapse %d of %d registered registrants, more than %d (%g%%); check the register's clock, then run `linkpass registrant lapse-sweep --confirm` if they really ran out",
				p.Due, p.Registered, p.Limit, s.cfg.LapseConfirmShare*100), "due", p.Due, "registered", p.Registered)
			s.lapseHold.due = p.Due
		}
		return 0, nil
	}
	s.lapseHold.due = 0
	if p.Due == 0 {
		return 0, nil
	}
	res, err := s.apply(register.System, fsm.LapseSweep{})
	if err != nil {
		return 0, err
	}
	return res.(int), nil
}

// ConfirmLapse runs the lapse sweep on an operator's say-so, however many
// it lapses; each lapse is audited with actor.
func (s *Server) ConfirmLapse(ctx context.Context, actor register.Actor) (*LapseSweep, error) {
	p, err := s.PendingLapse()
	if err != nil {
		return nil, err
	}
	if p.Due == 0 {
		return p, nil
	}
	res, err := s.Apply(ctx, actor, fsm.LapseSweep{})
	if err != nil {
		return nil, err
	}
	p.Lapsed = res.(int)
	s.lapseHold.mu.Lock()
	s.lapseHold.due = 0
	s.lapseHold.mu.Unlock()
	s.logger.Info("lapse sweep confirmed by an operator", "lapsed", p.Lapsed, "token", actor.TokenID)
	return p, nil
}
