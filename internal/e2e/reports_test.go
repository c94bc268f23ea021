package e2e

import (
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCPDAuditAndPSAReportThroughTheCommandLine renews three registrants,
// draws the year's CPD audit, records an outcome, re-runs the draw, and
// reads the PSA report as JSON and CSV, as a registrar and an auditor would.
func TestCPDAuditAndPSAReportThroughTheCommandLine(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "reg"))
	year := time.Now().UTC().Format("2006")
	var numbers []string
	for _, n := range []string{"Alpha", "Bravo", "Charlie", "Delta"} {
		var r struct {
			Number string `json:"registration_number"`
		}
		s.runJSON(t, 0, &r, "registrant", "add", "--given", n, "--family", "Jones", "--nation", "wales", "--email", strings.ToLower(n)+"@example.org")
		numbers = append(numbers, r.Number)
	}
	for _, n := range numbers[:3] {
		r := s.run(t, "", "registrant", "renew", n)
		require.Equal(t, 0, r.code, r.stderr)
	}
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02")
	r := s.run(t, "", "registrant", "suspend", numbers[3], "--reason", "interim order", "--decided-on", yesterday)
	require.Equal(t, 0, r.code, r.stderr)
	r = s.run(t, "", "registrant", "suspend", numbers[2], "--reason", "x", "--decided-on", "2999-01-01")
	assert.Equal(t, 1, r.code, "a decision in the future is refused")
	assert.Contains(t, r.stderr, "after today")

	r = s.run(t, "", "cpd-audit", "draw", "--year", year, "--share", "1.5")
	assert.Equal(t, 1, r.code)
	var draw struct {
		Renewals int `json:"renewals"`
		Drawn    []struct {
			Number string `json:"registration_number"`
		} `json:"drawn"`
	}
	s.runJSON(t, 0, &draw, "cpd-audit", "draw", "--year", year, "--share", "0.5")
	assert.Equal(t, 3, draw.Renewals)
	require.Len(t, draw.Drawn, 2, "ceil(0.5 x 3)")
	r = s.run(t, "", "cpd-audit", "outcome", year, draw.Drawn[0].Number, "--failed")
	assert.Equal(t, 1, r.code, "a failure needs a note")
	r = s.run(t, "", "cpd-audit", "outcome", year, draw.Drawn[0].Number, "--failed", "--note", "no formal CPD shown")
	require.Equal(t, 0, r.code, r.stderr)
	r = s.run(t, "", "cpd-audit", "verify", year)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "It matches the draw recorded.")

	var auditor struct{ Token string }
	s.runJSON(t, 0, &auditor, "token", "create", "--role", "auditor", "--name", "PSA assessor")
	var rep struct {
		Registrations struct {
			Added, Renewed, Suspended int
		} `json:"registrations"`
		CPDAudits struct{ Drawn, Failed int } `json:"cpd_audits"`
		Decisions []struct {
			Registrant string  `json:"registration_number"`
			Days       float64 `json:"days"`
		} `json:"decisions"`
		Suspensions []struct {
			Registrant string `json:"registration_number"`
		} `json:"suspensions"`
	}
	r = s.run(t, auditor.Token, "report", "psa", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	assert.Equal(t, 4, rep.Registrations.Added)
	assert.Equal(t, 3, rep.Registrations.Renewed)
	assert.Equal(t, 1, rep.Registrations.Suspended)
	assert.Equal(t, 2, rep.CPDAudits.Drawn)
	assert.Equal(t, 1, rep.CPDAudits.Failed)
	require.Len(t, rep.Decisions, 1)
	assert.Equal(t, numbers[3], rep.Decisions[0].Registrant)
	assert.Greater(t, rep.Decisions[0].Days, 0.0, "decided yesterday, published today")
	require.Len(t, rep.Suspensions, 1)

	r = s.run(t, auditor.Token, "report", "psa", "--csv")
	require.Equal(t, 0, r.code, r.stderr)
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	require.NoError(t, err)
	assert.Contains(t, rows, []string{"cpd_audits", "failed", "", "", "", "", "1"})
	r = s.run(t, auditor.Token, "cpd-audit", "draw", "--year", year)
	assert.Equal(t, 1, r.code, "an auditor reads, never draws")
	r = s.run(t, "", "report", "psa", "--from", "2026-13-01")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "YYYY-MM-DD")
}
