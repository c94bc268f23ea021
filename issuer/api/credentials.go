package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/registrants"
	"github.com/nalw/linkpass/keys"
)

// IssueResponse is what issuing a credential returns.
type IssueResponse struct {
	JWT        string                    `json:"jwt"`
	JTI        string                    `json:"jti"`
	KID        string                    `json:"kid"`
	Registrant string                    `json:"registration_number"`
	IssuedAt   time.Time                 `json:"issued_at"`
	ExpiresAt  time.Time                 `json:"expires_at"`
	StatusList StatusListEntry           `json:"status_list"`
	Status     register.CredentialStatus `json:"status"`
	// StatusPublishedAt is when the served status list that carries the
	// credential (and the revocation of those it supersedes) was signed.
	StatusPublishedAt time.Time `json:"status_published_at"`
}

// StatusListEntry is where a credential's status is published.
type StatusListEntry struct {
	URI string `json:"uri"`
	Idx uint64 `json:"idx"`
}

func (a *API) issueCredential(r *http.Request, actor register.Actor) (int, any, error) {
	n, err := regnoVar(r)
	if err != nil {
		return 0, nil, err
	}
	if r.ContentLength > 0 {
		if err := decode(r, &struct{}{}); err != nil {
			return 0, nil, err
		}
	}
	iss, err := a.registrants.Issue(r.Context(), actor, n)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, a.issueResponse(iss), nil
}

func (a *API) issueResponse(iss *issuer.Issued) *IssueResponse {
	c := iss.Record
	return &IssueResponse{
		JWT: iss.JWT, JTI: c.JTI, KID: c.KID, Registrant: c.Registrant, IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt,
		StatusList: StatusListEntry{URI: a.statusURI(c.List), Idx: c.Idx}, Status: c.Status,
		StatusPublishedAt: iss.StatusPublishedAt,
	}
}

func (a *API) statusURI(list string) string {
	return a.srv.State().Settings().IssuerURL + "/status/" + list
}

func (a *API) listCredentials(r *http.Request, _ register.Actor) (int, any, error) {
	n, err := regnoVar(r)
	if err != nil {
		return 0, nil, err
	}
	if _, err := a.srv.State().Registrant(n); err != nil {
		return 0, nil, err
	}
	creds, err := a.srv.State().CredentialsOf(n)
	if err != nil {
		return 0, nil, err
	}
	if creds == nil {
		creds = []*register.IssuedCredential{}
	}
	sort.SliceStable(creds, func(i, j int) bool { return creds[i].IssuedAt.Before(creds[j].IssuedAt) })
	return http.StatusOK, map[string]any{"credentials": creds}, nil
}

// revokedResponse is the revoked credential's record, with when the
// served status list that carries the revocation was signed.
type revokedResponse struct {
	*register.IssuedCredential
	StatusPublishedAt time.Time `json:"status_published_at"`
}

func (a *API) revokeCredential(r *http.Request, actor register.Actor) (int, any, error) {
	req := &registrants.RevokeCredential{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	rev, err := a.registrants.Revoke(r.Context(), actor, mux.Vars(r)["jti"], req)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, revokedResponse{IssuedCredential: rev.Record, StatusPublishedAt: rev.StatusPublishedAt}, nil
}

// keyView is a signing key as the admin API shows it: never private parts.
type keyView struct {
	KID       string            `json:"kid"`
	Alg       string            `json:"alg"`
	State     register.KeyState `json:"state"`
	CreatedAt time.Time         `json:"created_at"`
	RetiredAt time.Time         `json:"retired_at,omitzero"`
	PublicJWK json.RawMessage   `json:"public_jwk"`
}

func viewKey(k *register.SigningKey) keyView {
	return keyView{KID: k.KID, Alg: k.Alg, State: k.State, CreatedAt: k.CreatedAt, RetiredAt: k.RetiredAt, PublicJWK: k.PublicJWK}
}

func (a *API) listKeys(*http.Request, register.Actor) (int, any, error) {
	all, err := a.srv.State().Keys()
	if err != nil {
		return 0, nil, err
	}
	out := make([]keyView, 0, len(all))
	for _, k := range all {
		out = append(out, viewKey(k))
	}
	return http.StatusOK, map[string]any{"keys": out}, nil
}

type rotateRequest struct {
	Alg string `json:"alg,omitempty"`
}

func (q *rotateRequest) Validate() error {
	if q.Alg != "" && q.Alg != keys.AlgEdDSA && q.Alg != keys.AlgES256 {
		return fmt.Errorf("%w: alg must be EdDSA or ES256", register.ErrInvalid)
	}
	return nil
}

func (a *API) rotateKey(r *http.Request, actor register.Actor) (int, any, error) {
	req := &rotateRequest{}
	if r.ContentLength > 0 {
		if err := decode(r, req); err != nil {
			return 0, nil, err
		}
	}
	k, err := a.srv.RotateKey(actor, req.Alg)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, viewKey(k), nil
}

type retireRequest struct {
	Force bool `json:"force,omitempty"`
}

func (a *API) retireKey(r *http.Request, actor register.Actor) (int, any, error) {
	req := &retireRequest{}
	if r.ContentLength > 0 {
		if err := decode(r, req); err != nil {
			return 0, nil, err
		}
	}
	kid := mux.Vars(r)["kid"]
	if !keys.ValidKeyID(kid) {
		return 0, nil, fmt.Errorf("%w: %q is not a key id", register.ErrInvalid, clipID(kid))
	}
	k, err := a.srv.RetireKey(actor, kid, req.Force)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewKey(k), nil
}

func clipID(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// jwks serves the public keys. Verifiers cache it; a short max-age makes
// rotation and retirement reach them quickly.
func (a *API) jwks(w http.ResponseWriter, r *http.Request) {
	b, err := a.srv.JWKS()
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(b)
}

// contextPath is where the register serves the JSON-LD context its
// credentials name: the path of credential.ContextLinkpass. The register at
// register.nalw.org.uk thus serves it at the very URL; a register at
// another address serves the same document at the same path.
var contextPath = func() string {
	u, err := url.Parse(credential.ContextLinkpass)
	if err != nil {
		panic(err)
	}
	return u.Path
}()

// jsonLDContext serves the JSON-LD context document of the credentials,
// which never changes at this URL (a new version gets a new URL).
func (a *API) jsonLDContext(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/ld+json")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(credential.ContextDocument())
}

// issuerMetadata serves the JWT VC issuer metadata document, with the
// register's current Quality Mark standing (trustbundle.Metadata). Like
// the JWKS it names, browsers on other origins may read it and caches may
// keep it for five minutes.
func (a *API) issuerMetadata(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, a.srv.Metadata())
}
