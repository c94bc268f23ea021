package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/internal/browsertest"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/regno"
)

// These tests drive the pages in a real headless Chromium over the DevTools
// protocol. Every tab records its requests and console: a test fails if a
// page logs an error or warning, throws, or asks for anything from a host
// other than 127.0.0.1.

// browser and tab adapt the shared harness (internal/browsertest) to
// these tests' short names.
type browser struct{ b *browsertest.Browser }

func startBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	return &browser{browsertest.Start(t, extra...)}
}

type tab struct {
	*browsertest.Tab
	t   *testing.T
	ctx context.Context
}

func (b *browser) newTab(t *testing.T) *tab {
	t.Helper()
	bt := b.b.NewTab(t)
	return &tab{Tab: bt, t: t, ctx: bt.Ctx}
}

// expect tells the tab that the test causes a logged problem containing
// substr on purpose, such as a 404 for an unknown registration number.
func (tb *tab) expect(substr string) { tb.Expect(substr) }

// do runs actions with a time limit.
func (tb *tab) do(limit time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	tb.Do(limit, actions...)
}

// eval evaluates a JavaScript expression and returns its value.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	return browsertest.Eval[T](tb.Tab, expr)
}

// waitFor waits until a JavaScript expression is truthy.
func (tb *tab) waitFor(limit time.Duration, expr string) {
	tb.t.Helper()
	tb.WaitFor(limit, expr)
}

// text returns the visible text of the first element matching a CSS
// selector.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return tb.Text(sel)
}

// paste puts text into the focused field as a paste or IME would.
func (tb *tab) paste(text string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	_, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: text})
	require.NoError(tb.t, err)
}

// verdictShown waits for a verdict and returns its outcome attribute.
func (tb *tab) verdictShown(limit time.Duration) string {
	tb.t.Helper()
	tb.waitFor(limit, `!document.getElementById("result").hidden && document.getElementById("result").dataset.outcome`)
	return eval[string](tb, `document.getElementById("result").dataset.outcome`)
}

// resetVerdict hides the verdict so that the next one can be waited for.
func (tb *tab) resetVerdict() {
	tb.t.Helper()
	eval[bool](tb, `(() => { const r = document.getElementById("result"); r.hidden = true; r.dataset.outcome = ""; return true })()`)
}

func TestRegisterSearchShowsStatusRestrictionsAndQualityMark(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	okonkwo := sys.registrant(register.Registered, "Okonkwo")
	baird := sys.registrant(register.Suspended, "Baird")
	b := startBrowser(t)
	tb := b.newTab(t)

	search := func(q string) {
		tb.do(20*time.Second,
			chromedp.Navigate(sys.url+"/register"),
			chromedp.SetValue(chromedp.ID("q"), q),
			chromedp.Click(chromedp.CSS(`#search-form button[type=submit]`)),
		)
		tb.waitFor(10*time.Second, `document.readyState === "complete" && document.getElementById("search-status") && document.getElementById("search-status").textContent.includes("found")`)
	}
	entry := func(regno string) string { return fmt.Sprintf(`article[data-regno=%q]`, regno) }

	t.Run("by registration number", func(t *testing.T) {
		search(okonkwo.Number)
		assert.Equal(t, 1, eval[int](tb, `document.querySelectorAll("article.entry").length`))
		text := tb.text(entry(okonkwo.Number))
		assert.Contains(t, text, "Siobhan Okonkwo-Fairweather")
		assert.Contains(t, text, okonkwo.Number)
		assert.Contains(t, text, "Registered")
		assert.Contains(t, text, "England")
		assert.Contains(t, text, "Level 4 Certificate in Social Prescribing")
		assert.Contains(t, text, "Level 5 Diploma in Health and Social Care")
		assert.Regexp(t, `Registered until\s+\d{1,2} [A-Z][a-z]+ \d{4}`, text)
		assert.Regexp(t, `Restrictions\s+None`, text)
		assert.Contains(t, tb.text("#results .quality-mark"), "holds the Professional Standards Authority's Quality Mark")
		assert.Contains(t, eval[string](tb, `location.search`), "q="+okonkwo.Number, "the search is in the address, so it can be shared and reloaded")
	})

	t.Run("by name", func(t *testing.T) {
		search("okonkwo")
		assert.Contains(t, tb.text(entry(okonkwo.Number)), "Siobhan Okonkwo-Fairweather")
		assert.Contains(t, tb.text("#search-status"), "1 entry found")
	})

	t.Run("a suspended registrant shows the suspension and the restriction", func(t *testing.T) {
		search("Baird")
		sel := entry(baird.Number)
		text := tb.text(sel)
		assert.Regexp(t, `Suspended until \d{1,2} [A-Z][a-z]+ \d{4}`, text)
		assert.Contains(t, text, "Restriction on practice")
		assert.Contains(t, text, "Must not work with patients under 18.")
		// The status is a word, an icon and a colour: amber for suspended.
		assert.Equal(t, "rgb(255, 241, 204)", eval[string](tb, fmt.Sprintf(`getComputedStyle(document.querySelector('%s .badge')).backgroundColor`, sel)))
		assert.True(t, eval[bool](tb, fmt.Sprintf(`!!document.querySelector('%s .badge svg.icon')`, sel)))
	})

	t.Run("every status has its own word and colour", func(t *testing.T) {
		for _, tc := range []struct {
			status register.Status
			name   string
			word   string
			bg     string
		}{
			{register.Registered, "Nwosu", "Registered", "rgb(227, 242, 232)"},
			{register.Suspended, "Adeyemi", "Suspended", "rgb(255, 241, 204)"},
			{register.Lapsed, "Greenwood", "Lapsed (not renewed)", "rgb(236, 238, 240)"},
			{register.Removed, "Hartley", "Removed from the register", "rgb(253, 232, 232)"},
		} {
			r := sys.registrant(tc.status, tc.name)
			search(r.Number)
			sel := entry(r.Number) + " .badge"
			assert.Contains(t, tb.text(sel), tc.word, tc.name)
			assert.Equal(t, tc.bg, eval[string](tb, fmt.Sprintf(`getComputedStyle(document.querySelector('%s')).backgroundColor`, sel)), tc.name)
		}
	})

	t.Run("the entry page a credential points at", func(t *testing.T) {
		tb.do(20*time.Second, chromedp.Navigate(sys.url+"/register/"+baird.Number))
		tb.waitFor(10*time.Second, `!!document.querySelector("#entry article")`)
		text := tb.text("#entry")
		assert.Contains(t, text, "Lewis Baird")
		assert.Contains(t, text, "Must not work with patients under 18.")
	})

	t.Run("an unknown number says it is not on the register", func(t *testing.T) {
		n := unknownRegno(t, sys)
		tb.expect("404 (Not Found)")
		tb.do(20*time.Second, chromedp.Navigate(sys.url+"/register/"+n))
		tb.waitFor(10*time.Second, `document.getElementById("entry-status").textContent.includes("not on the register")`)
	})

	t.Run("entries never mislead", func(t *testing.T) {
		removed := sys.registrant(register.Removed, "Hartley")
		search(removed.Number)
		text := tb.text(entry(removed.Number))
		assert.Contains(t, text, "Removed from the register on")
		assert.NotContains(t, text, "Registered until")
		assert.Contains(t, text, "may not practise as a registered link worker")
		assert.False(t, eval[bool](tb, fmt.Sprintf(`!!document.querySelector('%s .entry-mark')`, entry(removed.Number))), "no Quality Mark tick on a removed entry")
		tb.do(20*time.Second, chromedp.Navigate(sys.url+"/register/"+removed.Number))
		assert.False(t, eval[bool](tb, `!!document.querySelector('.quality-mark')`), "a removed entry sits under no Quality Mark banner")

		for _, st := range []struct {
			status register.Status
			name   string
		}{{register.Suspended, "Baird"}, {register.Lapsed, "Greenwood"}} {
			r := sys.registrant(st.status, st.name)
			search(r.Number)
			text := tb.text(entry(r.Number))
			assert.Contains(t, text, "may not practise as a registered link worker", st.name)
			assert.False(t, eval[bool](tb, fmt.Sprintf(`!!document.querySelector('%s .entry-mark')`, entry(r.Number))), st.name)
		}
		search(okonkwo.Number)
		assert.True(t, eval[bool](tb, fmt.Sprintf(`!!document.querySelector('%s .entry-mark')`, entry(okonkwo.Number))), "an entry in good standing carries the tick")
		assert.NotContains(t, tb.text(entry(okonkwo.Number)), "may not practise")
	})

	t.Run("a mistyped number gets help, not nothing", func(t *testing.T) {
		n := okonkwo.Number
		last := n[len(n)-1]
		wrong := n[:len(n)-1] + string('0'+(last-'0'+1)%10)
		tb.expect("400 (Bad Request)")
		tb.do(20*time.Second, chromedp.Navigate(sys.url+"/register?q="+wrong))
		assert.Contains(t, tb.text("#error-summary"), "probably mistyped")
		assert.Equal(t, "error-summary", eval[string](tb, `document.activeElement.id`), "script moves focus to the error summary")
	})
}

// unknownRegno returns a well-formed registration number that no one holds.
func unknownRegno(t *testing.T, sys *system) string {
	t.Helper()
	for serial := uint64(9_000_000); serial < 9_000_100; serial++ {
		n := regno.Format(serial)
		if _, err := sys.srv.State().Registrant(n); err != nil {
			return n
		}
	}
	t.Fatal("no unused registration number found")
	return ""
}

// The issue's own test of done: a person on a phone with no JavaScript
// finds Siân Ó Súilleabháin by typing "sian o suilleabhain".
func TestWithoutJavaScriptAPhoneFindsSianOSuilleabhain(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	res, err := sys.srv.Apply(context.Background(), register.System, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{
		Given: "Siân", Family: "Ó Súilleabháin", Nation: "northern-ireland", Email: "sian@example.org"}})
	require.NoError(t, err)
	sian := res.(fsm.Result).Registrant
	tb := startBrowser(t).newTab(t)
	tb.do(5*time.Second, chromedp.EmulateViewport(360, 740))
	{
		ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		cancel()
		require.NoError(t, err)
	}

	tb.do(20*time.Second, chromedp.Navigate(sys.url+"/register"))
	tb.do(10*time.Second, chromedp.Click(chromedp.ID("q")), chromedp.KeyEvent("sian o suilleabhain"), chromedp.KeyEvent(kb.Enter))
	tb.waitFor(10*time.Second, `location.search.includes("q=") && document.readyState === "complete" && document.getElementById("search-status")`)
	text := tb.text("#results")
	assert.Contains(t, text, "Siân Ó Súilleabháin")
	assert.Contains(t, tb.text("#search-status"), "1 entry found")
	assert.Equal(t, "sian o suilleabhain", eval[string](tb, `new URLSearchParams(location.search).get("q")`), "the results page is an ordinary address that can be bookmarked")

	// The entry's own page, through the link, also without script.
	tb.do(20*time.Second, chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/register/%s"]`, sian.Number))))
	tb.waitFor(10*time.Second, `location.pathname.startsWith("/register/LW") && document.readyState === "complete" && document.querySelector("#entry article")`)
	assert.Contains(t, tb.text("#entry"), "Registered until")

	// Script really is off: with it, register.js would have moved focus to
	// the error summary of a refused search.
	tb.expect("400 (Bad Request)")
	tb.do(20*time.Second, chromedp.Navigate(sys.url+"/register?q=%E2%80%99%20-"))
	assert.Contains(t, tb.text("#error-summary"), "Enter a name")
	assert.NotEqual(t, "error-summary", eval[string](tb, `document.activeElement.id`))
}

func TestCameraScanShowsValidThenSuspendedAfterTheRegisterSuspends(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	reg := sys.registrant(register.Registered, "Okonkwo")
	jws := sys.issue(reg.Number)
	video := filepath.Join(t.TempDir(), "card.y4m")
	// The code carries the link a phone camera would open.
	require.NoError(t, writeY4M(video, cameraFrame(t, qrLink(t, sys.url, jws), 960, 720), 3))

	b := startBrowser(t,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", video),
	)
	tb := b.newTab(t)
	tb.do(20*time.Second, chromedp.Navigate(sys.url+"/verify"), chromedp.Click(chromedp.ID("camera-start")))

	require.Equal(t, "valid", tb.verdictShown(30*time.Second))
	assert.Equal(t, "VALID", tb.text("#verdict-heading"))
	assert.Equal(t, "camera", eval[string](tb, `document.getElementById("result").dataset.readBy`))
	assert.Equal(t, "verdict-heading", eval[string](tb, `document.activeElement.id`), "focus moves to the verdict")
	assert.True(t, eval[bool](tb, `document.getElementById("camera").hidden`), "the camera stops after a read")
	text := tb.text("#result")
	assert.Contains(t, text, "Check photo ID matches this name: Siobhan Okonkwo-Fairweather")
	assert.Contains(t, text, reg.Number)
	assert.Contains(t, text, "Level 4 Certificate in Social Prescribing")
	assert.Contains(t, text, "PSA Quality Mark")
	assert.Regexp(t, `Status information\s+Valid, from the register's status list of`, text)
	tb.waitFor(5*time.Second, `document.getElementById("announce").textContent.startsWith("Result: VALID.")`)

	sys.suspend(reg.Number, jws)
	tb.resetVerdict()
	tb.do(10*time.Second, chromedp.Click(chromedp.ID("camera-start")))
	require.Equal(t, "suspended", tb.verdictShown(30*time.Second))
	assert.Equal(t, "SUSPENDED", tb.text("#verdict-heading"))
	assert.Contains(t, tb.text("#result"), "Do not rely on this credential.")
}

func TestOpeningTheQRLinkChecksTheCredentialAndForgetsIt(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	reg := sys.registrant(register.Registered, "Pryce")
	link := qrLink(t, sys.url, sys.issue(reg.Number))
	require.Contains(t, link, "%20", "the sample must exercise the escaped space")

	tb := startBrowser(t).newTab(t)
	tb.do(20*time.Second, chromedp.Navigate(link))
	require.Equal(t, "valid", tb.verdictShown(30*time.Second), tb.text("#paste-status"))
	assert.Equal(t, "VALID", tb.text("#verdict-heading"))
	assert.Equal(t, "link", eval[string](tb, `document.getElementById("result").dataset.readBy`))
	assert.Contains(t, tb.text("#result"), reg.Number)
	assert.Equal(t, sys.url+"/verify", eval[string](tb, `location.href`), "the credential leaves the address bar")

	tb.resetVerdict()
	tb.do(20*time.Second, chromedp.Navigate(sys.url+"/verify#LP1:%E0%A4%A"))
	tb.waitFor(10*time.Second, `document.getElementById("paste-status").textContent.includes("damaged")`)
}

func TestUploadAndPasteShowTheVerdict(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	reg := sys.registrant(register.Registered, "Llewellyn")
	jws := sys.issue(reg.Number)
	text := qrText(t, jws)
	dir := t.TempDir()
	photoFile := func(name string, p photo) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, cardPhoto(t, text, reg.FullName(), reg.Number, p), 0o600))
		return path
	}

	tb := startBrowser(t).newTab(t)
	tb.do(20*time.Second, chromedp.Navigate(sys.url+"/verify"))

	for _, tc := range []struct {
		name   string
		photo  photo
		readBy string
	}{
		// jsQR reads a card photographed slightly turned...
		{"photo read in the browser", photo{degrees: 17, blur: 1, noise: 4, seed: 2}, "upload-browser"},
		// ...but not one turned by a third of a right angle, blurred and
		// noisy, which the server's reader copes with.
		{"photo read on the server", photo{degrees: 33, blur: 2, noise: 10, seed: 3}, "upload-server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb.resetVerdict()
			tb.do(10*time.Second, chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{photoFile(tc.name+".png", tc.photo)}))
			require.Equal(t, "valid", tb.verdictShown(60*time.Second), tb.text("#upload-status"))
			assert.Equal(t, "VALID", tb.text("#verdict-heading"))
			assert.Contains(t, tb.text("#result"), "Gareth Llewellyn")
			assert.Equal(t, tc.readBy, eval[string](tb, `document.getElementById("result").dataset.readBy`))
		})
	}

	t.Run("paste of the QR text", func(t *testing.T) {
		tb.resetVerdict()
		tb.do(10*time.Second, chromedp.Focus(chromedp.ID("credential-text")))
		tb.paste(text)
		tb.do(10*time.Second, chromedp.Click(chromedp.CSS(`#paste-form button[type=submit]`)))
		require.Equal(t, "valid", tb.verdictShown(20*time.Second))
		assert.Equal(t, "VALID", tb.text("#verdict-heading"))
	})

	t.Run("paste of garbage", func(t *testing.T) {
		tb.resetVerdict()
		tb.do(10*time.Second, chromedp.SetValue(chromedp.ID("credential-text"), "LP1:THIS IS NOT A CREDENTIAL"),
			chromedp.Click(chromedp.CSS(`#paste-form button[type=submit]`)))
		require.Equal(t, "malformed", tb.verdictShown(20*time.Second))
		assert.Equal(t, "NOT VALID", tb.text("#verdict-heading"))
		assert.Contains(t, tb.text("#result"), "Do not rely on this credential.")
		assert.False(t, eval[bool](tb, `!!document.querySelector("#result .photo-id")`), "no name is shown for what is not a credential")
	})
}

// focusables lists the page's visible keyboard-focusable elements in
// document order, each as its id or its tag and text.
const focusables = `(() => {
  const d = e => e.id ? "#" + e.id : e.tagName.toLowerCase() + ":" + (e.textContent || "").trim().slice(0, 40);
  const sel = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])';
  return Array.from(document.querySelectorAll(sel))
    .filter(e => !e.disabled && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden")
    .map(d);
})()`

// focused describes the focused element as focusables does, and whether
// its focus indicator is visible (an outline of at least 2 px).
const focused = `(() => {
  const e = document.activeElement;
  const d = e.id ? "#" + e.id : e.tagName.toLowerCase() + ":" + (e.textContent || "").trim().slice(0, 40);
  const cs = getComputedStyle(e);
  return [d, String(cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2)];
})()`

// tabTo presses Tab until the element with id has focus, checking that
// every element on the way shows where the focus is.
func (tb *tab) tabTo(id string, most int) {
	tb.t.Helper()
	for range most {
		tb.do(5*time.Second, chromedp.KeyEvent(kb.Tab))
		f := eval[[]string](tb, focused)
		assert.Equal(tb.t, "true", f[1], "focus on %s is not visible", f[0])
		if f[0] == "#"+id {
			return
		}
	}
	tb.t.Fatalf("#%s not reached in %d presses of Tab", id, most)
}

func TestKeyboardAloneSearchesTheRegisterAndChecksACredential(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	baird := sys.registrant(register.Suspended, "Baird")
	reg := sys.registrant(register.Registered, "Raghunathan")
	text := qrText(t, sys.issue(reg.Number))
	tb := startBrowser(t).newTab(t)

	t.Run("register: Tab to the search box, type, Enter", func(t *testing.T) {
		tb.do(20*time.Second, chromedp.Navigate(sys.url+"/register"))
		tb.tabTo("q", 10)
		tb.do(5*time.Second, chromedp.KeyEvent("Baird"), chromedp.KeyEvent(kb.Enter))
		tb.waitFor(10*time.Second, fmt.Sprintf(`document.readyState === "complete" && document.querySelector('article[data-regno=%q]')`, baird.Number))
		assert.Contains(t, tb.text("#results"), "Must not work with patients under 18.")
	})

	t.Run("verify: Tab to the paste box, paste, Enter", func(t *testing.T) {
		tb.do(20*time.Second, chromedp.Navigate(sys.url+"/verify"))
		tb.tabTo("credential-text", 14)
		tb.paste(text)
		tb.do(5*time.Second, chromedp.KeyEvent(kb.Enter))
		require.Equal(t, "valid", tb.verdictShown(20*time.Second))
		assert.Equal(t, "#verdict-heading", eval[[]string](tb, focused)[0], "focus moves to the verdict heading")
		// From the verdict, Tab goes on to the controls in it.
		tb.tabTo("scan-again", 6)
	})

	for _, page := range []string{"/register?q=an", "/verify", "/", "/wallet"} {
		t.Run("every control of "+page+" is reached by Tab, in order", func(t *testing.T) {
			tb.do(20*time.Second, chromedp.Navigate(sys.url+page))
			if strings.Contains(page, "q=") {
				tb.waitFor(10*time.Second, `document.getElementById("search-status").textContent.includes("found")`)
			}
			want := eval[[]string](tb, focusables)
			require.NotEmpty(t, want)
			var got []string
			for range want {
				tb.do(5*time.Second, chromedp.KeyEvent(kb.Tab))
				f := eval[[]string](tb, focused)
				assert.Equal(t, "true", f[1], "focus on %s is not visible", f[0])
				got = append(got, f[0])
			}
			assert.Equal(t, want, got)
		})
	}
}

func TestVerifierModeWarnsThatAThreeDayOldBundleIsStale(t *testing.T) {
	synced := time.Now().Add(-72*time.Hour - 5*time.Minute)
	sys := newSystem(t, VerifierMode, withBundle(BundleInfo{SyncedAt: synced, Issuer: "https://register.nalw.example", Stale: true,
		StaleReason: "The status lists in this bundle are 3 days old; the register allows 36 hours."}))
	tb := startBrowser(t).newTab(t)

	for _, page := range []string{"/", "/verify"} {
		tb.do(20*time.Second, chromedp.Navigate(sys.url+page))
		text := tb.text("#bundle")
		assert.Contains(t, text, "Warning: status information is out of date", page)
		assert.Contains(t, text, "3 days ago", page)
		assert.Contains(t, text, "https://register.nalw.example", page)
		assert.True(t, eval[bool](tb, `document.getElementById("bundle").classList.contains("bundle-stale")`), page)
		assert.False(t, eval[bool](tb, `!!document.querySelector('a[href="/register"]')`), "%s links to a register this checker does not serve", page)
	}
	assert.Empty(t, eval[[]string](tb, contrastFailures))
	shoot(t, tb, "verifier-stale-desktop", 1280, 800)
}

// contrastFailures lists text whose colour has a contrast below 4.5:1
// against the first opaque background behind it.
const contrastFailures = `(() => {
  const parse = s => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const bgOf = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const bad = [];
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (w.nextNode()) {
    const n = w.currentNode, el = n.parentElement;
    if (!n.textContent.trim() || !el || el.getClientRects().length === 0) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === "hidden") continue;
    const a = lum(parse(cs.color)), b = lum(bgOf(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) bad.push(n.textContent.trim().slice(0, 40) + " (" + ratio.toFixed(2) + ":1, " + cs.color + ")");
  }
  return bad;
})()`

// screenshotDir is where screenshots go: web/testdata/screenshots with
// LINKPASS_SCREENSHOTS=1, else a temporary directory of the test.
func screenshotDir(t *testing.T) string {
	if os.Getenv("LINKPASS_SCREENSHOTS") == "1" {
		dir := filepath.Join("testdata", "screenshots")
		require.NoError(t, os.MkdirAll(dir, 0o755))
		return dir
	}
	return t.TempDir()
}

// shoot sets the viewport, checks that nothing is wider than it, and saves
// a full-page screenshot as name.png.
func shoot(t *testing.T, tb *tab, name string, w, h int64) {
	t.Helper()
	tb.do(10*time.Second, chromedp.EmulateViewport(w, h))
	assert.LessOrEqual(t, eval[int](tb, `document.documentElement.scrollWidth`), int(w), "%s scrolls sideways at %d px", name, w)
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	path := filepath.Join(screenshotDir(t), name+".png")
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot %s", path)
}

func TestScreenshotsAtDesktopAndPhoneWidthsPassContrastAndFit(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	reg := sys.registrant(register.Registered, "Okonkwo")
	jws := sys.issue(reg.Number)
	text := qrText(t, jws)
	restricted := sys.registrant(register.Registered, "Kowalczyk")
	restrictedText := qrText(t, sys.issue(restricted.Number))
	tb := startBrowser(t).newTab(t)

	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 800}, {"phone", 360, 740}} {
		t.Run(size.name, func(t *testing.T) {
			tb.do(5*time.Second, chromedp.EmulateViewport(size.w, size.h))

			tb.do(20*time.Second, chromedp.Navigate(sys.url+"/"))
			assert.Empty(t, eval[[]string](tb, contrastFailures), "home")
			shoot(t, tb, "home-"+size.name, size.w, size.h)

			// "le" finds registered, restricted, suspended and removed entries.
			tb.do(20*time.Second, chromedp.Navigate(sys.url+"/register?q=le"))
			tb.waitFor(10*time.Second, `document.getElementById("search-status").textContent.includes("found")`)
			assert.Empty(t, eval[[]string](tb, contrastFailures), "register")
			shoot(t, tb, "register-"+size.name, size.w, size.h)

			tb.do(20*time.Second, chromedp.Navigate(sys.url+"/verify"))
			assert.Empty(t, eval[[]string](tb, contrastFailures), "verify")
			shoot(t, tb, "verify-"+size.name, size.w, size.h)

			for _, tc := range []struct{ name, text, outcome, banner string }{
				{"valid", text, "valid", "The credential is genuine and current"},
				{"restricted", restrictedText, "valid", "Conditions on practice apply."},
				{"invalid", "LP1:NOT A CREDENTIAL", "malformed", "not a linkpass credential"},
			} {
				tb.resetVerdict()
				tb.do(10*time.Second, chromedp.SetValue(chromedp.ID("credential-text"), tc.text),
					chromedp.Click(chromedp.CSS(`#paste-form button[type=submit]`)))
				require.Equal(t, tc.outcome, tb.verdictShown(20*time.Second))
				assert.Contains(t, tb.text("#result .verdict"), tc.banner)
				assert.Empty(t, eval[[]string](tb, contrastFailures), "verify %s", tc.name)
				shoot(t, tb, "verify-"+tc.name+"-"+size.name, size.w, size.h)
			}
		})
	}

	t.Run("suspended", func(t *testing.T) {
		sys.suspend(reg.Number, jws)
		for _, size := range []struct {
			name string
			w, h int64
		}{{"desktop", 1280, 800}, {"phone", 360, 740}} {
			tb.do(5*time.Second, chromedp.EmulateViewport(size.w, size.h))
			tb.resetVerdict()
			tb.do(10*time.Second, chromedp.SetValue(chromedp.ID("credential-text"), text),
				chromedp.Click(chromedp.CSS(`#paste-form button[type=submit]`)))
			require.Equal(t, "suspended", tb.verdictShown(20*time.Second))
			assert.Empty(t, eval[[]string](tb, contrastFailures))
			shoot(t, tb, "verify-suspended-"+size.name, size.w, size.h)
		}
	})
}
