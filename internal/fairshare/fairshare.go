// Package fairshare keeps the register's public endpoints fair under load.
// Every anonymous request belongs to a class (name search, verifier
// endpoints, other public pages); each class has its own per-client rate
// (golang.org/x/time/rate, answered with 429 and Retry-After) and its own
// budget of requests served at once. Anonymous search, the one expensive
// public thing, can then use only its own budget and never starve the
// status lists, trust bundle and verify endpoints that verifiers depend on.
//
// Clients are told apart by address; behind a proxy, by the header the
// operator says the proxy sets (see Proxies). X-Forwarded-For is never
// believed by default.
package fairshare

import (
	"encoding/json"
	"hash/maphash"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Class is one class of requests and what each client and all of them
// together may have of it.
type Class struct {
	// Rate is the requests per second one client may make, on average;
	// 0 means no per-client limit.
	Rate float64
	// Burst is how many requests a client may make at once above Rate.
	Burst int
	// Concurrent is the most requests of the class served at once; 0 means
	// no limit. Requests beyond it wait up to Queue for a turn, then are
	// refused with 503 and Retry-After.
	Concurrent int
	Queue      time.Duration
}

// Kind names a class.
type Kind int

// The classes of requests.
const (
	// Exempt requests are not limited here: health checks, and the staff
	// API, which has its own tokens.
	Exempt Kind = iota
	// Search is a name or number search of the public register.
	Search
	// Verify is what verifiers fetch or ask: status lists, the trust
	// bundle, issuer metadata and keys, and the verify endpoints.
	Verify
	// Public is every other anonymous request: pages, entries, assets.
	Public
)

func (k Kind) String() string {
	return [...]string{"exempt", "search", "verify", "public"}[k]
}

// Config configures a Limiter.
type Config struct {
	Proxies Proxies
	Search  Class
	Verify  Class
	Public  Class
	Logger  *slog.Logger
	// OnRefuse, if set, is told of each refusal: the class and
	// "rate_limited" or "busy". It must not block.
	OnRefuse func(kind Kind, reason string)
}

// DefaultConfig is generous to people and verifiers and keeps anonymous
// search to a share of the machine: no more searches at once than cores.
func DefaultConfig() Config {
	return Config{
		Search: Class{Rate: 10, Burst: 20, Concurrent: max(2, runtime.GOMAXPROCS(0)), Queue: 250 * time.Millisecond},
		Verify: Class{Rate: 100, Burst: 200, Concurrent: 256, Queue: time.Second},
		Public: Class{Rate: 30, Burst: 60, Concurrent: 128, Queue: time.Second},
	}
}

// Classify says which class r belongs to. The staff API (/v1 other than
// the public register and verify endpoints) is exempt: it refuses anyone
// without a token at once. Sending a token does not exempt a public
// endpoint, or anyone could.
func Classify(r *http.Request) Kind {
	p := r.URL.Path
	switch {
	case p == "/healthz" || p == "/readyz":
		return Exempt
	case p == "/v1/register" || p == "/register" && r.URL.Query().Has("q"):
		return Search
	case strings.HasPrefix(p, "/status/") || p == "/trust-bundle" || strings.HasPrefix(p, "/.well-known/") ||
		p == "/v1/verify" || p == "/v1/verify/image":
		return Verify
	case strings.HasPrefix(p, "/v1/register/"):
		return Public
	case strings.HasPrefix(p, "/v1/"):
		return Exempt
	}
	return Public
}

// Limiter applies the classes to requests. It is safe for concurrent use.
type Limiter struct {
	proxies  Proxies
	logger   *slog.Logger
	onRefuse func(Kind, string)
	classes  [Public + 1]*class
}

type class struct {
	Class
	kind    Kind
	clients *clients
	slots   chan struct{}
}

// New returns a Limiter for cfg.
func New(cfg Config) *Limiter {
	l := &Limiter{proxies: cfg.Proxies, logger: cfg.Logger, onRefuse: cfg.OnRefuse}
	if l.onRefuse == nil {
		l.onRefuse = func(Kind, string) {}
	}
	if l.logger == nil {
		l.logger = slog.New(slog.DiscardHandler)
	}
	for k, c := range map[Kind]Class{Search: cfg.Search, Verify: cfg.Verify, Public: cfg.Public} {
		cl := &class{Class: c, kind: k}
		if c.Rate > 0 {
			cl.clients = newClients(rate.Limit(c.Rate), max(1, c.Burst))
		}
		if c.Concurrent > 0 {
			cl.slots = make(chan struct{}, c.Concurrent)
		}
		l.classes[k] = cl
	}
	return l
}

// Wrap returns next behind the limiter.
func (l *Limiter) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := Classify(r)
		if k == Exempt {
			next.ServeHTTP(w, r)
			return
		}
		c := l.classes[k]
		if c.clients != nil {
			if wait, ok := c.clients.allow(l.proxies.Client(r)); !ok {
				l.onRefuse(k, "rate_limited")
				refuse(w, r, http.StatusTooManyRequests, wait, "rate_limited",
					"Too many requests from your address. Wait a moment and try again.")
				return
			}
		}
		if c.slots != nil {
			if !c.acquire(r) {
				l.onRefuse(k, "busy")
				refuse(w, r, http.StatusServiceUnavailable, time.Second, "busy",
					"The register is busy. Try again in a moment.")
				return
			}
			defer func() { <-c.slots }()
		}
		next.ServeHTTP(w, r)
	})
}

func (c *class) acquire(r *http.Request) bool {
	select {
	case c.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(c.Queue)
	defer t.Stop()
	select {
	case c.slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-r.Context().Done():
		return false
	}
}

// refuse answers a refused request: Retry-After in whole seconds (at least
// 1), JSON for the API, plain text for pages.
func refuse(w http.ResponseWriter, r *http.Request, status int, wait time.Duration, code, msg string) {
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if strings.HasPrefix(r.URL.Path, "/v1/") || strings.HasPrefix(r.URL.Path, "/status/") || r.URL.Path == "/trust-bundle" {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(status)
		var body struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		body.Error.Code, body.Error.Message = code, msg
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}

// clients holds one token bucket per client address, in shards so that
// concurrent requests rarely wait for each other. A shard that grows past
// maxPerShard forgets its idle clients (whose buckets are full anyway).
type clients struct {
	limit  rate.Limit
	burst  int
	seed   maphash.Seed
	shards [32]shard
}

type shard struct {
	mu sync.Mutex
	m  map[netip.Addr]*rate.Limiter
}

const maxPerShard = 4096

func newClients(limit rate.Limit, burst int) *clients {
	c := &clients{limit: limit, burst: burst, seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = map[netip.Addr]*rate.Limiter{}
	}
	return c
}

// allow takes a token for a, or says how long until there is one.
func (c *clients) allow(a netip.Addr) (time.Duration, bool) {
	b := a.As16()
	s := &c.shards[maphash.Bytes(c.seed, b[:])%uint64(len(c.shards))]
	now := time.Now()
	s.mu.Lock()
	lim, ok := s.m[a]
	if !ok {
		if len(s.m) >= maxPerShard {
			s.forgetIdle(now, c.burst)
		}
		lim = rate.NewLimiter(c.limit, c.burst)
		s.m[a] = lim
	}
	s.mu.Unlock()
	res := lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}

func (s *shard) forgetIdle(now time.Time, burst int) {
	for a, lim := range s.m {
		if lim.TokensAt(now) >= float64(burst) {
			delete(s.m, a)
		}
	}
	if len(s.m) >= maxPerShard {
		// Every client is busy: start again rather than grow without
		// bound. The cost is leniency for a moment, never a refusal.
		clear(s.m)
	}
}
