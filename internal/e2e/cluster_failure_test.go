package e2e

import (
	"path/filepath"
	"strings"
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
