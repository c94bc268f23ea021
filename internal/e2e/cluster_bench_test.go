package e2e

import (
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nalw/linkpass/issuer/register"
)

// parallelWrites adds registrants through url from clients goroutines for
// d and returns how many were acknowledged.
func parallelWrites(url, token string, clients int, d time.Duration, tag string) int64 {
	var acked atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	client := &http.Client{Timeout: 15 * time.Second}
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				var r register.Registrant
				if postTo(client, url, token, "/v1/registrants", map[string]string{
					"given_name": "Bench" + tag, "family_name": fmt.Sprintf("Worker%d-%d", w, i), "nation": "england",
				}, &r) {
					acked.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return acked.Load()
}

// parallelReads fetches the public entry of number from urls (spread over
// them) for d and returns how many answered 200.
func parallelReads(urls []string, number string, clients int, d time.Duration) (ok, failed int64) {
	var okN, failN atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			for i := 0; time.Now().Before(stop); i++ {
				resp, err := client.Get(urls[(w+i)%len(urls)] + "/v1/register/" + number)
				if err == nil {
					resp.Body.Close()
				}
				if err != nil || resp.StatusCode != http.StatusOK {
					failN.Add(1)
					continue
				}
				okN.Add(1)
			}
		}()
	}
	wg.Wait()
	return okN.Load(), failN.Load()
}

func benchSeconds() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("LINKPASS_BENCH_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 2 * time.Second
}

// BenchmarkClusterWrites measures acknowledged writes a second from 16
// clients sent straight to the leader and sent through a follower (which
// forwards them), in one run on the same cluster of three.
// LINKPASS_BENCH_SECONDS sets each phase's length (default 2).
func BenchmarkClusterWrites(b *testing.B) {
	c := startCluster(b, 3)
	leader := c.leader(b, 10*time.Second)
	follower := c.followers(leader)[0]
	d := benchSeconds()
	b.ResetTimer()
	for range b.N {
		viaLeader := parallelWrites(leader.URL, c.token, 16, d, "L")
		viaFollower := parallelWrites(follower.URL, c.token, 16, d, "F")
		b.ReportMetric(float64(viaLeader)/d.Seconds(), "leader_writes/s")
		b.ReportMetric(float64(viaFollower)/d.Seconds(), "follower_writes/s")
	}
}

// BenchmarkClusterEntryLookups measures public entry lookups a second from
// 32 clients against one node of a cluster of three, and spread over all
// three. On one machine the nodes share its cores: the figure says what
// forwarding nothing costs, not how a cluster on three machines scales.
func BenchmarkClusterEntryLookups(b *testing.B) {
	c := startCluster(b, 3)
	leader := c.leader(b, 10*time.Second)
	var reg register.Registrant
	if !postTo(http.DefaultClient, leader.URL, c.token, "/v1/registrants", map[string]string{"given_name": "Ada", "family_name": "Lovelace", "nation": "england"}, &reg) {
		b.Fatal("adding a registrant failed")
	}
	waitCaughtUp(b, c, 30*time.Second)
	var all []string
	for _, m := range c.members {
		all = append(all, m.URL)
	}
	d := benchSeconds()
	b.ResetTimer()
	for range b.N {
		one, f1 := parallelReads(all[:1], reg.Number, 32, d)
		three, f3 := parallelReads(all, reg.Number, 32, d)
		if f1+f3 > 0 {
			b.Fatalf("%d lookups failed", f1+f3)
		}
		b.ReportMetric(float64(one)/d.Seconds(), "1node_lookups/s")
		b.ReportMetric(float64(three)/d.Seconds(), "3nodes_lookups/s")
	}
}

// BenchmarkLeaderFailover kills the leader with SIGKILL under a write load
// of 8 clients, LINKPASS_FAILOVER_KILLS times (default 10), restarting each
// killed node before the next kill, and reports how long after each kill
// the first write sent after it was acknowledged. Run it once:
// -bench LeaderFailover -benchtime 1x.
func BenchmarkLeaderFailover(b *testing.B) {
	kills := 10
	if n, err := strconv.Atoi(os.Getenv("LINKPASS_FAILOVER_KILLS")); err == nil && n > 0 {
		kills = n
	}
	c := startCluster(b, 3)
	var gaps []time.Duration
	b.ResetTimer()
	for range b.N {
		for range kills {
			old := c.leader(b, 30*time.Second)
			load := startWriteLoad(c, 8, "Fail")
			waitFor(b, 30*time.Second, func() bool { return load.ackedSince(time.Time{}) >= 50 }, "writes before the kill")
			killed := time.Now()
			old.kill()
			var urls []string
			for _, m := range c.followers(old) {
				urls = append(urls, m.URL)
			}
			load.target(urls...)
			waitFor(b, 30*time.Second, func() bool { return load.ackedSince(killed) >= 1 }, "a write after the kill")
			gaps = append(gaps, load.firstAckSentAfter(killed))
			load.finish()
			old.restart(b)
			waitCaughtUp(b, c, 30*time.Second)
		}
	}
	b.StopTimer()
	b.Logf("failover over %d kills: %s", len(gaps), durations(gaps))
	s := slicesSorted(gaps)
	b.ReportMetric(float64(s[(len(s)-1)/2].Milliseconds()), "p50_ms")
	b.ReportMetric(float64(s[len(s)-1].Milliseconds()), "max_ms")
}

func slicesSorted(ds []time.Duration) []time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}
