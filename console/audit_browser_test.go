package console

import (
	"context"
	"encoding/csv"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/internal/browsertest"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/staff"
)

// axeDir is the pinned axe-core the web package's tests use too.
const axeDir = "../web/testdata/axe"

// noAxeViolations checks the tab's page with axe-core at desktop and
// phone widths.
func noAxeViolations(tb *browsertest.Tab, src, what string) {
	tb.T.Helper()
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 800}, {"360 px", 360, 740}} {
		tb.Do(wait, chromedp.EmulateViewport(size.w, size.h))
		assert.Empty(tb.T, browsertest.AxeViolations(tb, src), "%s at %s", what, size.name)
	}
	tb.Do(wait, chromedp.EmulateViewport(1280, 800))
}

// fetchText fetches a link of the page from the page, with its cookies.
func fetchText(tb *browsertest.Tab, href string) string {
	tb.T.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, wait)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(`+jsString(href)+`).then(r => r.text())`, chromedp.EvalAwaitPromise))
	require.NoError(tb.T, err)
	return s
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// TestBrowserAuditorFiltersPagesAndDownloadsTheAuditTrail: an auditor
// finds a registrar's change by her name, the filter is in the address (a
// bookmark), pages go forward and back to the first, the download holds
// what the filter selects with formulas defused, and a bad date range is
// refused with a clear message.
func TestBrowserAuditorFiltersPagesAndDownloadsTheAuditTrail(t *testing.T) {
	axe := browsertest.AxeSource(t, axeDir)
	sys := newSystem(t, "http")
	grace, _ := sys.totpAccount("Grace Hopper", "grace@nalw.example", register.RoleRegistrar)
	sys.totpAccount("Ida Auditor", "ida@nalw.example", register.RoleAuditor)
	_, idaSecret := sys.totpAccount("Ida Auditor Two", "ida2@nalw.example", register.RoleAuditor)
	regs, err := sys.srv.State().Registrants(register.Registered)
	require.NoError(t, err)
	target := regs[0].Number
	_, err = sys.srv.Apply(context.Background(), staff.ActorFor(grace), fsm.ChangeRegistrant{Number: target, Op: fsm.OpSuspend, Reason: "=HYPERLINK(\"http://evil.example\") interim order"})
	require.NoError(t, err)

	tb := browsertest.Start(t).NewTab(t)
	tb.Expect("status of 400") // the bad date range on purpose
	sys.signInKeyboard(tb, "ida2@nalw.example", idaSecret)
	tb.Do(wait, chromedp.Click(chromedp.CSS(`nav a[href="/console/audit"]`)))
	waitPath(tb, "/console/audit")
	assert.Equal(t, "page", browsertest.Eval[string](tb, `document.querySelector('nav a[href="/console/audit"]').getAttribute("aria-current")`))
	assert.NotContains(t, tb.Text("nav"), "Settings", "only admins see the settings")
	rows := browsertest.Eval[int](tb, `document.querySelectorAll("#audit-events tbody tr").length`)
	assert.Equal(t, auditPageSize, rows, "the demo register's trail fills more than a page")
	browsertest.Shoot(tb, "console-audit", 1280, 800)
	browsertest.Shoot(tb, "console-audit-360", 360, 740)
	tb.Do(wait, chromedp.EmulateViewport(1280, 800))
	noAxeViolations(tb, axe, "the audit trail")

	t.Run("pages go on and back to the first", func(t *testing.T) {
		last := browsertest.Eval[string](tb, `[...document.querySelectorAll("#audit-events tbody tr")].pop().dataset.index`)
		tb.Do(wait, chromedp.Click(chromedp.ID("next-page")))
		tb.WaitFor(wait, `location.search.includes("after=") && document.readyState === "complete"`)
		first := browsertest.Eval[string](tb, `document.querySelector("#audit-events tbody tr").dataset.index`)
		assert.NotEqual(t, last, first)
		assert.True(t, browsertest.Eval[bool](tb, `+document.querySelector("#audit-events tbody tr").dataset.index > `+last), "the next page starts after the last event of this one")
		tb.Do(wait, chromedp.Click(chromedp.ID("first-page")))
		tb.WaitFor(wait, `!location.search.includes("after=") && document.readyState === "complete"`)
	})

	t.Run("by name and action, bookmarkable", func(t *testing.T) {
		tb.Do(wait, chromedp.SetValue(chromedp.ID("actor"), "grace"), chromedp.SetValue(chromedp.ID("action"), "registrant.suspend"),
			chromedp.Click(chromedp.CSS(`#audit-filter button[type=submit]`)))
		tb.WaitFor(wait, `location.search.includes("actor=grace") && document.readyState === "complete"`)
		q, err := url.ParseQuery(strings.TrimPrefix(browsertest.Eval[string](tb, `location.search`), "?"))
		require.NoError(t, err)
		assert.Equal(t, "registrant.suspend", q.Get("action"))
		require.Equal(t, 1, browsertest.Eval[int](tb, `document.querySelectorAll("#audit-events tbody tr").length`))
		assert.Equal(t, "Grace Hopper (registrar)", tb.Text("#audit-events tbody td.actor"))
		assert.Contains(t, tb.Text("#audit-events tbody"), target)
		assert.Equal(t, "grace", browsertest.Eval[string](tb, `document.getElementById("actor").value`), "the form shows the filter")
		noAxeViolations(tb, axe, "a filtered audit trail")

		// Opened again from the address alone, the page is the same.
		href := browsertest.Eval[string](tb, `location.pathname + location.search`)
		sys.open(tb, href)
		waitPath(tb, "/console/audit")
		assert.Equal(t, 1, browsertest.Eval[int](tb, `document.querySelectorAll("#audit-events tbody tr").length`))

		body := fetchText(tb, browsertest.Eval[string](tb, `document.getElementById("download-csv").getAttribute("href")`))
		recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		require.NoError(t, err)
		require.Len(t, recs, 2, body)
		assert.Equal(t, "Grace Hopper", recs[1][3])
		assert.Equal(t, `'=HYPERLINK("http://evil.example") interim order`, recs[1][10], "a spreadsheet shows the reason as text")
		lines := strings.Split(strings.TrimSpace(fetchText(tb, browsertest.Eval[string](tb, `document.getElementById("download-jsonl").getAttribute("href")`))), "\n")
		require.Len(t, lines, 1)
		assert.Contains(t, lines[0], `"actor_name":"Grace Hopper"`)
	})

	t.Run("a name that matches nobody shows nothing", func(t *testing.T) {
		sys.open(tb, "/console/audit?actor=nobody+at+all")
		waitPath(tb, "/console/audit")
		assert.Contains(t, tb.Text("#no-events"), "No events match")
	})

	t.Run("a date range back to front is refused and says so", func(t *testing.T) {
		sys.open(tb, "/console/audit?from=2026-03-02&to=2026-03-01")
		waitPath(tb, "/console/audit")
		assert.Contains(t, tb.Text("#error-message"), "swap them")
		assert.Equal(t, "2026-03-02", browsertest.Eval[string](tb, `document.getElementById("from").value`))
		noAxeViolations(tb, axe, "a refused filter")
	})
}
