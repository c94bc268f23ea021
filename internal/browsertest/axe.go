package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// AxeSource returns axe-core's script from the npm folder dir (npm ci
// there), or skips the test when it is not installed (fails instead when
// LINKPASS_REQUIRE_TOOLS names node).
func AxeSource(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		msg := "axe-core is not installed; run `npm ci` in " + dir
		if strings.Contains(os.Getenv("LINKPASS_REQUIRE_TOOLS"), "node") {
			t.Fatal(msg + " (LINKPASS_REQUIRE_TOOLS requires node)")
		}
		t.Skip(msg)
	}
	return string(b)
}

// axeScan runs axe-core on the page (WCAG 2.2 A and AA and best practice
// rules) and returns its serious and critical violations, one line each
// with the elements concerned.
const axeScan = `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
  .filter(v => v.impact === "serious" || v.impact === "critical")
  .map(v => v.impact + " " + v.id + ": " + v.help + " at " + v.nodes.map(n => n.target.join(" ")).join(", ")))`

// AxeViolations loads src (AxeSource) into the tab's page and returns the
// serious and critical violations axe-core finds there.
func AxeViolations(tb *Tab, src string) []string {
	tb.T.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, 30*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](src+";true"))
	require.NoError(tb.T, err, "loading axe-core")
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](axeScan, chromedp.EvalAwaitPromise))
	require.NoError(tb.T, err, "running axe-core")
	return v
}
