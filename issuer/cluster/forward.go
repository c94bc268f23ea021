package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"
)

// Headers the cluster adds to responses.
const (
	// HeaderForwarded marks a request a follower forwarded; the leader
	// never forwards it again, so a change of leader mid-way cannot loop.
	HeaderForwarded = "Linkpass-Forwarded-By"
	// HeaderNode names the node that answered.
	HeaderNode = "Linkpass-Node"
	// HeaderStale is set on every response of a node that has lost the
	// leader for longer than the configured bound: what it serves may be
	// behind the register.
	HeaderStale = "Linkpass-Stale"
	// HeaderApplied is the leader's applied log index when it answered a
	// forwarded write: the follower waits until it serves that index
	// before answering, so a client reads its own writes from the node
	// it wrote through.
	HeaderApplied = "Linkpass-Applied-Index"
	// HeaderNotLeader marks a former leader's refusal of a forwarded
	// write: nothing was changed, so the follower sends it again to the
	// leader it learns of next.
	HeaderNotLeader = "Linkpass-Not-Leader"
)

// Forwarding again after a change of leader is bounded in tries, in time
// and in the size of the body it keeps to send again; a larger body (a
// big import batch) gets the former leader's refusal to send again itself.
const (
	reforwardTries   = 3
	reforwardWithin  = 5 * time.Second
	reforwardMaxBody = 1 << 20
)

// errNotLeader is how ModifyResponse tells the forwarding loop that the
// node it reached no longer leads.
var errNotLeader = errors.New("cluster: the node forwarded to no longer leads")

// attempt is one forwarding try: where to, whether a former leader's
// refusal is to be sent again rather than passed on (mayRetry), and
// whether that happened (refused, set by the proxy's ErrorHandler).
type attempt struct {
	target   *url.URL
	mayRetry bool
	refused  bool
}

// readYourWrites bounds how long a follower waits to catch up with a
// write it forwarded before answering anyway.
const readYourWrites = 2 * time.Second

// Node is what the forwarder needs to know of the local Raft node.
type Node interface {
	// IsLeader reports whether this node leads the cluster now.
	IsLeader() bool
	// Leader returns the current leader's cluster address and id, or
	// empty strings when none is known.
	Leader() (addr, id string)
	// LeaderLost returns how long this node has been without a leader
	// when that is longer than the configured bound, else 0.
	LeaderLost() time.Duration
	// Applied returns the last log index this node serves.
	Applied() uint64
	// WaitApplied returns once this node serves log index idx (its
	// register and its status lists), or when ctx ends.
	WaitApplied(ctx context.Context, idx uint64) error
}

// Forwarder sends writes that reach a follower to the leader, over the
// cluster's mutual TLS, and answers with the leader's response: a client
// gets its acknowledgement only once the leader has committed the change.
type Forwarder struct {
	node  Node
	self  string
	proxy *httputil.ReverseProxy
}

// NewForwarder returns a forwarder over t for node.
func NewForwarder(t *Transport, node Node) *Forwarder {
	return newForwarder(t.http, t.id.NodeID, node)
}

func newForwarder(rt http.RoundTripper, self string, node Node) *Forwarder {
	f := &Forwarder{node: node, self: self}
	f.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			a, _ := pr.In.Context().Value(targetKey{}).(*attempt)
			pr.SetURL(a.target)
			pr.Out.Host = pr.In.Host
			pr.Out.Header.Set(HeaderForwarded, f.self)
		},
		Transport: rt,
		ModifyResponse: func(resp *http.Response) error {
			if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get(HeaderNotLeader) != "" {
				if a, _ := resp.Request.Context().Value(targetKey{}).(*attempt); a != nil && a.mayRetry {
					return errNotLeader
				}
				return nil
			}
			idx, err := strconv.ParseUint(resp.Header.Get(HeaderApplied), 10, 64)
			if err != nil {
				return nil
			}
			ctx, cancel := context.WithTimeout(resp.Request.Context(), readYourWrites)
			defer cancel()
			_ = node.WaitApplied(ctx, idx)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, errNotLeader) {
				if a, _ := r.Context().Value(targetKey{}).(*attempt); a != nil {
					a.refused = true // forward sends it again
				}
				return
			}
			// The request may have reached the leader before the
			// connection failed: say so rather than claim nothing changed.
			writeUnavailable(w, fmt.Sprintf("the leader could not be reached to make this change (%v); it may or may not have been made: check before sending it again", err))
		},
	}
	return f
}

type targetKey struct{}

// Wrap returns h with writes forwarded to the leader. local says which
// non-GET requests are reads that this node answers itself (POST
// /v1/verify); leaderOnly says which reads the leader must answer (the
// console, whose sign-in sessions live in the leader's memory).
func (f *Forwarder) Wrap(h http.Handler, local, leaderOnly func(*http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if lost := f.node.LeaderLost(); lost > 0 {
			w.Header().Set(HeaderStale, fmt.Sprintf("leader-lost; for=%ds", int(lost.Seconds())))
		}
		if f.node.IsLeader() || ((isRead(r) || local(r)) && !leaderOnly(r)) {
			// A forwarded answer carries the leader's name instead.
			w.Header().Set(HeaderNode, f.self)
			if r.Header.Get(HeaderForwarded) != "" {
				w = &appliedWriter{ResponseWriter: w, node: f.node}
			}
			h.ServeHTTP(w, r)
			return
		}
		if by := r.Header.Get(HeaderForwarded); by != "" {
			w.Header().Set(HeaderNotLeader, "1")
			writeUnavailable(w, fmt.Sprintf("node %s forwarded this change here, but this node is no longer the leader; nothing was changed: send it again", by))
			return
		}
		f.forward(w, r)
	})
}

// forward sends a write to the leader. When the node it reaches has just
// stopped leading (an election under way), nothing was changed there, so
// it waits for the next leader and sends the same body again, a few times
// within a few seconds, rather than hand the client a 503 for an election
// it cannot see.
func (f *Forwarder) forward(w http.ResponseWriter, r *http.Request) {
	body, replayable := bufferBody(r)
	deadline := time.Now().Add(reforwardWithin)
	tried := ""
	for try := 1; ; try++ {
		addr := f.leaderOtherThan(r.Context(), tried, deadline)
		if addr == "" {
			writeUnavailable(w, "this node is not the leader and no leader is known (the cluster has lost its majority, or is electing one); nothing was changed: try again shortly, or send the change to another node")
			return
		}
		last := !replayable || try == reforwardTries || time.Now().After(deadline)
		a := &attempt{target: &url.URL{Scheme: "http", Host: addr}, mayRetry: !last}
		if replayable {
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		f.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), targetKey{}, a)))
		if !a.refused {
			return // answered, for good or ill, on w
		}
		tried = addr
	}
}

// leaderOtherThan waits, until deadline, for a known leader that is not
// the one just refused.
func (f *Forwarder) leaderOtherThan(ctx context.Context, refused string, deadline time.Time) string {
	for {
		addr, _ := f.node.Leader()
		if addr != "" && addr != refused {
			return addr
		}
		if refused == "" || time.Now().After(deadline) {
			return addr
		}
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// bufferBody reads a write's body into memory, up to reforwardMaxBody, so
// that it can be sent again; a larger body is left to stream once.
func bufferBody(r *http.Request) ([]byte, bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true
	}
	if r.ContentLength > reforwardMaxBody {
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, reforwardMaxBody+1))
	if err != nil || len(b) > reforwardMaxBody {
		// Put back what was read ahead of the rest, to stream once.
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
		return nil, false
	}
	return b, true
}

func isRead(r *http.Request) bool {
	return r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions
}

// errorBody is the API's error shape (issuer/api), so that clients see one
// kind of error whichever node answers.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeUnavailable(w http.ResponseWriter, msg string) {
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusServiceUnavailable, "unavailable", msg)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(b)
}

// appliedWriter stamps a forwarded write's response with the leader's
// applied index at the moment the answer starts, which is at or after the
// change's own index.
type appliedWriter struct {
	http.ResponseWriter
	node    Node
	stamped bool
}

func (w *appliedWriter) stamp() {
	if !w.stamped {
		w.stamped = true
		w.Header().Set(HeaderApplied, strconv.FormatUint(w.node.Applied(), 10))
	}
}

func (w *appliedWriter) WriteHeader(code int) { w.stamp(); w.ResponseWriter.WriteHeader(code) }

func (w *appliedWriter) Write(b []byte) (int, error) { w.stamp(); return w.ResponseWriter.Write(b) }

func (w *appliedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
