package e2e

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCatalogueAndCriteriaWithTheBinary manages the catalogue and the
// registration criteria with the real binary, each command with --json
// giving one document, and bad input exiting 2 with nothing written.
func TestCatalogueAndCriteriaWithTheBinary(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "reg"))
	s.solo(t)
	var p struct {
		ID string `json:"id"`
	}
	s.runJSON(t, 0, &p, "provider", "add", "--name", "Glasgow Caledonian University", "--ukprn", "10007794")
	require.Equal(t, "P1", p.ID)
	r := s.run(t, "", "provider", "add", "--name", "Nowhere College", "--ukprn", "1234", "--json")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stdout, "eight digits")

	var c struct {
		ID      string `json:"id"`
		History []struct {
			Standing string `json:"standing"`
		} `json:"history"`
	}
	s.runJSON(t, 0, &c, "course", "add", "--provider", "P1", "--title", "PDA Community Link Working", "--level", "scqf:7",
		"--mode", "part-time", "--standing", "accredited", "--reference", "NALW-ACC-7", "--from", "2025-01-01", "--until", "2027-12-31")
	require.Equal(t, "C1", c.ID)
	r = s.run(t, "", "course", "add", "--provider", "P1", "--title", "X", "--level", "scqf:13", "--mode", "part-time", "--standing", "aligned")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "SCQF levels run from 1 to 12")

	var list struct {
		Courses []struct {
			ID       string `json:"id"`
			RQFLevel int    `json:"rqf_level"`
		} `json:"courses"`
	}
	s.runJSON(t, 0, &list, "course", "list", "--min-level", "4")
	require.Len(t, list.Courses, 1)
	assert.Equal(t, 4, list.Courses[0].RQFLevel, "SCQF 7 is RQF 4")

	s.runJSON(t, 0, &c, "course", "set-standing", "C1", "--standing", "withdrawn", "--reason", "The course closed.")
	require.Len(t, c.History, 2)
	r = s.run(t, "", "course", "show", "C1")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "withdrawn since")
	assert.Contains(t, r.stdout, "compares with RQF 4")

	// With the criteria on, a registrant comes with what meets them.
	r = s.run(t, "", "criteria", "set", "--min-level", "4")
	require.Equal(t, 0, r.code, r.stderr)
	r = s.run(t, "", "registrant", "add", "--given", "Bo", "--family", "Lee", "--nation", "wales")
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "nothing was saved")
	var reg struct {
		Number     string `json:"registration_number"`
		EntryRoute struct {
			Kind string `json:"kind"`
		} `json:"entry_route"`
	}
	s.runJSON(t, 0, &reg, "registrant", "add", "--given", "Bo", "--family", "Lee", "--nation", "wales",
		"--route", "experience", "--route-reason", "Eight years as a community connector.")
	assert.Equal(t, "experience", reg.EntryRoute.Kind)
	r = s.run(t, "", "registrant", "add", "--given", "Cy", "--family", "Moss", "--nation", "wales", "--course", "C1")
	assert.Equal(t, 2, r.code, "a --course without its date is caught before anything is sent")
}
