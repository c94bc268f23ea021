// Package route tells the request log and the metrics which route template
// (e.g. /v1/registrants/{regno}) served a request, so neither records a
// path carrying a registration number, a code or a token.
package route

import (
	"context"
	"fmt"
	"net/http"
	"strings"

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

// Direct returns a handler that serves the requests whose path is one of
// prefixes, or lies under one, with direct, and every other request with
// next. A router tries its routes in turn, so requests that only its
// NotFoundHandler serves (the API, under the site's pages) first pay for a
// failed match of every route: about 4% of the CPU of an API write. Direct
// refuses a prefix that one of next's routes might serve, so that it never
// changes which handler serves a request.
func Direct(next *mux.Router, direct http.Handler, prefixes ...string) (http.Handler, error) {
	err := next.Walk(func(rt *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := rt.GetPathTemplate()
		if err != nil {
			return fmt.Errorf("route: a route without a path may serve any path, so no prefix can skip it: %w", err)
		}
		re, err := rt.GetPathRegexp()
		if err != nil {
			return err
		}
		// The literal start of the template; after a variable, or
		// under a path prefix, the route may serve anything.
		lit, open := tpl, !strings.HasSuffix(re, "$")
		if i := strings.IndexByte(tpl, '{'); i >= 0 {
			lit, open = tpl[:i], true
		}
		for _, p := range prefixes {
			if strings.HasPrefix(lit, p) || open && strings.HasPrefix(p, lit) {
				return fmt.Errorf("route: the route %s may serve paths under %s, which go straight to another handler", tpl, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range prefixes {
			if rest, ok := strings.CutPrefix(r.URL.Path, p); ok && (rest == "" || rest[0] == '/') {
				direct.ServeHTTP(w, r)
				return
			}
		}
		next.ServeHTTP(w, r)
	}), nil
}
