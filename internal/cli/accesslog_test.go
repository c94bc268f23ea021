package cli

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/internal/metrics"
	"github.com/nalw/linkpass/internal/route"
)

// TestAccessLogNeverRecordsQueriesBodiesOrTokens checks that the request
// log says what was asked and how it went, and nothing a person typed.
func TestAccessLogNeverRecordsQueriesBodiesOrTokens(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := accessLog(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}), logger, nil)
	req := httptest.NewRequest(http.MethodGet, "/v1/register?q=Siobhan+Okonkwo", nil)
	req.Header.Set("Authorization", "Bearer lpt_secret")
	h.ServeHTTP(httptest.NewRecorder(), req)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/boom", bytes.NewBufferString(`{"credential":"LP1:SECRET"}`)))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/setup/hIUnHtsPbrSB_13UptIfv41KEKGxArwIb6bRpp_b88E", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/setup/done", nil))
	out := buf.String()
	assert.Contains(t, out, "path=/v1/register")
	assert.Contains(t, out, "status=200")
	assert.Contains(t, out, "level=WARN")
	assert.Contains(t, out, "status=500")
	assert.Contains(t, out, "path=/setup/{token}")
	assert.Contains(t, out, "path=/setup/done")
	for _, secret := range []string{"Siobhan", "Okonkwo", "lpt_secret", "LP1:SECRET", "hIUnHtsPbrSB"} {
		assert.NotContains(t, out, secret)
	}
}

// TestJSONLogCarriesRequestIDsAndNoPersonalData checks --log-format json:
// every line is one JSON object; a request's lines, the handler's own
// included, carry the id its response names; and nothing a person typed or
// a token reaches the log.
func TestJSONLogCarriesRequestIDsAndNoPersonalData(t *testing.T) {
	var buf bytes.Buffer
	logger, err := newLogger(&buf, "json", "debug")
	require.NoError(t, err)
	m := metrics.New()
	router := mux.NewRouter()
	router.Use(route.Record)
	router.HandleFunc("/v1/registrants/{regno}", func(w http.ResponseWriter, r *http.Request) {
		logger.WarnContext(r.Context(), "looked up")
	})
	h := accessLog(router, logger, m)
	req := httptest.NewRequest(http.MethodGet, "/v1/registrants/NALW-123456?q=Siobhan+Okonkwo", nil)
	req.Header.Set("Authorization", "Bearer lpt_secret")
	req.Header.Set(RequestIDHeader, "forged\nid")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	id := rec.Header().Get(RequestIDHeader)
	require.Regexp(t, `^[0-9a-f]{16}$`, id, "the server makes its own id")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2)
	for _, l := range lines {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &rec), l)
		assert.Equal(t, id, rec["request_id"], l)
	}
	assert.Contains(t, lines[1], `"route":"/v1/registrants/{regno}"`)
	for _, secret := range []string{"Siobhan", "Okonkwo", "lpt_secret", "forged"} {
		assert.NotContains(t, buf.String(), secret)
	}
	n := testutil.ToFloat64(m.Requests().WithLabelValues("/v1/registrants/{regno}", "GET", "200"))
	assert.Equal(t, 1.0, n, "counted under its route template")
}
