package cluster

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeNode is a follower whose idea of the leader the test moves.
type fakeNode struct {
	mu     sync.Mutex
	leader string
}

func (n *fakeNode) IsLeader() bool { return false }
func (n *fakeNode) Leader() (string, string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.leader, "x"
}
func (n *fakeNode) setLeader(a string)                        { n.mu.Lock(); n.leader = a; n.mu.Unlock() }
func (n *fakeNode) LeaderLost() time.Duration                 { return 0 }
func (n *fakeNode) Applied() uint64                           { return 0 }
func (n *fakeNode) WaitApplied(context.Context, uint64) error { return nil }

// formerLeader refuses forwarded writes as a node that has just lost the
// leadership does (Wrap), and then tells the follower who leads now.
func formerLeader(t *testing.T, hits *atomic.Int32, then func()) *httptest.Server {
	leader := &fakeNode{}
	f := newForwarder(http.DefaultTransport, "node-1", leader)
	h := f.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("a former leader made the change") }),
		func(*http.Request) bool { return false }, func(*http.Request) bool { return false })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h.ServeHTTP(w, r)
		if then != nil {
			then()
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAWriteForwardedToAFormerLeaderGoesToTheNextOne(t *testing.T) {
	var oldHits, newHits atomic.Int32
	var got string
	next := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		newHits.Add(1)
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		assert.Equal(t, "node-2", r.Header.Get(HeaderForwarded))
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(next.Close)
	follower := &fakeNode{}
	old := formerLeader(t, &oldHits, func() { follower.setLeader(strings.TrimPrefix(next.URL, "http://")) })
	follower.setLeader(strings.TrimPrefix(old.URL, "http://"))
	f := newForwarder(http.DefaultTransport, "node-2", follower)
	h := f.Wrap(http.NotFoundHandler(), func(*http.Request) bool { return false }, func(*http.Request) bool { return false })

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/registrants", strings.NewReader(`{"given_name":"Siân"}`)))
	assert.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	assert.Equal(t, `{"ok":true}`, rec.Body.String())
	assert.Equal(t, `{"given_name":"Siân"}`, got, "the same body, sent again whole")
	assert.Equal(t, int32(1), oldHits.Load())
	assert.Equal(t, int32(1), newHits.Load())
}

func TestAFormerLeadersRefusalReachesTheClientWhenNoOtherLeaderComes(t *testing.T) {
	var hits atomic.Int32
	old := formerLeader(t, &hits, nil)
	follower := &fakeNode{leader: strings.TrimPrefix(old.URL, "http://")}
	f := newForwarder(http.DefaultTransport, "node-2", follower)
	h := f.Wrap(http.NotFoundHandler(), func(*http.Request) bool { return false }, func(*http.Request) bool { return false })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/registrants", strings.NewReader(`{}`)))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Contains(t, rec.Body.String(), "nothing was changed: send it again")
	assert.Equal(t, "1", rec.Header().Get("Retry-After"))
	assert.LessOrEqual(t, hits.Load(), int32(reforwardTries), "bounded in tries")
}

func TestABodyTooLargeToKeepIsForwardedOnce(t *testing.T) {
	var hits atomic.Int32
	old := formerLeader(t, &hits, nil)
	follower := &fakeNode{leader: strings.TrimPrefix(old.URL, "http://")}
	f := newForwarder(http.DefaultTransport, "node-2", follower)
	h := f.Wrap(http.NotFoundHandler(), func(*http.Request) bool { return false }, func(*http.Request) bool { return false })
	rec := httptest.NewRecorder()
	// No Content-Length: the forwarder learns the size by reading.
	req := httptest.NewRequest(http.MethodPost, "/v1/registrants/import", io.MultiReader(strings.NewReader(strings.Repeat("x", reforwardMaxBody+10))))
	req.ContentLength = -1
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Equal(t, int32(1), hits.Load(), "not sent again: the follower did not keep it")
}
