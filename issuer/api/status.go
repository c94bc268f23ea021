package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/trustbundle"
)

// statusList serves a signed Status List Token. The token was built and
// signed when the list last changed; serving it is a map lookup.
func (a *API) statusList(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["list"]
	p, ok := a.srv.Published(id)
	if !ok {
		a.writeError(w, r, fmt.Errorf("%w: no status list %q", register.ErrNotFound, clipID(id)))
		return
	}
	h := w.Header()
	h.Set("ETag", p.ETag)
	// Caches may keep the token for the rest of its ttl, no longer.
	maxAge := int(time.Until(p.IssuedAt.Add(p.TTL)).Seconds())
	if maxAge < 0 {
		maxAge = 0
	}
	h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", maxAge))
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Last-Modified", p.IssuedAt.UTC().Format(http.TimeFormat))
	if etagMatch(r.Header.Get("If-None-Match"), p.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/statuslist+jwt")
	_, _ = w.Write(p.Token)
}

// etagMatch reports whether an If-None-Match header names etag.
func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// trustBundle serves everything an offline verifier needs.
func (a *API) trustBundle(w http.ResponseWriter, r *http.Request) {
	b, err := a.srv.TrustBundle()
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSONAs(w, http.StatusOK, trustbundle.MediaType, b)
}
