package trustbundle

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// Path is where a register serves its trust bundle, under its issuer URL.
const Path = "/trust-bundle"

// DefaultFetchTimeout bounds a Fetch, from dialling to the end of the body.
const DefaultFetchTimeout = 60 * time.Second

// FetchOption configures Fetch.
type FetchOption interface {
	applyFetch(*fetchConfig)
}

type fetchConfig struct {
	client       *http.Client
	insecureHTTP bool
	source       string
}

type fetchOptionFunc func(*fetchConfig)

func (f fetchOptionFunc) applyFetch(c *fetchConfig) { f(c) }

// WithHTTPClient makes Fetch use a copy of c (its Transport: proxies, TLS
// roots), keeping Fetch's own redirect rule, and DefaultFetchTimeout if c
// has none.
func WithHTTPClient(c *http.Client) FetchOption {
	return fetchOptionFunc(func(cfg *fetchConfig) { cfg.client = c })
}

// WithInsecurePlainHTTP lets Fetch download from an http:// issuer,
// without TLS: anyone on the network path could then give the verifier
// their own keys. It exists for a register on a development machine.
func WithInsecurePlainHTTP() FetchOption {
	return fetchOptionFunc(func(cfg *fetchConfig) { cfg.insecureHTTP = true })
}

// WithSource makes Fetch download from source (a base URL such as the
// register's address on an internal network) rather than from the issuer
// URL itself. The bundle must still name issuer: the caller states which
// register it trusts; the source is only where to get its bundle.
func WithSource(source string) FetchOption {
	return fetchOptionFunc(func(cfg *fetchConfig) { cfg.source = strings.TrimRight(source, "/") })
}

// Fetch downloads the trust bundle of issuer (the register's URL, as its
// credentials name it) from issuer + Path, over HTTPS, and parses it
// (Parse). The bundle must name issuer. It returns the bundle and its
// bytes exactly as served, for WriteFile. Fetch does not Check the
// bundle: call Check before writing it, so that a broken bundle never
// replaces a good one.
//
// The bundle's keys are trusted because they came over TLS from the
// issuer URL the caller chose: that choice is the trust decision.
func Fetch(ctx context.Context, issuer string, opts ...FetchOption) (*Bundle, []byte, error) {
	var cfg fetchConfig
	for _, o := range opts {
		o.applyFetch(&cfg)
	}
	if err := checkIssuerURL(issuer); err != nil {
		return nil, nil, err
	}
	from := issuer
	if cfg.source != "" {
		if err := checkIssuerURL(cfg.source); err != nil {
			return nil, nil, err
		}
		from = cfg.source
	}
	if !strings.HasPrefix(from, "https://") && !cfg.insecureHTTP {
		return nil, nil, fmt.Errorf("%w: %s does not use https", ErrFetch, from)
	}
	client := fetchClient(cfg.client)

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, from+Path, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	req.Header.Set("Accept", MediaType)
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("%w: %s: HTTP %d", ErrFetch, from+Path, resp.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != MediaType && mt != "application/json" {
		return nil, nil, fmt.Errorf("%w: %s served %q, not %s", ErrFetch, from+Path, clip(mt), MediaType)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	b, err := Parse(data)
	if err != nil {
		return nil, nil, err
	}
	if b.Issuer != issuer {
		hint := ""
		if cfg.source == "" {
			hint = "; if this address is another way to reach that register, say which register you trust with --issuer"
		}
		return nil, nil, fmt.Errorf("%w: %s served a bundle for %q, not %q%s", ErrIssuerMismatch, from, clip(b.Issuer), issuer, hint)
	}
	return b, data, nil
}

// fetchClient returns the client Fetch uses: a copy of c, or a default
// with TLS 1.2 or later; either way with a timeout and same-origin
// redirects only.
func fetchClient(c *http.Client) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		out.Transport = tr
	}
	if out.Timeout == 0 {
		out.Timeout = DefaultFetchTimeout
	}
	out.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return fmt.Errorf("more than %d redirects", 3)
		}
		if req.URL.Scheme != via[0].URL.Scheme || req.URL.Host != via[0].URL.Host {
			return fmt.Errorf("redirect from %s to another origin refused", via[0].URL.Host)
		}
		return nil
	}
	return &out
}
