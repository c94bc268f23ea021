package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// credentialed adds a registrant with a qualification through m and
// issues them a credential; it returns the number and the credential file.
func credentialed(t *testing.T, m *member) (string, string) {
	t.Helper()
	var reg struct {
		Number string `json:"registration_number"`
	}
	m.runJSON(t, 0, &reg, "registrant", "add", "--given", "Grace", "--family", "Hopper", "--nation", "wales")
	m.runJSON(t, 0, &struct{}{}, "qualification", "add", reg.Number, "--title", "Level 4 Certificate in Social Prescribing",
		"--level", "4", "--provider", "University of Westminster", "--accreditation", "nalw-accredited", "--awarded", "2024-06-30")
	jwt := filepath.Join(t.TempDir(), "cred.jwt")
	r := m.run(t, "", "credential", "issue", reg.Number, "--out", jwt)
	require.Equal(t, 0, r.code, r.stderr)
	return reg.Number, jwt
}

// requireVerdictFrom syncs a verifier from m and checks the credential's
// verdict: the status list m serves is signed by a key the register
// publishes and carries the latest change.
func requireVerdictFrom(t *testing.T, m *member, issuer, jwt, want string) {
	t.Helper()
	env := []string{"LINKPASS_SERVER=" + m.URL}
	r := runCLI(t, env, "", "verify", "sync", "--from", m.URL, "--issuer", issuer)
	require.Equal(t, 0, r.code, "%s: %s", m.id, r.stderr)
	r = runCLI(t, env, "", "verify", "--file", jwt, "--json")
	assert.Contains(t, r.stdout, want, "%s: %s", m.id, r.stderr)
}

// TestKillingTheLeaderUnderWriteLoadLosesNoAcknowledgedWrite kills the
// leader with SIGKILL while 32 clients add registrants through every node.
// A new leader takes writes, status lists keep being served and signed
// (a suspension made after the kill reaches verifiers), the old leader
// rejoins and catches up, and every acknowledged write is on every node.
func TestKillingTheLeaderUnderWriteLoadLosesNoAcknowledgedWrite(t *testing.T) {
	heavyClusterTests(t)
	c := startCluster(t, 3)
	old := c.leader(t, 10*time.Second)
	issuer := old.issuerURL(t)
	number, jwt := credentialed(t, old)

	load := startWriteLoad(c, 32, "Kill")
	waitFor(t, 60*time.Second, func() bool { return load.ackedSince(time.Time{}) >= 300 }, "300 acknowledged writes before the kill")
	killed := time.Now()
	old.kill()
	var urls []string
	for _, m := range c.followers(old) {
		urls = append(urls, m.URL)
	}
	load.target(urls...)
	leader := c.leader(t, 30*time.Second)
	require.NotEqual(t, old.id, leader.id)
	waitFor(t, 60*time.Second, func() bool { return load.ackedSince(killed) >= 300 }, "300 acknowledged writes after the kill")
	t.Logf("kill -9 of %s: first write sent after the kill acknowledged %s later; %s leads", old.id,
		load.firstAckSentAfter(killed).Round(time.Millisecond), leader.id)

	// Status lists: a suspension after the kill is published, signed and
	// served by both survivors.
	survivor := c.followers(old)[0]
	r := survivor.run(t, "", "registrant", "suspend", number, "--reason", "Interim order")
	require.Equal(t, 0, r.code, r.stderr)
	for _, m := range c.followers(old) {
		requireVerdictFrom(t, m, issuer, jwt, "suspended")
	}

	// The old leader comes back, catches up and serves the same register.
	old.restart(t)
	acks := load.finish()
	waitCaughtUp(t, c, 30*time.Second)
	requireOneHistory(t, c, acks)
	requireVerdictFrom(t, old, issuer, jwt, "suspended")
	t.Logf("%d writes acknowledged, %d refused or unanswered, all acknowledged ones on all 3 nodes", len(acks), load.fails)
}

// TestPartitionedLeaderRefusesWritesAndTheMajorityContinues cuts the
// leader off from the other two with the transport's fault switch. The
// minority refuses writes with a clear error, the majority elects a
// leader and carries on, and after healing there is one history holding
// every acknowledged write.
func TestPartitionedLeaderRefusesWritesAndTheMajorityContinues(t *testing.T) {
	heavyClusterTests(t)
	c := startCluster(t, 3)
	old := c.leader(t, 10*time.Second)
	load := startWriteLoad(c, 8, "Part")
	waitFor(t, 60*time.Second, func() bool { return load.ackedSince(time.Time{}) >= 100 }, "100 acknowledged writes before the partition")

	cut := time.Now()
	old.signal(syscallSIGUSR1)
	majority := c.followers(old)
	var leader *member
	waitFor(t, 30*time.Second, func() bool {
		for _, m := range majority {
			if readyz(m.URL).Role == "leader" {
				leader = m
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
		return false
	}, "the majority to elect a leader")

	// The minority: refused, with a message that says why.
	var refusal string
	waitFor(t, 30*time.Second, func() bool {
		code, body := rawPost(t, old, "/v1/registrants", `{"given_name":"Minority","family_name":"Side","nation":"england"}`)
		refusal = body
		return code == 503
	}, "the isolated node to refuse writes")
	assert.Contains(t, refusal, `"code":"unavailable"`)
	assert.True(t, strings.Contains(refusal, "no leader is known") || strings.Contains(refusal, "not the leader"), refusal)
	waitFor(t, 30*time.Second, func() bool { return readyz(old.URL).Status != "ready" }, "the isolated node to say it is not ready")
	st := readyz(old.URL)
	assert.Contains(t, st.Reason, "no leader")
	// It still answers reads, and says they may be behind.
	resp, err := http.Get(old.URL + "/v1/register?q=load")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Linkpass-Stale"), "leader-lost")

	t.Logf("minority refused writes and said so in readyz %s after the cut", time.Since(cut).Round(time.Millisecond))
	// The majority carries on.
	waitFor(t, 60*time.Second, func() bool { return load.ackedSince(cut.Add(time.Second)) >= 100 }, "100 acknowledged writes on the majority side")
	t.Logf("partition of %s: %s leads the majority; first write sent after the cut acknowledged %s later", old.id, leader.id,
		load.firstAckSentAfter(cut).Round(time.Millisecond))

	old.signal(syscallSIGUSR2)
	healed := time.Now()
	acks := load.finish()
	waitCaughtUp(t, c, 30*time.Second)
	t.Logf("healed: all 3 caught up %s later (%s after the cut)", time.Since(healed).Round(time.Millisecond), time.Since(cut).Round(time.Millisecond))
	requireOneHistory(t, c, acks)
	t.Logf("%d writes acknowledged, %d refused or unanswered, one history on all 3 nodes", len(acks), load.fails)
}

// TestRollingRestartUnderReadLoadFailsNoRead restarts the three nodes one
// after another (leadership handed over before the leader stops) while
// readers fetch public entries and the status list. Each node leaves the
// readers' rotation before it stops and rejoins it once ready, as behind
// a load balancer that checks readyz: not one read fails.
func TestRollingRestartUnderReadLoadFailsNoRead(t *testing.T) {
	heavyClusterTests(t)
	c := startCluster(t, 3)
	leader := c.leader(t, 10*time.Second)
	number, _ := credentialed(t, leader)
	waitCaughtUp(t, c, 30*time.Second)

	var mu sync.Mutex
	rotation := map[string]bool{}
	for _, m := range c.members {
		rotation[m.URL] = true
	}
	var ok, failed atomic.Int64
	var firstFailure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				var urls []string
				for u := range rotation {
					urls = append(urls, u)
				}
				mu.Unlock()
				sort.Strings(urls)
				url := urls[(w+i)%len(urls)]
				path := "/v1/register/" + number
				if i%2 == 1 {
					path = "/status/1"
				}
				resp, err := client.Get(url + path)
				if err == nil {
					resp.Body.Close()
				}
				if err != nil || resp.StatusCode != http.StatusOK {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, fmt.Sprintf("%s%s: %v %v", url, path, err, resp))
					continue
				}
				ok.Add(1)
			}
		}()
	}
	order := append(c.followers(leader), leader)
	for _, m := range order {
		if readyz(m.URL).Role == "leader" {
			r := m.run(t, "", "cluster", "transfer-leadership")
			require.Equal(t, 0, r.code, r.stderr)
		}
		mu.Lock()
		delete(rotation, m.URL)
		mu.Unlock()
		// What a load balancer's deregistration delay is for: reads sent
		// before it took the node out finish first.
		time.Sleep(200 * time.Millisecond)
		require.NoError(t, m.stop())
		m.restart(t)
		mu.Lock()
		rotation[m.URL] = true
		mu.Unlock()
		before := ok.Load()
		waitFor(t, 30*time.Second, func() bool { return ok.Load() > before+100 }, "reads after restarting "+m.id)
	}
	close(stop)
	wg.Wait()
	t.Logf("rolling restart of 3 nodes: %d reads served, %d failed", ok.Load(), failed.Load())
	require.Zero(t, failed.Load(), "first failure: %v", firstFailure.Load())
}

// TestRemovedNodeIsReplacedByAFreshOneFromASnapshot removes a member and
// adds a new one after the leader has truncated its log: the new node is
// sent a snapshot, and serves what was written before it.
func TestRemovedNodeIsReplacedByAFreshOneFromASnapshot(t *testing.T) {
	heavyClusterTests(t)
	c := startCluster(t, 3, "--raft-snapshot-threshold", "64", "--raft-trailing-logs", "8", "--raft-snapshot-interval", "100ms")
	leader := c.leader(t, 10*time.Second)
	number, _ := credentialed(t, leader)
	load := startWriteLoad(c, 8, "Snap")
	waitFor(t, 60*time.Second, func() bool { return load.ackedSince(time.Time{}) >= 200 }, "200 writes")
	acks := load.finish()
	waitFor(t, 30*time.Second, func() bool {
		entries, _ := os.ReadDir(filepath.Join(leader.data, "raft", "snapshots"))
		return len(entries) > 0
	}, "the leader to take a snapshot")

	gone := c.followers(leader)[1]
	var doc membersDoc
	leader.runJSON(t, 0, &doc, "cluster", "remove", gone.id)
	require.Len(t, doc.Members, 2)
	require.NoError(t, gone.stop())
	c.members = slices.DeleteFunc(c.members, func(m *member) bool { return m == gone })

	fresh := c.add(t, "node-4")
	waitFor(t, 30*time.Second, func() bool {
		return strings.Contains(fresh.stderr.String(), "register restored from a snapshot")
	}, "node-4 to be sent a snapshot")
	waitCaughtUp(t, c, 30*time.Second)
	requireOneHistory(t, c, acks)
	resp, err := http.Get(fresh.URL + "/v1/register/" + number)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	leader.runJSON(t, 0, &doc, "cluster", "members")
	var got, want []string
	for _, m := range doc.Members {
		got = append(got, m.ID)
	}
	for _, m := range c.members {
		want = append(want, m.id)
	}
	sort.Strings(got)
	sort.Strings(want)
	assert.Equal(t, want, got)
	assert.Contains(t, got, "node-4")
	assert.NotContains(t, got, gone.id)
}

// TestRecoverAfterLosingTheMajority loses two of three nodes for good: the
// survivor refuses writes, `cluster recover` makes it the only voter, and
// restarted it takes writes with every acknowledged one kept; a fresh node
// then joins it.
func TestRecoverAfterLosingTheMajority(t *testing.T) {
	heavyClusterTests(t)
	c := startCluster(t, 3)
	leader := c.leader(t, 10*time.Second)
	load := startWriteLoad(c, 8, "Lost")
	waitFor(t, 60*time.Second, func() bool { return load.ackedSince(time.Time{}) >= 100 }, "100 writes")
	// A majority can take a change with one member behind: the survivor
	// must hold everything, as the most up-to-date one does, for every
	// acknowledged write to be kept.
	acks := load.finish()
	waitCaughtUp(t, c, 30*time.Second)
	survivor := c.followers(leader)[0]
	for _, m := range c.members {
		if m != survivor {
			m.kill()
		}
	}
	code, body := rawPost(t, survivor, "/v1/registrants", `{"given_name":"No","family_name":"Majority","nation":"england"}`)
	require.Equal(t, http.StatusServiceUnavailable, code, body)

	require.NoError(t, survivor.stop())
	var doc membersDoc
	r := runCLI(t, nil, "", "cluster", "recover", "--data", survivor.data, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	decodeOne(t, r.stdout, &doc)
	require.Len(t, doc.Members, 1)
	assert.Equal(t, survivor.id, doc.Members[0].ID)

	survivor.restart(t)
	c.members = []*member{survivor}
	require.Equal(t, survivor.id, c.leader(t, 30*time.Second).id)
	code, body = rawPost(t, survivor, "/v1/registrants", `{"given_name":"After","family_name":"Recovery","nation":"england"}`)
	require.Equal(t, http.StatusCreated, code, body)
	fresh := c.add(t, "node-4")
	waitCaughtUp(t, c, 30*time.Second)
	requireOneHistory(t, c, acks)
	fresh.runJSON(t, 0, &doc, "cluster", "members")
	assert.Len(t, doc.Members, 2)
}
