package registrants

import (
	"context"
	"log/slog"
	"time"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// Suspensions that end: a suspension with an end date ends by itself on
// that date. The register reinstates the registrant (or marks them lapsed,
// if their registration ran out meanwhile), audited as the register's own
// automatic change, as the lapse sweep does.

// SuspensionsEnded lists the suspended registrants whose suspension has
// reached its end date today.
func (s *Service) SuspensionsEnded() ([]*register.Registrant, error) {
	regs, err := s.srv.State().Registrants(register.Suspended)
	if err != nil {
		return nil, err
	}
	today := register.DateOf(s.srv.Now())
	var out []*register.Registrant
	for _, r := range regs {
		if r.SuspensionEnded(today) {
			out = append(out, r)
		}
	}
	return out, nil
}

// EndSuspensions reinstates every registrant whose suspension has reached
// its end date, in one change made by the register itself, and says how
// many. It writes to the log only when there is something to end.
func (s *Service) EndSuspensions(ctx context.Context) (int, error) {
	due, err := s.SuspensionsEnded()
	if err != nil || len(due) == 0 {
		return 0, err
	}
	res, err := s.srv.Apply(ctx, register.System, fsm.SuspensionSweep{})
	if err != nil {
		return 0, err
	}
	return res.(int), nil
}

// Run ends suspensions that reached their end date, at start and every
// `every`, until ctx ends.
func (s *Service) Run(ctx context.Context, every time.Duration, logger *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.EndSuspensions(ctx); err != nil {
			logger.Warn("ending suspensions that reached their end date failed; will retry", "err", err)
		} else if n > 0 {
			logger.Info("ended suspensions that reached their end date", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
