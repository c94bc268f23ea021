package oid4vci

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/nalw/linkpass/issuer/register"
)

// oauthError is an error as OAuth 2.0 and OpenID4VCI render it.
type oauthError struct {
	status int
	code   string
	desc   string
	// extra are members added to the error object (RFC 6749 5.2 allows
	// them), for a wallet to act on without parsing desc.
	extra map[string]any
}

func (e *oauthError) Error() string { return e.code + ": " + e.desc }

func oerr(status int, code, desc string) *oauthError {
	return &oauthError{status: status, code: code, desc: desc}
}

// CORS lets any origin's wallet call the protocol endpoints: they take no
// cookies, only bearer tokens and proofs, so a page elsewhere gains
// nothing it could not do from a server.
func cors(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, DPoP")
		hd.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		hd.Set("Access-Control-Expose-Headers", "WWW-Authenticate, Cache-Control")
		hd.Set("Access-Control-Max-Age", "600")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h(w, r)
	}
}

// endpoint is the one shape of a protocol handler: act, then render body
// (or an error) as JSON. Responses are not cached unless the handler says.
type endpoint func(w http.ResponseWriter, r *http.Request) (int, any, error)

func (s *Service) serve(h endpoint) http.HandlerFunc {
	return cors(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		status, body, err := h(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if body == nil {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, body)
	})
}

func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var oe *oauthError
	if !errors.As(err, &oe) {
		switch {
		case errors.Is(err, register.ErrUnavailable):
			oe = oerr(http.StatusServiceUnavailable, "temporarily_unavailable", "the register is not taking changes right now; try again shortly")
		default:
			path := r.URL.Path
			if strings.HasPrefix(path, PathOffer) {
				path = PathOffer + "{code}" // the code is a secret
			}
			s.cfg.Logger.Error("issuance request failed", "path", path, "err", err)
			oe = oerr(http.StatusInternalServerError, "server_error", "internal error; the server log has the details")
		}
	}
	if oe.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer error="`+oe.code+`"`)
	}
	body := map[string]any{"error": oe.code, "error_description": oe.desc}
	for k, v := range oe.extra {
		body[k] = v
	}
	writeJSON(w, oe.status, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(body)
}

// Routes are the protocol endpoints, for the API's one list of routes.
type Routes struct {
	IssuerMetadata, ServerMetadata, TypeMetadata, Offer, Token, Nonce, Credential, Notification http.HandlerFunc
}

// Handlers returns the protocol endpoints.
func (s *Service) Handlers() Routes {
	return Routes{
		IssuerMetadata: cors(s.issuerMetadata),
		ServerMetadata: cors(s.serverMetadata),
		TypeMetadata:   cors(s.typeMetadata),
		Offer:          s.serve(s.offer),
		Token:          s.serve(s.token),
		Nonce:          s.serve(s.nonce),
		Credential:     s.serve(s.credential),
		Notification:   s.serve(s.notification),
	}
}
