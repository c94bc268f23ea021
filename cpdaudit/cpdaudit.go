// Package cpdaudit runs the yearly CPD audit: a reproducible random draw
// of a share of the year's renewals (register.DrawCPDAudit), an email to
// each person drawn asking for evidence, and the registrar's outcome. An
// assessor re-runs a draw from the audit trail alone with Verify. A failed
// audit leads to a restriction or removal only through the usual
// operations, decided by a registrar: nothing here changes a registration.
package cpdaudit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/notify"
)

// RenewalAction is the audit action whose events make a year's population.
const RenewalAction = "registrant.renew"

// Register is what the CPD audit needs of the register.
type Register interface {
	notify.Register
	State() *state.Store
	Now() time.Time
}

// Service runs CPD audits.
type Service struct {
	reg    Register
	notify *notify.Notifier
	logger *slog.Logger
}

// New returns a Service; n may be nil (no evidence requests by mail).
func New(reg Register, n *notify.Notifier, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{reg: reg, notify: n, logger: logger}
}

// yearBounds are the first and last instants of a calendar year (UTC).
func yearBounds(year int) (time.Time, time.Time) {
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	return from, from.AddDate(1, 0, 0).Add(-time.Nanosecond)
}

// population returns the registration numbers renewed in year, from the
// audit trail, counting only events before log index before (0: all).
func population(st *state.Store, year int, before uint64) ([]string, error) {
	from, to := yearBounds(year)
	evs, err := st.Audit(state.AuditFilter{Action: RenewalAction, From: from, To: to})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ev := range evs {
		if before == 0 || ev.Index < before {
			out = append(out, ev.Registrant)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Draw draws year's audit with share (0 uses the default), records it
// through the log, and asks each person drawn for their evidence.
func (s *Service) Draw(ctx context.Context, actor register.Actor, year int, share float64) (*fsm.DrawResult, error) {
	if share == 0 {
		share = register.DefaultCPDAuditShare
	}
	if err := register.CheckCPDAuditShare(share); err != nil {
		return nil, err
	}
	pop, err := population(s.reg.State(), year, 0)
	if err != nil {
		return nil, err
	}
	if len(pop) == 0 {
		return nil, fmt.Errorf("%w: nobody renewed in %d yet, so there is nobody to draw", register.ErrConflict, year)
	}
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		return nil, err
	}
	res, err := s.reg.Apply(ctx, actor, fsm.DrawCPDAudit{Year: year, Share: share, Seed: hex.EncodeToString(seed), Population: pop})
	if err != nil {
		return nil, err
	}
	out := res.(*fsm.DrawResult)
	s.requestEvidence(ctx, out)
	return out, nil
}

// requestEvidence mails each person drawn. A mail that cannot go is on
// their record (package notify); the draw stands.
func (s *Service) requestEvidence(ctx context.Context, d *fsm.DrawResult) {
	if s.notify == nil {
		return
	}
	st := s.reg.State()
	name := st.Settings().RegisterName
	for _, a := range d.Drawn {
		r, err := st.Registrant(a.Registrant)
		if err != nil || r.Email == "" {
			continue
		}
		text := strings.Join([]string{
			"Dear " + r.FullName() + ",",
			"",
			"Each year the " + name + " asks a random sample of the people who renewed to show the CPD they declared. You have been drawn for " + strconv.Itoa(d.Year) + ". Being drawn says nothing about you: the draw is random.",
			"",
			"Please reply within 28 days with evidence of your CPD for " + strconv.Itoa(d.Year) + ": for each activity its date, title, provider, hours or points, whether it was formal, and a certificate or note where you have one.",
			"",
			"If you cannot reply in time, tell the registrar. Your registration is not affected while your evidence is being looked at.",
		}, "\r\n")
		_, err = s.notify.Send(ctx, register.System, notify.Mail{ID: "msg-cpdaudit-" + strconv.Itoa(d.Year) + "-" + r.Number, Once: true, Registrant: r,
			Purpose: "cpd-audit", Subject: "Your CPD has been drawn for audit (" + strconv.Itoa(d.Year) + ")", Text: text})
		if err != nil && !notify.IsDuplicate(err) {
			s.logger.Warn("CPD audit evidence request not sent", "registrant", r.Number, "err", err)
		}
	}
}

// Decide records a registrar's outcome of one audit.
func (s *Service) Decide(ctx context.Context, actor register.Actor, year int, number string, passed bool, note string) (*register.CPDAudit, error) {
	res, err := s.reg.Apply(ctx, actor, fsm.CPDAuditOutcome{Year: year, Registrant: number, Passed: passed, Note: note})
	if err != nil {
		return nil, err
	}
	return res.(*register.CPDAudit), nil
}

// List returns year's audits.
func (s *Service) List(year int) ([]*register.CPDAudit, error) { return s.reg.State().CPDAudits(year) }

// Verification is an assessor's re-run of a draw from the audit trail.
type Verification struct {
	Year  int     `json:"year"`
	Share float64 `json:"share"`
	Seed  string  `json:"seed"`
	// DrawnAt and Index are when and at which log index the draw was made.
	DrawnAt time.Time `json:"drawn_at"`
	Index   uint64    `json:"index"`
	// Renewals and PopulationDigest are recomputed from the renewals the
	// audit trail holds before the draw; Recorded* are what the draw said.
	Renewals                 int      `json:"renewals"`
	PopulationDigest         string   `json:"population_sha256"`
	RecordedPopulationDigest string   `json:"recorded_population_sha256"`
	Drawn                    []string `json:"drawn"`
	RecordedDrawn            []string `json:"recorded_drawn"`
	// OK is true when both match.
	OK bool `json:"ok"`
}

// Verify re-runs year's draw from the audit trail alone: the draw's
// recorded seed and share, and the renewals recorded before it.
func (s *Service) Verify(year int) (*Verification, error) {
	st := s.reg.State()
	evs, err := st.Audit(state.AuditFilter{Action: "cpd-audit.draw"})
	if err != nil {
		return nil, err
	}
	var draw *register.AuditEvent
	for _, ev := range evs {
		if ev.Target == strconv.Itoa(year) {
			draw = ev
		}
	}
	if draw == nil {
		return nil, fmt.Errorf("%w: no CPD audit was drawn for %d", register.ErrNotFound, year)
	}
	share, err := strconv.ParseFloat(draw.Details["share"], 64)
	if err != nil {
		return nil, fmt.Errorf("the recorded draw of %d has no share: %w", year, err)
	}
	seed, err := hex.DecodeString(draw.Details["seed"])
	if err != nil {
		return nil, fmt.Errorf("the recorded draw of %d has no seed: %w", year, err)
	}
	pop, err := population(st, year, draw.Index)
	if err != nil {
		return nil, err
	}
	drawn, err := register.DrawCPDAudit(year, pop, share, seed)
	if err != nil {
		return nil, err
	}
	v := &Verification{Year: year, Share: share, Seed: draw.Details["seed"], DrawnAt: draw.At, Index: draw.Index,
		Renewals: len(pop), PopulationDigest: register.PopulationDigest(pop), RecordedPopulationDigest: draw.Details["population_sha256"],
		Drawn: drawn, RecordedDrawn: strings.Fields(draw.Details["drawn_numbers"])}
	if v.Drawn == nil {
		v.Drawn = []string{}
	}
	v.OK = v.PopulationDigest == v.RecordedPopulationDigest && slices.Equal(v.Drawn, v.RecordedDrawn)
	return v, nil
}
