package fairshare

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func req(path, remote string, hdr ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.RemoteAddr = remote
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
}

func TestClientIgnoresForwardedHeadersByDefault(t *testing.T) {
	var p Proxies
	r := req("/", "203.0.113.7:5555", "X-Forwarded-For", "198.51.100.1", "X-Real-IP", "198.51.100.2")
	assert.Equal(t, netip.MustParseAddr("203.0.113.7"), p.Client(r))
}

func TestClientBelievesOnlyTrustedProxies(t *testing.T) {
	p, err := ParseProxies("X-Forwarded-For", "10.0.0.0/8, 192.0.2.1")
	require.NoError(t, err)
	cases := []struct {
		remote, xff, want string
	}{
		{"10.1.2.3:80", "198.51.100.9", "198.51.100.9"},
		// The client may write anything before the hop the proxy adds.
		{"10.1.2.3:80", "1.2.3.4, 198.51.100.9", "198.51.100.9"},
		// Two trusted proxies in a row.
		{"10.1.2.3:80", "198.51.100.9, 192.0.2.1", "198.51.100.9"},
		// Not from a trusted proxy: the header is ignored.
		{"203.0.113.7:80", "198.51.100.9", "203.0.113.7"},
		// Nonsense from a trusted proxy falls back to the proxy.
		{"10.1.2.3:80", "not-an-address", "10.1.2.3"},
		{"10.1.2.3:80", "", "10.1.2.3"},
	}
	for _, c := range cases {
		assert.Equal(t, netip.MustParseAddr(c.want), p.Client(req("/", c.remote, "X-Forwarded-For", c.xff)), "%s via %s", c.xff, c.remote)
	}
}

func TestClientFromForwardedAndRealIP(t *testing.T) {
	p, err := ParseProxies("forwarded", "127.0.0.1")
	require.NoError(t, err)
	r := req("/", "127.0.0.1:1", "Forwarded", `for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711"`)
	assert.Equal(t, netip.MustParseAddr("2001:db8:cafe::17"), p.Client(r))
	p, err = ParseProxies("X-Real-IP", "127.0.0.1")
	require.NoError(t, err)
	assert.Equal(t, netip.MustParseAddr("192.0.2.60"), p.Client(req("/", "127.0.0.1:1", "X-Real-IP", "192.0.2.60")))
}

func TestParseProxiesRefusesWhatCouldBeSpoofed(t *testing.T) {
	_, err := ParseProxies("X-Forwarded-For", "")
	assert.ErrorContains(t, err, "needs the proxies' addresses")
	_, err = ParseProxies("", "10.0.0.1")
	assert.ErrorContains(t, err, "need the header")
	_, err = ParseProxies("X-Client", "10.0.0.1")
	assert.ErrorContains(t, err, "use X-Forwarded-For")
	_, err = ParseProxies("X-Forwarded-For", "10.0.0.300")
	assert.ErrorContains(t, err, "CIDR")
}

func TestClassify(t *testing.T) {
	for path, want := range map[string]Kind{
		"/v1/register?q=smith": Search, "/register?q=smith": Search, "/register": Public,
		"/v1/register/LW1000015": Public, "/register/LW1000015": Public,
		"/status/1": Verify, "/trust-bundle": Verify, "/.well-known/jwks.json": Verify, "/v1/verify": Verify,
		"/healthz": Exempt, "/static/site.css": Public, "/": Public,
	} {
		assert.Equal(t, want, Classify(req(path, "192.0.2.1:1")), path)
	}
	assert.Equal(t, Exempt, Classify(req("/v1/registrants", "192.0.2.1:1", "Authorization", "Bearer x")))
	assert.Equal(t, Search, Classify(req("/v1/register?q=ab", "192.0.2.1:1", "Authorization", "Bearer junk")), "a token does not exempt a public endpoint")
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestRateLimitIsPerClientWithRetryAfter(t *testing.T) {
	var refusals []string
	l := New(Config{Search: Class{Rate: 0.5, Burst: 3}, OnRefuse: func(k Kind, reason string) { refusals = append(refusals, k.String()+" "+reason) }})
	h := l.Wrap(ok)
	for range 3 {
		assert.Equal(t, http.StatusOK, serve(h, req("/v1/register?q=ab", "192.0.2.1:1")).Code)
	}
	w := serve(h, req("/v1/register?q=ab", "192.0.2.1:1"))
	assert.Equal(t, http.StatusTooManyRequests, w.Code)
	secs, err := strconv.Atoi(w.Header().Get("Retry-After"))
	require.NoError(t, err)
	assert.InDelta(t, 2, secs, 1, "one token every 2 s")
	assert.Contains(t, w.Body.String(), `"rate_limited"`)
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))

	assert.Equal(t, http.StatusOK, serve(h, req("/v1/register?q=ab", "192.0.2.2:1")).Code, "another client is not affected")
	assert.Equal(t, http.StatusOK, serve(h, req("/status/1", "192.0.2.1:1")).Code, "nor are the client's other classes")
	page := serve(h, req("/register?q=ab", "192.0.2.1:1"))
	assert.Equal(t, http.StatusTooManyRequests, page.Code)
	assert.Contains(t, page.Header().Get("Content-Type"), "text/plain")
	assert.Equal(t, []string{"search rate_limited", "search rate_limited"}, refusals, "each refusal is counted once, for the metrics")
}

func TestSpoofedForwardedForDoesNotEscapeTheLimit(t *testing.T) {
	h := New(Config{Search: Class{Rate: 0.1, Burst: 1}}).Wrap(ok)
	assert.Equal(t, http.StatusOK, serve(h, req("/v1/register?q=ab", "192.0.2.1:1", "X-Forwarded-For", "1.1.1.1")).Code)
	assert.Equal(t, http.StatusTooManyRequests, serve(h, req("/v1/register?q=ab", "192.0.2.1:1", "X-Forwarded-For", "2.2.2.2")).Code)
}

// A search that holds every search slot does not hold up a verifier.
func TestBusySearchDoesNotBlockVerifiers(t *testing.T) {
	release := make(chan struct{})
	var started sync.WaitGroup
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Classify(r) == Search {
			started.Done()
			<-release
		}
		w.WriteHeader(http.StatusOK)
	})
	var busy atomic.Int32
	h := New(Config{Search: Class{Concurrent: 2, Queue: 20 * time.Millisecond}, Verify: Class{Concurrent: 2},
		OnRefuse: func(k Kind, reason string) {
			if k == Search && reason == "busy" {
				busy.Add(1)
			}
		}}).Wrap(slow)
	started.Add(2)
	var done sync.WaitGroup
	for range 2 {
		done.Add(1)
		go func() { defer done.Done(); serve(h, req("/v1/register?q=ab", "192.0.2.1:1")) }()
	}
	started.Wait()
	w := serve(h, req("/v1/register?q=ab", "192.0.2.3:1"))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code, "a third search waits its queue time, then is refused")
	assert.Equal(t, "1", w.Header().Get("Retry-After"))
	assert.Equal(t, int32(1), busy.Load())
	assert.Equal(t, http.StatusOK, serve(h, req("/trust-bundle", "192.0.2.4:1")).Code, "verifiers have their own budget")
	close(release)
	done.Wait()
	started.Add(1)
	assert.Equal(t, http.StatusOK, serve(h, req("/v1/register?q=ab", "192.0.2.3:1")).Code)
}

func TestIdleClientsAreForgotten(t *testing.T) {
	c := newClients(1000, 1)
	for i := range 40000 {
		b := [4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}
		c.allow(netip.AddrFrom4(b))
	}
	total := 0
	for i := range c.shards {
		total += len(c.shards[i].m)
	}
	assert.LessOrEqual(t, total, len(c.shards)*maxPerShard)
}
