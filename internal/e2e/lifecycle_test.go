package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
)

// TestRegistrantWholeLifeThroughCLI drives one registrant from joining to
// removal with the real binary, checks every step is audited with who and
// why, and that everything survives a graceful restart.
func TestRegistrantWholeLifeThroughCLI(t *testing.T) {
	data := filepath.Join(t.TempDir(), "reg")
	s := startServer(t, data, "--issuer-url", "https://register.example.org")
	s.solo(t)

	fi, err := os.Stat(filepath.Join(data, "admin.token"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "admin.token must be private")
	assert.NotContains(t, s.stderr.String(), s.token, "the admin token must never be logged")
	assert.Contains(t, s.stderr.String(), filepath.Join(data, "admin.token"), "the log says where the token is")

	// The admin makes a registrar token; the registrar does the work.
	var tok struct {
		ID, Role, Token string
	}
	s.runJSON(t, 0, &tok, "token", "create", "--role", "registrar", "--name", "Registrar One")
	require.Equal(t, "registrar", tok.Role)
	require.NotEmpty(t, tok.Token)
	reg := func(args ...string) result { return s.run(t, tok.Token, args...) }

	var r register.Registrant
	out := reg("registrant", "add", "--given", "Siobhan", "--family", "Okonkwo-Fairweather", "--nation", "england", "--email", "siobhan@example.org", "--json")
	require.Equal(t, 0, out.code, out.stderr)
	decodeOne(t, out.stdout, &r)
	n := r.Number
	require.Regexp(t, `^LW\d{7}$`, n)
	assert.Equal(t, register.Registered, r.Status)

	// Plain output of add is just the number, for scripts.
	plain := reg("registrant", "add", "--given", "Amara", "--family", "Nwosu", "--nation", "wales")
	require.Equal(t, 0, plain.code, plain.stderr)
	assert.Regexp(t, `^LW\d{7}\n$`, plain.stdout)

	steps := [][]string{
		{"qualification", "add", n, "--title", "Level 4 Certificate in Social Prescribing", "--level", "4", "--provider", "University of Westminster", "--accreditation", "nalw-accredited", "--awarded", "2023-07-14"},
		{"registrant", "cpd", n, "--year", "2026", "--hours", "22", "--formal", "12"},
		{"registrant", "restrict", n, "--text", "Must work under supervision.", "--reason", "Panel decision FTP-1"},
		{"registrant", "unrestrict", n, "--reason", "Conditions lifted on review"},
		{"registrant", "suspend", n, "--reason", "Interim order", "--until", "2099-01-01"},
		{"registrant", "reinstate", n, "--reason", "Interim order revoked"},
		{"registrant", "renew", n},
	}
	for _, st := range steps {
		res := reg(st...)
		require.Equal(t, 0, res.code, "%v: %s", st, res.stderr)
	}
	qm := s.run(t, "", "quality-mark", "set", "--accredited=true", "--since", "2025-01-01", "--until", "2099-12-31", "--reference", "PSA-1")
	require.Equal(t, 0, qm.code, qm.stderr)
	// A registrar may not change the Quality Mark.
	qm = reg("quality-mark", "set", "--accredited=false")
	assert.Equal(t, 1, qm.code)
	assert.Contains(t, qm.stderr, "registrar token may not")

	res := reg("registrant", "remove", n, "--reason", "Struck off by panel FTP-2", "--yes")
	require.Equal(t, 0, res.code, res.stderr)

	// Impossible changes are refused with a reason and exit code 1.
	for _, st := range [][]string{
		{"registrant", "suspend", n, "--reason", "x"},
		{"registrant", "reinstate", n, "--reason", "x"},
		{"registrant", "renew", n},
	} {
		res := reg(st...)
		assert.Equal(t, 1, res.code, "%v should be refused", st)
		assert.Contains(t, res.stderr, "they are removed", "%v", st)
	}
	// A mistyped number is caught before anything is sent.
	typo := n[:len(n)-1] + string('0'+(n[len(n)-1]-'0'+1)%10)
	res = reg("registrant", "show", typo)
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "mistyped")
	// A missing reason is refused locally by the flag parser.
	res = reg("registrant", "suspend", n)
	assert.NotEqual(t, 0, res.code)

	wantActions := []string{"registrant.add", "registrant.add-qualification", "registrant.record-cpd", "registrant.restrict",
		"registrant.unrestrict", "registrant.suspend", "registrant.reinstate", "registrant.renew", "registrant.remove"}
	checkAudit := func(s *server) {
		var a struct {
			Events []register.AuditEvent `json:"events"`
		}
		s.runJSON(t, 0, &a, "audit", "list", "--registrant", n)
		var got []string
		for _, ev := range a.Events {
			got = append(got, ev.Action)
			assert.NotZero(t, ev.Index)
			assert.False(t, ev.At.IsZero())
			if ev.Action != "registrant.add" {
				assert.Equal(t, tok.ID, ev.Actor.TokenID, "who: %s", ev.Action)
				assert.Equal(t, register.RoleRegistrar, ev.Actor.Role)
			}
		}
		assert.Equal(t, wantActions, got)
		assert.Equal(t, "Struck off by panel FTP-2", a.Events[len(a.Events)-1].Reason)
	}
	checkAudit(s)

	// Export is JSON lines, one event per line, including the token events.
	exp := s.run(t, "", "audit", "export")
	require.Equal(t, 0, exp.code, exp.stderr)
	ls := lines(exp.stdout)
	require.Greater(t, len(ls), len(wantActions))
	for _, l := range ls {
		var ev register.AuditEvent
		require.NoError(t, json.Unmarshal([]byte(l), &ev), l)
	}

	// The public register shows the removal, without private details.
	resp, err := http.Get(s.URL + "/v1/register/" + n)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), `"status": "removed"`)
	assert.NotContains(t, string(body), "siobhan@example.org")
	assert.NotContains(t, string(body), "FTP-2", "removal reasons are not public")

	// SIGTERM shuts down gracefully; a restart resumes with everything.
	require.NoError(t, s.stop())
	assert.Contains(t, s.stderr.String(), "stopped")
	s2 := startServer(t, data)
	var again register.Registrant
	s2.runJSON(t, 0, &again, "registrant", "show", n)
	assert.Equal(t, register.Removed, again.Status)
	assert.Len(t, again.Qualifications, 1)
	checkAudit(s2)
	assert.True(t, strings.HasPrefix(s2.token, "lpt_"), "the same admin token file is kept")
}

// TestJSONFlagPrintsOneDocumentEvenOnError checks the --json contract on
// failure too.
func TestJSONFlagPrintsOneDocumentEvenOnError(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "reg"))
	r := s.run(t, "", "registrant", "add", "--given", "A", "--family", "B", "--nation", "atlantis", "--json")
	assert.Equal(t, 1, r.code)
	var e struct {
		Error struct{ Code, Message string }
	}
	decodeOne(t, r.stdout, &e)
	assert.Equal(t, "invalid", e.Error.Code)
	assert.Contains(t, e.Error.Message, "nation")

	r = runCLI(t, []string{"LINKPASS_SERVER=http://127.0.0.1:1", "LINKPASS_TOKEN=x"}, "", "registrant", "list", "--json")
	assert.Equal(t, 2, r.code, "an unreachable server is 'could not do it'")
	decodeOne(t, r.stdout, &e)
	assert.Equal(t, "unreachable", e.Error.Code)
}

// TestServeRefusesCorruptDataDirectory checks that a damaged log stops
// start-up with a message naming the file, and never starts empty.
func TestServeRefusesCorruptDataDirectory(t *testing.T) {
	data := filepath.Join(t.TempDir(), "reg")
	s := startServer(t, data)
	require.NoError(t, s.stop())
	db := filepath.Join(data, "raft", "raft.db")
	require.NoError(t, os.WriteFile(db, []byte(strings.Repeat("not a bolt database ", 1000)), 0o600))
	r := runCLI(t, nil, "", "serve", "--data", data, "--addr", "127.0.0.1:0")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, db)
	assert.Contains(t, r.stderr, "backup")
}
