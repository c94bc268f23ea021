package register

import (
	"fmt"
	"time"
)

// DateLayout is the only date format the register accepts and shows.
const DateLayout = "2006-01-02"

// Date is a calendar date, YYYY-MM-DD, in the register's time zone (UTC).
// Stored as text so that dates compare in order as strings and read the same
// in JSON, audit exports and the CLI.
type Date string

// ParseDate validates a YYYY-MM-DD date.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return "", fmt.Errorf("%w: date %q must be written YYYY-MM-DD, e.g. 2027-03-31", ErrInvalid, clip(s))
	}
	if t.Year() < 1900 || t.Year() > 2999 {
		return "", fmt.Errorf("%w: date %q is out of range", ErrInvalid, s)
	}
	return Date(s), nil
}

// DateOf returns the UTC calendar date of t.
func DateOf(t time.Time) Date { return Date(t.UTC().Format(DateLayout)) }

// Time returns the start of the day in UTC. A zero Date gives the zero time.
func (d Date) Time() time.Time {
	t, _ := time.Parse(DateLayout, string(d))
	return t
}

// EndOfDay returns the last second of the day in UTC: a registration valid
// until a date is valid for all of that day.
func (d Date) EndOfDay() time.Time {
	if d == "" {
		return time.Time{}
	}
	return d.Time().Add(24*time.Hour - time.Second)
}

// AddYears returns the same calendar day n years later (29 February becomes
// 1 March in a non-leap year, as time.AddDate does).
func (d Date) AddYears(n int) Date { return DateOf(d.Time().AddDate(n, 0, 0)) }

// AddDays returns the date n days later.
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// Before reports whether d is strictly before e.
func (d Date) Before(e Date) bool { return d < e }

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// String returns the date as YYYY-MM-DD.
func (d Date) String() string { return string(d) }
