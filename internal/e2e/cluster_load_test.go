package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
)

// ack is one acknowledged write: the registrant it added, when its
// request was sent and when it was answered.
type ack struct {
	number     string
	sent, done time.Time
}

// writeLoad is many clients adding registrants through whichever nodes
// they are given, as clients of a cluster that do not know its leader.
type writeLoad struct {
	token string
	mu    sync.Mutex
	urls  []string
	acks  []ack
	fails int
	stop  chan struct{}
	wg    sync.WaitGroup
}

func startWriteLoad(c *testCluster, clients int, tag string) *writeLoad {
	l := &writeLoad{token: c.token, stop: make(chan struct{})}
	for _, m := range c.members {
		l.urls = append(l.urls, m.URL)
	}
	client := &http.Client{Timeout: 15 * time.Second}
	for w := range clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				l.mu.Lock()
				url := l.urls[(w+i)%len(l.urls)]
				l.mu.Unlock()
				sent := time.Now()
				var r register.Registrant
				ok := postTo(client, url, l.token, "/v1/registrants", map[string]string{
					"given_name": "Load" + tag, "family_name": fmt.Sprintf("Worker%d-%d", w, i), "nation": "england",
				}, &r)
				l.mu.Lock()
				if ok {
					l.acks = append(l.acks, ack{number: r.Number, sent: sent, done: time.Now()})
				} else {
					l.fails++
				}
				l.mu.Unlock()
				if !ok {
					time.Sleep(20 * time.Millisecond) // no hot loop while the cluster elects
				}
			}
		}()
	}
	return l
}

// target sends the clients to urls from now on.
func (l *writeLoad) target(urls ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.urls = urls
}

// ackedSince counts acknowledgements of requests sent after t.
func (l *writeLoad) ackedSince(t time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, a := range l.acks {
		if a.sent.After(t) {
			n++
		}
	}
	return n
}

// firstAckSentAfter returns how long after t the first acknowledged
// request sent after t was answered.
func (l *writeLoad) firstAckSentAfter(t time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var best time.Duration = -1
	for _, a := range l.acks {
		if a.sent.After(t) && (best < 0 || a.done.Sub(t) < best) {
			best = a.done.Sub(t)
		}
	}
	return best
}

// finish stops the clients and returns every acknowledged registrant.
func (l *writeLoad) finish() []ack {
	close(l.stop)
	l.wg.Wait()
	return l.acks
}

func postTo(c *http.Client, url, token, path string, body, out any) bool {
	return post(c, &server{URL: url, token: token}, path, body, out)
}

// registrantsOn lists the registration numbers m holds, sorted.
func registrantsOn(t testing.TB, m *member) []string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, m.URL+"/v1/registrants", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+m.token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var v struct {
		Registrants []register.Registrant `json:"registrants"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	out := make([]string, 0, len(v.Registrants))
	for _, r := range v.Registrants {
		out = append(out, r.Number)
	}
	sort.Strings(out)
	return out
}

// requireOneHistory checks that every member holds the same registrants
// and that every acknowledged one is among them.
func requireOneHistory(t *testing.T, c *testCluster, acks []ack) {
	t.Helper()
	var first []string
	for i, m := range c.members {
		got := registrantsOn(t, m)
		if i == 0 {
			first = got
			for _, a := range acks {
				_, found := slices.BinarySearch(got, a.number)
				require.True(t, found, "acknowledged registrant %s is missing from %s", a.number, m.id)
			}
			continue
		}
		require.Equal(t, first, got, "%s holds another history than %s", m.id, c.members[0].id)
	}
}

// waitCaughtUp waits until every member has applied what the leader has.
func waitCaughtUp(t testing.TB, c *testCluster, limit time.Duration) {
	t.Helper()
	leader := c.leader(t, limit)
	want := readyz(leader.URL).Index
	for _, m := range c.members {
		waitFor(t, limit, func() bool {
			st := readyz(m.URL)
			return st.Status == "ready" && st.Index >= want
		}, m.id+" catching up")
	}
}

// durations summarises a distribution for the test log.
func durations(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[int(p*float64(len(s)-1))].Round(time.Millisecond) }
	return fmt.Sprintf("n=%d min=%s p50=%s p90=%s max=%s", len(s), q(0), q(0.5), q(0.9), q(1))
}
