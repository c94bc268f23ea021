package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// The first byte a dialling node sends after the TLS handshake says what
// the connection carries: Raft's own RPCs, or HTTP (a forwarded write or a
// join request).
const (
	kindRaft byte = 'R'
	kindHTTP byte = 'H'
)

// ErrIsolated means the fault-injection switch has cut this node off.
var ErrIsolated = errors.New("cluster: this node is isolated by fault injection")

// Transport is the node's cluster listener and dialer, all over mutual TLS.
// It implements raft.StreamLayer for Raft's connections and hands HTTP
// connections to HTTPListener.
type Transport struct {
	id     *Identity
	ln     net.Listener
	logger *slog.Logger
	// expect names the node an address belongs to, when the Raft
	// configuration knows it, so that a dialled peer must prove it is
	// that node.
	expect func(raft.ServerAddress) string

	raftCh chan net.Conn
	httpCh chan net.Conn
	done   chan struct{}
	once   sync.Once

	http   *http.Transport
	client *http.Client

	isolated atomic.Bool
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
}

// Listen opens the cluster listener on addr.
func Listen(addr string, id *Identity, logger *slog.Logger) (*Transport, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on --raft-addr %s: %w", addr, err)
	}
	t := &Transport{id: id, ln: ln, logger: logger, expect: func(raft.ServerAddress) string { return "" },
		raftCh: make(chan net.Conn), httpCh: make(chan net.Conn), done: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	t.initHTTP()
	go t.acceptLoop()
	return t, nil
}

// Expect sets how the transport learns which node an address belongs to.
func (t *Transport) Expect(f func(raft.ServerAddress) string) { t.expect = f }

func (t *Transport) acceptLoop() {
	for {
		c, err := t.ln.Accept()
		if err != nil {
			select {
			case <-t.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			t.logger.Error("cluster listener failed", "err", err)
			return
		}
		go t.route(c)
	}
}

// route completes the handshake off the accept loop (a slow peer must not
// hold up others) and passes the connection on by its first byte.
func (t *Transport) route(c net.Conn) {
	if t.isolated.Load() {
		c.Close()
		return
	}
	tc := tls.Server(c, t.id.ServerConfig())
	_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
	if err := tc.Handshake(); err != nil {
		// Refused peers are worth knowing about: a node with the wrong
		// certificate retries forever.
		t.logger.Warn("refused a cluster connection", "remote", c.RemoteAddr().String(), "err", err)
		c.Close()
		return
	}
	var kind [1]byte
	if _, err := tc.Read(kind[:]); err != nil {
		tc.Close()
		return
	}
	_ = tc.SetDeadline(time.Time{})
	ch := t.raftCh
	switch kind[0] {
	case kindRaft:
	case kindHTTP:
		ch = t.httpCh
	default:
		tc.Close()
		return
	}
	tracked := t.track(tc)
	if t.isolated.Load() {
		// Isolated while this one was being set up.
		tracked.Close()
		return
	}
	select {
	case ch <- tracked:
	case <-t.done:
		tc.Close()
	}
}

// Accept implements raft.StreamLayer.
func (t *Transport) Accept() (net.Conn, error) {
	select {
	case c := <-t.raftCh:
		return c, nil
	case <-t.done:
		return nil, net.ErrClosed
	}
}

// Close stops the listener.
func (t *Transport) Close() error {
	t.once.Do(func() { close(t.done) })
	err := t.ln.Close()
	t.dropAll()
	return err
}

// Addr is the listener's address.
func (t *Transport) Addr() net.Addr { return t.ln.Addr() }

// Dial implements raft.StreamLayer: a TLS connection to the node at addr
// that carries Raft RPCs.
func (t *Transport) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return t.dial(ctx, string(addr), kindRaft)
}

func (t *Transport) dial(ctx context.Context, addr string, kind byte) (net.Conn, error) {
	if t.isolated.Load() {
		return nil, ErrIsolated
	}
	d := &tls.Dialer{Config: t.id.ClientConfig(t.expect(raft.ServerAddress(addr)))}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cluster: dialling %s: %w", addr, err)
	}
	if _, err := c.Write([]byte{kind}); err != nil {
		c.Close()
		return nil, fmt.Errorf("cluster: dialling %s: %w", addr, err)
	}
	return t.track(c), nil
}

// HTTPListener returns a listener of the HTTP connections other nodes
// open: serve the register's handler on it for forwarded writes.
func (t *Transport) HTTPListener() net.Listener { return httpListener{t} }

type httpListener struct{ t *Transport }

func (l httpListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.t.httpCh:
		return c, nil
	case <-l.t.done:
		return nil, net.ErrClosed
	}
}
func (l httpListener) Close() error   { return nil }
func (l httpListener) Addr() net.Addr { return l.t.ln.Addr() }

// Isolate cuts this node off from the cluster (on) or reconnects it
// (off): every connection is dropped and no new one is made or accepted.
// It is the fault-injection switch of the partition tests.
func (t *Transport) Isolate(on bool) {
	t.isolated.Store(on)
	if on {
		t.dropAll()
	}
	t.logger.Warn("fault injection: cluster connections", "isolated", on)
}

func (t *Transport) dropAll() {
	t.mu.Lock()
	conns := make([]net.Conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

func (t *Transport) track(c net.Conn) net.Conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	tc := &trackedConn{Conn: c, t: t}
	t.conns[tc] = struct{}{}
	return tc
}

type trackedConn struct {
	net.Conn
	t    *Transport
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.t.mu.Lock()
		delete(c.t.conns, c)
		c.t.mu.Unlock()
	})
	return c.Conn.Close()
}

// ConnPeer returns the node id of the peer of a connection the cluster
// listener accepted ("" for any other connection), for http.Server's
// ConnContext.
func ConnPeer(c net.Conn) string {
	if tc, ok := c.(*trackedConn); ok {
		cs := tc.ConnectionState()
		return PeerID(&cs)
	}
	return ""
}

// ConnectionState lets net/http see the TLS state (and so the peer's
// certificate) of a forwarded request.
func (c *trackedConn) ConnectionState() tls.ConnectionState {
	if tc, ok := c.Conn.(*tls.Conn); ok {
		return tc.ConnectionState()
	}
	return tls.ConnectionState{}
}
