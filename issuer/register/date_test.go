package register

import (
	"testing"
	"time"
)

// TestDateFastPaths checks Time, DateOf and AddDays against what
// time.Parse and Format make of the same text, for every day of some
// years and for text that is not a date.
func TestDateFastPaths(t *testing.T) {
	var texts []string
	for d := time.Date(1999, 12, 25, 0, 0, 0, 0, time.UTC); d.Year() < 2030; d = d.AddDate(0, 0, 1) {
		texts = append(texts, d.Format(DateLayout))
	}
	texts = append(texts, "", "0000-01-01", "0000-02-29", "0001-03-01", "1900-02-29", "2000-02-29", "2100-02-29", "9999-12-31", "2023-02-29", "2024-02-29", "2024-02-30", "2024-04-31",
		"2024-00-10", "2024-13-01", "2024-01-00", "2024-1-01", "2024-01-1x", "2024/01/01", "20240101",
		"+024-01-01", " 2024-01-01", "2024-01-01 ", "2024-01-01T00:00:00Z", "abcd-ef-gh")
	for _, s := range texts {
		want, _ := time.Parse(DateLayout, s)
		if got := Date(s).Time(); !got.Equal(want) || got.Location() != want.Location() {
			t.Errorf("Date(%q).Time() = %v, want %v", s, got, want)
		}
		for _, n := range []int{-400000, -1, 0, 1, 59, 366} {
			if got, want := Date(s).AddDays(n), Date(want.AddDate(0, 0, n).Format(DateLayout)); got != want {
				t.Errorf("Date(%q).AddDays(%d) = %q, want %q", s, n, got, want)
			}
		}
	}
	for _, tm := range []time.Time{{}, time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 16, 0, 30, 0, 0, time.FixedZone("CET", 3600)), time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)} {
		if got, want := DateOf(tm), Date(tm.UTC().Format(DateLayout)); got != want {
			t.Errorf("DateOf(%v) = %q, want %q", tm, got, want)
		}
	}
}

// BenchmarkDue is the lapse check's test of one registrant.
func BenchmarkDue(b *testing.B) {
	r := &Registrant{Status: Registered, RegisteredUntil: "2027-03-31"}
	today := DateOf(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Due(today, 30)
	}
}
