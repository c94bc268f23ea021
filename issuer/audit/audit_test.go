package audit

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSafeCellQuotesWhatASpreadsheetWouldRun(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1":                 "'=1+1",
		"+44 20 7946 0000":     "'+44 20 7946 0000",
		"-2+3":                 "'-2+3",
		"@SUM(A1)":             "'@SUM(A1)",
		"\tx":                  "'\tx",
		"\rx":                  "'\rx",
		"＝1+1":                 "'＝1+1",
		"Interim order":        "Interim order",
		"a=b":                  "a=b",
		"":                     "",
		"LW1000015":            "LW1000015",
		"2026-01-01T00:00:00Z": "2026-01-01T00:00:00Z",
	} {
		assert.Equal(t, want, SafeCell(in), "%q", in)
	}
}

func TestDatesCloseWholeDays(t *testing.T) {
	q := Query{From: "2026-03-01", To: "2026-03-31"}
	f, err := q.Filter(nil)
	assert.NoError(t, err)
	assert.Equal(t, "2026-03-01T00:00:00Z", f.From.Format("2006-01-02T15:04:05Z07:00"))
	assert.Equal(t, "2026-03-31T23:59:59.999999999Z", f.To.Format("2006-01-02T15:04:05.999999999Z07:00"))
}
