package e2e

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var metricsAddrRe = regexp.MustCompile(`msg="metrics listening" addr=(\S+)`)

type membersDoc struct {
	Members []struct {
		ID, Address, Suffrage string
		Leader                bool
	} `json:"members"`
}

// TestClusterOfThreeTakesWritesThroughAnyNodeAndServesReadsFromEach forms
// a cluster of three, writes through a follower, and reads the change
// back from every node: the public entry, the status list, the JWKS and
// the trust bundle, each signed by the register's keys.
func TestClusterOfThreeTakesWritesThroughAnyNodeAndServesReadsFromEach(t *testing.T) {
	c := startCluster(t, 3, "--metrics-addr", "127.0.0.1:0")
	leader := c.leader(t, 10*time.Second)
	f := c.followers(leader)[0]

	var doc membersDoc
	f.runJSON(t, 0, &doc, "cluster", "members")
	require.Len(t, doc.Members, 3)
	leaders := 0
	for _, m := range doc.Members {
		assert.Equal(t, "Voter", m.Suffrage)
		if m.Leader {
			leaders++
			assert.Equal(t, leader.id, m.ID)
		}
	}
	assert.Equal(t, 1, leaders)

	// A write through a follower is acknowledged once committed, and the
	// follower it went through serves it at once.
	var reg struct {
		Number string `json:"registration_number"`
	}
	f.runJSON(t, 0, &reg, "registrant", "add", "--given", "Ada", "--family", "Lovelace", "--nation", "england")
	var shown struct {
		Number string `json:"registration_number"`
	}
	f.runJSON(t, 0, &shown, "registrant", "show", reg.Number)
	assert.Equal(t, reg.Number, shown.Number)

	f.runJSON(t, 0, &struct{}{}, "qualification", "add", reg.Number, "--title", "Level 4 Certificate in Social Prescribing",
		"--level", "4", "--provider", "University of Westminster", "--accreditation", "nalw-accredited", "--awarded", "2024-06-30")
	jwt := filepath.Join(t.TempDir(), "ada.jwt")
	r := f.run(t, "", "credential", "issue", reg.Number, "--out", jwt)
	require.Equal(t, 0, r.code, r.stderr)
	r = f.run(t, "", "registrant", "suspend", reg.Number, "--reason", "Interim order")
	require.Equal(t, 0, r.code, r.stderr)

	for _, m := range c.members {
		resp, err := http.Get(m.URL + "/v1/register/" + reg.Number)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", m.id, body)
		assert.Equal(t, m.id, resp.Header.Get("Linkpass-Node"))
		for _, path := range []string{"/status/1", "/.well-known/jwks.json", "/trust-bundle"} {
			waitFor(t, 5*time.Second, func() bool {
				resp, err := http.Get(m.URL + path)
				if err != nil {
					return false
				}
				resp.Body.Close()
				return resp.StatusCode == http.StatusOK
			}, m.id+" serving "+path)
		}
	}
	// Every member tells Prometheus it is one of three voters, and which
	// one leads.
	for _, m := range c.members {
		mm := metricsAddrRe.FindStringSubmatch(m.stderr.String())
		require.NotNil(t, mm, m.id)
		resp, err := http.Get("http://" + mm[1] + "/metrics")
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Contains(t, string(body), "linkpass_cluster_voters 3", m.id)
		assert.Contains(t, string(body), "linkpass_cluster_leader_lost 0", m.id)
		want := `linkpass_raft_state{state="Follower"} 1`
		if m == leader {
			want = `linkpass_raft_state{state="Leader"} 1`
		}
		assert.Contains(t, string(body), want, m.id)
	}
	// A verifier syncing from a follower sees the suspension, checked
	// against the keys every node publishes.
	for _, m := range c.members {
		env := []string{"LINKPASS_SERVER=" + m.URL}
		r := runCLI(t, env, "", "verify", "sync", "--from", m.URL, "--issuer", leader.issuerURL(t))
		require.Equal(t, 0, r.code, r.stderr)
		r = runCLI(t, env, "", "verify", "--file", jwt, "--json")
		assert.NotEqual(t, 0, r.code, r.stdout)
		assert.Contains(t, r.stdout, "suspended", m.id)
	}
}

// TestConsoleIsServedByTheLeaderThroughAnyNode: the console's sign-in
// sessions live in the leader's memory, so a follower forwards every
// console request, reads included.
func TestConsoleIsServedByTheLeaderThroughAnyNode(t *testing.T) {
	c := startCluster(t, 3)
	leader := c.leader(t, 10*time.Second)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, f := range c.followers(leader) {
		for _, path := range []string{"/login", "/console"} {
			resp, err := noRedirect.Get(f.URL + path)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Less(t, resp.StatusCode, 500, path)
			assert.Equal(t, []string{leader.id}, resp.Header.Values("Linkpass-Node"), "%s through %s", path, f.id)
		}
		resp, err := http.Get(f.URL + "/v1/register?q=ada")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, []string{f.id}, resp.Header.Values("Linkpass-Node"), "the public register is answered locally")
	}
}

// issuerURL is the register's issuer URL, from the settings.
func (m *member) issuerURL(t *testing.T) string {
	var set struct {
		IssuerURL string `json:"issuer_url"`
	}
	m.runJSON(t, 0, &set, "settings", "show")
	return set.IssuerURL
}

// TestNodeWithAnotherCAsCertificateCannotJoin starts a node whose
// certificate another CA signed: the cluster refuses its connections, it
// never joins, and the members do not change.
func TestNodeWithAnotherCAsCertificateCannotJoin(t *testing.T) {
	c := startCluster(t, 1)
	leader := c.leader(t, 10*time.Second)
	other := newClusterFiles(t)
	data := filepath.Join(t.TempDir(), "intruder")
	cmd := exec.Command(binary, "serve", "--data", data, "--init", "--addr", "127.0.0.1:0", "--node-id", "node-9", "--raft-addr", "127.0.0.1:0",
		"--cluster-tls", other.certFor("node-9"), "--kek-file", c.files.kek(), "--join", leader.raftAddr, "--join-token-file", c.files.joinToken())
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitFor(t, 20*time.Second, func() bool {
		return strings.Contains(leader.stderr.String(), "refused a cluster connection") &&
			strings.Contains(stderr.String(), "asking to join the cluster failed")
	}, "the member to refuse the intruder")
	var doc membersDoc
	leader.runJSON(t, 0, &doc, "cluster", "members")
	require.Len(t, doc.Members, 1)
	assert.Equal(t, "node-1", doc.Members[0].ID)
}

// TestJoiningNeedsAnAdminToken: a node with a good certificate but no
// admin's token is not added, and says why.
func TestJoiningNeedsAnAdminToken(t *testing.T) {
	c := startCluster(t, 1)
	leader := c.leader(t, 10*time.Second)
	bad := filepath.Join(t.TempDir(), "bad.token")
	require.NoError(t, os.WriteFile(bad, []byte("lpt_not-a-token\n"), 0o600))
	out, err := exec.Command(binary, "serve", "--data", filepath.Join(t.TempDir(), "n2"), "--init", "--addr", "127.0.0.1:0", "--node-id", "node-2", "--raft-addr", "127.0.0.1:0",
		"--cluster-tls", c.files.certFor("node-2"), "--kek-file", c.files.kek(), "--join", leader.raftAddr, "--join-token-file", bad).CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "the cluster refused this node: node node-2 may not join")
	assert.Contains(t, leader.stderr.String(), "refused a join request")
	var doc membersDoc
	leader.runJSON(t, 0, &doc, "cluster", "members")
	assert.Len(t, doc.Members, 1)
}

// TestDataDirectoryOfAnotherNodeIsRefused starts a node on a data
// directory that records another node id.
func TestDataDirectoryOfAnotherNodeIsRefused(t *testing.T) {
	c := startCluster(t, 1)
	m := c.members[0]
	require.NoError(t, m.stop())
	cmd := exec.Command(binary, "serve", "--data", m.data, "--addr", "127.0.0.1:0", "--node-id", "node-2", "--raft-addr", "127.0.0.1:0",
		"--cluster-tls", c.files.certFor("node-2"), "--kek-file", c.files.kek())
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), `belongs to node "node-1", but this node was started as --node-id node-2`)

	// Started alone, a member's directory is refused too: it would wait
	// for ever for a majority.
	out, err = exec.Command(binary, "serve", "--data", m.data, "--addr", "127.0.0.1:0").CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "is the data directory of cluster member \"node-1\"")
}

// TestClusterCommandsOnARegisterOfOne lists the one node, and refuses
// membership changes saying what to do instead.
func TestClusterCommandsOnARegisterOfOne(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "reg"))
	var doc membersDoc
	s.runJSON(t, 0, &doc, "cluster", "members")
	require.Len(t, doc.Members, 1)
	assert.True(t, doc.Members[0].Leader)
	r := s.run(t, "", "cluster", "add", "node-2", "127.0.0.1:7002", "--json")
	assert.Equal(t, 1, r.code, r.stdout)
	assert.Contains(t, r.stdout, "runs on one node")
}
