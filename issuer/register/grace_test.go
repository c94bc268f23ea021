package register

import (
	"testing"
	"time"
)

// TestValidIsParse holds Date.valid to whether time.Parse takes the date.
func TestValidIsParse(t *testing.T) {
	check := func(s string) {
		t.Helper()
		_, err := time.Parse(DateLayout, s)
		if got := Date(s).valid(); got != (err == nil) {
			t.Fatalf("valid(%q) = %v, time.Parse error %v", s, got, err)
		}
	}
	for _, s := range []string{"", "2027-03-31", "2027-3-31", "2027-03-1", "20270331", "2027-13-01", "2027-00-01",
		"2027-01-00", "2027-02-29", "2028-02-29", "1900-02-29", "2000-02-29", "0000-01-01", "9999-12-31", "2027-04-31",
		"2027/03/31", "2027-03-31x", "x027-03-31", "+027-03-31", "-027-03-31", "2027-0a-31", "2027-03-3 "} {
		check(s)
	}
	for d := time.Date(2023, 12, 25, 0, 0, 0, 0, time.UTC); d.Year() < 2025; d = d.AddDate(0, 0, 1) {
		s := []byte(d.Format(DateLayout))
		check(string(s))
		for _, day := range []string{"29", "30", "31", "32", "00"} {
			copy(s[8:], day)
			check(string(s))
		}
	}
}

// TestStandingIsDueAndInGrace holds Standing to the methods it stands in
// for, around the lapse of a registration and at the edges of its dates.
func TestStandingIsDueAndInGrace(t *testing.T) {
	untils := []Date{"", "garbage", "2027-02-30", "0000-01-01", "9999-12-31", "9999-12-01", "9999-10-01", "2026-12-31"}
	for d := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2027; d = d.AddDate(0, 0, 1) {
		untils = append(untils, DateOf(d))
	}
	todays := []Date{"2026-09-30", "2026-10-01", "2026-11-30", "2026-12-31", "2027-01-01", "2027-02-28", "0000-01-05", "9999-12-31", "bad"}
	for _, today := range todays {
		for _, grace := range []int{-3, 0, 1, 30, 90, 5000} {
			s := StandingOn(today, grace)
			for _, until := range untils {
				for _, st := range []Status{Registered, Suspended, Removed} {
					r := &Registrant{Status: st, RegisteredUntil: until}
					if got, want := s.Due(r), r.Due(today, grace); got != want {
						t.Fatalf("today %s, grace %d, %s until %q: Due %v, want %v", today, grace, st, until, got, want)
					}
					if got, want := s.InGrace(r), r.InGrace(today, grace); got != want {
						t.Fatalf("today %s, grace %d, %s until %q: InGrace %v, want %v", today, grace, st, until, got, want)
					}
				}
			}
		}
	}
}
