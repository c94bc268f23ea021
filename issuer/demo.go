package issuer

import (
	"fmt"
	"time"

	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// demoPerson is one registrant of the demonstration register.
type demoPerson struct {
	given, family, nation string
	joinedMonthsAgo       int
	status                register.Status
	restriction           string
	quals                 []register.Qualification
}

// The demonstration's qualifications: catalogue courses (seedDemoCatalogue
// adds them, so a new register numbers them C1 to C5), and one typed in
// with the registrar's assessment.
var (
	qualL4Westminster = register.Qualification{Course: "C1", Awarded: "2023-07-14"}
	qualL5OU          = register.Qualification{Course: "C2", Awarded: "2022-06-30"}
	qualL4Wales       = register.Qualification{Course: "C3", Awarded: "2024-03-22"}
	qualSCQF7         = register.Qualification{Course: "C4", Awarded: "2021-11-05"}
	qualL3            = register.Qualification{Course: "C5", Awarded: "2020-02-10"}
	qualL6            = register.Qualification{Title: "BSc (Hons) Health and Wellbeing", Level: 6, Provider: "Ulster University", Accreditation: "other", Awarded: "2019-07-01",
		Assessment: "A related degree, not in the catalogue: relevant background, but it does not meet the criteria on its own."}
)

var demoPeople = []demoPerson{
	{"Siobhan", "Okonkwo-Fairweather", "england", 10, register.Registered, "", []register.Qualification{qualL4Westminster, qualL5OU}},
	{"Amara", "Nwosu", "england", 3, register.Registered, "", []register.Qualification{qualL4Westminster}},
	{"Gareth", "Llewellyn", "wales", 7, register.Registered, "", []register.Qualification{qualL4Wales}},
	{"Eilidh", "MacLeod", "scotland", 5, register.Registered, "", []register.Qualification{qualSCQF7}},
	{"Ciaran", "O'Neill", "northern-ireland", 8, register.Registered, "", []register.Qualification{qualL6, qualL4Westminster}},
	{"Priya", "Raghunathan", "england", 1, register.Registered, "", []register.Qualification{qualL5OU}},
	{"Tomasz", "Kowalczyk", "england", 6, register.Registered, "Must work under the supervision of a named senior link worker.", []register.Qualification{qualL4Westminster}},
	{"Rhiannon", "Pryce", "wales", 9, register.Registered, "", []register.Qualification{qualL4Wales, qualL3}},
	{"Mohammed", "Al-Rashid", "england", 4, register.Registered, "", []register.Qualification{qualL4Westminster}},
	{"Fiona", "Campbell", "scotland", 2, register.Registered, "", []register.Qualification{qualSCQF7}},
	{"Chloe", "Whitfield", "england", 11, register.Registered, "Must not undertake home visits alone.", []register.Qualification{qualL5OU}},
	{"Declan", "McAllister", "northern-ireland", 2, register.Registered, "", []register.Qualification{qualL6}},
	{"Grace", "Adeyemi", "england", 5, register.Suspended, "", []register.Qualification{qualL4Westminster}},
	{"Lewis", "Baird", "scotland", 6, register.Suspended, "Must not work with patients under 18.", []register.Qualification{qualSCQF7}},
	{"Hannah", "Greenwood", "england", 14, register.Lapsed, "", []register.Qualification{qualL4Westminster}},
	{"Dafydd", "Morgan", "wales", 16, register.Lapsed, "", []register.Qualification{qualL4Wales}},
	{"Oliver", "Hartley", "england", 9, register.Removed, "", []register.Qualification{qualL3}},
	{"Niamh", "Doherty", "northern-ireland", 7, register.Removed, "", []register.Qualification{qualL6}},
	{"Samuel", "Osei-Bonsu", "england", 4, register.Registered, "", []register.Qualification{qualL4Westminster, qualL5OU}},
	{"Isla", "Fraser", "scotland", 3, register.Registered, "", []register.Qualification{qualSCQF7, qualL3}},
}

// demoActor makes the demonstration's changes, so they are visible as such
// in the audit trail.
var demoActor = register.Actor{TokenID: "demo-seed", Role: register.RoleAdmin}

// SeedDemo fills an empty register with realistic registrants across every
// status, with qualifications and the Quality Mark. Changes are dated in
// the past, as if the register had been running for a while, and go
// through the log and audit trail like any other. It does nothing on a
// register that already has registrants.
func (s *Server) SeedDemo() (int, error) {
	regs, err := s.State().Registrants("")
	if err != nil || len(regs) > 0 {
		return 0, err
	}
	now := s.Now().UTC()
	today := register.DateOf(now)
	qm := register.QualityMark{Accredited: true, Since: today.AddYears(-1), Until: today.AddYears(2), Reference: "PSA-AR-2025-0147"}
	if _, err := s.applyAt(demoActor, fsm.SetSettings{QualityMark: &qm}, now.AddDate(0, -18, 0)); err != nil {
		return 0, fmt.Errorf("demo: quality mark: %w", err)
	}
	if err := s.seedDemoCatalogue(now.AddDate(0, -18, 0).Add(time.Hour)); err != nil {
		return 0, err
	}
	for i, p := range demoPeople {
		joined := now.AddDate(0, -p.joinedMonthsAgo, -i)
		until := register.DateOf(joined).AddYears(1).AddDays(-1)
		res, err := s.applyAt(demoActor, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{
			Given: p.given, Family: p.family, Nation: p.nation,
			Email: fmt.Sprintf("%s.%s@example.org", lowerASCII(p.given), lowerASCII(p.family)), RegisteredUntil: until,
		}}, joined)
		if err != nil {
			return 0, fmt.Errorf("demo: adding %s %s: %w", p.given, p.family, err)
		}
		n := res.(fsm.Result).Registrant.Number
		at := joined.Add(time.Hour)
		steps := []fsm.ChangeRegistrant{}
		for _, q := range p.quals {
			steps = append(steps, fsm.ChangeRegistrant{Number: n, Op: fsm.OpQualification, Qualification: &q})
		}
		steps = append(steps, fsm.ChangeRegistrant{Number: n, Op: fsm.OpCPD, CPD: &register.CPD{Year: joined.Year(), Hours: 22, FormalHours: 12}})
		if p.restriction != "" {
			steps = append(steps, fsm.ChangeRegistrant{Number: n, Op: fsm.OpRestrict, Text: p.restriction, Reason: "Fitness to practise panel decision FTP-" + n[2:]})
		}
		switch p.status {
		case register.Suspended:
			steps = append(steps, fsm.ChangeRegistrant{Number: n, Op: fsm.OpSuspend, Reason: "Interim suspension pending a fitness to practise hearing", Until: today.AddDays(90 + i)})
		case register.Removed:
			steps = append(steps, fsm.ChangeRegistrant{Number: n, Op: fsm.OpRemove, Reason: "Removed by fitness to practise panel decision FTP-" + n[2:]})
		}
		for _, st := range steps {
			at = at.Add(24 * time.Hour)
			if p.status == register.Suspended && st.Op == fsm.OpSuspend {
				at = now.Add(-72 * time.Hour)
			}
			if _, err := s.applyAt(demoActor, st, at); err != nil {
				return 0, fmt.Errorf("demo: %s %s: %w", st.Op, n, err)
			}
		}
	}
	// The demonstration seeds its lapses on purpose: a sweep of them is not
	// the mass lapse the automatic sweep's confirmation guards against.
	if _, err := s.apply(demoActor, fsm.LapseSweep{}); err != nil {
		return 0, fmt.Errorf("demo: lapsing: %w", err)
	}
	return len(demoPeople), nil
}

// The demonstration's course catalogue: a course for each of the demo
// qualifications, in every framework and standing, and one withdrawn.
var demoProviders = []courses.NewProvider{
	{Name: "University of Westminster", UKPRN: "10007165"},
	{Name: "Open University", UKPRN: "10007773"},
	{Name: "Cardiff Metropolitan University"},
	{Name: "Glasgow Caledonian University"},
	{Name: "NCFE"},
}

func demoCourses(today register.Date) []courses.NewCourse {
	acc := func(ref string) courses.StandingChange {
		return courses.StandingChange{Standing: courses.Accredited, Reference: ref, From: today.AddYears(-3), Until: today.AddYears(2)}
	}
	aligned := courses.StandingChange{Standing: courses.Aligned}
	return []courses.NewCourse{
		{Provider: "P1", Title: "Level 4 Certificate in Social Prescribing", Level: courses.Level{Framework: courses.RQF, Number: 4}, Mode: "part-time", Standing: acc("NALW-ACC-2023-001")},
		{Provider: "P2", Title: "Level 5 Diploma in Health and Social Care", Level: courses.Level{Framework: courses.RQF, Number: 5}, Mode: "distance", Standing: aligned},
		{Provider: "P3", Title: "Level 4 Award in Social Prescribing Practice", Level: courses.Level{Framework: courses.CQFW, Number: 4}, Mode: "blended", Standing: acc("NALW-ACC-2023-002")},
		{Provider: "P4", Title: "Professional Development Award in Community Link Working", Level: courses.Level{Framework: courses.SCQF, Number: 7}, Mode: "part-time", Standing: aligned},
		{Provider: "P5", Title: "Level 3 Certificate in Mental Health Awareness", Level: courses.Level{Framework: courses.RQF, Number: 3}, Mode: "distance", Standing: aligned},
		{Provider: "P2", Title: "Certificate in Community Wellbeing Practice", Level: courses.Level{Framework: courses.RQF, Number: 4}, Mode: "distance", Standing: aligned},
	}
}

// seedDemoCatalogue adds the demonstration catalogue at at and withdraws
// its last course a month later.
func (s *Server) seedDemoCatalogue(at time.Time) error {
	for _, p := range demoProviders {
		if _, err := s.applyAt(demoActor, fsm.AddProvider{NewProvider: p}, at); err != nil {
			return fmt.Errorf("demo: provider %s: %w", p.Name, err)
		}
	}
	var last string
	for _, c := range demoCourses(register.DateOf(at)) {
		res, err := s.applyAt(demoActor, fsm.AddCourse{NewCourse: c}, at)
		if err != nil {
			return fmt.Errorf("demo: course %s: %w", c.Title, err)
		}
		last = res.(*courses.Course).ID
	}
	if _, err := s.applyAt(demoActor, fsm.SetStanding{Course: last, Standing: courses.StandingChange{Standing: courses.Withdrawn,
		Reason: "The provider no longer teaches the course."}}, at.AddDate(0, 1, 0)); err != nil {
		return fmt.Errorf("demo: withdrawing %s: %w", last, err)
	}
	// The registration criteria stay off, as on any register until an
	// admin sets them (`linkpass criteria set`): the console's form for
	// adding a registrant takes no qualification yet.
	return nil
}

func lowerASCII(s string) string {
	b := make([]byte, 0, len(s))
	for _, c := range []byte(s) {
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c >= 'a' && c <= 'z':
			b = append(b, c)
		}
	}
	return string(b)
}
