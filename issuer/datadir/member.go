package datadir

import (
	"fmt"
	"os"
	"strings"
)

// ClaimForNode records the node id of a new member's data directory, and
// refuses a directory that belongs to another node: its log and votes are
// that node's, and two nodes with one identity would corrupt the cluster.
func ClaimForNode(dir string, m Marker, id string, fresh bool) (Marker, error) {
	if fresh {
		m.NodeID, m.Clustered = id, true
		return m, WriteMarker(dir, m)
	}
	if m.NodeID != id {
		return m, fmt.Errorf("%w: %s belongs to node %q, but this node was started as --node-id %s. Start it with --node-id %s, or give this node its own empty data directory",
			ErrUnusable, Layout(dir).Marker(), m.NodeID, id, m.NodeID)
	}
	if !m.Clustered {
		m.Clustered = true
		return m, WriteMarker(dir, m)
	}
	return m, nil
}

// HasRootKey reports whether the data directory holds a root key file.
func HasRootKey(dir string) bool {
	entries, err := os.ReadDir(Layout(dir).RootKey())
	if err != nil {
		return false
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".jwk") {
			return true
		}
	}
	return false
}
