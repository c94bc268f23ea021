package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClusterComesBackFromABackup is the disaster-recovery procedure of the
// operator guide (section 23, "If no server survives"): every member of a
// cluster is lost; the latest backup is restored on one new server, which
// starts with the node id the backup records and leads by itself; a fresh
// server joins it; both serve what the backup held and take new changes.
func TestClusterComesBackFromABackup(t *testing.T) {
	heavyClusterTests(t)
	c := startCluster(t, 2)
	leader := c.leader(t, 10*time.Second)
	var added struct {
		Number string `json:"registration_number"`
	}
	leader.runJSON(t, 0, &added, "registrant", "add", "--given", "Gwen", "--family", "Pryce", "--nation", "wales")
	file := filepath.Join(t.TempDir(), "cluster.backup")
	r := leader.run(t, "", "backup", "--out", file)
	require.Equal(t, 0, r.code, r.stderr)
	for _, m := range c.members {
		m.kill()
	}

	data := filepath.Join(t.TempDir(), "restored")
	r = runCLI(t, nil, "", "restore", "--from", file, "--data", data)
	require.Equal(t, 0, r.code, r.stderr)
	b, err := os.ReadFile(filepath.Join(data, "linkpass.json"))
	require.NoError(t, err)
	var marker struct {
		NodeID string `json:"node_id"`
	}
	require.NoError(t, json.Unmarshal(b, &marker))
	require.Equal(t, leader.id, marker.NodeID, "the backup keeps the identity of the node it was taken from")

	back := c.files.startMember(t, marker.NodeID, data, "")
	back.token = c.token
	waitFor(t, 20*time.Second, func() bool { return readyz(back.URL).Role == "leader" }, "the restored server to lead")
	r = back.run(t, "", "registrant", "show", added.Number)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Pryce")

	fresh := c.files.startMember(t, "node-7", filepath.Join(t.TempDir(), "node-7"), "", "--join", back.raftAddr, "--join-token-file", c.files.joinToken())
	fresh.token = c.token
	var doc membersDoc
	back.runJSON(t, 0, &doc, "cluster", "members")
	require.Len(t, doc.Members, 2)
	var after struct {
		Number string `json:"registration_number"`
	}
	fresh.runJSON(t, 0, &after, "registrant", "add", "--given", "Owain", "--family", "Rees", "--nation", "wales")
	waitFor(t, 10*time.Second, func() bool {
		r := back.run(t, "", "registrant", "list")
		return r.code == 0 && strings.Contains(r.stdout, "Rees") && strings.Contains(r.stdout, "Pryce")
	}, "the change through the fresh server on the restored one")
}
