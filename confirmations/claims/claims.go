// Package claims is the one set of operations on training providers'
// confirmations, shared by the API, the CLI and the console: a provider's
// queue of the qualifications claimed from its courses, its answer about
// one (confirmed, or disputed with a reason) through the log, and the
// answers as a registrar and a registrant see them on a record.
//
// What a provider sees is cut down here, not in a template: a Claim holds
// the applicant's or registrant's name, the claimed course and its award
// date, and the provider's own answer; never their email, declarations,
// date of birth or any other qualification. The rules of an answer
// (package confirmations) run in the log's entry (issuer/fsm), so a
// provider answers only for its own courses however it reaches the
// register.
package claims

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/confirmations"
	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/staff"
)

// Register is what the service needs of the register.
type Register interface {
	State() *state.Store
	Apply(ctx context.Context, actor register.Actor, cmd fsm.Command) (any, error)
}

// Service runs providers' confirmations.
type Service struct{ reg Register }

// New returns a Service over reg.
func New(reg Register) *Service { return &Service{reg: reg} }

// Claim is one qualification line claimed from a provider's course, as
// that provider sees it, and nothing more of the person.
type Claim struct {
	confirmations.Subject
	// Name is the applicant's or registrant's name.
	Name string `json:"name"`
	// Index is the line's place among the subject's qualifications, which
	// an answer names.
	Index       int           `json:"index"`
	Course      string        `json:"course"`
	CourseTitle string        `json:"course_title"`
	Awarded     register.Date `json:"awarded"`
	// Answer is the provider's answer so far, if it gave one.
	Answer *confirmations.Confirmation `json:"answer,omitempty"`
}

// Awaiting reports whether the provider has not answered yet.
func (c Claim) Awaiting() bool { return c.Answer == nil }

// Filters of a provider's queue.
const (
	FilterAwaiting = "awaiting"
	FilterAnswered = "answered"
	FilterAll      = "all"
)

// ParseFilter validates a queue filter; "" means awaiting.
func ParseFilter(s string) (string, error) {
	switch s {
	case "":
		return FilterAwaiting, nil
	case FilterAwaiting, FilterAnswered, FilterAll:
		return s, nil
	}
	return "", fmt.Errorf("%w: filter %q must be awaiting, answered or all", register.ErrInvalid, clip(s))
}

// Provider returns the catalogue provider the actor's staff account
// belongs to, refusing anyone who is not a provider's staff.
func (s *Service) Provider(actor register.Actor) (*courses.Provider, error) {
	st := s.reg.State()
	if actor.Role != register.RoleProvider || actor.Staff == "" {
		return nil, fmt.Errorf("%w: only a training provider's staff account has a queue of claims to confirm", register.ErrForbidden)
	}
	a, err := st.StaffAccount(actor.Staff)
	if err != nil {
		return nil, err
	}
	if a.Role != register.RoleProvider || a.Provider == "" || a.Status != staff.Active {
		return nil, fmt.Errorf("%w: staff account %s is not an active provider account", register.ErrForbidden, a.ID)
	}
	return st.Provider(a.Provider)
}

// Claims returns the claims to actor's provider's courses, filtered by
// filter (ParseFilter): open applications first, oldest first, then
// registrants not removed, by number. Applications a registrar decided
// are left out: an approved one's claims are its registrant's.
func (s *Service) Claims(actor register.Actor, filter string) ([]Claim, error) {
	filter, err := ParseFilter(filter)
	if err != nil {
		return nil, err
	}
	p, err := s.Provider(actor)
	if err != nil {
		return nil, err
	}
	st := s.reg.State()
	mine, err := s.coursesOf(p.ID)
	if err != nil {
		return nil, err
	}
	out := []Claim{}
	keep := func(c Claim) {
		if filter == FilterAll || (filter == FilterAwaiting) == c.Awaiting() {
			out = append(out, c)
		}
	}
	apps, err := st.Applications("")
	if err != nil {
		return nil, err
	}
	slices.SortFunc(apps, func(a, b *applications.Application) int { return int(a.CreateIndex) - int(b.CreateIndex) })
	for _, a := range apps {
		if !a.State.Open() {
			continue
		}
		cs, err := s.claimsOf(confirmations.Subject{Application: a.Ref}, a.Given+" "+a.Family, a.Qualifications, mine)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			keep(c)
		}
	}
	regs, err := st.Registrants("")
	if err != nil {
		return nil, err
	}
	slices.SortFunc(regs, func(a, b *register.Registrant) int { return strings.Compare(a.Number, b.Number) })
	for _, r := range regs {
		if r.Status == register.Removed {
			continue
		}
		cs, err := s.claimsOf(confirmations.Subject{Registrant: r.Number}, r.FullName(), r.Qualifications, mine)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			keep(c)
		}
	}
	return out, nil
}

// Claim returns the claim at qualification index of subject, if it is one
// of actor's provider's; every other line gets the same refusal, whatever
// it is, so that a provider learns nothing of other qualifications.
func (s *Service) Claim(actor register.Actor, sub confirmations.Subject, index int) (*Claim, error) {
	if err := sub.Validate(); err != nil {
		return nil, err
	}
	p, err := s.Provider(actor)
	if err != nil {
		return nil, err
	}
	mine, err := s.coursesOf(p.ID)
	if err != nil {
		return nil, err
	}
	st := s.reg.State()
	var name string
	var qs []register.Qualification
	if sub.Application != "" {
		a, err := st.Application(sub.Application)
		if err != nil {
			return nil, err
		}
		name, qs = a.Given+" "+a.Family, a.Qualifications
	} else {
		r, err := st.Registrant(sub.Registrant)
		if err != nil {
			return nil, err
		}
		name, qs = r.FullName(), r.Qualifications
	}
	cs, err := s.claimsOf(sub, name, qs, mine)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.Index == index {
			return &c, nil
		}
	}
	return nil, fmt.Errorf("%w: qualification %d of %s is not a claim to one of your provider's courses; your queue lists those you may answer", register.ErrForbidden, index, sub)
}

// Answer records actor's answer through the log. Repeating the answer
// already recorded changes nothing (AnswerResult.Changed is false).
func (s *Service) Answer(ctx context.Context, actor register.Actor, a confirmations.Answer) (fsm.AnswerResult, error) {
	if err := a.Validate(); err != nil {
		return fsm.AnswerResult{}, err
	}
	a.Reason = strings.TrimSpace(a.Reason)
	res, err := s.reg.Apply(ctx, actor, fsm.AnswerQualification{Answer: a})
	if err != nil {
		return fsm.AnswerResult{}, err
	}
	r, ok := res.(fsm.AnswerResult)
	if !ok {
		return fsm.AnswerResult{}, fmt.Errorf("claims: answering returned %T", res)
	}
	return r, nil
}

// Of returns the providers' answers about subject's qualifications, for a
// registrar (the API's and console's readers) or the registrant.
func (s *Service) Of(sub confirmations.Subject) ([]*confirmations.Confirmation, error) {
	return s.reg.State().ConfirmationsOf(sub)
}

// Lines returns qs, subject's qualifications, each with its provider's
// answer.
func (s *Service) Lines(sub confirmations.Subject, qs []register.Qualification) ([]confirmations.Line, error) {
	cs, err := s.Of(sub)
	if err != nil {
		return nil, err
	}
	return confirmations.Zip(qs, cs), nil
}

// coursesOf returns the titles of provider's courses by id.
func (s *Service) coursesOf(provider string) (map[string]string, error) {
	cs, err := s.reg.State().Courses()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, c := range cs {
		if c.Provider == provider {
			out[c.ID] = c.Title
		}
	}
	return out, nil
}

// claimsOf returns the lines of qs from the courses mine, with their
// answers.
func (s *Service) claimsOf(sub confirmations.Subject, name string, qs []register.Qualification, mine map[string]string) ([]Claim, error) {
	var out []Claim
	for i, q := range qs {
		if title, ok := mine[q.Course]; ok && q.Course != "" {
			out = append(out, Claim{Subject: sub, Name: name, Index: i, Course: q.Course, CourseTitle: title, Awarded: q.Awarded})
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	answers, err := s.reg.State().ConfirmationsOf(sub)
	if err != nil {
		return nil, err
	}
	for i := range out {
		for _, a := range answers {
			if a.Course == out[i].Course && a.Awarded == out[i].Awarded {
				out[i].Answer = a
			}
		}
	}
	return out, nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
