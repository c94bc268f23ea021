// Package reports builds the figures the Professional Standards Authority
// asks an accredited register for, over a date range, from the audit trail
// alone: so that an assessor given the trail (linkpass audit export) can
// check every figure.
package reports

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

// Report is the PSA report for [From, To].
type Report struct {
	From        register.Date `json:"from"`
	To          register.Date `json:"to"`
	GeneratedAt time.Time     `json:"generated_at"`
	// RemovedVisibleDays is the display policy for removed entries the
	// report assumes (settings).
	RemovedVisibleDays int `json:"removed_visible_days"`

	Applications          Applications  `json:"applications"`
	Registrations         Registrations `json:"registrations"`
	CPDAudits             CPDAudits     `json:"cpd_audits"`
	DecisionToPublication Durations     `json:"decision_to_publication"`
	Decisions             []Decision    `json:"decisions"`
	Suspensions           []Displayed   `json:"suspensions"`
	Removals              []Displayed   `json:"removals"`
}

// Applications counts applications to join by what happened to them in
// the range, and how long decisions took from submission.
type Applications struct {
	Received             int       `json:"received"`
	InformationRequested int       `json:"information_requested"`
	Approved             int       `json:"approved"`
	Refused              int       `json:"refused"`
	Appealed             int       `json:"appealed"`
	AppealsUpheld        int       `json:"appeals_upheld"`
	AppealsDismissed     int       `json:"appeals_dismissed"`
	DaysToDecision       Durations `json:"days_to_decision"`
}

// Registrations counts registrants joining, renewing and lapsing.
type Registrations struct {
	Added      int `json:"added"`
	Imported   int `json:"imported"`
	Renewed    int `json:"renewed"`
	Lapsed     int `json:"lapsed"`
	Suspended  int `json:"suspended"`
	Reinstated int `json:"reinstated"`
	Restricted int `json:"restricted"`
	Removed    int `json:"removed"`
}

// CPDAudits counts the CPD audits drawn and decided in the range.
type CPDAudits struct {
	Drawn  int `json:"drawn"`
	Passed int `json:"passed"`
	Failed int `json:"failed"`
}

// Durations summarises a set of durations in days.
type Durations struct {
	Count      int     `json:"count"`
	MedianDays float64 `json:"median_days"`
	MaxDays    float64 `json:"max_days"`
}

// Decision is one fitness-to-practise change and how long it took to reach
// the register after it was decided. The public register shows a change
// the moment it is committed (the event's time); Decided is the date the
// registrar gave (decided_on), or the day of the change.
type Decision struct {
	Registrant string        `json:"registration_number"`
	Action     string        `json:"action"`
	Decided    register.Date `json:"decided"`
	Published  time.Time     `json:"published"`
	Days       float64       `json:"days"`
}

// Displayed is a suspension or removal and how long it was shown on the
// public register, up to the end of the range.
type Displayed struct {
	Registrant string    `json:"registration_number"`
	From       time.Time `json:"from"`
	// Until is when it stopped being shown (reinstated, or the removal
	// display period ended); zero while still shown at the end of the range.
	Until time.Time `json:"until,omitzero"`
	Days  float64   `json:"days"`
}

// Build makes the report for [from, to] from every audit event up to the
// end of to (events after it are ignored). removedVisibleDays is the
// display policy of removed entries.
func Build(events []*register.AuditEvent, from, to register.Date, removedVisibleDays int, now time.Time) (*Report, error) {
	if to.Before(from) {
		return nil, fmt.Errorf("%w: the range ends (%s) before it starts (%s)", register.ErrInvalid, to, from)
	}
	start, end := from.Time(), to.EndOfDay()
	in := func(t time.Time) bool { return !t.Before(start) && !t.After(end) }
	r := &Report{From: from, To: to, GeneratedAt: now.UTC(), RemovedVisibleDays: removedVisibleDays,
		Decisions: []Decision{}, Suspensions: []Displayed{}, Removals: []Displayed{}}
	submitted := map[string]time.Time{}
	var decisionDays, lagDays []float64
	suspended := map[string]time.Time{}
	for _, ev := range events {
		if ev.At.After(end) {
			continue
		}
		switch {
		case ev.Action == "application.submit":
			submitted[ev.Target] = ev.At
		case ev.Action == "registrant.suspend":
			suspended[ev.Registrant] = ev.At
		case ev.Action == "registrant.remove" || isReinstatement(ev.Action):
			if at, ok := suspended[ev.Registrant]; ok {
				delete(suspended, ev.Registrant)
				if !ev.At.Before(start) {
					r.Suspensions = append(r.Suspensions, displayed(ev.Registrant, at, ev.At, start))
				}
			}
		}
		if !in(ev.At) {
			continue
		}
		a, reg := &r.Applications, &r.Registrations
		switch ev.Action {
		case "application.submit":
			a.Received++
		case "application.request-information":
			a.InformationRequested++
		case "application.approve", "application.refuse":
			if ev.Action == "application.approve" {
				a.Approved++
			} else {
				a.Refused++
			}
			if at, ok := submitted[ev.Target]; ok {
				decisionDays = append(decisionDays, days(ev.At.Sub(at)))
			}
		case "application.appeal":
			a.Appealed++
		case "application.appeal-upheld":
			a.AppealsUpheld++
		case "application.appeal-dismissed":
			a.AppealsDismissed++
		case "registrant.add":
			reg.Added++
		case "registrant.import":
			reg.Imported++
		case "registrant.renew":
			reg.Renewed++
		case "registrant.lapse":
			reg.Lapsed++
		case "registrant.reinstate":
			reg.Reinstated++
		case "cpd-audit.select":
			r.CPDAudits.Drawn++
		case "cpd-audit.pass":
			r.CPDAudits.Passed++
		case "cpd-audit.fail":
			r.CPDAudits.Failed++
		}
		switch ev.Action {
		case "registrant.suspend", "registrant.restrict", "registrant.remove":
			switch ev.Action {
			case "registrant.suspend":
				reg.Suspended++
			case "registrant.restrict":
				reg.Restricted++
			case "registrant.remove":
				reg.Removed++
				r.Removals = append(r.Removals, removal(ev.Registrant, ev.At, removedVisibleDays, end))
			}
			// With no decision date given, the decision is the change.
			d := Decision{Registrant: ev.Registrant, Action: ev.Action, Decided: register.DateOf(ev.At), Published: ev.At}
			if s := ev.Details["decided"]; s != "" {
				d.Decided = register.Date(s)
				d.Days = round(math.Max(0, days(ev.At.Sub(d.Decided.Time()))))
			}
			r.Decisions = append(r.Decisions, d)
			lagDays = append(lagDays, d.Days)
		}
	}
	// Suspensions still in force at the end of the range.
	for n, at := range suspended {
		r.Suspensions = append(r.Suspensions, displayed(n, at, time.Time{}, start, end))
	}
	slices.SortFunc(r.Suspensions, func(a, b Displayed) int { return a.From.Compare(b.From) })
	r.Applications.DaysToDecision = summarise(decisionDays)
	r.DecisionToPublication = summarise(lagDays)
	return r, nil
}

// isReinstatement says whether action ends a suspension: a registrar's
// reinstatement, or the register's own at a suspension's end date (the
// same action, with details automatic=true).
func isReinstatement(action string) bool { return action == "registrant.reinstate" }

// displayed is a suspension shown from at until until (zero: still, at
// the end of the range), counting only the part within the range.
func displayed(n string, at, until, start time.Time, end ...time.Time) Displayed {
	d := Displayed{Registrant: n, From: at, Until: until}
	stop := until
	if stop.IsZero() {
		stop = end[0]
	}
	d.Days = round(days(stop.Sub(maxTime(at, start))))
	return d
}

// removal is a removed entry, shown for the policy's days after removal.
func removal(n string, at time.Time, visibleDays int, end time.Time) Displayed {
	d := Displayed{Registrant: n, From: at}
	hidden := at.AddDate(0, 0, visibleDays)
	stop := end
	if visibleDays >= 0 && hidden.Before(end) {
		d.Until, stop = hidden, hidden
	}
	d.Days = round(days(stop.Sub(at)))
	return d
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func days(d time.Duration) float64 { return d.Hours() / 24 }

func round(f float64) float64 { return math.Round(f*10) / 10 }

func summarise(v []float64) Durations {
	if len(v) == 0 {
		return Durations{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Durations{Count: len(s), MedianDays: round(med), MaxDays: round(s[len(s)-1])}
}

// WriteCSV writes the report as one table a spreadsheet opens: a row per
// figure, then a row per decision, suspension and removal.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	row := func(cols ...string) { _ = cw.Write(cols) }
	row("section", "measure", "registration_number", "from", "until", "days", "value")
	row("report", "period", "", string(r.From), string(r.To), "", "")
	n := func(section, measure string, v int) { row(section, measure, "", "", "", "", strconv.Itoa(v)) }
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	a := r.Applications
	for _, m := range []struct {
		k string
		v int
	}{{"received", a.Received}, {"information_requested", a.InformationRequested}, {"approved", a.Approved}, {"refused", a.Refused},
		{"appealed", a.Appealed}, {"appeals_upheld", a.AppealsUpheld}, {"appeals_dismissed", a.AppealsDismissed}} {
		n("applications", m.k, m.v)
	}
	row("applications", "median_days_to_decision", "", "", "", f(a.DaysToDecision.MedianDays), strconv.Itoa(a.DaysToDecision.Count))
	g := r.Registrations
	for _, m := range []struct {
		k string
		v int
	}{{"added", g.Added}, {"imported", g.Imported}, {"renewed", g.Renewed}, {"lapsed", g.Lapsed}, {"suspended", g.Suspended},
		{"reinstated", g.Reinstated}, {"restricted", g.Restricted}, {"removed", g.Removed}} {
		n("registrations", m.k, m.v)
	}
	n("cpd_audits", "drawn", r.CPDAudits.Drawn)
	n("cpd_audits", "passed", r.CPDAudits.Passed)
	n("cpd_audits", "failed", r.CPDAudits.Failed)
	row("decision_to_publication", "median_days", "", "", "", f(r.DecisionToPublication.MedianDays), strconv.Itoa(r.DecisionToPublication.Count))
	row("decision_to_publication", "max_days", "", "", "", f(r.DecisionToPublication.MaxDays), "")
	for _, d := range r.Decisions {
		row("decision", d.Action, d.Registrant, string(d.Decided), d.Published.UTC().Format(time.RFC3339), f(d.Days), "")
	}
	for _, s := range r.Suspensions {
		row("suspension", "displayed", s.Registrant, s.From.UTC().Format(time.RFC3339), stamp(s.Until), f(s.Days), "")
	}
	for _, s := range r.Removals {
		row("removal", "displayed", s.Registrant, s.From.UTC().Format(time.RFC3339), stamp(s.Until), f(s.Days), "")
	}
	cw.Flush()
	return cw.Error()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Actions are the audit actions a report reads; every other event leaves
// it unchanged, so Read fetches only these.
var Actions = []string{
	"application.submit", "application.request-information", "application.approve", "application.refuse",
	"application.appeal", "application.appeal-upheld", "application.appeal-dismissed",
	"registrant.add", "registrant.import", "registrant.renew", "registrant.lapse",
	"registrant.suspend", "registrant.reinstate", "registrant.restrict", "registrant.remove",
	"cpd-audit.select", "cpd-audit.pass", "cpd-audit.fail",
}

// Read builds the report for [from, to] from st's audit trail, reading
// only the actions a report counts (through the trail's action index)
// rather than every event of the register's history.
func Read(st *state.Store, from, to register.Date, now time.Time) (*Report, error) {
	if to.Before(from) {
		return nil, fmt.Errorf("%w: the range ends (%s) before it starts (%s)", register.ErrInvalid, to, from)
	}
	var evs []*register.AuditEvent
	for _, a := range Actions {
		got, err := st.Audit(state.AuditFilter{Action: a, To: to.EndOfDay()})
		if err != nil {
			return nil, err
		}
		evs = append(evs, got...)
	}
	// Build reads the trail in order: a suspension before its end.
	slices.SortFunc(evs, func(a, b *register.AuditEvent) int {
		if c := cmp.Compare(a.Index, b.Index); c != 0 {
			return c
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
	return Build(evs, from, to, st.Settings().RemovedVisibleDays, now)
}
