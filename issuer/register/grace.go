package register

import (
	"fmt"
	"time"
)

// MaxGraceDays bounds the grace period: a registration not renewed for
// longer than three months has lapsed, whatever the register wishes.
const MaxGraceDays = 90

// CheckGraceDays checks a grace period before it is recorded.
func CheckGraceDays(days int) error {
	if days < 0 || days > MaxGraceDays {
		return fmt.Errorf("%w: the grace period must be from 0 to %d days, not %d; 0 lapses a registration at registered-until", ErrInvalid, MaxGraceDays, days)
	}
	return nil
}

// LapsesOn is the first day on which r, if not renewed, is no longer
// registered: the day after registered-until and the grace period.
func (r *Registrant) LapsesOn(graceDays int) Date {
	return r.RegisteredUntil.AddDays(graceDays + 1)
}

// InGrace reports whether r is registered on day today only because of
// the grace period: registered-until has passed, the lapse has not come.
// A registrant in grace is still registered and may practise (the public
// register says so, with the day it lapses), but their credential has
// expired at registered-until and no new one is issued until they renew:
// a verifier is never told VALID beyond the registration the register
// granted.
func (r *Registrant) InGrace(today Date, graceDays int) bool {
	return r.Status == Registered && r.RegisteredUntil.Before(today) && today.Before(r.LapsesOn(graceDays))
}

// Due reports whether r's registration lapses on day today, given the
// grace period.
func (r *Registrant) Due(today Date, graceDays int) bool {
	return r.Status == Registered && !today.Before(r.LapsesOn(graceDays))
}

// Standing answers Due and InGrace for many registrants on one day, as
// those methods would, without working out each one's lapse date: a public
// search asks for dozens, the lapse check for every registrant. For a registered-until that is a valid date whose
// lapse date has a four-digit year, registered-until plus grace+1 days is
// on or before today exactly when registered-until is on or before today
// less grace+1 days, and such dates compare as strings; any other falls
// back to the methods themselves.
type Standing struct {
	grace int
	on    Date
	// lapsed is today less grace+1 days; last is the latest
	// registered-until whose lapse date has four digits of year.
	lapsed, last Date
	fast         bool
}

// StandingOn returns the Standing for day today and the grace period.
func StandingOn(today Date, graceDays int) Standing {
	s := Standing{on: today, grace: graceDays}
	if !today.valid() || graceDays < 0 {
		return s
	}
	t := today.Time().AddDate(0, 0, -(graceDays + 1))
	if t.Year() < 0 {
		return s
	}
	s.lapsed = DateOf(t)
	s.last = DateOf(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -(graceDays + 1)))
	s.fast = true
	return s
}

func (s Standing) quick(r *Registrant) bool {
	return s.fast && r.RegisteredUntil <= s.last && r.RegisteredUntil.valid()
}

// Due is r.Due(today, graceDays).
func (s Standing) Due(r *Registrant) bool {
	if !s.quick(r) {
		return r.Due(s.on, s.grace)
	}
	return r.Status == Registered && r.RegisteredUntil <= s.lapsed
}

// InGrace is r.InGrace(today, graceDays).
func (s Standing) InGrace(r *Registrant) bool {
	if !s.quick(r) {
		return r.InGrace(s.on, s.grace)
	}
	return r.Status == Registered && s.lapsed < r.RegisteredUntil && r.RegisteredUntil < s.on
}
