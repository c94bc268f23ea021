package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/internal/verdict"
)

// postVerify checks a credential through a running page's API.
func postVerify(t *testing.T, base, text string) verdict.Verdict {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"credential": text})
	resp, err := http.Post(base+"/v1/verify", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	var v verdict.Verdict
	require.NoError(t, json.Unmarshal(b, &v), string(b))
	return v
}

var verifierListenRe = regexp.MustCompile(`msg="verifier listening" addr=(\S+)`)

// startVerifier runs `linkpass verify serve` and returns its base URL.
func startVerifier(t *testing.T, args ...string) (string, *lockedBuffer) {
	t.Helper()
	stderr := &lockedBuffer{}
	cmd := exec.Command(binary, append([]string{"verify", "serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+filepath.Join(userDirs(t), "config"))
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	var url string
	waitFor(t, 30*time.Second, func() bool {
		select {
		case err := <-done:
			t.Fatalf("verify serve exited: %v\n%s", err, stderr.String())
		default:
		}
		if m := verifierListenRe.FindStringSubmatch(stderr.String()); m != nil {
			url = "http://" + m[1]
			return true
		}
		return false
	}, "verify serve to listen")
	return url, stderr
}

// TestPracticeVerifierServesFromItsOwnBundle runs the register's own check
// page and a practice's `verify serve`: valid, then suspended after the
// practice's verifier syncs (at start), and still answering from its last
// good bundle when the register is gone.
func TestPracticeVerifierServesFromItsOwnBundle(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, filepath.Join(dir, "reg"))
	var reg struct {
		Number string `json:"registration_number"`
	}
	s.runJSON(t, 0, &reg, "registrant", "add", "--given", "Rhiannon", "--family", "Pryce", "--nation", "wales")
	var iss struct{ JWT string }
	s.runJSON(t, 0, &iss, "credential", "issue", reg.Number)

	// The register's own pages: the home page and its check API.
	home := fetch(t, s.URL+"/")
	assert.Contains(t, string(home), "/verify")
	waitFor(t, 10*time.Second, func() bool { return postVerify(t, s.URL, iss.JWT).Valid }, "the register's check page to accept the new credential")
	assert.Equal(t, "NOT VALID", postVerify(t, s.URL, "garbage").Headline())

	bundle := filepath.Join(dir, "practice-bundle.json")
	url, _ := startVerifier(t, "--sync-from", s.URL, "--bundle", bundle)
	v := postVerify(t, url, iss.JWT)
	require.True(t, v.Valid, v.Reason)
	var st struct {
		Issuer string `json:"issuer"`
		Stale  bool   `json:"stale"`
	}
	require.NoError(t, json.Unmarshal(fetch(t, url+"/v1/verifier/status"), &st))
	assert.Equal(t, s.URL, st.Issuer)
	assert.False(t, st.Stale)
	page := fetch(t, url+"/verify")
	assert.True(t, strings.Contains(string(page), "<html"), "the front-desk page is served")

	r := s.run(t, "", "registrant", "suspend", reg.Number, "--reason", "interim order")
	require.Equal(t, 0, r.code, r.stderr)
	waitFor(t, 10*time.Second, func() bool { return postVerify(t, s.URL, iss.JWT).Outcome == "suspended" }, "the register's page to show the suspension")
	url2, _ := startVerifier(t, "--sync-from", s.URL, "--bundle", bundle)
	assert.Equal(t, "SUSPENDED", postVerify(t, url2, iss.JWT).Headline(), "the practice's verifier learns it at its next sync")

	// The register goes away: the practice keeps checking from its bundle.
	s.kill()
	url3, logs := startVerifier(t, "--sync-from", s.URL, "--bundle", bundle)
	assert.Equal(t, "SUSPENDED", postVerify(t, url3, iss.JWT).Headline())
	assert.Contains(t, logs.String(), "could not sync the trust bundle; using the one on disk")
}
