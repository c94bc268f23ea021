package verifier

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/credential/credentialtest"
	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/statuslist"
)

// testClock is a clock a test moves by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// registerServer is a register on 127.0.0.1 over TLS that serves one
// status list and its JWKS, and counts what it is asked.
type registerServer struct {
	srv    *httptest.Server
	issuer string
	key    *testKey

	mu          sync.Mutex
	token       string
	etag        string
	contentType string
	jwks        string
	override    http.Handler // if set, serves every request
	ifNoneMatch []string     // If-None-Match of each list request

	listRequests atomic.Int32
	jwksRequests atomic.Int32
}

func newRegisterServer(t testing.TB) *registerServer {
	r := &registerServer{key: newEdKey(t, 11), contentType: StatusListMediaType}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	r.issuer = r.srv.URL
	r.jwks = `{"keys":[` + string(r.key.publicJWK(t)) + `]}`
	return r
}

func (r *registerServer) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	override := r.override
	r.mu.Unlock()
	if override != nil {
		override.ServeHTTP(w, req)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch req.URL.Path {
	case JWKSPath:
		r.jwksRequests.Add(1)
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write([]byte(r.jwks))
	case "/status/1":
		r.listRequests.Add(1)
		r.ifNoneMatch = append(r.ifNoneMatch, req.Header.Get("If-None-Match"))
		w.Header().Set("ETag", r.etag)
		if req.Header.Get("If-None-Match") == r.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", r.contentType)
		_, _ = w.Write([]byte(r.token))
	default:
		http.NotFound(w, req)
	}
}

// handle makes h serve every request from now on.
func (r *registerServer) handle(h http.HandlerFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.override = h
}

func (r *registerServer) listURI() string { return r.issuer + "/status/1" }

// publish signs and serves a new list issued at iat with the given
// entries set; ttl one hour, exp 36 hours.
func (r *registerServer) publish(t testing.TB, iat time.Time, set map[int]uint8) {
	token := signList(t, r.key, statuslist.TokenClaims{
		Subject: r.listURI(), Issuer: r.issuer, IssuedAt: iat, Expiry: iat.Add(36 * time.Hour), TTL: time.Hour,
		StatusList: listClaim(t, 1024, set),
	})
	r.serveToken(token)
}

func (r *registerServer) serveToken(token string) {
	sum := sha256.Sum256([]byte(token))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.token, r.etag = token, `"`+base64.RawURLEncoding.EncodeToString(sum[:8])+`"`
}

// credential signs the sample credential as issued by this register,
// pointing at entry idx of uri.
func (r *registerServer) credential(t testing.TB, idx uint64, uri string) string {
	c := credentialtest.Claims(testNow.Add(-time.Hour))
	c.Iss, c.Issuer = r.issuer, r.issuer
	c.Status = &credential.Status{StatusList: credential.StatusListRef{Idx: idx, URI: uri}}
	return sign(t, c, r.key)
}

// onlineFixture wires a verifier to an Online checker of a registerServer.
type onlineFixture struct {
	reg      *registerServer
	clock    *testClock
	trust    *Trust
	online   *Online
	verifier *Verifier
}

func newOnlineFixture(t testing.TB, opts ...OnlineOption) *onlineFixture {
	of := &onlineFixture{reg: newRegisterServer(t), clock: &testClock{now: testNow}, trust: NewTrust()}
	require.NoError(t, of.trust.AddIssuer(of.reg.issuer, []byte(of.reg.jwks)))
	opts = append([]OnlineOption{WithHTTPClient(of.reg.srv.Client()), WithStatusClock(of.clock.Now)}, opts...)
	var err error
	of.online, err = NewOnline(of.trust, opts...)
	require.NoError(t, err)
	of.verifier, err = New(of.trust, WithClock(func() time.Time { return testNow }), WithStatusChecker(of.online))
	require.NoError(t, err)
	return of
}

func (of *onlineFixture) verify(t testing.TB, idx uint64) *Result {
	return of.verifier.Verify(t.Context(), of.reg.credential(t, idx, of.reg.listURI()))
}

func TestOnlineAnswersValidSuspendedRevoked(t *testing.T) {
	of := newOnlineFixture(t)
	of.reg.publish(t, testNow.Add(-time.Minute), map[int]uint8{5: statuslist.Suspended, 6: statuslist.Invalid})

	for idx, want := range map[uint64]Outcome{4: OutcomeValid, 5: OutcomeSuspended, 6: OutcomeRevoked} {
		res := of.verify(t, idx)
		assert.Equal(t, want, res.Outcome, "entry %d: %s", idx, res.Reason)
		assert.True(t, res.Status.Checked)
		assert.False(t, res.Status.Stale)
	}
	assert.Equal(t, int32(1), of.reg.listRequests.Load(), "one fetch serves every lookup within the ttl")
}

func TestOnlineFetchesOnceForConcurrentLookups(t *testing.T) {
	of := newOnlineFixture(t)
	of.reg.publish(t, testNow, map[int]uint8{6: statuslist.Invalid})
	token := of.reg.credential(t, 6, of.reg.listURI())
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			assert.Equal(t, OutcomeRevoked, of.verifier.Verify(t.Context(), token).Outcome)
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), of.reg.listRequests.Load())
}

func TestOnlineCachesUntilTTLThenRevalidatesWithETag(t *testing.T) {
	of := newOnlineFixture(t)
	iat := testNow.Add(-time.Minute)
	of.reg.publish(t, iat, map[int]uint8{6: statuslist.Invalid})

	require.Equal(t, OutcomeValid, of.verify(t, 4).Outcome)
	of.clock.Advance(58 * time.Minute) // iat + 59 min: within the ttl
	require.Equal(t, OutcomeRevoked, of.verify(t, 6).Outcome)
	assert.Equal(t, int32(1), of.reg.listRequests.Load(), "cached until iat+ttl")

	of.clock.Advance(2 * time.Minute) // iat + 61 min: past the ttl
	res := of.verify(t, 6)
	assert.Equal(t, OutcomeRevoked, res.Outcome, "a 304 reuses the list held")
	assert.Equal(t, int32(2), of.reg.listRequests.Load())
	of.reg.mu.Lock()
	assert.Equal(t, []string{"", of.reg.etag}, of.reg.ifNoneMatch, "the refetch sends the ETag")
	of.reg.mu.Unlock()
	assert.True(t, res.Status.Stale, "the register did not re-sign: the list is past its ttl")
	assert.Contains(t, res.Reason, "status as of")

	of.verify(t, 6)
	assert.Equal(t, int32(2), of.reg.listRequests.Load(), "no new request until MinOnlineRefresh has passed")
}

func TestOnlineFetchesTheNewListAfterTTL(t *testing.T) {
	of := newOnlineFixture(t)
	of.reg.publish(t, testNow.Add(-time.Minute), nil)
	require.Equal(t, OutcomeValid, of.verify(t, 6).Outcome)

	of.reg.publish(t, testNow.Add(30*time.Minute), map[int]uint8{6: statuslist.Invalid}) // revoked meanwhile
	of.clock.Advance(31 * time.Minute)
	assert.Equal(t, OutcomeValid, of.verify(t, 6).Outcome, "within the ttl the cached list answers")
	of.clock.Advance(30 * time.Minute)
	res := of.verify(t, 6)
	assert.Equal(t, OutcomeRevoked, res.Outcome, res.Reason)
	assert.False(t, res.Status.Stale)
	assert.Equal(t, int32(2), of.reg.listRequests.Load())
}

func TestOnlineRefusesURIsOffTheIssuerWithoutAnyRequest(t *testing.T) {
	of := newOnlineFixture(t)
	of.reg.publish(t, testNow, nil)
	var evilRequests atomic.Int32
	evil := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { evilRequests.Add(1) }))
	t.Cleanup(evil.Close)

	for _, uri := range []string{
		evil.URL + "/status/1",
		of.reg.issuer + "/status/../../evil",
		of.reg.issuer + "/status/1?next=" + evil.URL,
		strings.Replace(of.reg.issuer, "https://", "http://", 1) + "/status/1",
		of.reg.issuer + ".evil.example/status/1",
	} {
		res := of.verifier.Verify(t.Context(), of.reg.credential(t, 1, uri))
		assert.Equal(t, OutcomeStatusUnknown, res.Outcome, uri)
		assert.ErrorIs(t, res.Err(), ErrStatusListURI, uri)
	}
	assert.Zero(t, evilRequests.Load())
	assert.Zero(t, of.reg.listRequests.Load())
}

func TestOnlineFollowsRedirectsOnlyWithinTheOrigin(t *testing.T) {
	of := newOnlineFixture(t)
	of.reg.publish(t, testNow, map[int]uint8{6: statuslist.Invalid})
	var evilRequests atomic.Int32
	evil := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { evilRequests.Add(1) }))
	t.Cleanup(evil.Close)
	ref := credential.StatusListRef{Idx: 6, URI: of.reg.listURI()}
	serve := of.reg.serve

	of.reg.handle(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/status/1" {
			http.Redirect(w, req, "/moved/1", http.StatusFound)
			return
		}
		req.URL.Path = "/status/1"
		of.reg.mu.Lock()
		of.reg.override = nil
		of.reg.mu.Unlock()
		serve(w, req)
	})
	info, err := of.online.CheckStatus(t.Context(), of.reg.issuer, ref)
	require.NoError(t, err, "a same-origin redirect is followed")
	assert.Equal(t, StatusRevoked, info.Status)

	of.clock.Advance(2 * time.Hour)
	of.reg.handle(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, evil.URL+"/status/1", http.StatusFound)
	})
	info, err = of.online.CheckStatus(t.Context(), of.reg.issuer, ref)
	require.NoError(t, err, "the held list answers")
	assert.Contains(t, info.Reason, "another origin")
	assert.Zero(t, evilRequests.Load())

	of.clock.Advance(2 * time.Hour)
	of.reg.handle(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, req.URL.Path, http.StatusFound) // a loop
	})
	info, err = of.online.CheckStatus(t.Context(), of.reg.issuer, ref)
	require.NoError(t, err)
	assert.Contains(t, info.Reason, "redirects")
}

func TestOnlineRefusesUntrustedIssuerWithoutAnyRequest(t *testing.T) {
	of := newOnlineFixture(t)
	of.reg.publish(t, testNow, nil)
	require.NoError(t, of.trust.RemoveIssuer(of.reg.issuer))
	_, err := of.online.CheckStatus(t.Context(), of.reg.issuer, credential.StatusListRef{Idx: 1, URI: of.reg.listURI()})
	require.ErrorIs(t, err, ErrStatusListIssuer)
	assert.Zero(t, of.reg.listRequests.Load())
}

func TestOnlineRequiresHTTPSUnlessInsecureHTTPIsChosen(t *testing.T) {
	reg := newRegisterServer(t)
	plain := httptest.NewServer(http.HandlerFunc(reg.serve))
	t.Cleanup(plain.Close)
	reg.issuer = plain.URL
	reg.publish(t, testNow, map[int]uint8{6: statuslist.Invalid})
	trust := NewTrust()
	require.NoError(t, trust.AddIssuer(reg.issuer, []byte(reg.jwks)))
	ref := credential.StatusListRef{Idx: 6, URI: reg.listURI()}
	clock := WithStatusClock(func() time.Time { return testNow })

	o, err := NewOnline(trust, clock)
	require.NoError(t, err)
	_, err = o.CheckStatus(t.Context(), reg.issuer, ref)
	require.ErrorIs(t, err, ErrStatusListFetch)
	assert.Zero(t, reg.listRequests.Load(), "no plain HTTP request is made")

	o, err = NewOnline(trust, clock, WithInsecurePlainHTTP())
	require.NoError(t, err)
	info, err := o.CheckStatus(t.Context(), reg.issuer, ref)
	require.NoError(t, err)
	assert.Equal(t, StatusRevoked, info.Status)
}

func TestOnlineReportsUnknownForBadResponses(t *testing.T) {
	other := newEdKey(t, 12)
	cases := []struct {
		name  string
		setup func(t *testing.T, r *registerServer)
		want  error
	}{
		{"wrong content type", func(t *testing.T, r *registerServer) {
			r.publish(t, testNow, nil)
			r.contentType = "application/json"
		}, ErrStatusListFetch},
		{"not found", func(t *testing.T, r *registerServer) { r.handle(http.NotFound) }, ErrStatusListNotFound},
		{"server error", func(t *testing.T, r *registerServer) {
			r.handle(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) })
		}, ErrStatusListFetch},
		{"body too large", func(t *testing.T, r *registerServer) {
			r.serveToken(strings.Repeat("A", MaxStatusListTokenSize+1))
		}, ErrStatusListTooLarge},
		{"signed by another key", func(t *testing.T, r *registerServer) {
			r.serveToken(signList(t, other, statuslist.TokenClaims{Subject: r.listURI(), IssuedAt: testNow, StatusList: listClaim(t, 1024, nil)}))
		}, ErrStatusListKey},
		{"sub of another list", func(t *testing.T, r *registerServer) {
			r.serveToken(signList(t, r.key, statuslist.TokenClaims{Subject: r.issuer + "/status/2", IssuedAt: testNow, StatusList: listClaim(t, 1024, nil)}))
		}, ErrStatusListSubject},
		{"304 to a first request", func(t *testing.T, r *registerServer) {
			r.handle(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotModified) })
		}, ErrStatusListFetch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			of := newOnlineFixture(t)
			tc.setup(t, of.reg)
			res := of.verify(t, 6)
			assert.Equal(t, OutcomeStatusUnknown, res.Outcome)
			assert.ErrorIs(t, res.Err(), tc.want)
		})
	}
}

func TestOnlineIndexOutOfRangeIsUnknown(t *testing.T) {
	of := newOnlineFixture(t)
	of.reg.publish(t, testNow, nil)
	res := of.verify(t, 1024)
	assert.Equal(t, OutcomeStatusUnknown, res.Outcome)
	assert.ErrorIs(t, res.Err(), ErrStatusIndexOutOfRange)
}

func TestOnlineKeepsAnsweringFromTheHeldListWhenTheServerFails(t *testing.T) {
	of := newOnlineFixture(t)
	of.reg.publish(t, testNow, map[int]uint8{6: statuslist.Invalid})
	require.Equal(t, OutcomeRevoked, of.verify(t, 6).Outcome)

	of.reg.handle(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) })
	of.clock.Advance(2 * time.Hour)
	res := of.verify(t, 6)
	assert.Equal(t, OutcomeRevoked, res.Outcome)
	assert.True(t, res.Status.Stale)
	assert.Contains(t, res.Reason, "status as of 2026-06-01 12:00 UTC")
	assert.Contains(t, res.Reason, "could not be fetched")

	of.clock.Advance(23 * time.Hour) // 25 h old: past the max age
	res = of.verify(t, 4)
	assert.Equal(t, OutcomeStatusUnknown, res.Outcome)
	assert.ErrorIs(t, res.Err(), ErrStatusListTooOld)
}

func TestOnlineRefusesAListOlderThanTheOneHeld(t *testing.T) {
	of := newOnlineFixture(t)
	of.reg.publish(t, testNow.Add(-10*time.Minute), nil)
	oldToken := func() string { of.reg.mu.Lock(); defer of.reg.mu.Unlock(); return of.reg.token }()
	of.reg.publish(t, testNow, map[int]uint8{6: statuslist.Invalid})
	require.Equal(t, OutcomeRevoked, of.verify(t, 6).Outcome)

	of.reg.serveToken(oldToken) // a replay from before the revocation
	of.clock.Advance(2 * time.Hour)
	res := of.verify(t, 6)
	assert.Equal(t, OutcomeRevoked, res.Outcome, "the replayed list is refused; the held one answers")
	assert.Contains(t, res.Reason, "older than the list")
}

func TestOnlineFetchKeysReplacesTheIssuersKeys(t *testing.T) {
	reg := newRegisterServer(t)
	trust := NewTrust()
	o, err := NewOnline(trust, WithHTTPClient(reg.srv.Client()))
	require.NoError(t, err)

	require.NoError(t, o.FetchKeys(t.Context(), reg.issuer))
	assert.Equal(t, []string{reg.key.kid}, trust.KeyIDs(reg.issuer))

	rotated, err := keys.Generate(keys.AlgES256)
	require.NoError(t, err)
	pub, err := rotated.PublicJWK()
	require.NoError(t, err)
	reg.mu.Lock()
	reg.jwks = `{"keys":[` + string(pub) + `]}`
	reg.mu.Unlock()
	require.NoError(t, o.FetchKeys(t.Context(), reg.issuer))
	assert.Equal(t, []string{rotated.KeyID()}, trust.KeyIDs(reg.issuer), "the retired key is dropped")
	assert.Equal(t, int32(2), reg.jwksRequests.Load())

	assert.Error(t, o.FetchKeys(t.Context(), strings.Replace(reg.issuer, "https", "http", 1)))
	assert.Equal(t, int32(2), reg.jwksRequests.Load(), "no plain HTTP request")
}

func TestOnlineForgetsMadeUpURIs(t *testing.T) {
	of := newOnlineFixture(t)
	for i := range 260 {
		uri := of.reg.issuer + "/status/x" + strings.Repeat("y", i%5) + string(rune('a'+i%26)) + "-" + string(rune('a'+i/26))
		_, err := of.online.CheckStatus(t.Context(), of.reg.issuer, credential.StatusListRef{Idx: 1, URI: uri})
		require.ErrorIs(t, err, ErrStatusListNotFound)
	}
	of.online.mu.Lock()
	defer of.online.mu.Unlock()
	assert.Empty(t, of.online.lists)
}

func TestNewOnlineRefusesBadOptions(t *testing.T) {
	_, err := NewOnline(nil)
	assert.ErrorIs(t, err, ErrInvalidOption)
	_, err = NewOnline(NewTrust(), WithHTTPClient(nil))
	assert.ErrorIs(t, err, ErrInvalidOption)
	_, err = NewOnline(NewTrust(), WithMaxAge(0))
	assert.ErrorIs(t, err, ErrInvalidOption)
}
