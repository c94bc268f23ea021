package e2e

import (
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var metricsRe = regexp.MustCompile(`msg="metrics listening" addr=(\S+)`)

// TestMetricsListenerReportsTheRegisterByRouteTemplate runs serve with
// --metrics-addr and checks that /metrics there reports Raft, the status
// lists, a backup, registrants by status and requests per route template,
// while no label carries a registration number or a searched name, and the
// public address does not serve the metrics.
func TestMetricsListenerReportsTheRegisterByRouteTemplate(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "reg"), "--metrics-addr", "127.0.0.1:0")
	var addr string
	waitFor(t, 10*time.Second, func() bool {
		m := metricsRe.FindStringSubmatch(s.stderr.String())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	}, "the metrics listener")
	number := addRegistrant(t, s)
	r := s.run(t, "", "credential", "issue", number, "--out", filepath.Join(t.TempDir(), "cred.jwt"))
	require.Equal(t, 0, r.code, r.stderr)
	s.get(t, "/v1/register/"+number)
	s.get(t, "/v1/register?q="+url.QueryEscape("Súilleabháin"))
	r = s.run(t, "", "backup", "--out", filepath.Join(t.TempDir(), "reg.backup"))
	require.Equal(t, 0, r.code, r.stderr)

	resp, err := http.Get(s.URL + "/metrics")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "the public address does not serve the metrics")

	resp, err = http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out := string(b)
	for _, want := range []string{
		`linkpass_raft_state{state="Leader"} 1`,
		`linkpass_registrants{status="registered"} 1`,
		`linkpass_registrants{status="removed"} 0`,
		`linkpass_http_requests_total{code="200",method="GET",route="/v1/register/{regno}"} 1`,
		`linkpass_http_requests_total{code="200",method="GET",route="/v1/register"} 1`,
		`linkpass_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`linkpass_status_list_ttl_seconds{list=`,
		`linkpass_status_list_age_seconds{list=`,
		`linkpass_raft_apply_duration_seconds_count`,
		`linkpass_status_publish_failures_total 0`,
		`linkpass_backup_failures_total 0`,
		`linkpass_data_disk_used_ratio`,
	} {
		assert.True(t, strings.Contains(out, want), "/metrics lacks %s", want)
	}
	assert.NotRegexp(t, `linkpass_backup_last_success_timestamp_seconds 0\n`, out, "the backup was counted")
	assert.NotRegexp(t, `linkpass_raft_applied_index 0\n`, out)
	for _, leak := range []string{number, "Súilleabháin", "Siân", "sian@example.org", s.token} {
		assert.False(t, strings.Contains(out, leak), "/metrics carries %q", leak)
	}
}
