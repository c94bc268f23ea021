package api

import (
	"net/http"
	"strings"
)

// HSTSHeader is the Strict-Transport-Security a register served over
// https sends: browsers use https for it for a year. Subdomains are left
// out, since the register does not own its parent domain's other hosts.
const HSTSHeader = "max-age=31536000"

// HSTS returns h, adding Strict-Transport-Security to every response when
// issuerURL, the register's public address, is https. Over plain http the
// header means nothing (RFC 6797 7.2) and is not sent, so a register run
// locally is not pinned to https by a browser that visited it.
func HSTS(h http.Handler, issuerURL string) http.Handler {
	if !strings.HasPrefix(strings.ToLower(issuerURL), "https://") {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", HSTSHeader)
		h.ServeHTTP(w, r)
	})
}
