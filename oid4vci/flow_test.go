package oid4vci_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	stdmail "net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/api"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/mail"
	"github.com/nalw/linkpass/oid4vci"
	"github.com/nalw/linkpass/sdjwt"
)

// register is a running register with OpenID4VCI, served on 127.0.0.1.
type testRegister struct {
	// ahead moves the register's clock forward (nanoseconds).
	ahead  *atomic.Int64
	srv    *issuer.Server
	svc    *oid4vci.Service
	url    string
	number string
	admin  register.Actor
}

func newRegister(t *testing.T, cfg ...oid4vci.Config) *testRegister {
	t.Helper()
	var h http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	ahead := new(atomic.Int64)
	clock := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	srv, err := issuer.Open(issuer.Config{DataDir: filepath.Join(t.TempDir(), "reg"), Create: true, IssuerURL: ts.URL, Clock: clock})
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	go srv.Run(ctx) // publishes status lists
	t.Cleanup(func() { stop(); srv.Close() })
	svc := oid4vci.New(srv, append(cfg, oid4vci.Config{})[0])
	h = api.New(srv, slog.New(slog.DiscardHandler), api.WithIssuance(svc))
	res, err := srv.Apply(context.Background(), register.System, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{
		Given: "Siân", Family: "Ó Súilleabháin", Nation: "wales", Email: "sian@example.org"}})
	require.NoError(t, err)
	n := res.(fsm.Result).Registrant.Number
	_, err = srv.Apply(context.Background(), register.System, fsm.ChangeRegistrant{Number: n, Op: fsm.OpQualification,
		Qualification: &register.Qualification{Title: "Level 4 Certificate in Social Prescribing", Level: 4, Provider: "University of Westminster", Accreditation: "nalw-accredited", Awarded: "2024-06-30"}})
	require.NoError(t, err)
	return &testRegister{ahead: ahead, srv: srv, svc: svc, url: ts.URL, number: n, admin: register.System}
}

func (tr *testRegister) offer(t *testing.T) *oid4vci.CreatedOffer {
	t.Helper()
	o, err := tr.svc.CreateOffer(context.Background(), tr.admin, tr.number, oid4vci.OfferRequest{})
	require.NoError(t, err)
	return o
}

// code extracts the pre-authorised code by following credential_offer_uri,
// as a wallet does.
func (tr *testRegister) code(t *testing.T, o *oid4vci.CreatedOffer) string {
	t.Helper()
	u, err := url.Parse(o.CredentialOfferURI)
	require.NoError(t, err)
	var offer struct {
		Grants map[string]struct {
			Code string `json:"pre-authorized_code"`
		} `json:"grants"`
	}
	status := getJSON(t, u.Query().Get("credential_offer_uri"), &offer)
	require.Equal(t, http.StatusOK, status)
	return offer.Grants[oid4vci.PreAuthGrant].Code
}

func getJSON(t *testing.T, u string, v any) int {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
	return resp.StatusCode
}

func (tr *testRegister) token(t *testing.T, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(tr.url+oid4vci.PathToken, form)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

func redeem(code, tx string) url.Values {
	return url.Values{"grant_type": {oid4vci.PreAuthGrant}, "pre-authorized_code": {code}, "tx_code": {tx}}
}

func (tr *testRegister) nonce(t *testing.T) string {
	t.Helper()
	resp, err := http.Post(tr.url+oid4vci.PathNonce, "", nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		CNonce string `json:"c_nonce"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.NotEmpty(t, body.CNonce)
	return body.CNonce
}

// holder is a wallet's key; its proofs carry the public key as jwk.
type holder struct{ k *keys.Key }

func newHolder(t *testing.T, alg string) holder {
	k, err := keys.Generate(alg)
	require.NoError(t, err)
	return holder{k}
}

func (h holder) KeyID() string                  { return "" }
func (h holder) Algorithm() string              { return h.k.Algorithm() }
func (h holder) Sign(in []byte) ([]byte, error) { return h.k.Sign(in) }
func (h holder) jwk(t *testing.T) jwk.Key {
	b, err := h.k.PublicJWK()
	require.NoError(t, err)
	j, err := jwk.ParseKey(b)
	require.NoError(t, err)
	_ = j.Remove(jwk.KeyIDKey)
	return j
}

func (h holder) proof(t *testing.T, header, payload map[string]any) string {
	t.Helper()
	hd := map[string]any{"typ": oid4vci.ProofTyp, "jwk": h.jwk(t)}
	for k, v := range header {
		hd[k] = v
	}
	p, err := sdjwt.SignJWT(hd, payload, h)
	require.NoError(t, err)
	return p
}

func (tr *testRegister) goodProof(t *testing.T, h holder) string {
	return h.proof(t, nil, map[string]any{"aud": tr.url, "iat": time.Now().Unix(), "nonce": tr.nonce(t)})
}

func (tr *testRegister) credential(t *testing.T, access, config, proof string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"credential_configuration_id": config, "proofs": map[string]any{"jwt": []string{proof}}})
	req, _ := http.NewRequest(http.MethodPost, tr.url+oid4vci.PathCredential, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	return resp.StatusCode, out
}

func credOf(t *testing.T, body map[string]any) string {
	t.Helper()
	creds, _ := body["credentials"].([]any)
	require.Len(t, creds, 1, "response %v", body)
	return creds[0].(map[string]any)["credential"].(string)
}

// issuerKey is the register's public key for the kid in a JWT header.
func (tr *testRegister) issuerKey(t *testing.T, kid string) jwk.Key {
	t.Helper()
	b, err := tr.srv.JWKS()
	require.NoError(t, err)
	set, err := jwk.Parse(b)
	require.NoError(t, err)
	k, ok := set.LookupKeyID(kid)
	require.True(t, ok)
	return k
}

func TestFullFlowIssuesBothFormatsSharingOneStatusEntry(t *testing.T) {
	tr := newRegister(t)
	o := tr.offer(t)
	assert.Regexp(t, `^\d{6}$`, o.TxCode)
	assert.True(t, strings.HasPrefix(o.CredentialOfferURI, "openid-credential-offer://?credential_offer_uri="))
	assert.True(t, strings.HasPrefix(o.OfferURL, tr.url+"/wallet#credential_offer_uri="))
	assert.NotContains(t, o.OfferURL, o.TxCode)
	assert.WithinDuration(t, time.Now().Add(72*time.Hour), o.ExpiresAt, time.Minute)

	code := tr.code(t, o)
	status, tok := tr.token(t, redeem(code, o.TxCode))
	require.Equal(t, http.StatusOK, status, tok)
	access := tok["access_token"].(string)
	require.NotEmpty(t, tok["refresh_token"])

	h := newHolder(t, keys.AlgES256)
	status, body := tr.credential(t, access, oid4vci.ConfigSDJWT, tr.goodProof(t, h))
	require.Equal(t, http.StatusOK, status, body)
	sd := credOf(t, body)

	tok2, err := sdjwt.Parse(sd)
	require.NoError(t, err)
	assert.Equal(t, "dc+sd-jwt", tok2.Header["typ"])
	claims, err := tok2.Verify(tok2.Header["alg"].(string), tr.issuerKey(t, tok2.Header["kid"].(string)))
	require.NoError(t, err)
	assert.Equal(t, tr.url+oid4vci.PathVCT, claims["vct"])
	assert.Equal(t, "Siân Ó Súilleabháin", claims["name"])
	assert.Equal(t, tr.number, claims["registration_number"])
	assert.Equal(t, false, claims["restrictions"])
	assert.Equal(t, "wales", claims["nation"])
	assert.Len(t, claims["qualifications"], 1)
	assert.NotContains(t, tok2.Payload, "nation", "nation is selectively disclosable")
	cnf := claims["cnf"].(map[string]any)["jwk"].(map[string]any)
	assert.Equal(t, "EC", cnf["kty"])
	st := claims["status"].(map[string]any)["status_list"].(map[string]any)

	// The other format, under the same access token, is the same
	// credential: one record, one status entry.
	status, body = tr.credential(t, access, oid4vci.ConfigVCJWT, tr.goodProof(t, h))
	require.Equal(t, http.StatusOK, status, body)
	vc := credOf(t, body)
	var vcClaims struct {
		Status struct {
			StatusList struct {
				Idx float64 `json:"idx"`
				URI string  `json:"uri"`
			} `json:"status_list"`
		} `json:"status"`
	}
	seg := strings.Split(vc, ".")[1]
	raw, err := decodeSeg(seg)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &vcClaims), string(raw))
	creds, err := tr.srv.State().CredentialsOf(tr.number)
	require.NoError(t, err)
	require.Len(t, creds, 1, "both formats share one record")
	assert.Equal(t, creds[0].Idx, uint64(st["idx"].(float64)))
	assert.Equal(t, st["idx"], vcClaims.Status.StatusList.Idx, "the vc+jwt shares the SD-JWT VC's status entry")
	assert.Equal(t, st["uri"], vcClaims.Status.StatusList.URI)

	// A key binding JWT made with the holder key verifies.
	iss := &sdjwt.Issued{JWT: tok2.JWT, Disclosures: tok2.Disclosures}
	pres, err := sdjwt.Present(iss, func(d sdjwt.Disclosure) bool { return d.Name != "nation" }, h, "https://practice.example", "n1", time.Now())
	require.NoError(t, err)
	ptok, err := sdjwt.Parse(pres)
	require.NoError(t, err)
	hk, err := jwk.ParseKey(mustJSON(t, cnf))
	require.NoError(t, err)
	require.NoError(t, ptok.VerifyKeyBinding(hk, sdjwt.KeyBindingCheck{Audience: "https://practice.example", Nonce: "n1", Now: time.Now()}))

	// Suspension moves both: their one record is suspended.
	_, err = tr.srv.Apply(context.Background(), register.System, fsm.ChangeRegistrant{Number: tr.number, Op: fsm.OpSuspend, Reason: "Interim order"})
	require.NoError(t, err)
	rec, err := tr.srv.State().Credential(creds[0].JTI)
	require.NoError(t, err)
	assert.Equal(t, register.CredentialSuspended, rec.Status)

	// The offer was single use.
	status, tok = tr.token(t, redeem(code, o.TxCode))
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_grant", tok["error"])
}

func decodeSeg(s string) ([]byte, error) { return base64URL.DecodeString(s) }

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestWrongTxCodeFiveTimesKillsTheOffer(t *testing.T) {
	tr := newRegister(t)
	o := tr.offer(t)
	code := tr.code(t, o)
	wrong := "000000"
	if o.TxCode == wrong {
		wrong = "111111"
	}
	for i := 1; i <= register.MaxTxCodeFailures; i++ {
		status, body := tr.token(t, redeem(code, wrong))
		require.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "invalid_grant", body["error"])
		assert.EqualValues(t, register.MaxTxCodeFailures-i, body[oid4vci.TxCodeTriesLeft], "try %d", i)
	}
	// Even the right code is refused now.
	status, body := tr.token(t, redeem(code, o.TxCode))
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body["error_description"], "locked")
	off, err := tr.srv.State().Offer(o.ID)
	require.NoError(t, err)
	assert.Equal(t, register.OfferLocked, off.State)
	assertAudited(t, tr, "offer.locked")
	assertAudited(t, tr, "offer.tx_code_failed")
}

func assertAudited(t *testing.T, tr *testRegister, action string) {
	t.Helper()
	evs, err := tr.srv.State().Audit(state.AuditFilter{Registrant: tr.number})
	require.NoError(t, err)
	for _, e := range evs {
		if e.Action == action {
			return
		}
	}
	t.Errorf("no %s in the audit trail", action)
}

func TestWithdrawnAndExpiredOffersAreRefused(t *testing.T) {
	tr := newRegister(t)
	o := tr.offer(t)
	code := tr.code(t, o)
	_, err := tr.svc.WithdrawOffer(context.Background(), tr.admin, o.ID, "sent to the wrong person")
	require.NoError(t, err)
	status, body := tr.token(t, redeem(code, o.TxCode))
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body["error_description"], "withdrawn")

	short, err := tr.svc.CreateOffer(context.Background(), tr.admin, tr.number, oid4vci.OfferRequest{TTL: time.Hour})
	require.NoError(t, err)
	code = tr.code(t, short)
	tr.ahead.Store(int64(time.Hour + time.Second))
	status, body = tr.token(t, redeem(code, short.TxCode))
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_grant", body["error"])
	assert.Contains(t, body["error_description"], "expired")
	resp, err := http.Get(tr.url + oid4vci.PathOffer + code)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "an expired offer's URI answers nothing")
	assertAudited(t, tr, "offer.withdraw")
}

func TestAccessTokenExpires(t *testing.T) {
	tr := newRegister(t)
	o := tr.offer(t)
	_, tok := tr.token(t, redeem(tr.code(t, o), o.TxCode))
	h := newHolder(t, keys.AlgEdDSA)
	proof := tr.goodProof(t, h)
	tr.ahead.Store(int64(11 * time.Minute))
	status, body := tr.credential(t, tok["access_token"].(string), oid4vci.ConfigSDJWT, proof)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "invalid_token", body["error"])
}

func TestBadProofsAreRefused(t *testing.T) {
	tr := newRegister(t)
	o := tr.offer(t)
	_, tok := tr.token(t, redeem(tr.code(t, o), o.TxCode))
	access := tok["access_token"].(string)
	h := newHolder(t, keys.AlgEdDSA)

	cases := map[string]struct {
		proof string
		want  string
	}{
		"wrong aud":     {h.proof(t, nil, map[string]any{"aud": "https://elsewhere.example", "iat": time.Now().Unix(), "nonce": tr.nonce(t)}), "invalid_proof"},
		"old iat":       {h.proof(t, nil, map[string]any{"aud": tr.url, "iat": time.Now().Add(-time.Hour).Unix(), "nonce": tr.nonce(t)}), "invalid_proof"},
		"wrong typ":     {h.proof(t, map[string]any{"typ": "JWT"}, map[string]any{"aud": tr.url, "iat": time.Now().Unix(), "nonce": tr.nonce(t)}), "invalid_proof"},
		"no nonce":      {h.proof(t, nil, map[string]any{"aud": tr.url, "iat": time.Now().Unix()}), "invalid_nonce"},
		"unknown nonce": {h.proof(t, nil, map[string]any{"aud": tr.url, "iat": time.Now().Unix(), "nonce": "made-up"}), "invalid_nonce"},
		"alg none":      {algNone(t, h, tr), "invalid_proof"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			status, body := tr.credential(t, access, oid4vci.ConfigSDJWT, c.proof)
			assert.Equal(t, http.StatusBadRequest, status)
			assert.Equal(t, c.want, body["error"], body)
		})
	}

	t.Run("replayed nonce", func(t *testing.T) {
		n := tr.nonce(t)
		p := h.proof(t, nil, map[string]any{"aud": tr.url, "iat": time.Now().Unix(), "nonce": n})
		status, body := tr.credential(t, access, oid4vci.ConfigSDJWT, p)
		require.Equal(t, http.StatusOK, status, body)
		p2 := h.proof(t, nil, map[string]any{"aud": tr.url, "iat": time.Now().Unix(), "nonce": n})
		status, body = tr.credential(t, access, oid4vci.ConfigVCJWT, p2)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "invalid_nonce", body["error"])
	})

	t.Run("another key than the bound one", func(t *testing.T) {
		other := newHolder(t, keys.AlgEdDSA)
		status, body := tr.credential(t, access, oid4vci.ConfigVCJWT, tr.goodProof(t, other))
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "invalid_proof", body["error"])
	})

	t.Run("no access token", func(t *testing.T) {
		status, body := tr.credential(t, "nope", oid4vci.ConfigSDJWT, tr.goodProof(t, h))
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Equal(t, "invalid_token", body["error"])
	})
}

func algNone(t *testing.T, h holder, tr *testRegister) string {
	hd := base64URL.EncodeToString(mustJSON(t, map[string]any{"typ": oid4vci.ProofTyp, "alg": "none", "jwk": h.jwk(t)}))
	pl := base64URL.EncodeToString(mustJSON(t, map[string]any{"aud": tr.url, "iat": time.Now().Unix(), "nonce": tr.nonce(t)}))
	return hd + "." + pl + "."
}

func TestRefreshAfterReissueGetsTheNewCredentialWithTheBoundKeyOnly(t *testing.T) {
	tr := newRegister(t)
	o := tr.offer(t)
	_, tok := tr.token(t, redeem(tr.code(t, o), o.TxCode))
	h := newHolder(t, keys.AlgES256)
	status, body := tr.credential(t, tok["access_token"].(string), oid4vci.ConfigSDJWT, tr.goodProof(t, h))
	require.Equal(t, http.StatusOK, status, body)
	first := body["notification_id"].(string)

	// A correction: the registrar re-issues, superseding the wallet's.
	_, err := tr.srv.IssueCredential(context.Background(), tr.admin, tr.number)
	require.NoError(t, err)
	rec, err := tr.srv.State().Credential(first)
	require.NoError(t, err)
	assert.Equal(t, register.CredentialRevoked, rec.Status)

	status, ref := tr.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}})
	require.Equal(t, http.StatusOK, status, ref)
	access := ref["access_token"].(string)

	// The refresh token alone is not enough: a proof by another key fails.
	status, body = tr.credential(t, access, oid4vci.ConfigSDJWT, tr.goodProof(t, newHolder(t, keys.AlgES256)))
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_proof", body["error"])

	status, body = tr.credential(t, access, oid4vci.ConfigSDJWT, tr.goodProof(t, h))
	require.Equal(t, http.StatusOK, status, body)
	assert.NotEqual(t, first, body["notification_id"])

	// The registrar revokes the wallet's refresh token.
	wallets, err := tr.svc.WalletsOf(tr.number)
	require.NoError(t, err)
	require.Len(t, wallets.Grants, 1)
	_, err = tr.svc.RevokeGrant(context.Background(), tr.admin, wallets.Grants[0].ID, "phone lost")
	require.NoError(t, err)
	status, ref = tr.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_grant", ref["error"])
}

func TestMetadataIsCacheableAndCORSEnabled(t *testing.T) {
	tr := newRegister(t)
	for _, p := range []string{"/.well-known/openid-credential-issuer", "/.well-known/oauth-authorization-server", oid4vci.PathVCT} {
		resp, err := http.Get(tr.url + p)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, p)
		assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"), p)
		assert.Contains(t, resp.Header.Get("Cache-Control"), "max-age", p)
	}
	var md map[string]any
	getJSON(t, tr.url+"/.well-known/openid-credential-issuer", &md)
	assert.Equal(t, tr.url, md["credential_issuer"])
	assert.Equal(t, tr.url+oid4vci.PathNonce, md["nonce_endpoint"])
	req, _ := http.NewRequest(http.MethodOptions, tr.url+oid4vci.PathCredential, nil)
	req.Header.Set("Origin", "https://wallet.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "Authorization")
}

func TestMailFailureIsRecordedAndNeverBlocksTheOffer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	ln.Close() // no relay listens here
	m, err := mail.New(mail.Config{URL: "smtp://" + dead + "?tls=none", From: "register@nalw.example", Attempts: 2, Backoff: time.Millisecond, Timeout: time.Second})
	require.NoError(t, err)
	tr := newRegister(t, oid4vci.Config{Mailer: m})
	o, err := tr.svc.CreateOffer(context.Background(), tr.admin, tr.number, oid4vci.OfferRequest{Send: true})
	require.NoError(t, err, "the offer is made whatever becomes of its mail")
	require.NotNil(t, o.Mail)
	t.Cleanup(m.Close)
	var w *oid4vci.Wallets
	require.Eventually(t, func() bool {
		w, err = tr.svc.WalletsOf(tr.number)
		require.NoError(t, err)
		return len(w.Messages) == 1 && w.Messages[0].State == register.MessageFailed
	}, 10*time.Second, 10*time.Millisecond, "the mail's failure is recorded")
	assert.Equal(t, 2, w.Messages[0].Attempts)
	assert.NotEmpty(t, w.Messages[0].LastError)
	assert.NotContains(t, w.Messages[0].LastError, "sian@example.org")
	require.Len(t, w.Offers, 1)
	assert.Equal(t, w.Messages[0].ID, w.Offers[0].Message)
	assertAudited(t, tr, "mail.failed")
}

func TestSendNeedsAnAddress(t *testing.T) {
	tr := newRegister(t)
	res, err := tr.srv.Apply(context.Background(), register.System, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "No", Family: "Email", Nation: "england"}})
	require.NoError(t, err)
	_, err = tr.svc.CreateOffer(context.Background(), tr.admin, res.(fsm.Result).Registrant.Number, oid4vci.OfferRequest{Send: true})
	assert.ErrorIs(t, err, register.ErrConflict)
	assert.Contains(t, err.Error(), "no private email address")
}

// issueToWallet redeems a new offer and fetches the SD-JWT VC with a new
// holder key, returning the credential's record id.
func (tr *testRegister) issueToWallet(t *testing.T) string {
	t.Helper()
	o := tr.offer(t)
	status, tok := tr.token(t, redeem(tr.code(t, o), o.TxCode))
	require.Equal(t, http.StatusOK, status, tok)
	status, body := tr.credential(t, tok["access_token"].(string), oid4vci.ConfigSDJWT, tr.goodProof(t, newHolder(t, keys.AlgES256)))
	require.Equal(t, http.StatusOK, status, body)
	return body["notification_id"].(string)
}

func TestTwoWalletsDoNotSupersedeEachOtherButAReissueSupersedesBoth(t *testing.T) {
	tr := newRegister(t)
	phone, tablet := tr.issueToWallet(t), tr.issueToWallet(t)
	for _, jti := range []string{phone, tablet} {
		rec, err := tr.srv.State().Credential(jti)
		require.NoError(t, err)
		assert.Equal(t, register.CredentialValid, rec.Status, "a second wallet leaves the first one's credential alone")
	}
	_, err := tr.srv.IssueCredential(context.Background(), tr.admin, tr.number)
	require.NoError(t, err)
	for _, jti := range []string{phone, tablet} {
		rec, err := tr.srv.State().Credential(jti)
		require.NoError(t, err)
		assert.Equal(t, register.CredentialRevoked, rec.Status, "a registrar's re-issue supersedes wallets' credentials")
	}
}

// The offer email points the link worker at the web wallet, in steps, and
// never carries the code.
func TestOfferEmailLeadsToTheWalletWithoutTheCode(t *testing.T) {
	dir := t.TempDir()
	m, err := mail.New(mail.Config{OutboxDir: dir, From: "register@nalw.example"})
	require.NoError(t, err)
	t.Cleanup(m.Close)
	tr := newRegister(t, oid4vci.Config{Mailer: m})
	o, err := tr.svc.CreateOffer(context.Background(), tr.admin, tr.number, oid4vci.OfferRequest{Send: true})
	require.NoError(t, err)
	// Read the file once the register records the message as sent: the
	// outbox file is complete by then.
	require.Eventually(t, func() bool {
		w, err := tr.svc.WalletsOf(tr.number)
		require.NoError(t, err)
		return len(w.Messages) == 1 && w.Messages[0].State == register.MessageSent
	}, 10*time.Second, 10*time.Millisecond, "the offer mail was never sent")
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	eml, err := os.ReadFile(files[0])
	require.NoError(t, err)
	msg, err := stdmail.ReadMessage(bytes.NewReader(eml))
	require.NoError(t, err)
	body := decodedBody(t, msg)
	assert.Contains(t, body, o.OfferURL, "the link to the web wallet")
	assert.Contains(t, body, "web wallet on your phone")
	assert.Contains(t, body, "6-digit code")
	assert.Contains(t, body, "never in this email")
	assert.Contains(t, body, "ask your registrar for a new link")
	assert.NotContains(t, body, o.TxCode, "the code goes by another channel")
}

// decodedBody is the text of a single-part message, quoted-printable
// decoded, with soft line breaks joined.
func decodedBody(t *testing.T, msg *stdmail.Message) string {
	t.Helper()
	var r io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		r = quotedprintable.NewReader(msg.Body)
	}
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return string(b)
}
