package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// heavyClusterTests says whether the failure tests run: they start and
// kill many processes, so they run where .ci/run asks for them.
func heavyClusterTests(t *testing.T) {
	t.Helper()
	if os.Getenv("LINKPASS_CLUSTER_TESTS") != "1" {
		t.Skip("cluster failure test: set LINKPASS_CLUSTER_TESTS=1 (as .ci/run does) to run it")
	}
}

// clusterFiles is a cluster's CA, key-encryption key and node certificates.
type clusterFiles struct {
	t   testing.TB
	dir string
}

func newClusterFiles(t testing.TB) *clusterFiles {
	t.Helper()
	cf := &clusterFiles{t: t, dir: t.TempDir()}
	for _, args := range [][]string{
		{"cluster", "ca", "--out", cf.ca()},
		{"cluster", "kek", "--out", cf.kek()},
	} {
		r := runCLI(t, nil, "", args...)
		require.Equal(t, 0, r.code, "linkpass %v: %s", args, r.stderr)
	}
	return cf
}

func (cf *clusterFiles) ca() string  { return filepath.Join(cf.dir, "ca") }
func (cf *clusterFiles) kek() string { return filepath.Join(cf.dir, "kek") }

// joinToken is the file of the admin token that authorizes joins.
func (cf *clusterFiles) joinToken() string { return filepath.Join(cf.dir, "join.token") }

// certFor makes node id's certificate folder once.
func (cf *clusterFiles) certFor(id string) string {
	dir := filepath.Join(cf.dir, "tls-"+id)
	if _, err := os.Stat(dir); err == nil {
		return dir
	}
	r := runCLI(cf.t, nil, "", "cluster", "cert", id, "--ca", cf.ca(), "--out", dir)
	require.Equal(cf.t, 0, r.code, r.stderr)
	return dir
}

// member is one running `linkpass serve` cluster member.
type member struct {
	*server
	id, raftAddr string
	files        *clusterFiles
	extra        []string
}

var raftAddrRe = regexp.MustCompile(`msg="cluster member" node_id=\S+ raft_addr=(\S+)`)

// startMember starts node id on data; raftAddr "" picks a free port.
func (cf *clusterFiles) startMember(t testing.TB, id, data, raftAddr string, extra ...string) *member {
	t.Helper()
	m := &member{id: id, files: cf, extra: extra, raftAddr: raftAddr}
	m.server = m.spawn(t, data)
	return m
}

func (m *member) spawn(t testing.TB, data string) *server {
	t.Helper()
	addr := m.raftAddr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	args := []string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--node-id", m.id, "--raft-addr", addr,
		"--cluster-tls", m.files.certFor(m.id), "--kek-file", m.files.kek(), "--leader-lost-after", "2s", "--fault-injection",
		// The tests' clients all come from 127.0.0.1: no per-client limits.
		"--public-rate", "0", "--verify-rate", "0", "--search-rate", "0"}
	if _, err := os.Stat(filepath.Join(data, "linkpass.json")); err != nil {
		args = append(args, "--init")
	}
	args = append(args, m.extra...)
	s := launch(t, data, args)
	deadline := time.Now().Add(90 * time.Second)
	if mm := raftAddrRe.FindStringSubmatch(s.stderr.String()); mm != nil {
		m.raftAddr = mm[1]
	}
	for {
		if st := readyz(s.URL); st.Status == "ready" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never became ready\nstderr:\n%s", m.id, s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// restart starts the member again on its data directory and address.
func (m *member) restart(t testing.TB) {
	t.Helper()
	tok := m.token
	m.server = m.spawn(t, m.data)
	m.token = tok
}

// signal sends sig to the member's process.
func (m *member) signal(sig syscall.Signal) { _ = m.cmd.Process.Signal(sig) }

type readyState struct {
	Status string `json:"status"`
	Role   string `json:"role"`
	Leader string `json:"leader"`
	Node   string `json:"node"`
	Reason string `json:"reason"`
	Index  uint64 `json:"index"`
}

var quickClient = &http.Client{Timeout: 2 * time.Second}

func readyz(url string) readyState {
	var st readyState
	resp, err := quickClient.Get(url + "/readyz")
	if err != nil {
		return st
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(&st)
	return st
}

// testCluster is a running cluster; node-1 bootstrapped it.
type testCluster struct {
	files   *clusterFiles
	members []*member
	token   string
	extra   []string // flags every member starts with
}

func startCluster(t testing.TB, n int, extra ...string) *testCluster {
	t.Helper()
	c := &testCluster{files: newClusterFiles(t), extra: extra}
	root := t.TempDir()
	first := c.files.startMember(t, "node-1", filepath.Join(root, "node-1"), "", append([]string{"--bootstrap"}, extra...)...)
	c.members = append(c.members, first)
	tok, err := os.ReadFile(filepath.Join(first.data, "admin.token"))
	require.NoError(t, err)
	c.token = strings.TrimSpace(string(tok))
	first.token = c.token
	require.NoError(t, os.WriteFile(c.files.joinToken(), tok, 0o600))
	for i := 2; i <= n; i++ {
		id := fmt.Sprintf("node-%d", i)
		m := c.files.startMember(t, id, filepath.Join(root, id), "", append([]string{"--join", first.raftAddr, "--join-token-file", c.files.joinToken()}, extra...)...)
		m.token = c.token
		c.members = append(c.members, m)
	}
	return c
}

// add starts a new member that joins through node-1's address.
func (c *testCluster) add(t testing.TB, id string) *member {
	t.Helper()
	var via string
	for _, m := range c.members {
		if m.cmd.ProcessState == nil {
			via = m.raftAddr
		}
	}
	m := c.files.startMember(t, id, filepath.Join(t.TempDir(), id), "", append([]string{"--join", via, "--join-token-file", c.files.joinToken()}, c.extra...)...)
	m.token = c.token
	c.members = append(c.members, m)
	return m
}

// leader waits until a running member says it leads, and returns it.
func (c *testCluster) leader(t testing.TB, limit time.Duration) *member {
	t.Helper()
	var got *member
	waitFor(t, limit, func() bool {
		for _, m := range c.members {
			if m.cmd.ProcessState == nil && readyz(m.URL).Role == "leader" {
				got = m
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
		return false
	}, "a leader")
	return got
}

// followers returns the running members that do not lead.
func (c *testCluster) followers(leader *member) []*member {
	var out []*member
	for _, m := range c.members {
		if m != leader && m.cmd.ProcessState == nil {
			out = append(out, m)
		}
	}
	return out
}

const (
	syscallSIGUSR1 = syscall.SIGUSR1
	syscallSIGUSR2 = syscall.SIGUSR2
)

// rawPost sends body to m as the admin and returns the status and body.
func rawPost(t *testing.T, m *member, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, m.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+m.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
