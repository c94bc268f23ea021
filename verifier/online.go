package verifier

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/statuslist"
)

// Limits and defaults of Online.
const (
	// DefaultFetchTimeout bounds each request of Online, from dialling to
	// the end of the body.
	DefaultFetchTimeout = 10 * time.Second
	// DefaultOnlineRefresh is how long Online keeps a list that has no
	// ttl before fetching it again.
	DefaultOnlineRefresh = 5 * time.Minute
	// MinOnlineRefresh is the shortest time Online waits between two
	// fetches of one list, whatever its ttl says, so that a tiny ttl or a
	// failing server cannot turn every verification into a request.
	MinOnlineRefresh = time.Minute
	// MaxJWKSSize is the largest JWKS Online reads.
	MaxJWKSSize = 256 << 10
	// maxOnlineLists bounds the lists Online keeps: the register has a
	// handful, and credentials cannot make it keep more.
	maxOnlineLists = 256
	// maxRedirects bounds the same-origin redirects a fetch follows.
	maxRedirects = 3
)

// JWKSPath is where an issuer publishes its public keys.
const JWKSPath = "/.well-known/jwks.json"

// Online checks credential status against status lists fetched from
// their issuers over HTTPS, and fetches issuers' public keys. It is a
// StatusChecker, safe for concurrent use.
//
// It fetches only URLs under an issuer the Trust already trusts (the
// issuer URL, then "/" and a plain path): a uri that a credential names
// elsewhere is refused without any request, so a credential cannot make
// the verifier contact a server of its choosing. Each list fetched is
// verified with VerifyStatusListToken (signed by a key of that issuer,
// sub equal to its uri), decoded once, and kept until iat+ttl (or
// DefaultOnlineRefresh without a ttl; never less than MinOnlineRefresh).
// Then it is fetched again with If-None-Match, and a 304 Not Modified
// keeps the copy held. A list older than the one held is refused (a
// replayed list cannot undo a revocation). If a fetch fails, lookups use
// the verified copy held, under the StatusPolicy: past its ttl the answer
// is marked stale, past its exp or the maximum age there is no answer.
type Online struct {
	trust        *Trust
	policy       StatusPolicy
	client       *http.Client
	insecureHTTP bool
	cache        ListCache

	mu    sync.Mutex // guards lists
	lists map[string]*onlineList
}

// onlineList is one list's cache entry. Its mutex serialises fetches of
// that list, so concurrent lookups of a list due for refresh cause one
// request.
type onlineList struct {
	mu    sync.Mutex
	state atomic.Pointer[onlineState]
}

// onlineState is an immutable verified copy of a list.
type onlineState struct {
	claims    *statuslist.TokenClaims
	list      *statuslist.List
	etag      string
	nextFetch time.Time
}

// OnlineOption configures NewOnline. Every StatusOption is one too.
type OnlineOption interface {
	applyOnline(*Online) error
}

type onlineOptionFunc func(*Online) error

func (f onlineOptionFunc) applyOnline(o *Online) error { return f(o) }

// WithHTTPClient makes Online send its requests with a copy of c: its
// Transport (proxies, TLS roots) is used, but Online's own redirect rule
// applies, and DefaultFetchTimeout if c has no Timeout.
func WithHTTPClient(c *http.Client) OnlineOption {
	return onlineOptionFunc(func(o *Online) error {
		if c == nil {
			return fmt.Errorf("%w: nil HTTP client", ErrInvalidOption)
		}
		cp := *c
		if cp.Timeout == 0 {
			cp.Timeout = DefaultFetchTimeout
		}
		cp.CheckRedirect = sameOriginRedirect
		o.client = &cp
		return nil
	})
}

// WithInsecurePlainHTTP lets Online fetch from http:// issuers, without
// TLS: anyone on the network path could then withhold a fresh list. It
// exists for a register running on a development machine; the Token
// Status List specification requires TLS.
func WithInsecurePlainHTTP() OnlineOption {
	return onlineOptionFunc(func(o *Online) error {
		o.insecureHTTP = true
		return nil
	})
}

// ListCache keeps fetched Status List Tokens between runs of a program,
// such as the command line, which is a new process for every check. Online
// re-verifies every token it loads from the cache exactly as one it has
// just fetched: a cache saves requests, it is never a source of trust.
type ListCache interface {
	// Load returns the token and ETag last stored for uri.
	Load(uri string) (token, etag string, ok bool)
	// Store keeps a verified token and its ETag for uri.
	Store(uri, token, etag string)
}

// WithListCache makes Online keep the lists it fetches in c, and start
// from them: a list still within its ttl answers without any request, and
// an older one is revalidated with its ETag (a 304 costs no download).
func WithListCache(c ListCache) OnlineOption {
	return onlineOptionFunc(func(o *Online) error {
		if c == nil {
			return fmt.Errorf("%w: nil list cache", ErrInvalidOption)
		}
		o.cache = c
		return nil
	})
}

// NewOnline returns an Online checker verifying against trust, secure by
// default: HTTPS only, DefaultFetchTimeout, TLS 1.2 or later, the
// StatusPolicy defaults (see NewStatusPolicy).
func NewOnline(trust *Trust, opts ...OnlineOption) (*Online, error) {
	if trust == nil {
		return nil, fmt.Errorf("%w: nil trust", ErrInvalidOption)
	}
	o := &Online{trust: trust, policy: defaultStatusPolicy(), lists: map[string]*onlineList{}}
	for _, opt := range opts {
		if err := opt.applyOnline(o); err != nil {
			return nil, err
		}
	}
	if o.client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		tr.ResponseHeaderTimeout = DefaultFetchTimeout
		tr.MaxResponseHeaderBytes = 64 << 10
		o.client = &http.Client{Transport: tr, Timeout: DefaultFetchTimeout, CheckRedirect: sameOriginRedirect}
	}
	return o, nil
}

// sameOriginRedirect follows at most maxRedirects redirects, each to the
// scheme and host of the first request.
func sameOriginRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("more than %d redirects", maxRedirects)
	}
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		return fmt.Errorf("redirect from %s to another origin refused", first.Host)
	}
	return nil
}

// Policy returns the staleness policy the checker applies.
func (o *Online) Policy() *StatusPolicy { return &o.policy }

// FetchKeys fetches issuer's public keys from issuer + JWKSPath and makes
// them the whole key set the Trust holds for issuer (see
// Trust.SetIssuerKeys): a key the issuer has retired stops being trusted.
// issuer is the register the caller chose to trust; nothing a token says
// chooses where keys come from.
func (o *Online) FetchKeys(ctx context.Context, issuer string) error {
	if err := o.checkIssuerURL(issuer); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, issuer+JWKSPath, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidJWKS, err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := o.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: fetching keys of %s: %v", ErrInvalidJWKS, issuer, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: fetching keys of %s: HTTP %d", ErrInvalidJWKS, issuer, resp.StatusCode)
	}
	if mt := mediaType(resp); mt != "application/jwk-set+json" && mt != "application/json" {
		return fmt.Errorf("%w: keys of %s served as %q, not application/jwk-set+json", ErrInvalidJWKS, issuer, clip(mt))
	}
	body, err := readCapped(resp.Body, MaxJWKSSize)
	if err != nil {
		return fmt.Errorf("%w: keys of %s: %v", ErrInvalidJWKS, issuer, err)
	}
	return o.trust.SetIssuerKeys(issuer, body)
}

// CheckStatus returns the status of entry ref of issuer's list, fetching
// the list if no fresh verified copy is held. It implements StatusChecker.
func (o *Online) CheckStatus(ctx context.Context, issuer string, ref credential.StatusListRef) (StatusInfo, error) {
	unknown := StatusInfo{Status: StatusUnknown}
	if o.trust.load().issuers[issuer] == nil {
		return unknown, fmt.Errorf("%w: %q", ErrStatusListIssuer, clip(issuer))
	}
	if err := o.checkIssuerURL(issuer); err != nil {
		return unknown, err
	}
	if err := checkListURI(issuer, ref.URI); err != nil {
		return unknown, err
	}
	e, err := o.entry(ref.URI)
	if err != nil {
		return unknown, err
	}
	st, fetchErr := o.current(ctx, e, issuer, ref.URI)
	if st == nil {
		o.forget(ref.URI, e)
		return unknown, fetchErr
	}
	info, err := o.policy.Lookup(st.claims, st.list, ref.Idx)
	if fetchErr != nil {
		switch {
		case err != nil:
			err = fmt.Errorf("%w; a fresh list could not be fetched: %v", err, fetchErr)
		case info.Stale:
			info.Reason += "; a fresh list could not be fetched: " + fetchErr.Error()
		}
	}
	return info, err
}

// checkIssuerURL refuses an issuer Online may not contact.
func (o *Online) checkIssuerURL(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%w: %q is not an absolute URL to fetch from", ErrStatusListFetch, clip(issuer))
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && o.insecureHTTP:
	default:
		return fmt.Errorf("%w: %q does not use https", ErrStatusListFetch, clip(issuer))
	}
	return nil
}

// entry returns the cache entry of uri, creating it if there is room.
func (o *Online) entry(uri string) (*onlineList, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := o.lists[uri]
	if e == nil {
		if len(o.lists) >= maxOnlineLists {
			return nil, fmt.Errorf("%w: already holding %d lists", ErrStatusListFetch, maxOnlineLists)
		}
		e = &onlineList{}
		o.lists[uri] = e
	}
	return e, nil
}

// forget drops an entry that holds no list, so that failed fetches of
// made-up uris leave nothing behind.
func (o *Online) forget(uri string, e *onlineList) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.lists[uri] == e && e.state.Load() == nil {
		delete(o.lists, uri)
	}
}

// current returns the verified copy to answer from: the one held if it
// is not due for refresh, else a fresh one. If the fetch fails it returns
// the copy held (or nil) with the error.
func (o *Online) current(ctx context.Context, e *onlineList, issuer, uri string) (*onlineState, error) {
	now := o.policy.now()
	if st := e.state.Load(); st != nil && now.Before(st.nextFetch) {
		return st, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	held := e.state.Load()
	if held != nil && now.Before(held.nextFetch) {
		return held, nil // another goroutine fetched it meanwhile
	}
	if held == nil {
		if cached := o.loadCached(issuer, uri, now); cached != nil {
			if now.Before(cached.nextFetch) {
				e.state.Store(cached)
				return cached, nil
			}
			held = cached // revalidate it with its ETag
		}
	}
	fresh, err := o.fetchList(ctx, issuer, uri, held, now)
	if err != nil {
		if held != nil {
			retry := *held
			retry.nextFetch = now.Add(MinOnlineRefresh)
			e.state.Store(&retry)
		}
		return held, err
	}
	e.state.Store(fresh)
	return fresh, nil
}

// fetchList fetches and verifies uri, revalidating held with its ETag.
func (o *Online) fetchList(ctx context.Context, issuer, uri string, held *onlineState, now time.Time) (*onlineState, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStatusListFetch, err)
	}
	req.Header.Set("Accept", StatusListMediaType)
	if held != nil && held.etag != "" {
		req.Header.Set("If-None-Match", held.etag)
	}
	resp, err := o.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStatusListFetch, err)
	}
	defer resp.Body.Close()

	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		if held == nil {
			return nil, fmt.Errorf("%w: %s answered 304 Not Modified to a request without If-None-Match", ErrStatusListFetch, uri)
		}
		again := *held
		again.nextFetch = o.nextFetch(held.claims, now)
		return &again, nil
	case http.StatusNotFound, http.StatusGone:
		return nil, fmt.Errorf("%w: %s: HTTP %d", ErrStatusListNotFound, uri, resp.StatusCode)
	default:
		return nil, fmt.Errorf("%w: %s: HTTP %d", ErrStatusListFetch, uri, resp.StatusCode)
	}
	if mt := mediaType(resp); mt != StatusListMediaType {
		return nil, fmt.Errorf("%w: %s served as %q, not %s", ErrStatusListFetch, uri, clip(mt), StatusListMediaType)
	}
	body, err := readCapped(resp.Body, MaxStatusListTokenSize)
	switch {
	case errors.Is(err, errBodyTooLarge):
		return nil, fmt.Errorf("%w: %s: %w", ErrStatusListTooLarge, uri, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %s: %w", ErrStatusListFetch, uri, err)
	}
	token := strings.TrimRight(string(body), "\r\n")
	// exp is judged at each lookup by the policy, which may allow stale.
	claims, list, err := VerifyStatusListToken(o.trust, issuer, uri, token, now, WithInsecureExpiredStatusList())
	if err != nil {
		return nil, err
	}
	if held != nil && claims.IssuedAt.Before(held.claims.IssuedAt) {
		return nil, fmt.Errorf("%w: %s served a list of %s, older than the list of %s already held",
			ErrStatusListFetch, uri, formatTime(claims.IssuedAt), formatTime(held.claims.IssuedAt))
	}
	if held != nil && claims.Sequence < held.claims.Sequence {
		// Same second, earlier change: times are whole seconds.
		return nil, fmt.Errorf("%w: %s served a list at sequence %d, older than the one already held (%d)",
			ErrStatusListFetch, uri, claims.Sequence, held.claims.Sequence)
	}
	etag := resp.Header.Get("ETag")
	if o.cache != nil {
		o.cache.Store(uri, token, etag)
	}
	return &onlineState{claims: claims, list: list, etag: etag, nextFetch: o.nextFetch(claims, now)}, nil
}

// loadCached returns the cached copy of uri, verified again, or nil. Its
// nextFetch is when its ttl runs out, with no minimum: a copy whose ttl
// has passed is revalidated at once.
func (o *Online) loadCached(issuer, uri string, now time.Time) *onlineState {
	if o.cache == nil {
		return nil
	}
	token, etag, ok := o.cache.Load(uri)
	if !ok {
		return nil
	}
	claims, list, err := VerifyStatusListToken(o.trust, issuer, uri, token, now, WithInsecureExpiredStatusList())
	if err != nil {
		return nil // a cache entry that no longer verifies is ignored
	}
	due := now.Add(DefaultOnlineRefresh)
	if claims.TTL > 0 {
		due = claims.IssuedAt.Add(claims.TTL)
	}
	if !claims.Expiry.IsZero() && claims.Expiry.Before(due) {
		due = claims.Expiry
	}
	return &onlineState{claims: claims, list: list, etag: etag, nextFetch: due}
}

// nextFetch is when a list fetched (or revalidated) at now is due again:
// at iat+ttl, or DefaultOnlineRefresh after now without a ttl; no later
// than exp; and never sooner than MinOnlineRefresh after now.
func (o *Online) nextFetch(c *statuslist.TokenClaims, now time.Time) time.Time {
	next := now.Add(DefaultOnlineRefresh)
	if c.TTL > 0 {
		next = c.IssuedAt.Add(c.TTL)
	}
	if !c.Expiry.IsZero() && c.Expiry.Before(next) {
		next = c.Expiry
	}
	if floor := now.Add(MinOnlineRefresh); next.Before(floor) {
		next = floor
	}
	return next
}

// mediaType returns the media type of resp's Content-Type, lower-cased,
// without parameters.
func mediaType(resp *http.Response) string {
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

// errBodyTooLarge is returned by readCapped.
var errBodyTooLarge = errors.New("response body too large")

// readCapped reads r to the end, refusing more than limit bytes.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", errBodyTooLarge, limit)
	}
	return b, nil
}
