package web

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/internal/browsertest"
	"github.com/nalw/linkpass/issuer/register"
)

// axeDir holds the pinned axe-core (npm ci there; .ci/run does).
const axeDir = "testdata/axe"

// The public pages pass axe-core in real Chromium with no serious or
// critical violation, at desktop width and at 360 px, in every state a
// person meets: results of every status, a refused query, an entry of each
// status, an entry not on the register.
func TestPagesPassAxeAtDesktopAndPhoneWidths(t *testing.T) {
	src := browsertest.AxeSource(t, axeDir)
	sys := newSystem(t, RegisterMode)
	tb := startBrowser(t).newTab(t)
	tb.expect("404 (Not Found)")
	tb.expect("400 (Bad Request)")
	pages := []string{"/", "/register", "/register?q=le", "/register?q=o", "/register?q=%E2%80%99", "/verify", "/wallet",
		"/courses", "/courses?standing=accredited&min_level=4", "/courses?standing=approved",
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
			assert.Empty(t, browsertest.AxeViolations(tb.Tab, src), "%s at %s", p, size.name)
		}
	}

	// The scan can fail: an unlabelled field is a critical violation.
	tb.do(20*time.Second, chromedp.Navigate(sys.url+"/register"))
	browsertest.Eval[bool](tb.Tab, `document.querySelector("main").append(document.createElement("input"));true`)
	assert.NotEmpty(t, browsertest.AxeViolations(tb.Tab, src), "axe-core found nothing wrong with an unlabelled field")
}
