package verifier

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/statuslist"
)

// memCache is a ListCache in memory, standing in for the CLI's files.
type memCache struct {
	mu sync.Mutex
	m  map[string][2]string
}

func (c *memCache) Load(uri string) (string, string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[uri]
	return v[0], v[1], ok
}

func (c *memCache) Store(uri, token, etag string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string][2]string{}
	}
	c.m[uri] = [2]string{token, etag}
}

// TestOnlineListCacheCarriesTTLAndETagAcrossProcesses models two runs of
// the command line sharing a cache: the second answers from the cached
// list within its ttl with no request, revalidates it with its ETag once
// the ttl has passed, and ignores a cache entry that no longer verifies.
func TestOnlineListCacheCarriesTTLAndETagAcrossProcesses(t *testing.T) {
	cache := &memCache{}
	first := newOnlineFixture(t, WithListCache(cache))
	first.reg.publish(t, testNow.Add(-time.Minute), map[int]uint8{6: statuslist.Invalid})
	require.Equal(t, OutcomeRevoked, first.verify(t, 6).Outcome)
	require.Equal(t, int32(1), first.reg.listRequests.Load())

	// A second process, same register, same cache, within the ttl.
	second, err := NewOnline(first.trust, WithHTTPClient(first.reg.srv.Client()), WithStatusClock(first.clock.Now), WithListCache(cache))
	require.NoError(t, err)
	info, err := second.CheckStatus(t.Context(), first.reg.issuer, refOf(first, 6))
	require.NoError(t, err)
	assert.Equal(t, StatusRevoked, info.Status)
	assert.Equal(t, int32(1), first.reg.listRequests.Load(), "answered from the cache: no request")

	// A third process after the ttl: one request, with the cached ETag.
	first.clock.Advance(2 * time.Hour)
	third, err := NewOnline(first.trust, WithHTTPClient(first.reg.srv.Client()), WithStatusClock(first.clock.Now), WithListCache(cache), WithAllowStale())
	require.NoError(t, err)
	info, err = third.CheckStatus(t.Context(), first.reg.issuer, refOf(first, 6))
	require.NoError(t, err)
	assert.Equal(t, StatusRevoked, info.Status)
	assert.Equal(t, int32(2), first.reg.listRequests.Load())
	first.reg.mu.Lock()
	assert.Equal(t, first.reg.etag, first.reg.ifNoneMatch[len(first.reg.ifNoneMatch)-1], "revalidated with the cached ETag")
	first.reg.mu.Unlock()

	// A tampered cache entry is never trusted: it is fetched afresh.
	tok, etag, _ := cache.Load(first.reg.listURI())
	cache.Store(first.reg.listURI(), tok[:len(tok)-4]+"AAAA", etag)
	fourth, err := NewOnline(first.trust, WithHTTPClient(first.reg.srv.Client()), WithStatusClock(first.clock.Now), WithListCache(cache), WithAllowStale())
	require.NoError(t, err)
	_, err = fourth.CheckStatus(t.Context(), first.reg.issuer, refOf(first, 6))
	require.NoError(t, err)
	first.reg.mu.Lock()
	assert.Empty(t, first.reg.ifNoneMatch[len(first.reg.ifNoneMatch)-1], "no ETag from an entry that did not verify")
	first.reg.mu.Unlock()
}

func refOf(of *onlineFixture, idx uint64) credential.StatusListRef {
	return credential.StatusListRef{Idx: idx, URI: of.reg.listURI()}
}
