package fairshare

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies says which proxies in front of the register are trusted to name
// the client, and through which header. The zero value trusts none: the
// client is the address the connection came from, and X-Forwarded-For is
// ignored, since anyone can send it.
type Proxies struct {
	// Header is the header a trusted proxy sets: "X-Forwarded-For",
	// "X-Real-IP" or "Forwarded" (RFC 7239). Empty trusts no header.
	Header string
	// Trusted are the proxies' own addresses. A header is believed only
	// from a connection that comes from one of them, and in a list of
	// hops the client is the last address that is not one of them.
	Trusted []netip.Prefix
}

// ParseProxies builds Proxies from what an operator writes: a header name
// and comma-separated addresses or CIDR prefixes.
func ParseProxies(header, trusted string) (Proxies, error) {
	var p Proxies
	switch strings.ToLower(strings.TrimSpace(header)) {
	case "":
	case "x-forwarded-for":
		p.Header = "X-Forwarded-For"
	case "x-real-ip":
		p.Header = "X-Real-IP"
	case "forwarded":
		p.Header = "Forwarded"
	default:
		return Proxies{}, fmt.Errorf("proxy header %q: use X-Forwarded-For, X-Real-IP or Forwarded", header)
	}
	for _, f := range strings.Split(trusted, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return Proxies{}, fmt.Errorf("trusted proxy %q: give an address or a CIDR prefix such as 10.0.0.0/8", f)
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		p.Trusted = append(p.Trusted, pfx.Masked())
	}
	if p.Header != "" && len(p.Trusted) == 0 {
		return Proxies{}, fmt.Errorf("proxy header %s needs the proxies' addresses (--trusted-proxies), or any client could claim any address", p.Header)
	}
	if p.Header == "" && len(p.Trusted) > 0 {
		return Proxies{}, fmt.Errorf("trusted proxies need the header they set (--proxy-header X-Forwarded-For, X-Real-IP or Forwarded)")
	}
	return p, nil
}

func (p Proxies) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, pfx := range p.Trusted {
		if pfx.Contains(a) {
			return true
		}
	}
	return false
}

// Client returns the address of the client that sent r.
func (p Proxies) Client(r *http.Request) netip.Addr {
	peer := peerAddr(r.RemoteAddr)
	if p.Header == "" || !peer.IsValid() || !p.trusted(peer) {
		return peer
	}
	hops := p.hops(r)
	// Walk back from the nearest hop: the first one that is not a trusted
	// proxy is the client. Earlier entries were written by the client
	// itself and prove nothing.
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			return peer // a malformed header: fall back to what is certain
		}
		if !p.trusted(a) {
			return a.Unmap()
		}
	}
	return peer
}

func (p Proxies) hops(r *http.Request) []string {
	var hops []string
	for _, v := range r.Header.Values(p.Header) {
		for _, h := range strings.Split(v, ",") {
			h = strings.TrimSpace(h)
			if p.Header == "Forwarded" {
				h = forwardedFor(h)
				if h == "" {
					continue
				}
			}
			hops = append(hops, h)
		}
	}
	return hops
}

// forwardedFor returns the address of a Forwarded element's for= pair.
func forwardedFor(elem string) string {
	for _, pair := range strings.Split(elem, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || !strings.EqualFold(k, "for") {
			continue
		}
		v = strings.Trim(v, `"`)
		if strings.HasPrefix(v, "[") { // [2001:db8::1]:4711
			if end := strings.Index(v, "]"); end > 0 {
				return v[1:end]
			}
		}
		if host, _, err := net.SplitHostPort(v); err == nil {
			return host
		}
		return v
	}
	return ""
}

func peerAddr(remote string) netip.Addr {
	ap, err := netip.ParseAddrPort(remote)
	if err == nil {
		return ap.Addr().Unmap()
	}
	a, _ := netip.ParseAddr(remote)
	return a.Unmap()
}
