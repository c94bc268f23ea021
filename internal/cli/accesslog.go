package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/nalw/linkpass/console"
	"github.com/nalw/linkpass/internal/metrics"
	"github.com/nalw/linkpass/internal/route"
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

// RequestIDHeader carries the id of a request in its response, so a user
// reporting a fault can quote it and the operator find its log lines.
const RequestIDHeader = "X-Request-Id"

type requestIDKey struct{}

// accessLog gives each request an id (logged with every line logged in the
// request's context), logs its method, path, route template, status and
// duration at debug level, server errors at warn, and counts it in m if m
// is not nil. It never logs query strings, bodies or headers: a search
// carries the name of the person searched for, a body a credential, a
// header a token. A client's own request id is not trusted: it could carry
// anything into the log.
func accessLog(next http.Handler, logger *slog.Logger, m *metrics.Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		w.Header().Set(RequestIDHeader, id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		r, tpl := route.Track(r)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		d := time.Since(start)
		if m != nil {
			m.ObserveRequest(tpl.Template(), r.Method, rec.status, d)
		}
		level := slog.LevelDebug
		if rec.status >= 500 {
			level = slog.LevelWarn
		}
		logger.Log(r.Context(), level, "request", "method", r.Method, "path", loggedPath(r.URL.Path), "route", tpl.Template(),
			"status", rec.status, "duration_ms", d.Milliseconds())
	})
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// requestIDHandler adds the request id to every record logged with a
// request's context.
type requestIDHandler struct{ slog.Handler }

func withRequestID(h slog.Handler) slog.Handler { return requestIDHandler{h} }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
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
