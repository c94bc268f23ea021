package console

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/nalw/linkpass/internal/browsertest"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/sso"
	"github.com/nalw/linkpass/staff"
)

// A real OpenID Connect provider for the tests, on 127.0.0.1: zitadel's
// op package over the in-memory storage below, with a login step that
// signs in whoever the test says, and switches that make it misbehave (a
// wrong nonce or audience, a signing key it does not publish).

type idpUser struct {
	sub, email, name string
	verified         bool
	groups           []string
	amr              []string
}

type idp struct {
	t        *testing.T
	url      string
	clientID string
	secret   string

	mu       sync.Mutex
	redirect string
	user     idpUser
	requests map[string]*idpRequest
	codes    map[string]string
	key      *rsa.PrivateKey
	rogue    *rsa.PrivateKey
	// Misbehaviour.
	wrongNonce, wrongAudience, useRogueKey bool
}

type idpRequest struct {
	oidc.AuthRequest
	id       string
	idp      *idp
	done     bool
	user     idpUser
	authTime time.Time
}

func (r *idpRequest) GetID() string          { return r.id }
func (r *idpRequest) GetACR() string         { return "" }
func (r *idpRequest) GetAMR() []string       { return r.user.amr }
func (r *idpRequest) GetAuthTime() time.Time { return r.authTime }
func (r *idpRequest) GetClientID() string    { return r.ClientID }
func (r *idpRequest) GetCodeChallenge() *oidc.CodeChallenge {
	return &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: r.CodeChallengeMethod}
}
func (r *idpRequest) GetRedirectURI() string             { return r.RedirectURI }
func (r *idpRequest) GetResponseType() oidc.ResponseType { return r.ResponseType }
func (r *idpRequest) GetResponseMode() oidc.ResponseMode { return r.ResponseMode }
func (r *idpRequest) GetScopes() []string                { return r.Scopes }
func (r *idpRequest) GetState() string                   { return r.State }
func (r *idpRequest) GetSubject() string                 { return r.user.sub }
func (r *idpRequest) Done() bool                         { return r.done }
func (r *idpRequest) GetNonce() string {
	r.idp.mu.Lock()
	defer r.idp.mu.Unlock()
	if r.idp.wrongNonce {
		return "not-the-nonce"
	}
	return r.Nonce
}
func (r *idpRequest) GetAudience() []string { return []string{r.ClientID} }

func idpID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var errIDPNotFound = errors.New("not found")

// Storage.

func (p *idp) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := &idpRequest{AuthRequest: *req, id: idpID(), idp: p}
	p.requests[r.id] = r
	return r, nil
}

func (p *idp) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r, ok := p.requests[id]; ok {
		return r, nil
	}
	return nil, errIDPNotFound
}

func (p *idp) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r, ok := p.requests[p.codes[code]]; ok {
		return r, nil
	}
	return nil, errIDPNotFound
}

func (p *idp) SaveAuthCode(_ context.Context, id, code string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.codes[code] = id
	return nil
}

// DeleteAuthRequest runs once a code is redeemed: the code dies with it.
func (p *idp) DeleteAuthRequest(_ context.Context, id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.requests, id)
	for c, rid := range p.codes {
		if rid == id {
			delete(p.codes, c)
		}
	}
	return nil
}

func (p *idp) CreateAccessToken(context.Context, op.TokenRequest) (string, time.Time, error) {
	return idpID(), time.Now().Add(5 * time.Minute), nil
}

func (p *idp) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("no refresh tokens here")
}

func (p *idp) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errors.New("no refresh tokens here")
}
func (p *idp) TerminateSession(context.Context, string, string) error { return nil }
func (p *idp) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return nil
}
func (p *idp) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

type idpSigningKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k idpSigningKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k idpSigningKey) Key() any                                    { return k.key }
func (k idpSigningKey) ID() string                                  { return k.id }

type idpPublicKey struct{ idpSigningKey }

func (k idpPublicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k idpPublicKey) Use() string                        { return "sig" }
func (k idpPublicKey) Key() any                           { return &k.key.PublicKey }

func (p *idp) SigningKey(context.Context) (op.SigningKey, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.useRogueKey {
		// Signed by a key it never publishes, under the published key's id.
		return idpSigningKey{id: "k1", key: p.rogue}, nil
	}
	return idpSigningKey{id: "k1", key: p.key}, nil
}

func (p *idp) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (p *idp) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{idpPublicKey{idpSigningKey{id: "k1", key: p.key}}}, nil
}

type idpClient struct{ p *idp }

func (c idpClient) GetID() string { return c.p.clientID }
func (c idpClient) RedirectURIs() []string {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return []string{c.p.redirect}
}
func (c idpClient) PostLogoutRedirectURIs() []string    { return nil }
func (c idpClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c idpClient) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c idpClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c idpClient) GrantTypes() []oidc.GrantType         { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c idpClient) LoginURL(id string) string            { return c.p.url + "/login?id=" + id }
func (c idpClient) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c idpClient) IDTokenLifetime() time.Duration       { return 5 * time.Minute }
func (c idpClient) DevMode() bool                        { return true } // http redirects, on loopback
func (c idpClient) IsScopeAllowed(string) bool           { return true }
func (c idpClient) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c idpClient) ClockSkew() time.Duration             { return 0 }
func (c idpClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c idpClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (p *idp) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if id != p.clientID {
		return nil, errIDPNotFound
	}
	return idpClient{p}, nil
}

func (p *idp) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if id != p.clientID || secret != p.secret {
		return errors.New("wrong client secret")
	}
	return nil
}

func (p *idp) SetUserinfoFromScopes(_ context.Context, info *oidc.UserInfo, sub, _ string, _ []string) error {
	p.mu.Lock()
	u := p.user
	p.mu.Unlock()
	if u.sub != sub {
		return errIDPNotFound
	}
	info.Subject, info.Email, info.EmailVerified, info.Name = u.sub, u.email, oidc.Bool(u.verified), u.name
	info.AppendClaims("groups", u.groups)
	return nil
}

func (p *idp) SetUserinfoFromToken(context.Context, *oidc.UserInfo, string, string, string) error {
	return nil
}
func (p *idp) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return nil
}
func (p *idp) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}
func (p *idp) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errIDPNotFound
}
func (p *idp) ValidateJWTProfileScopes(_ context.Context, _ string, s []string) ([]string, error) {
	return s, nil
}
func (p *idp) Health(context.Context) error { return nil }

// startIDP starts the provider on 127.0.0.1.
func startIDP(t *testing.T) *idp {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	p := &idp{t: t, url: "http://" + ts.Listener.Addr().String(), clientID: "linkpass-console", secret: "idp-client-secret",
		requests: map[string]*idpRequest{}, codes: map[string]string{}}
	require.True(t, strings.HasPrefix(p.url, "http://127.0.0.1:"))
	var err error
	p.key, err = rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	p.rogue, err = rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	cfg := &op.Config{CodeMethodS256: true, SupportedScopes: []string{"openid", "email", "profile"}}
	_, _ = rand.Read(cfg.CryptoKey[:])
	provider, err := op.NewProvider(cfg, p, op.StaticIssuer(p.url), op.WithAllowInsecure())
	require.NoError(t, err)
	mux := http.NewServeMux()
	// The login step: whoever the test set signs in, at once.
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		p.mu.Lock()
		req, ok := p.requests[id]
		if ok {
			req.done, req.user, req.authTime = true, p.user, time.Now()
		}
		p.mu.Unlock()
		if !ok {
			http.Error(w, "no such request", http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, p.url+"/authorize/callback?id="+url.QueryEscape(id), http.StatusFound)
	})
	// With wrongAudience, the token endpoint answers with an ID token for
	// another application: the same claims, validly signed with the
	// published key, but addressed to another client.
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		readdress := p.wrongAudience && r.URL.Path == "/oauth/token"
		p.mu.Unlock()
		if !readdress {
			provider.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		provider.ServeHTTP(rec, r)
		var body map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
		if raw, ok := body["id_token"].(string); ok {
			body["id_token"] = p.readdress(raw, "another-client")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		_ = json.NewEncoder(w).Encode(body)
	}))
	ts.Config.Handler = mux
	ts.Start()
	t.Cleanup(ts.Close)
	return p
}

// readdress re-signs an ID token with the published key, for aud.
func (p *idp) readdress(raw, aud string) string {
	parts := strings.Split(raw, ".")
	require.Len(p.t, parts, 3)
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(p.t, err)
	var claims map[string]any
	require.NoError(p.t, json.Unmarshal(payload, &claims))
	claims["aud"], claims["azp"], claims["client_id"] = []string{aud}, aud, aud
	payload, err = json.Marshal(claims)
	require.NoError(p.t, err)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: p.key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	require.NoError(p.t, err)
	jws, err := signer.Sign(payload)
	require.NoError(p.t, err)
	out, err := jws.CompactSerialize()
	require.NoError(p.t, err)
	return out
}

func (p *idp) signsIn(u idpUser) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = u
}

func (p *idp) misbehave(nonce, audience, rogueKey bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.wrongNonce, p.wrongAudience, p.useRogueKey = nonce, audience, rogueKey
}

// newSSOSystem is the register with single sign-on through p, mapping
// group "g-registrars" to registrar and "g-auditors" to auditor.
func newSSOSystem(t *testing.T, p *idp) *system {
	return newSystem(t, "http", func(base string, c *Config) {
		p.mu.Lock()
		p.redirect = base + sso.CallbackPath
		p.mu.Unlock()
		prov, err := sso.New(context.Background(), sso.Config{Issuer: p.url, ClientID: p.clientID, ClientSecret: p.secret,
			RedirectURL: base + sso.CallbackPath, Roles: map[string]register.Role{"g-registrars": register.RoleRegistrar, "g-auditors": register.RoleAuditor}})
		require.NoError(t, err)
		c.SSO, c.SSOLabel = prov, "Test IdP"
	})
}

// ssoStart presses the sign-in button and follows the browser through the
// provider, up to (not into) the register's callback, whose address it
// returns.
func (s *system) ssoStart(c *http.Client) string {
	s.t.Helper()
	var callback string
	c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Path == sso.CallbackPath {
			callback = req.URL.String()
			return http.ErrUseLastResponse
		}
		return nil
	}
	defer func() {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}()
	res := s.do(c, http.MethodPost, "/login/sso", url.Values{})
	require.NotEmpty(s.t, callback, "the provider sent the browser back (status %d: %s)", res.StatusCode, bodyOf(res))
	return callback
}

// ssoCallback opens the callback address as the browser would.
func (s *system) ssoCallback(c *http.Client, callback string) *http.Response {
	s.t.Helper()
	u, err := url.Parse(callback)
	require.NoError(s.t, err)
	return s.do(c, http.MethodGet, u.RequestURI(), nil)
}

func TestSingleSignOnWithARealOpenIDProvider(t *testing.T) {
	p := startIDP(t)
	sys := newSSOSystem(t, p)
	grace := idpUser{sub: "sub-grace", email: "Grace@NALW.example", name: "Grace Hopper", verified: true, groups: []string{"g-other", "g-registrars"}, amr: []string{"pwd", "mfa"}}

	t.Run("the sign-in page offers it", func(t *testing.T) {
		res := sys.do(sys.client(), http.MethodGet, "/login", nil)
		assert.Contains(t, bodyOf(res), "Sign in with Test IdP")
	})

	t.Run("a member of the registrars' group signs in as a registrar", func(t *testing.T) {
		p.signsIn(grace)
		c := sys.client()
		res := sys.ssoCallback(c, sys.ssoStart(c))
		require.Equal(t, http.StatusSeeOther, res.StatusCode, bodyOf(res))
		assert.Equal(t, "/console", res.Header.Get("Location"))
		home := sys.do(c, http.MethodGet, "/console", nil)
		require.Equal(t, http.StatusOK, home.StatusCode)
		assert.Contains(t, bodyOf(home), "Grace Hopper")
		a, err := sys.srv.State().StaffAccountByEmail("grace@nalw.example")
		require.NoError(t, err)
		assert.Equal(t, register.RoleRegistrar, a.Role)
		assert.Equal(t, staff.Active, a.Status)
		assert.Equal(t, staff.FactorSSO, a.Factor)
		assert.Equal(t, "sub-grace", a.OIDCSubject)
		evs, err := sys.srv.State().Audit(state.AuditFilter{Actors: []string{a.ID}})
		require.NoError(t, err)
		var actions []string
		for _, ev := range evs {
			actions = append(actions, ev.Action)
			assert.Equal(t, "Grace Hopper", sys.srv.State().ActorName(ev.Actor))
		}
		assert.Equal(t, []string{"staff.provision", "staff.sign-in"}, actions)
		assert.Equal(t, "g-registrars", evs[1].Details["group"])
		assert.Equal(t, "sso", evs[1].Details["factor"])
		// It is an ordinary session: the role matrix applies.
		assert.Equal(t, http.StatusForbidden, sys.do(c, http.MethodGet, "/console/settings", nil).StatusCode)

		t.Run("the callback again: the state works once", func(t *testing.T) {
			c := sys.client()
			callback := sys.ssoStart(c)
			require.Equal(t, http.StatusSeeOther, sys.ssoCallback(c, callback).StatusCode)
			res := sys.ssoCallback(c, callback)
			assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
			assert.Contains(t, bodyOf(res), "already used")
		})

		t.Run("a replayed code with a fresh state is refused by the provider", func(t *testing.T) {
			c := sys.client()
			old, err := url.Parse(sys.ssoStart(c))
			require.NoError(t, err)
			require.Equal(t, http.StatusSeeOther, sys.ssoCallback(c, old.String()).StatusCode)
			// A new sign-in in another browser, answered with the old code.
			c2 := sys.client()
			fresh, err := url.Parse(sys.ssoStart(c2))
			require.NoError(t, err)
			q := fresh.Query()
			q.Set("code", old.Query().Get("code"))
			fresh.RawQuery = q.Encode()
			res := sys.ssoCallback(c2, fresh.String())
			assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
			assert.Contains(t, bodyOf(res), "refused the code")
			assert.Equal(t, "/login", sys.do(c2, http.MethodGet, "/console", nil).Header.Get("Location"), "not signed in")
		})

		t.Run("a change of group at the provider changes the role at the next sign-in", func(t *testing.T) {
			moved := grace
			moved.groups = []string{"g-auditors"}
			p.signsIn(moved)
			c := sys.client()
			require.Equal(t, http.StatusSeeOther, sys.ssoCallback(c, sys.ssoStart(c)).StatusCode)
			a, err := sys.srv.State().StaffAccountByEmail("grace@nalw.example")
			require.NoError(t, err)
			assert.Equal(t, register.RoleAuditor, a.Role)
			ev := sys.lastAudit("staff.sign-in")
			assert.Equal(t, "registrar", ev.Details["old_role"])
		})
	})

	refused := func(t *testing.T, c *http.Client, callback string, status int, says string) {
		t.Helper()
		res := sys.ssoCallback(c, callback)
		assert.Equal(t, status, res.StatusCode)
		assert.Contains(t, bodyOf(res), says)
		assert.Equal(t, "/login", sys.do(c, http.MethodGet, "/console", nil).Header.Get("Location"), "not signed in")
	}

	t.Run("no mapped group: refused with a page that says so", func(t *testing.T) {
		p.signsIn(idpUser{sub: "sub-mallory", email: "mallory@nalw.example", name: "Mallory", verified: true, groups: []string{"g-other"}, amr: []string{"mfa"}})
		c := sys.client()
		refused(t, c, sys.ssoStart(c), http.StatusForbidden, "none of your groups gives a role")
		_, err := sys.srv.State().StaffAccountByEmail("mallory@nalw.example")
		require.ErrorIs(t, err, register.ErrNotFound, "no account was made")
	})

	t.Run("no multi-factor sign-in at the provider: refused", func(t *testing.T) {
		p.signsIn(idpUser{sub: "sub-ida", email: "ida@nalw.example", name: "Ida", verified: true, groups: []string{"g-auditors"}, amr: []string{"pwd"}})
		c := sys.client()
		refused(t, c, sys.ssoStart(c), http.StatusForbidden, "multi-factor")
	})

	t.Run("an unverified email: refused", func(t *testing.T) {
		p.signsIn(idpUser{sub: "sub-ivy", email: "ivy@nalw.example", name: "Ivy", verified: false, groups: []string{"g-auditors"}, amr: []string{"mfa"}})
		c := sys.client()
		refused(t, c, sys.ssoStart(c), http.StatusForbidden, "verified")
	})

	t.Run("the same email with another subject: refused", func(t *testing.T) {
		other := grace
		other.sub = "sub-someone-else"
		p.signsIn(other)
		c := sys.client()
		refused(t, c, sys.ssoStart(c), http.StatusForbidden, "another identity")
	})

	t.Run("a bad state: refused", func(t *testing.T) {
		p.signsIn(grace)
		c := sys.client()
		u, err := url.Parse(sys.ssoStart(c))
		require.NoError(t, err)
		q := u.Query()
		q.Set("state", "forged-"+q.Get("state"))
		u.RawQuery = q.Encode()
		refused(t, c, u.String(), http.StatusUnauthorized, "was not started here")
	})

	t.Run("the callback in another browser (no state cookie): refused", func(t *testing.T) {
		p.signsIn(grace)
		refused(t, sys.client(), sys.ssoStart(sys.client()), http.StatusUnauthorized, "was not started here")
	})

	for _, c := range []struct {
		name                      string
		nonce, audience, rogueKey bool
		says                      string
	}{
		{"a wrong nonce", true, false, false, "nonce"},
		{"a wrong audience", false, true, false, "audience"},
		{"an ID token signed by a key the provider does not publish", false, false, true, "signature"},
	} {
		t.Run(c.name+": refused", func(t *testing.T) {
			p.signsIn(grace)
			p.misbehave(c.nonce, c.audience, c.rogueKey)
			defer p.misbehave(false, false, false)
			cl := sys.client()
			refused(t, cl, sys.ssoStart(cl), http.StatusUnauthorized, c.says)
		})
	}

	t.Run("a password cannot sign in to an account made by single sign-on", func(t *testing.T) {
		_, _, err := sys.svc.SignInPassword(context.Background(), "grace@nalw.example", "")
		require.Error(t, err)
	})
}

// TestBrowserSingleSignOnFromTheSignInPage: in Chromium, the sign-in
// page's button goes to the provider and back into the console; the page
// with the button, and the refusal of an unmapped group, pass axe-core.
func TestBrowserSingleSignOnFromTheSignInPage(t *testing.T) {
	axe := browsertest.AxeSource(t, axeDir)
	p := startIDP(t)
	sys := newSSOSystem(t, p)
	tb := browsertest.Start(t).NewTab(t)
	tb.Expect("status of 403") // the unmapped group on purpose

	p.signsIn(idpUser{sub: "sub-mallory", email: "mallory@nalw.example", name: "Mallory", verified: true, groups: []string{"g-other"}, amr: []string{"mfa"}})
	sys.open(tb, "/login")
	noAxeViolations(tb, axe, "the sign-in page with single sign-on")
	browsertest.Shoot(tb, "console-login-sso", 1280, 800)
	tb.Do(wait, chromedp.Click(chromedp.CSS(`#sso-form button[type=submit]`)))
	waitPath(tb, sso.CallbackPath)
	assert.Contains(t, tb.Text("h1"), "no role in the console")
	noAxeViolations(tb, axe, "the refusal of an unmapped group")

	p.signsIn(idpUser{sub: "sub-ada", email: "ada@nalw.example", name: "Ada Lovelace", verified: true, groups: []string{"g-registrars"}, amr: []string{"mfa"}})
	sys.open(tb, "/login")
	tb.Do(wait, chromedp.Click(chromedp.CSS(`#sso-form button[type=submit]`)))
	waitPath(tb, "/console")
	assert.Equal(t, "Ada Lovelace", tb.Text("#me-name"))
}
