package oid4vci

import (
	"sync"
	"time"
)

// maxNonces bounds the nonces waiting for a proof, so that the unauthenticated
// nonce endpoint cannot grow memory without limit.
const maxNonces = 100_000

// nonces are the c_nonce values handed out and not yet used. They are kept
// in memory on purpose: a nonce lives minutes, and after a restart or a
// change of leader a wallet that presents an unknown one gets invalid_nonce
// and simply asks for another, as OpenID4VCI provides.
type nonces struct {
	mu  sync.Mutex
	ttl time.Duration
	m   map[string]time.Time
}

func newNonces(ttl time.Duration) *nonces { return &nonces{ttl: ttl, m: map[string]time.Time{}} }

// issue returns a fresh nonce valid until now+ttl.
func (n *nonces) issue(now time.Time) (string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.m) >= maxNonces {
		n.sweep(now)
		if len(n.m) >= maxNonces {
			return "", false
		}
	}
	v := newSecret()
	n.m[v] = now.Add(n.ttl)
	return v, true
}

// use consumes a nonce: true only the first time, and only before it
// expires.
func (n *nonces) use(v string, now time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	exp, ok := n.m[v]
	if !ok {
		return false
	}
	delete(n.m, v)
	return now.Before(exp)
}

func (n *nonces) sweep(now time.Time) {
	for v, exp := range n.m {
		if !now.Before(exp) {
			delete(n.m, v)
		}
	}
}
