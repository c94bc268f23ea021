package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

func (t *Transport) initHTTP() {
	t.http = &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) { return t.dial(ctx, addr, kindHTTP) },
		// The connection is TLS already; the scheme on the wire is http.
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       30 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
	}
	t.client = &http.Client{Transport: t.http, Timeout: 60 * time.Second}
}

// Post sends a JSON request to the node at addr over the cluster's mutual
// TLS and decodes its JSON answer; it is how a joining node asks to be
// added.
func (t *Transport) Post(ctx context.Context, addr, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var e errorBody
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return &RemoteError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// RemoteError is an error another node answered with.
type RemoteError struct {
	Status        int
	Code, Message string
}

func (e *RemoteError) Error() string { return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code) }

type peerKey struct{}

// Serve serves h to the other nodes on the cluster listener until ctx
// ends: forwarded writes, and join requests on /cluster/join, which
// authorize checks (an admin API token).
func Serve(ctx context.Context, t *Transport, n *Raft, h http.Handler, authorize func(token string) error, logger *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cluster/join", func(w http.ResponseWriter, r *http.Request) { join(w, r, n, authorize, logger) })
	mux.Handle("/", h)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, peerKey{}, ConnPeer(c))
		}}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	if err := hs.Serve(t.HTTPListener()); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		logger.Error("cluster HTTP stopped", "err", err)
	}
}

// JoinRequest is what a new node sends to be added: its cluster address
// and an admin's API token, which authorizes adding it. Its node id is the
// one its certificate names.
type JoinRequest struct {
	Address string `json:"address"`
	Token   string `json:"token"`
}

// JoinResponse names the leader when the node asked is not it.
type JoinResponse struct {
	Added  bool   `json:"added"`
	Leader string `json:"leader,omitempty"`
}

func join(w http.ResponseWriter, r *http.Request, n *Raft, authorize func(string) error, logger *slog.Logger) {
	peer, _ := r.Context().Value(peerKey{}).(string)
	var req JoinRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil || peer == "" {
		writeError(w, http.StatusBadRequest, "invalid", "a join request is {\"address\": \"host:port\", \"token\": \"...\"} from a node with a cluster certificate")
		return
	}
	// A certificate proves who a node is; an admin decides that it may
	// vote.
	if err := authorize(req.Token); err != nil {
		logger.Warn("refused a join request", "node", peer, "err", err)
		writeError(w, http.StatusForbidden, "forbidden", fmt.Sprintf("node %s may not join: %v; give it an admin API token with --join-token-file", peer, err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if !n.IsLeader() {
		addr, _ := n.Leader()
		_ = json.NewEncoder(w).Encode(JoinResponse{Leader: addr})
		return
	}
	if err := n.Add(peer, req.Address); err != nil {
		writeUnavailable(w, err.Error())
		return
	}
	_ = json.NewEncoder(w).Encode(JoinResponse{Added: true})
}

// Join asks the member at addr to add this node (id from its certificate)
// at advertise, following the answer to the leader, until it is added or
// ctx ends.
func Join(ctx context.Context, t *Transport, addr, advertise, token string, logger *slog.Logger) error {
	target := addr
	for {
		var resp JoinResponse
		err := t.Post(ctx, target, "/cluster/join", JoinRequest{Address: advertise, Token: token}, &resp)
		switch {
		case err == nil && resp.Added:
			logger.Info("joined the cluster", "via", target)
			return nil
		case err == nil && resp.Leader != "":
			target = resp.Leader
			continue
		case err != nil:
			var re *RemoteError
			if errors.As(err, &re) && re.Status/100 == 4 {
				return fmt.Errorf("the cluster refused this node: %s", re.Message)
			}
			logger.Warn("asking to join the cluster failed; will retry", "via", target, "err", err)
		}
		target = addr
		select {
		case <-ctx.Done():
			return fmt.Errorf("could not join the cluster through %s: %w (last: %v)", addr, ctx.Err(), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
