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
func DateOf(t time.Time) Date {
	if d, ok := formatDate(t.UTC().Date()); ok {
		return d
	}
	return Date(t.UTC().Format(DateLayout))
}

// Time returns the start of the day in UTC. A zero Date gives the zero time.
func (d Date) Time() time.Time {
	if y, m, dd, ok := d.parts(); ok {
		return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
	}
	t, _ := time.Parse(DateLayout, string(d))
	return t
}

// parts reads a date as time.Parse(DateLayout) accepts it, without its
// cost: the lapse check works out a date for each of a million
// registrants, and formatting and parsing were half of it. ok is false
// for anything else, which time.Parse then judges.
func (d Date) parts() (year int, month time.Month, day int, ok bool) {
	s := string(d)
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, 0, 0, false
	}
	n := 0
	for i, c := range []byte(s) {
		if i == 4 || i == 7 {
			continue
		}
		if c < '0' || c > '9' {
			return 0, 0, 0, false
		}
		n = n*10 + int(c-'0')
		switch i {
		case 3:
			year, n = n, 0
		case 6:
			month, n = time.Month(n), 0
		}
	}
	day = n
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return 0, 0, 0, false
	}
	return year, month, day, true
}

func daysIn(year int, month time.Month) int {
	if month == time.February && (year%4 == 0 && year%100 != 0 || year%400 == 0) {
		return 29
	}
	return int("\x1f\x1c\x1f\x1e\x1f\x1e\x1f\x1f\x1e\x1f\x1e\x1f"[month-1])
}

// daysFromCivil and civilFromDays convert between a proleptic Gregorian
// date and days since 1970-01-01, as time does (H. Hinnant's algorithms).
func daysFromCivil(y int, m time.Month, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (int(m) + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func civilFromDays(z int) (int, time.Month, int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := (mp+2)%12 + 1
	y := yoe + era*400
	if m <= 2 {
		y++
	}
	return y, time.Month(m), d
}

// formatDate writes a date as Format(DateLayout) does, for the years it
// writes in four digits.
func formatDate(year int, month time.Month, day int) (Date, bool) {
	if year < 0 || year > 9999 {
		return "", false
	}
	b := [10]byte{
		byte('0' + year/1000), byte('0' + year/100%10), byte('0' + year/10%10), byte('0' + year%10), '-',
		byte('0' + int(month)/10), byte('0' + int(month)%10), '-',
		byte('0' + day/10), byte('0' + day%10),
	}
	return Date(b[:]), true
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
func (d Date) AddDays(n int) Date {
	if y, m, dd, ok := d.parts(); ok && n > -1<<40 && n < 1<<40 {
		if e, ok := formatDate(civilFromDays(daysFromCivil(y, m, dd) + n)); ok {
			return e
		}
	}
	return DateOf(d.Time().AddDate(0, 0, n))
}

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

// valid reports whether time.Parse takes d with DateLayout.
func (d Date) valid() bool {
	_, _, _, ok := d.parts()
	return ok
}
