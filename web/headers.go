package web

import "net/http"

// ContentSecurityPolicy is sent with every response of the site: scripts,
// styles and everything else come only from the site itself, with no
// inline script or style; images may also be data: or blob: URLs (an
// uploaded photo is drawn from a blob:), and the camera stream is a blob:.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// PermissionsPolicy allows the camera to the site's own pages and nothing
// else of what a page could ask for.
const PermissionsPolicy = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"

// Secure sets the site's security headers on every response of h, for
// pages other packages serve in the site's layout (the console).
func Secure(h http.Handler) http.Handler { return secure(h) }

// secure sets the security headers on every response of h.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", ContentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Permissions-Policy", PermissionsPolicy)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}
