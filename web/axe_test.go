package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
)

// axeDir holds the pinned axe-core (npm ci there; .ci/run does).
const axeDir = "testdata/axe"

// axeSource returns axe-core's script, or skips the test when it is not
// installed (fails instead when LINKPASS_REQUIRE_TOOLS names node).
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(axeDir, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		msg := "axe-core is not installed; run `npm ci` in web/" + axeDir
		if strings.Contains(os.Getenv("LINKPASS_REQUIRE_TOOLS"), "node") {
			t.Fatal(msg + " (LINKPASS_REQUIRE_TOOLS requires node)")
		}
		t.Skip(msg)
	}
	return string(b)
}

// axeScan runs axe-core on the tab's page (WCAG 2.2 A and AA and best
// practice rules) and returns its serious and critical violations, one line
// each with the elements concerned.
const axeScan = `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
  .filter(v => v.impact === "serious" || v.impact === "critical")
  .map(v => v.impact + " " + v.id + ": " + v.help + " at " + v.nodes.map(n => n.target.join(" ")).join(", ")))`

// The public pages pass axe-core in real Chromium with no serious or
// critical violation, at desktop width and at 360 px, in every state a
// person meets: results of every status, a refused query, an entry of each
// status, an entry not on the register.
func TestPagesPassAxeAtDesktopAndPhoneWidths(t *testing.T) {
	src := axeSource(t)
	sys := newSystem(t, RegisterMode)
	tb := startBrowser(t).newTab(t)
	tb.expect("404 (Not Found)")
	tb.expect("400 (Bad Request)")
	pages := []string{"/", "/register", "/register?q=le", "/register?q=o", "/register?q=%E2%80%99", "/verify",
		"/register/" + unknownRegno(t, sys)}
	// An entry of each status the demo register has.
	regs, err := sys.srv.State().Registrants("")
	require.NoError(t, err)
	seen := map[register.Status]bool{}
	for _, r := range regs {
		if !seen[r.Status] || r.Restricted() && !seen["restricted"] {
			pages = append(pages, "/register/"+r.Number)
			seen[r.Status] = true
			if r.Restricted() {
				seen["restricted"] = true
			}
		}
	}
	require.GreaterOrEqual(t, len(seen), 4, "the demo register has entries of most statuses")
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 800}, {"phone", 360, 740}} {
		tb.do(5*time.Second, chromedp.EmulateViewport(size.w, size.h))
		for _, p := range pages {
			tb.do(20*time.Second, chromedp.Navigate(sys.url+p))
			ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
			_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](src+";true"))
			require.NoError(t, err, "loading axe-core into %s", p)
			violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](axeScan, chromedp.EvalAwaitPromise))
			cancel()
			require.NoError(t, err, "running axe-core on %s", p)
			assert.Empty(t, violations, "%s at %s", p, size.name)
		}
	}

	// The scan can fail: an unlabelled field is a critical violation.
	tb.do(20*time.Second, chromedp.Navigate(sys.url+"/register"))
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](src+`;document.querySelector("main").append(document.createElement("input"));true`))
	require.NoError(t, err)
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](axeScan, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	assert.NotEmpty(t, violations, "axe-core found nothing wrong with an unlabelled field")
}
