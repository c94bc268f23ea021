// Package route tells the request log and the metrics which route template
// (e.g. /v1/registrants/{regno}) served a request, so neither records a
// path carrying a registration number, a code or a token.
package route

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"
)

// Unmatched is the template of a request no route matched.
const Unmatched = "unmatched"

type key struct{}

// Holder receives the template of the route that served a request.
type Holder struct{ template string }

// Template is the recorded template, Unmatched if none was.
func (h *Holder) Template() string {
	if h == nil || h.template == "" {
		return Unmatched
	}
	return h.template
}

// Track returns r carrying a new holder, and the holder.
func Track(r *http.Request) (*http.Request, *Holder) {
	h := &Holder{}
	return r.WithContext(context.WithValue(r.Context(), key{}, h)), h
}

// Record is mux middleware: it records the template of the matched route
// in the holder Track put in the request. Use it on every router, since a
// router's NotFoundHandler may be another router.
func Record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := r.Context().Value(key{}).(*Holder); ok {
			if cur := mux.CurrentRoute(r); cur != nil {
				if tpl, err := cur.GetPathTemplate(); err == nil {
					h.template = tpl
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}
