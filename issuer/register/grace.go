package register

import "fmt"

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
