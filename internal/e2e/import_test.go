package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// NALW moves its existing register in: a dry run first, the import, the
// same file again, and a registrar adding someone already imported.
func TestImportExistingRegisterThroughCLI(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "data"))
	example := "../../docs/examples/import.csv"

	bad := filepath.Join(t.TempDir(), "bad.csv")
	src, err := os.ReadFile(example)
	require.NoError(t, err)
	broken := strings.Replace(string(src), "wales,,2021-05-01", "wales,,2021-13-01", 1)               // line 5: no 13th month
	broken = strings.Replace(broken, "scotland,eilidh@example.org", "atlantis,eilidh@example.org", 1) // line 3
	require.NoError(t, os.WriteFile(bad, []byte(broken), 0o600))
	r := s.run(t, "", "registrant", "import", "--dry-run", bad)
	require.Equal(t, 1, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	out := lines(r.stdout)
	require.Len(t, out, 3, r.stdout)
	assert.Contains(t, out[0], "line 3 (NALW-00018)")
	assert.Contains(t, out[0], "atlantis")
	assert.Contains(t, out[1], "line 5 (NALW-00020)")
	assert.Contains(t, out[2], "2 bad row(s); nothing was imported")

	r = s.run(t, "", "registrant", "import", "--dry-run", example)
	require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "5 registrant(s) would be added, 0 would be already imported")
	var list struct {
		Registrants []map[string]any `json:"registrants"`
	}
	s.runJSON(t, 0, &list, "registrant", "list")
	assert.Empty(t, list.Registrants, "a dry run adds nobody")

	r = s.run(t, "", "registrant", "import", example)
	require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "5 registrant(s) were added")
	r = s.run(t, "", "registrant", "import", example)
	require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "0 registrant(s) were added, 5 were already imported")
	s.runJSON(t, 0, &list, "registrant", "list")
	require.Len(t, list.Registrants, 5)

	var audit struct {
		Events []struct {
			Action     string `json:"action"`
			Registrant string `json:"registrant"`
		} `json:"events"`
	}
	s.runJSON(t, 0, &audit, "audit", "list")
	imported := map[string]bool{}
	for _, ev := range audit.Events {
		if ev.Action == "registrant.import" {
			imported[ev.Registrant] = true
		}
	}
	assert.Len(t, imported, 5, "every imported registrant is audited as imported")

	// A registrar adds Siân again, spelt as a keyboard without accents
	// types her.
	add := []string{"registrant", "add", "--given", "Sian", "--family", "O Suilleabhain", "--nation", "wales", "--email", "Sian.OSuilleabhain@example.org"}
	r = s.run(t, "", add...)
	require.Equal(t, 1, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	assert.Contains(t, r.stderr, "same name and email")
	assert.Contains(t, r.stderr, "--allow-duplicate")
	r = s.run(t, "", append(add, "--allow-duplicate")...)
	require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)

	// The end of the import left a snapshot, so a restart finds it all.
	require.NoError(t, s.stop())
	snaps, err := filepath.Glob(filepath.Join(s.data, "raft", "snapshots", "*", "meta.json"))
	require.NoError(t, err)
	assert.NotEmpty(t, snaps)
	s = startServer(t, s.data)
	s.runJSON(t, 0, &list, "registrant", "list")
	assert.Len(t, list.Registrants, 6)
}
