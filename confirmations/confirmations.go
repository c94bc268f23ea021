// Package confirmations is a training provider's answer about a
// qualification that an applicant or a registrant claims from one of its
// catalogue courses: confirmed, or disputed with a reason. A provider's
// staff (role provider, tied to one catalogue provider) answer only for
// their own provider's courses.
//
// The package is pure, like issuer/register and applications: no storage,
// clock or randomness. Stored confirmations are immutable: a new answer
// returns a new Confirmation whose history keeps the earlier one.
//
// A confirmation is about a person, a course and an award date, not about
// a line number on a form. It is keyed by who claims it (an application's
// reference or a registration number), the course and the date awarded, so
// that a registrar withdrawing another qualification does not move it onto
// the wrong line, and a registrar changing the course or date leaves the
// changed line unconfirmed. When an application is approved its
// confirmations carry over to the registrant it adds (Carry): the provider
// confirmed the person's qualification, and approval does not change it.
package confirmations

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer/register"
)

// Outcome is a provider's answer.
type Outcome string

// Outcomes.
const (
	Confirmed Outcome = "confirmed"
	Disputed  Outcome = "disputed"
)

// ParseOutcome validates an outcome's name.
func ParseOutcome(s string) (Outcome, error) {
	switch o := Outcome(s); o {
	case Confirmed, Disputed:
		return o, nil
	}
	return "", fmt.Errorf("%w: outcome %q must be confirmed or disputed", register.ErrInvalid, clip(s))
}

// Subject is who claims the qualification: an application to join, or a
// registrant. Exactly one is set.
type Subject struct {
	Application string `json:"application,omitempty"`
	Registrant  string `json:"registration_number,omitempty"`
}

// Validate checks that exactly one of the two is named.
func (s Subject) Validate() error {
	if (s.Application == "") == (s.Registrant == "") {
		return fmt.Errorf("%w: name either the application (its reference, like A1001) or the registrant (their registration number), not both", register.ErrInvalid)
	}
	return nil
}

func (s Subject) String() string {
	if s.Application != "" {
		return "application " + s.Application
	}
	return s.Registrant
}

// Key is the id of the confirmation of subject's claim to course, awarded
// on awarded.
func Key(s Subject, course string, awarded register.Date) string {
	who := s.Registrant
	if s.Application != "" {
		who = s.Application
	}
	return who + "/" + course + "/" + string(awarded)
}

// Step is one earlier answer, kept when a provider changes its answer.
type Step struct {
	Outcome Outcome   `json:"outcome"`
	Reason  string    `json:"reason,omitempty"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// Confirmation is a provider's answer about one claimed qualification.
type Confirmation struct {
	ID string `json:"id"`
	Subject
	// CarriedFrom is the application whose confirmation this was, for one
	// carried over to the registrant its approval added.
	CarriedFrom string        `json:"carried_from,omitempty"`
	Course      string        `json:"course"`
	Awarded     register.Date `json:"awarded"`
	Provider    string        `json:"provider"`
	// ProviderName is the provider's name on the day it answered.
	ProviderName string  `json:"provider_name"`
	Outcome      Outcome `json:"outcome"`
	// Reason is why the provider disputes the claim.
	Reason string `json:"reason,omitempty"`
	// By is the staff account that answered; At when.
	By          string    `json:"by"`
	At          time.Time `json:"at"`
	History     []Step    `json:"history,omitempty"`
	CreateIndex uint64    `json:"create_index"`
	ModifyIndex uint64    `json:"modify_index"`
}

// Date is the day of the answer, as the record shows it.
func (c *Confirmation) Date() register.Date { return register.DateOf(c.At) }

// Answer is what a provider's staff member sends about one qualification:
// the subject's qualification Index (numbered from 0, in the order the
// record lists them), its outcome, and for a dispute the reason. Course, if
// given, must be the course at Index: a guard against a record that
// changed since the page was shown.
type Answer struct {
	Subject
	Index   int     `json:"index"`
	Course  string  `json:"course,omitempty"`
	Outcome Outcome `json:"outcome"`
	Reason  string  `json:"reason,omitempty"`
}

// MaxReasonLen bounds a dispute's reason.
const MaxReasonLen = register.MaxReasonLen

// Validate checks an answer before anything is looked up.
func (a Answer) Validate() error {
	if err := a.Subject.Validate(); err != nil {
		return err
	}
	if a.Index < 0 || a.Index >= 100 {
		return fmt.Errorf("%w: qualification index %d is not one of the record's (they are numbered from 0)", register.ErrInvalid, a.Index)
	}
	if _, err := ParseOutcome(string(a.Outcome)); err != nil {
		return err
	}
	if a.Outcome == Disputed && strings.TrimSpace(a.Reason) == "" {
		return fmt.Errorf("%w: say why you dispute the qualification (for example: no record of this person completing the course); the registrar reads it before deciding", register.ErrInvalid)
	}
	if a.Outcome == Confirmed && strings.TrimSpace(a.Reason) != "" {
		return fmt.Errorf("%w: a confirmation takes no reason; leave it out, or dispute the qualification instead", register.ErrInvalid)
	}
	return register.CheckText("reason", a.Reason, MaxReasonLen, false, true)
}

// Check is what deciding an answer needs to know, looked up by the caller
// in one consistent read: the qualifications the subject claims, the
// catalogue course of the line the answer names (nil if it names none)
// and its provider, and the provider of the staff member answering.
type Check struct {
	Qualifications []register.Qualification
	Course         *courses.Course
	Provider       *courses.Provider
	// Answerer is the provider id of the staff account answering.
	Answerer string
}

// At returns the qualification a names, if the subject has one there.
func At(a Answer, qs []register.Qualification) (register.Qualification, bool) {
	if a.Index < 0 || a.Index >= len(qs) {
		return register.Qualification{}, false
	}
	return qs[a.Index], true
}

// notYours is the one refusal for a line that is not a claim to one of
// the answerer's courses, whatever it is instead: a provider learns
// nothing of a person's other qualifications from it.
func notYours(a Answer) error {
	return fmt.Errorf("%w: qualification %d of %s is not a claim to one of your provider's courses; you may confirm or dispute only those, which your queue lists", register.ErrForbidden, a.Index, a.Subject)
}

// Decide returns the confirmation that answer a makes, given old (nil if
// there is none yet), at time at by staff account by. changed is false,
// and the old record is returned, when a repeats the answer already
// recorded: answering twice is harmless.
func Decide(old *Confirmation, a Answer, ck Check, by string, at time.Time, idx uint64) (c *Confirmation, changed bool, err error) {
	if err := a.Validate(); err != nil {
		return nil, false, err
	}
	if ck.Answerer == "" {
		return nil, false, fmt.Errorf("%w: only a training provider's staff account confirms or disputes qualifications", register.ErrForbidden)
	}
	q, ok := At(a, ck.Qualifications)
	if !ok || q.Course == "" || ck.Course == nil || ck.Provider == nil || ck.Course.ID != q.Course ||
		ck.Course.Provider != ck.Provider.ID || ck.Provider.ID != ck.Answerer {
		return nil, false, notYours(a)
	}
	if a.Course != "" && a.Course != q.Course {
		return nil, false, fmt.Errorf("%w: qualification %d of %s is now from course %s, not %s: the record changed since you looked; reload your queue", register.ErrConflict, a.Index, a.Subject, q.Course, a.Course)
	}
	reason := strings.TrimSpace(a.Reason)
	if old != nil && old.Outcome == a.Outcome && old.Reason == reason {
		return old, false, nil
	}
	c = &Confirmation{ID: Key(a.Subject, q.Course, q.Awarded), Subject: a.Subject, Course: q.Course, Awarded: q.Awarded,
		Provider: ck.Provider.ID, ProviderName: ck.Provider.Name, Outcome: a.Outcome, Reason: reason,
		By: by, At: at, CreateIndex: idx, ModifyIndex: idx}
	if old != nil {
		c.CarriedFrom, c.CreateIndex = old.CarriedFrom, old.CreateIndex
		c.History = append(slices.Clone(old.History), Step{Outcome: old.Outcome, Reason: old.Reason, By: old.By, At: old.At})
	}
	return c, true, nil
}

// Carry returns c as the confirmation of registrant number, whom the
// approval of c's application added: the same answer about the same
// course and award date.
func (c *Confirmation) Carry(number string, idx uint64) *Confirmation {
	n := *c
	n.Subject = Subject{Registrant: number}
	n.ID = Key(n.Subject, c.Course, c.Awarded)
	n.CarriedFrom = c.Application
	n.History = slices.Clone(c.History)
	n.CreateIndex, n.ModifyIndex = idx, idx
	return &n
}

// Lines matches confirmations to qualifications: the confirmation of each
// qualification line of qs (nil where there is none), from those of the
// subject cs.
func Lines(qs []register.Qualification, cs []*Confirmation) []*Confirmation {
	out := make([]*Confirmation, len(qs))
	for i, q := range qs {
		if q.Course == "" {
			continue
		}
		for _, c := range cs {
			if c.Course == q.Course && c.Awarded == q.Awarded {
				out[i] = c
			}
		}
	}
	return out
}

// Line is one qualification with its provider's answer, as a record or an
// application shows it.
type Line struct {
	register.Qualification
	Confirmation *Confirmation `json:"confirmation,omitempty"`
}

// Zip pairs qualifications with their confirmations (Lines).
func Zip(qs []register.Qualification, cs []*Confirmation) []Line {
	ls := Lines(qs, cs)
	out := make([]Line, len(qs))
	for i, q := range qs {
		out[i] = Line{Qualification: q, Confirmation: ls[i]}
	}
	return out
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
