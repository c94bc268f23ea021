package console

import (
	"context"
	"encoding/csv"
	"strconv"
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

// TestBrowserCPDAuditAndPSAReport: a registrar draws the year's CPD audit
// in the console, a failure without a note is refused on the form, the
// outcomes are recorded, and an auditor reads the PSA report, prints it
// and downloads it as CSV. Both pages pass axe at desktop and 360 px.
func TestBrowserCPDAuditAndPSAReport(t *testing.T) {
	axe := browsertest.AxeSource(t, axeDir)
	sys := newSystem(t, "http")
	grace, graceSecret := sys.totpAccount("Grace Registrar", "grace@nalw.example", register.RoleRegistrar)
	_, idaSecret := sys.totpAccount("Ida Auditor", "ida@nalw.example", register.RoleAuditor)
	regs, err := sys.srv.State().Registrants(register.Registered)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(regs), 4)
	for _, r := range regs[:4] {
		_, err := sys.srv.Apply(context.Background(), staff.ActorFor(grace), fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpRenew})
		require.NoError(t, err)
	}
	year := sys.srv.Now().UTC().Year()

	tb := browsertest.Start(t).NewTab(t)
	tb.Expect("status of 400") // the failure without a note, on purpose
	sys.signInKeyboard(tb, "grace@nalw.example", graceSecret)
	tb.Do(wait, chromedp.Click(chromedp.CSS(`nav a[href="/console/cpd-audits"]`)))
	waitPath(tb, "/console/cpd-audits")
	assert.Contains(t, tb.Text("h1"), "CPD audit "+strconv.Itoa(year))
	noAxeViolations(tb, axe, "the CPD audit before the draw")
	tb.Do(wait, chromedp.SetValue(chromedp.CSS(`#share`), "50"), chromedp.Click(chromedp.CSS(`#cpd-draw button`)))
	tb.WaitFor(wait, `!!document.getElementById("cpd-audits")`)
	assert.Contains(t, tb.Text("#notice"), "was drawn")
	assert.Contains(t, tb.Text("#draw-check"), "it matches")
	assert.Contains(t, tb.Text("#draw-check"), "2 of 4 renewals")
	rows := browsertest.Eval[int](tb, `document.querySelectorAll("#cpd-audits tbody tr").length`)
	require.Equal(t, 2, rows)
	browsertest.Shoot(tb, "console-cpd-audit", 1280, 800)
	browsertest.Shoot(tb, "console-cpd-audit-360", 360, 740)
	noAxeViolations(tb, axe, "the CPD audit")

	first := browsertest.Eval[string](tb, `document.querySelector("#cpd-audits tbody tr").dataset.registrant`)
	tb.Do(wait, chromedp.Click(chromedp.CSS(`#cpd-audits tbody tr:first-child button[value="failed"]`)))
	tb.WaitFor(wait, `!!document.getElementById("error-summary")`)
	assert.Contains(t, tb.Text("#error-message"), "needs a note")
	a, err := sys.srv.State().CPDAudits(year)
	require.NoError(t, err)
	for _, x := range a {
		assert.Equal(t, register.CPDAuditRequested, x.State, "nothing was recorded")
	}
	tb.Do(wait, chromedp.SetValue(chromedp.CSS(`#note-`+first), "No formal CPD shown"),
		chromedp.Click(chromedp.CSS(`#cpd-audits tbody tr:first-child button[value="failed"]`)))
	tb.WaitFor(wait, `!!document.getElementById("notice")`)
	tb.Do(wait, chromedp.Click(chromedp.CSS(`#cpd-audits tbody tr:nth-child(2) button[value="passed"]`)))
	tb.WaitFor(wait, `document.querySelectorAll("#cpd-audits form").length === 0`)

	// The auditor's report.
	tb2 := browsertest.Start(t).NewTab(t)
	sys.signInKeyboard(tb2, "ida@nalw.example", idaSecret)
	tb2.Do(wait, chromedp.Click(chromedp.CSS(`nav a[href="/console/reports"]`)))
	waitPath(tb2, "/console/reports")
	assert.Equal(t, "4", strings.TrimSpace(tb2.Text("#renewals")))
	assert.Equal(t, "2, 1, 1", strings.TrimSpace(tb2.Text("#cpd-audits")))
	browsertest.Shoot(tb2, "console-psa-report", 1280, 800)
	browsertest.Shoot(tb2, "console-psa-report-360", 360, 740)
	noAxeViolations(tb2, axe, "the PSA report")
	// Printing leaves out the menu and the form (site.css, @media print).
	assert.True(t, browsertest.Eval[bool](tb2, `document.getElementById("report-period").classList.contains("no-print")`))
	href := browsertest.Eval[string](tb2, `document.getElementById("download-report").getAttribute("href")`)
	rowsCSV, err := csv.NewReader(strings.NewReader(fetchText(tb2, href))).ReadAll()
	require.NoError(t, err)
	assert.Contains(t, rowsCSV, []string{"cpd_audits", "failed", "", "", "", "", "1"})
	assert.Contains(t, rowsCSV, []string{"registrations", "renewed", "", "", "", "", "4"})

	// A bad date is refused with a clear message.
	tb2.Expect("status of 400")
	tb2.Do(wait, chromedp.Navigate(sys.url+"/console/reports?from=2026-02-30"))
	assert.Contains(t, tb2.Text("#error-message"), "From")
}
