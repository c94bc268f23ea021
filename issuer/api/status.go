package api

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/statuspub"
	"github.com/nalw/linkpass/trustbundle"
)

// statusList serves a signed Status List Token. The token was built and
// signed when the list last changed; serving it is a map lookup.
func (a *API) statusList(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["list"]
	if r.URL.Query().Has("time") {
		// Token Status List 8.4: a server that keeps no history answers
		// a request for the list at a past time with 501.
		a.writeError(w, r, fmt.Errorf("%w: the register does not serve status lists as they were at a past time (?time=); fetch the current list without it", errNotImplemented))
		return
	}
	p, ok := a.srv.Published(id)
	if !ok {
		a.writeError(w, r, fmt.Errorf("%w: no status list %q", register.ErrNotFound, clipID(id)))
		return
	}
	h := w.Header()
	h.Add("Vary", "Accept-Encoding")
	body, etag := p.Token, p.ETag
	gz := acceptsGzip(r.Header.Values("Accept-Encoding"))
	if gz {
		body, etag = a.gzipped(p), gzipETag(p.ETag)
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	// Caches may keep the token for the rest of its ttl, no longer.
	maxAge := int(time.Until(p.IssuedAt.Add(p.TTL)).Seconds())
	if maxAge < 0 {
		maxAge = 0
	}
	h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", maxAge))
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Last-Modified", p.IssuedAt.UTC().Format(http.TimeFormat))
	// Both codings carry the same token, so either ETag revalidates.
	if inm := r.Header.Get("If-None-Match"); etagMatch(inm, p.ETag) || etagMatch(inm, gzipETag(p.ETag)) {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/statuslist+jwt")
	_, _ = w.Write(body)
}

// gzipETag is the strong ETag of a token's gzip coding: a different
// representation needs a different strong validator (RFC 9110 8.8.3).
func gzipETag(etag string) string { return strings.TrimSuffix(etag, `"`) + `-gzip"` }

// acceptsGzip reports whether Accept-Encoding values accept gzip with a
// non-zero quality, by name or by "*" (RFC 9110 12.5.3).
func acceptsGzip(values []string) bool {
	star, named := false, false
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(item), ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding != "gzip" && coding != "x-gzip" && coding != "*" {
				continue
			}
			ok := true
			for _, p := range strings.Split(params, ";") {
				if q, found := strings.CutPrefix(strings.TrimSpace(p), "q="); found {
					f, err := strconv.ParseFloat(q, 64)
					ok = err == nil && f > 0
				}
			}
			if coding == "*" {
				star = star || ok
				continue
			}
			if !ok {
				return false // gzip;q=0 refuses it even if * is accepted
			}
			named = true
		}
	}
	return named || star
}

// gzipped returns p's token gzip-compressed, compressing each published
// token once.
func (a *API) gzipped(p *statuspub.List) []byte {
	a.gzMu.Lock()
	defer a.gzMu.Unlock()
	if e, ok := a.gz[p.ID]; ok && e.etag == p.ETag {
		return e.body
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(p.Token)
	_ = zw.Close()
	if a.gz == nil {
		a.gz = map[string]gzEntry{}
	}
	a.gz[p.ID] = gzEntry{etag: p.ETag, body: buf.Bytes()}
	return buf.Bytes()
}

// gzEntry is the gzip coding of the token with etag.
type gzEntry struct {
	etag string
	body []byte
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
