package e2e

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStaffAccountsFromTheCommandLine: an admin creates a registrar's
// account with `staff add --json`, which prints a one-time setup link that
// opens the setup page; the account is listed, reset (a new link, the old
// one dead) and disabled, each audited with the admin's token's name.
func TestStaffAccountsFromTheCommandLine(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "reg"))
	var acct struct {
		ID           string    `json:"id"`
		Status       string    `json:"status"`
		SetupURL     string    `json:"setup_url"`
		SetupExpires time.Time `json:"setup_expires"`
	}
	s.runJSON(t, 0, &acct, "staff", "add", "--name", "Grace Hopper", "--email", "grace@nalw.example", "--role", "registrar")
	assert.Equal(t, "invited", acct.Status)
	require.True(t, strings.HasPrefix(acct.SetupURL, s.URL+"/setup/"), acct.SetupURL)
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), acct.SetupExpires, time.Hour)

	opens := func(link string) int {
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := c.Get(link)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	assert.Equal(t, http.StatusSeeOther, opens(acct.SetupURL), "the link opens setup")

	r := s.run(t, "", "staff", "add", "--name", "Grace Again", "--email", "GRACE@nalw.example", "--role", "auditor")
	assert.NotEqual(t, 0, r.code)
	assert.Contains(t, r.stderr, "already a staff account")

	r = s.run(t, "", "staff", "list")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Grace Hopper")
	assert.Contains(t, r.stdout, "invited")

	r = s.run(t, "", "staff", "reset-2fa", acct.ID)
	assert.NotEqual(t, 0, r.code, "a reason is required")
	var reset struct {
		SetupURL string `json:"setup_url"`
	}
	s.runJSON(t, 0, &reset, "staff", "reset-2fa", acct.ID, "--reason", "Lost phone")
	assert.NotEqual(t, acct.SetupURL, reset.SetupURL)
	assert.Equal(t, http.StatusConflict, opens(acct.SetupURL), "the old link is dead")

	r = s.run(t, "", "staff", "disable", acct.ID, "--reason", "Left NALW")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Disabled Grace Hopper")

	r = s.run(t, "", "audit", "list")
	require.Equal(t, 0, r.code, r.stderr)
	for _, action := range []string{"staff.add", "staff.reset-second-factor", "staff.disable"} {
		assert.Regexp(t, `first admin \(integration\) \(admin\)\s+`+strings.ReplaceAll(action, ".", `\.`), r.stdout, action)
	}

	// The same trail, filtered by who, what and when, as JSON and CSV.
	var page struct {
		Events []struct {
			Action    string `json:"action"`
			ActorName string `json:"actor_name"`
		} `json:"events"`
	}
	today := time.Now().UTC().Format(time.DateOnly)
	s.runJSON(t, 0, &page, "audit", "list", "--actor", "first admin", "--action", "staff.disable", "--from", today, "--to", today)
	require.Len(t, page.Events, 1)
	assert.Equal(t, "first admin (integration)", page.Events[0].ActorName)
	r = s.run(t, "", "audit", "export", "--format", "csv", "--action", "staff.add")
	require.Equal(t, 0, r.code, r.stderr)
	rows := lines(r.stdout)
	require.Len(t, rows, 2, r.stdout)
	assert.True(t, strings.HasPrefix(rows[0], "index,seq,at,actor_name,"), rows[0])
	assert.Contains(t, rows[1], ",first admin (integration),admin,")
	r = s.run(t, "", "audit", "export", "--format", "xlsx")
	assert.Equal(t, 2, r.code, "bad input")
	assert.Contains(t, r.stderr, "jsonl or csv")
	r = s.run(t, "", "audit", "list", "--from", "last week")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "YYYY-MM-DD")
}
