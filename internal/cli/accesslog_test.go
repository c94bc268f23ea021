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
	out := buf.String()
	assert.Contains(t, out, "path=/v1/register")
	assert.Contains(t, out, "status=200")
	assert.Contains(t, out, "level=WARN")
	assert.Contains(t, out, "status=500")
	for _, secret := range []string{"Siobhan", "Okonkwo", "lpt_secret", "LP1:SECRET"} {
		assert.NotContains(t, out, secret)
	}
}
