// Package reminders tells registrants by email that their registration is
// about to end (by default 60, 30 and 7 days before registered-until) and,
// once it has lapsed, that it has. Each message is sent once: its id names
// the registrant, the registered-until date and the stage, and the log
// refuses a second one with the same id (notify.Mail.Once). A renewal moves
// registered-until, so the next year's reminders are new messages.
//
// A sweep sends only the most urgent stage a registrant has reached: a
// register started 20 days before someone's date sends the 30-day reminder
// (saying 20 days), not a late 60-day one as well.
package reminders

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/notify"
)

// DefaultDays are the stages, in days before registered-until.
var DefaultDays = []int{60, 30, 7}

// LapseNoticeWithin bounds how long after a lapse its notice is still
// sent, so that a register imported with old lapsed entries does not mail
// people who lapsed years ago.
const LapseNoticeWithin = 14 * 24 * time.Hour

// Register is what reminders needs of the register.
type Register interface {
	notify.Register
	State() *state.Store
	Now() time.Time
}

// Config configures a Service.
type Config struct {
	// Days are the stages; empty sends no reminders (lapse notices still go).
	Days   []int
	Logger *slog.Logger
}

// Service sends reminders.
type Service struct {
	reg    Register
	notify *notify.Notifier
	days   []int
	logger *slog.Logger
}

// New returns a Service, checking the stages.
func New(reg Register, n *notify.Notifier, cfg Config) (*Service, error) {
	days := slices.Clone(cfg.Days)
	slices.Sort(days)
	for i, d := range days {
		if d < 1 || d > 366 {
			return nil, fmt.Errorf("reminders: %d days before is not a stage; give whole days from 1 to 366", d)
		}
		if i > 0 && days[i-1] == d {
			return nil, fmt.Errorf("reminders: %d days given twice", d)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{reg: reg, notify: n, days: days, logger: cfg.Logger}, nil
}

// Kind says what a reminder is.
type Kind string

// The kinds.
const (
	Renewal Kind = "renewal-reminder"
	Lapsed  Kind = "lapse-notice"
)

// Reminder is one message due.
type Reminder struct {
	Kind       Kind
	Registrant *register.Registrant
	// Stage is the stage in days (renewal reminders); DaysLeft is how many
	// days remain on the day it is sent.
	Stage, DaysLeft int
}

// ID is the message's id: the same reminder always has the same one.
func (r Reminder) ID() string {
	if r.Kind == Lapsed {
		return fmt.Sprintf("msg-lapsed-%s-%s", r.Registrant.Number, r.Registrant.RegisteredUntil)
	}
	return fmt.Sprintf("msg-renew-%s-%s-%d", r.Registrant.Number, r.Registrant.RegisteredUntil, r.Stage)
}

// Due lists the reminders due at now that have not been sent.
func (s *Service) Due(now time.Time) ([]Reminder, error) {
	st := s.reg.State()
	today := register.DateOf(now).Time()
	grace := st.Settings().GraceDays
	var out []Reminder
	err := st.EachRegistrant("", func(r *register.Registrant) error {
		var rem Reminder
		switch {
		case r.Email == "":
			return nil
		case r.Status == register.Registered:
			left := int(r.RegisteredUntil.Time().Sub(today).Hours() / 24)
			if left < 0 {
				return nil // the lapse sweep's to act on, then the notice
			}
			i, ok := slices.BinarySearch(s.days, left)
			if !ok && i == len(s.days) {
				return nil // further off than the first stage
			}
			rem = Reminder{Kind: Renewal, Registrant: r, Stage: s.days[i], DaysLeft: left}
		// The notice goes at the true lapse: after the grace period, if the
		// register has one.
		case r.Status == register.Lapsed && now.Sub(r.StatusChangedAt) <= LapseNoticeWithin &&
			now.Sub(r.LapsesOn(grace).Time()) <= LapseNoticeWithin:
			rem = Reminder{Kind: Lapsed, Registrant: r}
		default:
			return nil
		}
		if _, err := st.Message(rem.ID()); err == nil {
			return nil // sent (or queued) already
		}
		rem.Registrant = r.Clone() // EachRegistrant reuses r
		out = append(out, rem)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Sweep sends every reminder due now and returns how many were queued.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	due, err := s.Due(s.reg.Now())
	if err != nil {
		return 0, err
	}
	settings := s.reg.State().Settings()
	n := 0
	for _, rem := range due {
		subject, text := message(rem, settings, settings.GraceDays)
		_, err := s.notify.Send(ctx, register.System, notify.Mail{ID: rem.ID(), Once: true, Registrant: rem.Registrant,
			Purpose: string(rem.Kind), Subject: subject, Text: text})
		switch {
		case notify.IsDuplicate(err):
			continue
		case err != nil:
			return n, fmt.Errorf("reminders: %s: %w", rem.Registrant.Number, err)
		}
		n++
	}
	return n, nil
}

// Run sweeps at once and then every interval until ctx ends. Leader says
// whether this node should send (only the leader does, in a cluster).
func (s *Service) Run(ctx context.Context, every time.Duration, leader func() bool) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if leader() {
			if n, err := s.Sweep(ctx); err != nil {
				s.logger.Warn("sending renewal reminders failed; will retry", "err", err)
			} else if n > 0 {
				s.logger.Info("renewal reminders queued", "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// accountURL is the registrant's account, where they renew.
func accountURL(set register.Settings) string {
	return strings.TrimSuffix(set.IssuerURL, "/") + "/account"
}

// message is the reminder's subject and text: plain words, the date in
// full, and what to do.
func message(rem Reminder, set register.Settings, grace int) (subject, text string) {
	r := rem.Registrant
	until := r.RegisteredUntil.Time().Format("Monday 2 January 2006")
	name := set.RegisterName
	if rem.Kind == Lapsed {
		return "Your registration has lapsed", strings.Join([]string{
			"Dear " + r.FullName() + ",",
			"",
			"Your registration " + r.Number + " on the " + name + " ended on " + until + " and has not been renewed" + graceEnded(r, grace) + ".",
			"",
			"Until it is renewed, you may not practise or describe yourself as a registered social prescribing link worker, and employers who check your credential will see that it has lapsed.",
			"",
			"To return to the register, sign in to your account at " + accountURL(set) + " with this email address and renew there. If you think this is wrong, reply to this email or contact the registrar.",
		}, "\r\n")
	}
	when := fmt.Sprintf("in %d days", rem.DaysLeft)
	if rem.DaysLeft == 1 {
		when = "tomorrow"
	} else if rem.DaysLeft == 0 {
		when = "today"
	}
	return fmt.Sprintf("Your registration ends %s: renew by %s", when, until), strings.Join([]string{
		"Dear " + r.FullName() + ",",
		"",
		"Your registration " + r.Number + " on the " + name + " ends " + when + ", on " + until + ".",
		"",
		"To stay on the register, renew before then: you will be asked to confirm your details, make a declaration and summarise your CPD for the year.",
		"",
		lapseSentence(r, grace),
		"",
		"To renew, sign in to your account at " + accountURL(set) + " with this email address: the register sends you a code, with no password to remember. If you think this date is wrong, reply to this email or contact the registrar.",
	}, "\r\n")
}

// graceEnded says, in a lapse notice, that the grace period ended too.
func graceEnded(r *register.Registrant, grace int) string {
	if grace == 0 {
		return ""
	}
	return fmt.Sprintf("; the %d days' grace the register allows ended on %s", grace, r.LapsesOn(grace).AddDays(-1).Time().Format("Monday 2 January 2006"))
}

// lapseSentence says when a registration that is not renewed lapses.
func lapseSentence(r *register.Registrant, grace int) string {
	if grace == 0 {
		return "If it is not renewed by that date, your registration lapses: you may not practise as a registered link worker until it is renewed."
	}
	return fmt.Sprintf("If it is not renewed by that date, your credential expires, and after %d days' grace your registration lapses on %s: then you may not practise as a registered link worker until it is renewed.",
		grace, r.LapsesOn(grace).Time().Format("Monday 2 January 2006"))
}
