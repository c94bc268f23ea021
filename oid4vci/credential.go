package oid4vci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

func (s *Service) nonce(_ http.ResponseWriter, _ *http.Request) (int, any, error) {
	n, ok := s.nonces.issue(s.reg.Now())
	if !ok {
		return 0, nil, oerr(http.StatusServiceUnavailable, "temporarily_unavailable", "too many nonces outstanding; try again in a few minutes")
	}
	return http.StatusOK, map[string]string{"c_nonce": n}, nil
}

type credentialRequest struct {
	ConfigurationID string `json:"credential_configuration_id"`
	Identifier      string `json:"credential_identifier"`
	Proofs          *struct {
		JWT []string `json:"jwt"`
	} `json:"proofs"`
	Proof json.RawMessage `json:"proof"`
}

// grantOf authenticates the bearer access token.
func (s *Service) grantOf(r *http.Request) (*register.Grant, string, error) {
	at, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || at == "" {
		return nil, "", oerr(http.StatusUnauthorized, "invalid_token", "send the access token from the token endpoint as 'Authorization: Bearer <token>'")
	}
	g, err := s.reg.State().GrantByAccess(hash(at))
	if err != nil || !s.reg.Now().Before(g.AccessExpires) {
		return nil, "", oerr(http.StatusUnauthorized, "invalid_token", "the access token is unknown or expired; use the refresh token or ask for a new offer")
	}
	if g.Revoked {
		return nil, "", oerr(http.StatusUnauthorized, "invalid_token", "the registrar revoked this wallet's access")
	}
	return g, hash(at), nil
}

func (s *Service) credential(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	g, atHash, err := s.grantOf(r)
	if err != nil {
		return 0, nil, err
	}
	var req credentialRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	if err := dec.Decode(&req); err != nil {
		return 0, nil, oerr(http.StatusBadRequest, "invalid_credential_request", "the body is not a JSON credential request")
	}
	if req.Identifier != "" {
		return 0, nil, oerr(http.StatusBadRequest, "invalid_credential_request", "credential_identifier is not used here; send credential_configuration_id")
	}
	format := ""
	switch req.ConfigurationID {
	case ConfigSDJWT:
		format = FormatSDJWT
	case ConfigVCJWT:
		format = FormatVCJWT
	case "":
		return 0, nil, oerr(http.StatusBadRequest, "invalid_credential_request", "credential_configuration_id is missing")
	default:
		return 0, nil, oerr(http.StatusBadRequest, "unknown_credential_configuration", fmt.Sprintf("no credential configuration %q; see the issuer metadata", req.ConfigurationID))
	}
	if len(req.Proof) > 0 {
		return 0, nil, oerr(http.StatusBadRequest, "invalid_credential_request", "send the key proof as proofs.jwt (OpenID4VCI 1.0), not proof")
	}
	if req.Proofs == nil || len(req.Proofs.JWT) != 1 {
		return 0, nil, oerr(http.StatusBadRequest, "invalid_proof", "send exactly one key proof in proofs.jwt")
	}
	holder, jkt, err := s.checkProof(req.Proofs.JWT[0])
	if err != nil {
		return 0, nil, err
	}
	if g.HolderJKT != "" && g.HolderJKT != jkt {
		return 0, nil, oerr(http.StatusBadRequest, "invalid_proof", "the proof is made with another key than the one this wallet is bound to")
	}
	d, err := s.draftFor(r, g, atHash, holder, jkt)
	if err != nil {
		return 0, nil, err
	}
	var cred string
	switch format {
	case FormatSDJWT:
		cred, err = issueSDJWT(d, holder)
	default:
		cred, err = credential.Sign(d.Claims, d.Signer)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("signing the %s credential: %w", format, err)
	}
	return http.StatusOK, map[string]any{
		"credentials":     []map[string]string{{"credential": cred}},
		"notification_id": d.Record.JTI,
	}, nil
}

// draftFor returns the credential record the request signs: the one
// already issued under this access token (the other format of the same
// credential), or a new one.
func (s *Service) draftFor(r *http.Request, g *register.Grant, atHash string, holder jwk.Key, jkt string) (*issuer.Draft, error) {
	if g.Credential != "" {
		rec, err := s.reg.State().Credential(g.Credential)
		if err == nil && rec.Status == register.CredentialValid {
			return s.reg.Redraft(rec)
		}
		return nil, oerr(http.StatusBadRequest, "credential_request_denied", "the credential issued under this access token is no longer valid; use the refresh token")
	}
	pub, err := json.Marshal(holder)
	if err != nil {
		return nil, err
	}
	d, _, err := s.reg.IssueWith(r.Context(), walletActor, g.Registrant, func(d *issuer.Draft) (fsm.Command, error) {
		d.Record.Grant, d.Record.Holder = g.ID, jkt
		return fsm.IssueGrantCredential{Credential: d.Record, ListSize: d.ListSize, AccessHash: atHash, HolderJWK: pub}, nil
	})
	switch {
	case err == nil:
		s.waitPublished(r.Context(), d.Record.List)
		return d, nil
	case errors.Is(err, register.ErrUnauthenticated):
		return nil, oerr(http.StatusUnauthorized, "invalid_token", trimKind(err))
	case errors.Is(err, register.ErrConflict), errors.Is(err, register.ErrForbidden), errors.Is(err, register.ErrNotFound):
		return nil, oerr(http.StatusBadRequest, "credential_request_denied", trimKind(err))
	}
	return nil, err
}

// waitPublished waits a moment for the status list of a new credential to
// be published, so that a verifier that checks it at once finds its list
// (the first credential in a new list would otherwise point at nothing
// for as long as the publisher takes). It gives up quietly: the list
// follows shortly, and the credential is valid either way.
func (s *Service) waitPublished(ctx context.Context, list string) {
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if _, ok := s.reg.Published(list); ok {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// checkProof checks a key proof JWT: typ, an asymmetric algorithm we
// accept, the holder's public key in the header, its signature, aud, iat
// and a nonce from our nonce endpoint, used once.
func (s *Service) checkProof(proof string) (jwk.Key, string, error) {
	bad := func(format string, args ...any) (jwk.Key, string, error) {
		return nil, "", oerr(http.StatusBadRequest, "invalid_proof", fmt.Sprintf(format, args...))
	}
	msg, err := jws.ParseString(proof)
	if err != nil || len(msg.Signatures()) != 1 || strings.Count(proof, ".") != 2 {
		return bad("the proof is not a compact JWS")
	}
	h := msg.Signatures()[0].ProtectedHeaders()
	if typ, _ := h.Type(); typ != ProofTyp {
		return bad("the proof's typ must be %s", ProofTyp)
	}
	alg, _ := h.Algorithm()
	if alg != jwa.ES256() && alg != jwa.EdDSA() {
		return bad("the proof's alg must be ES256 or EdDSA, not %q", alg.String())
	}
	key, ok := h.JWK()
	if !ok {
		return bad("the proof's header must carry the holder's public key as jwk")
	}
	if private, err := jwk.IsPrivateKey(key); err != nil || private {
		return bad("the proof's jwk must be an EC P-256 or Ed25519 public key")
	}
	if _, ok := h.KeyID(); ok {
		return bad("the proof's header may carry jwk or kid, not both")
	}
	payload, err := jws.Verify([]byte(proof), jws.WithKey(alg, key))
	if err != nil {
		return bad("the proof's signature does not verify with its jwk")
	}
	var p struct {
		Aud   any    `json:"aud"`
		Iat   *int64 `json:"iat"`
		Nonce string `json:"nonce"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return bad("the proof's payload is not a JSON object")
	}
	if !audience(p.Aud, s.issuerURL()) {
		return bad("the proof's aud must be the credential issuer %s", s.issuerURL())
	}
	now := s.reg.Now()
	if p.Iat == nil {
		return bad("the proof has no iat")
	}
	iat := time.Unix(*p.Iat, 0)
	if iat.After(now.Add(time.Minute)) || iat.Before(now.Add(-s.cfg.ProofMaxAge)) {
		return bad("the proof's iat is too old or in the future; make a fresh proof")
	}
	if p.Nonce == "" || !s.nonces.use(p.Nonce, now) {
		return nil, "", oerr(http.StatusBadRequest, "invalid_nonce", "the proof's nonce is missing, used or expired; get a fresh one from the nonce endpoint")
	}
	jkt, err := key.Thumbprint(cryptoSHA256)
	if err != nil {
		return bad("the proof's jwk has no thumbprint: %v", err)
	}
	return key, b64(jkt), nil
}

func audience(aud any, want string) bool {
	switch a := aud.(type) {
	case string:
		return a == want
	case []any:
		return len(a) == 1 && a[0] == want
	}
	return false
}

type notificationRequest struct {
	ID    string `json:"notification_id"`
	Event string `json:"event"`
	Desc  string `json:"event_description"`
}

// notification takes a wallet's word that it stored, refused or deleted a
// credential. It changes nothing: the register keeps no view of wallets'
// contents. It is logged without personal data.
func (s *Service) notification(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	g, _, err := s.grantOf(r)
	if err != nil {
		return 0, nil, err
	}
	var req notificationRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<10)).Decode(&req); err != nil {
		return 0, nil, oerr(http.StatusBadRequest, "invalid_notification_request", "the body is not a JSON notification")
	}
	switch req.Event {
	case "credential_accepted", "credential_failure", "credential_deleted":
	default:
		return 0, nil, oerr(http.StatusBadRequest, "invalid_notification_request", "event must be credential_accepted, credential_failure or credential_deleted")
	}
	rec, err := s.reg.State().Credential(req.ID)
	if err != nil || rec.Grant != g.ID {
		return 0, nil, oerr(http.StatusBadRequest, "invalid_notification_id", "no credential with this notification_id was issued to this wallet")
	}
	s.cfg.Logger.Info("wallet notification", "grant", g.ID, "credential", rec.JTI, "event", req.Event)
	return http.StatusNoContent, nil, nil
}
