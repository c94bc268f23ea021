package console

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/internal/browsertest"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

var applyCode = regexp.MustCompile(`(?m)^ {4}(\d{6})\r?$`)

// codeFor reads the newest application code mailed to email.
func (s *system) codeFor(email string) string {
	s.t.Helper()
	files, err := filepath.Glob(filepath.Join(s.outbox, "*code-*.eml"))
	require.NoError(s.t, err)
	var newest string
	var at time.Time
	for _, p := range files {
		b, err := os.ReadFile(p)
		require.NoError(s.t, err)
		st, err := os.Stat(p)
		require.NoError(s.t, err)
		if m := applyCode.FindSubmatch(b); m != nil && strings.Contains(string(b), email) && !st.ModTime().Before(at) {
			newest, at = string(m[1]), st.ModTime()
		}
	}
	require.NotEmpty(s.t, newest, "no code for %s in the outbox", email)
	return newest
}

// noScript turns script off in the tab: the applicant's pages must work
// without it.
func noScript(tb *browsertest.Tab) {
	tb.T.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, 5*time.Second)
	defer cancel()
	_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	require.NoError(tb.T, err)
}

// apply fills in and sends the application form: fields by id, and the
// radios and boxes named in checked ticked (the others cleared).
func (s *system) apply(tb *browsertest.Tab, fields map[string]string, checked ...string) {
	tb.T.Helper()
	var acts []chromedp.Action[chromedp.Void]
	for id, v := range fields {
		acts = append(acts, chromedp.SetValue(chromedp.CSS("#apply-form #"+id), v))
	}
	tb.Do(wait, acts...)
	browsertest.Eval[bool](tb, `(() => { const on = new Set(`+jsList(checked)+`);
		for (const e of document.querySelectorAll('#apply-form input[type=radio], #apply-form input[type=checkbox]')) e.checked = on.has(e.id);
		window.sent = true; return true })()`)
	tb.Do(wait, chromedp.Click(chromedp.CSS(`#apply-form button[type=submit]`)))
	// A new page, not the one the form was on.
	tb.WaitFor(wait, `!window.sent && document.readyState === "complete" && (!!document.getElementById("reference") || !!document.getElementById("error-summary"))`)
}

func jsList(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = `"` + id + `"`
	}
	return "[" + strings.Join(q, ",") + "]"
}

// answered are the declarations of an applicant with nothing to declare.
var answered = []string{"ftp-no", "convictions-no", "health-no", "truthful", "consent"}

func TestBrowserAnApplicantAppliesARegistrarApprovesTheRegisterShowsThem(t *testing.T) {
	sys := newSystem(t, "http")
	b := browsertest.Start(t)
	ap := b.NewTab(t)
	ap.Expect("status of 400") // refused forms, on purpose
	noScript(ap)

	// The email, proved by a code from the outbox.
	sys.open(ap, "/apply")
	assert.Contains(t, ap.Text("main"), "See which courses count")
	submit(ap, "#email-form", map[string]string{"email": "amara at example"})
	ap.WaitFor(wait, `!!document.getElementById("error-summary")`)
	assert.Contains(t, ap.Text("#error-summary"), "is not a plain address like name@example.org")
	submit(ap, "#email-form", map[string]string{"email": "amara.nwosu@example.org"})
	ap.WaitFor(wait, `!!document.getElementById("apply-form")`)
	assert.Contains(t, ap.Text("#notice"), "We have sent a 6-digit code to amara.nwosu@example.org")
	code := sys.codeFor("amara.nwosu@example.org")

	fields := map[string]string{"code": code, "given": "Temperance", "family": "Okafor", "nation": "england",
		"dob-day": "1", "dob-month": "4", "dob-year": "1990", "employer": "Lambeth PCN",
		"course-1": "C1", "course-1-awarded": "2024-06-30"}
	// Bad input gets a clear message, and the form keeps what was typed
	// (the code too: it is used only once an application is recorded).
	bad := []struct {
		change  map[string]string
		checked []string
		want    string
	}{
		{map[string]string{"dob-month": "13"}, answered, "Date of birth"},
		{map[string]string{"course-1-awarded": "30/06/2024"}, answered, "Qualification 1: awarded"},
		{nil, []string{"ftp-no", "convictions-no", "health-yes", "truthful", "consent"}, "Give details of each declaration you answered yes to"},
		{nil, []string{"ftp-no", "convictions-no", "health-no", "truthful"}, "Agree to the privacy notice"},
		{nil, []string{"ftp-no", "convictions-no", "truthful", "consent"}, "answer yes or no to each of the three declarations"},
		{map[string]string{"code": "000000"}, answered, "code is not right"},
	}
	for _, tc := range bad {
		if tc.change["code"] == code {
			continue
		}
		f := map[string]string{}
		for k, v := range fields {
			f[k] = v
		}
		for k, v := range tc.change {
			f[k] = v
		}
		sys.apply(ap, f, tc.checked...)
		require.True(t, browsertest.Eval[bool](ap, `!!document.getElementById("error-summary")`), "accepted: %v", tc.change)
		assert.Contains(t, ap.Text("#error-summary"), tc.want)
		assert.Equal(t, "Okafor", browsertest.Eval[string](ap, `document.getElementById("family").value`), "the form keeps what was typed")
	}
	apps, err := sys.srv.State().Applications("")
	require.NoError(t, err)
	assert.Empty(t, apps, "no refused form recorded anything")

	sys.apply(ap, fields, answered...)
	require.True(t, browsertest.Eval[bool](ap, `!!document.getElementById("reference")`), "refused: %s", ap.Text("main"))
	ref := ap.Text("#reference")
	assert.Regexp(t, `^A\d{4}$`, ref)

	// Not on the public register yet.
	sys.open(ap, "/register?q=temperance+okafor")
	ap.WaitFor(wait, `document.readyState === "complete"`)
	assert.NotContains(t, ap.Text("main"), "Temperance Okafor")

	// A registrar approves in the console.
	_, secret := sys.totpAccount("Rita Registrar", "rita@nalw.example", register.RoleRegistrar)
	rt := b.NewTab(t)
	rt.Expect("status of 400")
	sys.signInKeyboard(rt, "rita@nalw.example", secret)
	rt.Do(wait, chromedp.Click(chromedp.CSS(`nav a[href="/console/applications"]`)))
	waitPath(rt, "/console/applications")
	assert.Contains(t, rt.Text("#queue-count"), "1 waiting")
	rt.Do(wait, chromedp.Click(chromedp.CSS(`#applications-table a[href="/console/applications/`+ref+`"]`)))
	waitPath(rt, "/console/applications/"+ref)
	assert.Contains(t, rt.Text("#app-qualifications"), "Level 4 Certificate in Social Prescribing")
	assert.False(t, browsertest.Eval[bool](rt, `!!document.getElementById("removed-flag")`))
	// A refusal without reasons is refused, and changes nothing.
	submit(rt, "#refuse-form", nil)
	rt.WaitFor(wait, `!!document.getElementById("error-message")`)
	assert.Contains(t, rt.Text("#error-message"), "Reasons for refusing is required")
	a, err := sys.srv.State().Application(ref)
	require.NoError(t, err)
	assert.Equal(t, applications.Submitted, a.State)
	submit(rt, "#approve-form", nil)
	rt.WaitFor(wait, `!!document.getElementById("notice")`)
	assert.Contains(t, rt.Text("#notice"), "Approved")
	n := rt.Text("#app-registrant")
	assert.Equal(t, register.Registered, sys.registrant(n).Status)
	assert.Contains(t, outboxText(t, sys.outbox), "Welcome to")

	// On the public register now.
	sys.open(ap, "/register?q=temperance+okafor")
	ap.WaitFor(wait, `document.readyState === "complete"`)
	assert.Contains(t, ap.Text("main"), "Temperance Okafor")
	assert.Contains(t, ap.Text("main"), n)

	// Removed, then applying again with another email: the registrar is
	// told, on the queue and on the application.
	// (Removed straight through the log: the two-person rule's proposal
	// and approval are the registrants pages' to test.)
	_, err = sys.srv.Apply(context.Background(), sys.admin, fsm.ChangeRegistrant{Number: n, Op: fsm.OpRemove, Reason: "Removed by panel decision FTP-12."})
	require.NoError(t, err)
	require.Equal(t, register.Removed, sys.registrant(n).Status)
	sys.open(ap, "/apply")
	submit(ap, "#email-form", map[string]string{"email": "a.nwosu@example.net"})
	ap.WaitFor(wait, `!!document.getElementById("apply-form")`)
	fields["code"] = sys.codeFor("a.nwosu@example.net")
	fields["given"] = "TEMPERANCE"
	sys.apply(ap, fields, answered...)
	require.True(t, browsertest.Eval[bool](ap, `!!document.getElementById("reference")`), "refused: %s", ap.Text("main"))
	again := ap.Text("#reference")
	sys.open(rt, "/console/applications")
	assert.Contains(t, rt.Text(`#applications-table tr[data-ref="`+again+`"]`), "Previously removed: "+n)
	sys.open(rt, "/console/applications/"+again)
	assert.Contains(t, rt.Text("#removed-flag"), n)
	assert.Contains(t, rt.Text("#removed-flag"), "matched on name and date of birth")
}

// The applicant's pages and the registrars' education pages pass
// axe-core at desktop width and at 360 px, in every state a person meets.
func TestBrowserApplyAndEducationPagesPassAxe(t *testing.T) {
	src := axeSource(t)
	sys := newSystem(t, "http")
	_, secret := sys.totpAccount("Rita Registrar", "rita@nalw.example", register.RoleRegistrar)
	b := browsertest.Start(t)
	tb := b.NewTab(t)
	tb.Expect("status of 400")
	sys.signInKeyboard(tb, "rita@nalw.example", secret)
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 800}, {"phone", 360, 740}} {
		tb.Do(wait, chromedp.EmulateViewport(size.w, size.h))
		sys.open(tb, "/apply")
		assert.Empty(t, axe(tb, src), "/apply at %s", size.name)
		submit(tb, "#email-form", map[string]string{"email": "nope"})
		tb.WaitFor(wait, `!!document.getElementById("error-summary")`)
		assert.Empty(t, axe(tb, src), "/apply refused email at %s", size.name)
		email := size.name + "@example.org"
		submit(tb, "#email-form", map[string]string{"email": email})
		tb.WaitFor(wait, `!!document.getElementById("apply-form")`)
		assert.Empty(t, axe(tb, src), "/apply form at %s", size.name)
		sys.apply(tb, map[string]string{"code": sys.codeFor(email), "given": "Axel", "family": "Checker"})
		assert.Empty(t, axe(tb, src), "/apply refused form at %s", size.name)
		sys.apply(tb, map[string]string{"code": sys.codeFor(email), "given": "Axel", "family": "Checker", "nation": "wales",
			"dob-day": "2", "dob-month": "3", "dob-year": "1980", "course-1": "C3", "course-1-awarded": "2024-05-01"}, answered...)
		require.True(t, browsertest.Eval[bool](tb, `!!document.getElementById("reference")`), "refused: %s", tb.Text("main"))
		assert.Empty(t, axe(tb, src), "/apply done at %s", size.name)
		ref := tb.Text("#reference")
		for _, p := range []string{"/courses", "/console/courses", "/console/applications", "/console/applications/" + ref} {
			sys.open(tb, p)
			assert.Empty(t, axe(tb, src), "%s at %s", p, size.name)
		}
	}
}
