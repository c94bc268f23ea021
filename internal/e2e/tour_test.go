package e2e

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeTourSuspensionIsSeenAtTheNextSync runs the README's tour as
// written, with no pause anywhere: a sync right after `registrant suspend`
// returns must see the suspension, because the register acknowledges a
// change to a status only once the served list carries it.
func TestReadmeTourSuspensionIsSeenAtTheNextSync(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, filepath.Join(dir, "reg"))
	step := func(args ...string) result {
		t.Helper()
		r := s.run(t, "", args...)
		require.Equal(t, 0, r.code, "linkpass %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.stdout, r.stderr)
		return r
	}
	r := step("registrant", "add", "--given", "Ada", "--family", "Lovelace", "--nation", "england")
	number := regexp.MustCompile(`LW\d{7}`).FindString(r.stdout)
	require.NotEmpty(t, number, r.stdout)
	step("qualification", "add", number, "--title", "Level 4 Certificate in Social Prescribing",
		"--level", "4", "--provider", "University of Westminster", "--accreditation", "nalw-accredited", "--awarded", "2024-06-30")
	ada, png := filepath.Join(dir, "ada.jwt"), filepath.Join(dir, "ada.png")
	step("credential", "issue", number, "--out", ada, "--qr", png)
	step("verify", "sync", "--from", s.URL)
	r = step("verify", "--qr-image", png)
	assert.Contains(t, r.stdout, "VALID")

	r = step("registrant", "suspend", number, "--reason", "Interim order")
	m := regexp.MustCompile(`Status list published at (\S+):`).FindStringSubmatch(r.stdout)
	require.NotNil(t, m, "suspend says when the list carrying it was published: %s", r.stdout)
	at, err := time.Parse(time.RFC3339, m[1])
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), at, time.Minute)

	step("verify", "sync", "--from", s.URL)
	r = s.run(t, "", "verify", "--file", ada)
	assert.Equal(t, 1, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "SUSPENDED")
}
