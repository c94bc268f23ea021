package websession

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/nalw/linkpass/issuer/register"
)

// NoStore keeps a signed-in page out of every cache.
func NoStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// Kind is an error kind a page answers with Status.
type Kind struct {
	Err    error
	Status int
}

// Kinds are the register's error kinds and their statuses. A page puts
// its own before them (the first that matches decides the status).
var Kinds = []Kind{
	{register.ErrInvalid, http.StatusBadRequest},
	{register.ErrUnauthenticated, http.StatusUnauthorized},
	{register.ErrForbidden, http.StatusForbidden},
	{register.ErrNotFound, http.StatusNotFound},
	{register.ErrConflict, http.StatusConflict},
	{register.ErrUnavailable, http.StatusServiceUnavailable},
}

// Problem is err as a person should read it, a sentence without the
// names of the register's error kinds, with the status of the first of
// kinds it is. ok is false for an error of no kind: a fault, which the
// page logs and does not show.
func Problem(err error, kinds []Kind) (msg string, status int, ok bool) {
	for _, k := range kinds {
		if errors.Is(err, k.Err) {
			msg = err.Error()
			for _, base := range Kinds {
				// Wherever it is: a rule may name its field first
				// ("quality mark since: invalid request: ...").
				msg = strings.ReplaceAll(msg, base.Err.Error()+": ", "")
			}
			return Sentence(msg), k.Status, true
		}
	}
	return "", http.StatusInternalServerError, false
}

// Explain is Problem for a page: an error of no kind is a fault, logged
// under site (never shown) and answered with a message that says whom to
// tell if it keeps happening.
func Explain(err error, kinds []Kind, logger *slog.Logger, site, tell string) (string, int) {
	if msg, status, ok := Problem(err, kinds); ok {
		return msg, status
	}
	logger.Error(site+": request failed", "err", err)
	return "Something went wrong on the register's side. Try again; if it keeps happening, " + tell + ".", http.StatusInternalServerError
}

// Sentence starts a message with a capital and ends it with a full stop.
func Sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
