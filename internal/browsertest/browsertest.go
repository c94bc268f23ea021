// Package browsertest drives pages in a real headless Chromium over the
// DevTools protocol, for the browser tests of the console (and any other
// package with pages). Every tab records its requests and console: a test
// fails if a page logs an error or warning, throws, or asks for anything
// from a host that is not the loopback host.
package browsertest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Chromium returns the path of the browser, or skips the test when there
// is none (fails instead when LINKPASS_REQUIRE_TOOLS names chromium).
func Chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "chromium not found on PATH: the browser tests need it (Debian: apt-get install chromium)"
	if strings.Contains(os.Getenv("LINKPASS_REQUIRE_TOOLS"), "chromium") {
		t.Fatal(msg + "; LINKPASS_REQUIRE_TOOLS requires it")
	}
	t.Skip(msg)
	return ""
}

// Browser is one headless Chromium.
type Browser struct{ ctx context.Context }

// Start starts Chromium with a fresh profile and the flags that keep it
// off the network.
func Start(t *testing.T, extra ...chromedp.ExecAllocatorOption) *Browser {
	t.Helper()
	opts := append([]chromedp.ExecAllocatorOption{}, chromedp.DefaultExecAllocatorOptions[:]...)
	opts = append(opts,
		chromedp.ExecPath(Chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.WindowSize(1280, 800),
	)
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	// The first run starts the browser; it must have no timeout, which
	// would end the browser with it.
	require.NoError(t, chromedp.Do(ctx), "starting chromium")
	return &Browser{ctx: ctx}
}

// Tab is a browser tab with a record of its requests and problems.
type Tab struct {
	T   *testing.T
	Ctx context.Context

	mu       sync.Mutex
	requests []string
	problems []string
	expected []string
}

// NewTab opens a tab whose requests and console are checked when the test
// ends.
func (b *Browser) NewTab(t *testing.T) *Tab {
	t.Helper()
	tb := &Tab{T: t}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(tb.record))
	t.Cleanup(cancel)
	tb.Ctx = ctx
	require.NoError(t, chromedp.Do(ctx), "opening a tab")
	t.Cleanup(tb.assertClean) // runs before cancel
	return tb
}

// Expect tells the tab that the test causes a logged problem containing
// substr on purpose (a refused form's 403, say).
func (tb *Tab) Expect(substr string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.expected = append(tb.expected, substr)
}

func (tb *Tab) record(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		tb.requests = append(tb.requests, ev.Request.URL)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				if a.Description != "" {
					args = append(args, a.Description)
				} else {
					args = append(args, string(a.Value))
				}
			}
			tb.problems = append(tb.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		desc := d.Text
		if d.Exception != nil {
			desc += " " + d.Exception.Description
		}
		tb.problems = append(tb.problems, "exception: "+desc)
	case *log.EventEntryAdded:
		if e := ev.Entry; e.Level == log.EntryLevelError || e.Level == log.EntryLevelWarning {
			tb.problems = append(tb.problems, fmt.Sprintf("log %s (%s): %s %s", e.Level, e.Source, e.Text, e.URL))
		}
	}
}

func (tb *Tab) assertClean() {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var problems []string
	for _, p := range tb.problems {
		if !slices.ContainsFunc(tb.expected, func(e string) bool { return strings.Contains(p, e) }) {
			problems = append(problems, p)
		}
	}
	assert.Empty(tb.T, problems, "the page logged errors or warnings")
	assert.NotEmpty(tb.T, tb.requests, "no requests were recorded: the network listener is broken")
	for _, raw := range tb.requests {
		assert.True(tb.T, LoopbackOnly(raw), "request left the loopback host: %s", raw)
	}
}

// LoopbackOnly reports whether a request URL stays on this machine: http(s)
// and ws(s) to 127.0.0.1 or localhost (which browsers resolve to loopback
// without asking DNS, and which passkeys need: an IP address cannot be a
// WebAuthn relying party), blob: URLs of such an origin, and data: URLs.
func LoopbackOnly(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
		return u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost"
	case "blob":
		return LoopbackOnly(u.Opaque)
	case "data":
		return true
	}
	return false
}

// Do runs actions with a time limit.
func (tb *Tab) Do(limit time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	tb.T.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, limit)
	defer cancel()
	require.NoError(tb.T, chromedp.Do(ctx, actions...))
}

// Eval evaluates a JavaScript expression in the tab and returns its value.
func Eval[T any](tb *Tab, expr string) T {
	tb.T.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(tb.T, err, expr)
	return v
}

// WaitFor waits until a JavaScript expression is truthy. It keeps asking
// across page loads (a form's submission, a redirect), when the page being
// asked goes away mid-question.
func (tb *Tab) WaitFor(limit time.Duration, expr string) {
	tb.T.Helper()
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tb.Ctx, time.Until(deadline))
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	tb.T.Fatalf("waiting %s for %s: never true (last error: %v)", limit, expr, last)
}

// Text returns the visible text of the first element matching a CSS
// selector.
func (tb *Tab) Text(sel string) string {
	tb.T.Helper()
	return Eval[string](tb, fmt.Sprintf(`document.querySelector(%q).innerText`, sel))
}

// Shoot saves a full-page screenshot at width w and height h, into
// testdata/screenshots of the test's package when LINKPASS_SCREENSHOTS=1,
// and checks that the page does not scroll sideways.
func Shoot(tb *Tab, name string, w, h int64) {
	t := tb.T
	t.Helper()
	tb.Do(10*time.Second, chromedp.EmulateViewport(w, h))
	assert.LessOrEqual(t, Eval[int](tb, `document.documentElement.scrollWidth`), int(w), "%s scrolls sideways at %d px", name, w)
	ctx, cancel := context.WithTimeout(tb.Ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	dir := t.TempDir()
	if os.Getenv("LINKPASS_SCREENSHOTS") == "1" {
		dir = filepath.Join("testdata", "screenshots")
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	path := filepath.Join(dir, name+".png")
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot %s", path)
}
