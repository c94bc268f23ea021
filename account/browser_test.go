package account_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/internal/browsertest"
	"github.com/nalw/linkpass/issuer/register"
)

// These tests drive the account in a real headless Chromium, with no
// script on the pages: what a link worker does on a phone.

const axeDir = "../web/testdata/axe"

func open(tb *browsertest.Tab, s *system, p string) {
	tb.T.Helper()
	tb.Do(wait, chromedp.Navigate(s.url+p))
}

// fill sets fields (id → value) and submits the form with its button.
func fill(tb *browsertest.Tab, form string, fields map[string]string, check ...string) {
	tb.T.Helper()
	var acts []chromedp.Action[chromedp.Void]
	for id, v := range fields {
		acts = append(acts, chromedp.SetValue(chromedp.CSS(form+" #"+id), v))
	}
	for _, id := range check {
		acts = append(acts, chromedp.Click(chromedp.CSS(form+" #"+id)))
	}
	acts = append(acts, chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))
	tb.Do(wait, acts...)
}

func waitPath(tb *browsertest.Tab, p string) {
	tb.T.Helper()
	tb.WaitFor(wait, fmt.Sprintf(`location.pathname === %q && document.readyState === "complete"`, p))
}

func TestRegistrantSignsInRecordsCPDAndRenewsInChromium(t *testing.T) {
	s := newSystem(t)
	src := browsertest.AxeSource(t, axeDir)
	tb := browsertest.Start(t).NewTab(t)
	tb.Expect("400 (Bad Request)")
	tb.Expect("401 (Unauthorized)")
	axe := func(what string) {
		t.Helper()
		for _, size := range []struct {
			name string
			w, h int64
		}{{"desktop", 1280, 800}, {"phone", 360, 740}} {
			tb.Do(5*time.Second, chromedp.EmulateViewport(size.w, size.h))
			assert.Empty(t, browsertest.AxeViolations(tb, src), "%s at %s", what, size.name)
			assert.LessOrEqual(t, browsertest.Eval[int](tb, `document.documentElement.scrollWidth`), int(size.w), "%s scrolls sideways at %s", what, size.name)
		}
	}

	// An unknown address gets the same page as a known one.
	open(tb, s, "/account")
	waitPath(tb, "/account/sign-in")
	axe("sign-in")
	fill(tb, "#email-form", map[string]string{"email": "nobody@example.org"})
	waitPath(tb, "/account/sign-in/code")
	unknown := tb.Text("main")
	fill(tb, "#code-form", map[string]string{"code": "123456"})
	tb.WaitFor(wait, `!!document.getElementById("error-message")`)
	assert.Contains(t, tb.Text("#error-message"), "That code is not right")
	axe("a wrong code")

	open(tb, s, "/account/sign-in")
	fill(tb, "#email-form", map[string]string{"email": amaraEmail})
	waitPath(tb, "/account/sign-in/code")
	assert.Equal(t, unknown, tb.Text("main"), "the page does not say whether the address is on the register")
	axe("code")
	fill(tb, "#code-form", map[string]string{"code": s.nextCode(amaraEmail)})
	waitPath(tb, "/account")
	assert.Contains(t, tb.Text("#registered-until"), longDate(s.amara.RegisteredUntil))
	assert.Contains(t, tb.Text("#public-entry"), "Amara Nwosu")
	axe("account home")

	// Bad input is refused with a message, then CPD is recorded.
	open(tb, s, "/account/cpd")
	today := register.DateOf(s.srv.Now())
	fill(tb, "#cpd-form", map[string]string{"date": string(today), "title": "Safeguarding adults", "points": "lots"}, "kind-formal")
	tb.WaitFor(wait, `!!document.getElementById("error-message")`)
	assert.Contains(t, tb.Text("#error-message"), "Points must be")
	axe("CPD with an error")
	fill(tb, "#cpd-form", map[string]string{"points": "12", "provider": "NALW", "reflection": "I refer differently now."})
	tb.WaitFor(wait, `!!document.getElementById("notice")`)
	fill(tb, "#cpd-form", map[string]string{"date": string(today), "title": "Peer supervision", "points": "8"}, "kind-informal")
	tb.WaitFor(wait, `document.querySelectorAll("#cpd-list tbody tr").length === 2`)
	assert.Contains(t, tb.Text("#cpd-summary"), "20")
	axe("CPD")
	tb.Do(wait, chromedp.Click(chromedp.CSS(`#cpd-list a`)))
	tb.WaitFor(wait, `!!document.getElementById("delete-form")`)
	axe("CPD edit")

	// Renew: the declaration, then the new date on the account page.
	open(tb, s, "/account/renew")
	axe("renew")
	fill(tb, "#renew-form", nil, "details", "fit", "health")
	tb.WaitFor(wait, `!!document.getElementById("error-message")`)
	assert.Contains(t, tb.Text("#error-message"), "convictions")
	fill(tb, "#renew-form", nil, "convictions")
	waitPath(tb, "/account")
	want := longDate(s.amara.RegisteredUntil.AddYears(1))
	assert.Contains(t, tb.Text("#notice"), "renewed until "+want)
	assert.Contains(t, tb.Text("#registered-until"), want)

	// Add to the wallet: the code is on screen.
	tb.Do(wait, chromedp.Click(chromedp.CSS(`#wallet-form button`)))
	tb.WaitFor(wait, `!!document.getElementById("tx-code")`)
	assert.Regexp(t, `^\d{6}$`, strings.TrimSpace(tb.Text("#tx-code")))
	axe("wallet offer")

	now, err := s.srv.State().Registrant(s.amara.Number)
	require.NoError(t, err)
	assert.Equal(t, s.amara.RegisteredUntil.AddYears(1), now.RegisteredUntil)
}

func longDate(d register.Date) string { return d.Time().Format("2 January 2006") }
