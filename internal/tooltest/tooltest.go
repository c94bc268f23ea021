// Package tooltest finds the outside tools some tests check against (node
// with pinned npm packages), skipping a test when one is missing, or
// failing it when LINKPASS_REQUIRE_TOOLS names the tool (as CI sets it).
package tooltest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Missing skips t saying msg, or fails it when LINKPASS_REQUIRE_TOOLS
// names tool.
func Missing(t testing.TB, tool, msg string) {
	t.Helper()
	if strings.Contains(os.Getenv("LINKPASS_REQUIRE_TOOLS"), tool) {
		t.Fatalf("%s (LINKPASS_REQUIRE_TOOLS requires %s)", msg, tool)
	}
	t.Skip(msg)
}

// Node returns the path of node, for a check that runs a script in dir
// with the npm package pkg installed there by `npm ci` (from its pinned
// package-lock.json). what names the check in the messages.
func Node(t testing.TB, dir, pkg, what string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		Missing(t, "node", "node is not installed; install Node.js 20+ to run "+what)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", filepath.FromSlash(pkg))); err != nil {
		Missing(t, "node", pkg+" is not installed; run `npm ci` in "+dir+" to run "+what)
	}
	return node
}
