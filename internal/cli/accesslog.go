package cli

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/nalw/linkpass/console"
	"github.com/nalw/linkpass/oid4vci"
)

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// accessLog logs each request's method, path, status and duration at
// debug level, and server errors at warn. It never logs query strings,
// bodies or headers: a search carries the name of the person searched for,
// a body a credential, a header a token.
func accessLog(next http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		level := slog.LevelDebug
		if rec.status >= 500 {
			level = slog.LevelWarn
		}
		logger.Log(r.Context(), level, "request", "method", r.Method, "path", loggedPath(r.URL.Path), "status", rec.status,
			"duration_ms", time.Since(start).Milliseconds())
	})
}

// loggedPath hides the secrets paths carry: the last segment of
// /oid4vci/offers/... is the pre-authorised code, that of a staff setup
// link /setup/... the link's secret.
func loggedPath(p string) string {
	if strings.HasPrefix(p, oid4vci.PathOffer) {
		return oid4vci.PathOffer + "{code}"
	}
	if console.IsSetupLink(p) {
		return console.PathSetup + "{token}"
	}
	return p
}
