package cli

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
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
	}), logger)
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
