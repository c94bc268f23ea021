package console

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/confirmations"
	"github.com/nalw/linkpass/confirmations/claims"
	"github.com/nalw/linkpass/internal/browsertest"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/staff"
)

var signInCode = regexp.MustCompile(`(?m)^\s+(\d{6})\s*$`)

// accountCode waits for the newest account sign-in code mailed to email.
func (s *system) accountCode(email string) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(s.outbox, "*.eml"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil || !strings.Contains(string(b), email) || !strings.Contains(string(b), "sign-in code") {
				continue
			}
			if m := signInCode.FindStringSubmatch(string(b)); m != nil {
				return m[1]
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("no account sign-in code mailed to %s", email)
	return ""
}

var sizes = []struct {
	name string
	w, h int64
}{{"desktop", 1280, 800}, {"phone", 360, 740}}

// The journey: an applicant applies at /apply claiming a course;
// its provider's staff confirm it from their queue, checking before it is
// recorded; the registrar sees the confirmation in the review and
// approves; the new registrant signs in to /account and sees it. A
// dispute on another application shows the registrar its reason. The
// provider's pages pass axe-core at 1280 and 360 px.
func TestBrowserAProviderConfirmsARegistrarApprovesTheRegistrantSeesIt(t *testing.T) {
	src := axeSource(t)
	sys := newSystem(t, "http")
	b := browsertest.Start(t)
	scan := func(tb *browsertest.Tab, what string) {
		t.Helper()
		for _, size := range sizes {
			tb.Do(wait, chromedp.EmulateViewport(size.w, size.h))
			assert.Empty(t, axe(tb, src), "%s at %s", what, size.name)
			assert.LessOrEqual(t, browsertest.Eval[int](tb, `document.documentElement.scrollWidth`), int(size.w), "%s scrolls sideways at %s", what, size.name)
		}
		tb.Do(wait, chromedp.EmulateViewport(1280, 800))
	}

	// The applicant claims the demonstration's course C1, the University
	// of Westminster's.
	ap := b.NewTab(t)
	ap.Expect("status of 400")
	ap.Expect("401 (Unauthorized)")
	noScript(ap)
	email := "temperance.okafor@example.org"
	sys.open(ap, "/apply")
	submit(ap, "#email-form", map[string]string{"email": email})
	ap.WaitFor(wait, `!!document.getElementById("apply-form")`)
	sys.apply(ap, map[string]string{"code": sys.codeFor(email), "given": "Temperance", "family": "Okafor", "nation": "england",
		"dob-day": "1", "dob-month": "4", "dob-year": "1990", "employer": "Lambeth PCN",
		"course-1": "C1", "course-1-awarded": "2024-06-30"}, answered...)
	require.True(t, browsertest.Eval[bool](ap, `!!document.getElementById("reference")`), "refused: %s", ap.Text("main"))
	ref := ap.Text("#reference")

	// The provider's staff member signs in and lands on their queue,
	// which shows the claim and nothing else of the applicant.
	prov, secret := sys.totpAccount("Priya Provider", "priya@westminster.example", register.RoleProvider)
	pt := b.NewTab(t)
	pt.Expect("status of 400")
	pt.Expect("status of 403") // the application, which is not theirs to open
	sys.signInKeyboardTo(pt, "priya@westminster.example", secret, "/console/claims")
	assert.Equal(t, "University of Westminster", pt.Text("#claims-provider"))
	row := pt.Text("#claims-table")
	assert.Contains(t, row, "Temperance Okafor")
	assert.Contains(t, row, "2024-06-30")
	for _, private := range []string{email, "Lambeth PCN", "1990"} {
		assert.NotContains(t, pt.Text("main"), private)
	}
	assert.False(t, browsertest.Eval[bool](pt, `!!document.querySelector('nav a[href="/console/registrants"]')`), "no link to the register")
	scan(pt, "the queue")
	pt.Do(wait, chromedp.Click(chromedp.CSS(`#claims-table a[href="/console/claims/`+ref+`/0"]`)))
	waitPath(pt, "/console/claims/"+ref+"/0")
	scan(pt, "the answer form")

	// No answer, and a dispute without a reason, are refused with a clear
	// message and record nothing.
	submitFresh(pt, "#answer-form", nil, `!!document.getElementById("error-summary")`)
	assert.Contains(t, pt.Text("#error-summary"), "Choose whether you confirm or dispute")
	scan(pt, "a refused answer")
	pt.Do(wait, chromedp.Click(chromedp.CSS("#outcome-disputed")))
	submitFresh(pt, "#answer-form", nil, `!!document.getElementById("error-summary")`)
	assert.Contains(t, pt.Text("#error-summary"), "Say why you dispute")
	assert.True(t, browsertest.Eval[bool](pt, `document.getElementById("outcome-disputed").checked`), "the form keeps the answer chosen")
	cs, err := sys.srv.State().ConfirmationsOf(confirmations.Subject{Application: ref})
	require.NoError(t, err)
	assert.Empty(t, cs, "nothing recorded")

	// Confirm: check, then confirm.
	pt.Do(wait, chromedp.Click(chromedp.CSS("#outcome-confirmed")))
	submitFresh(pt, "#answer-form", nil, `!!document.getElementById("check-answer")`)
	assert.Contains(t, pt.Text("#check-answer"), "Confirmed: Temperance Okafor completed this course")
	cs, _ = sys.srv.State().ConfirmationsOf(confirmations.Subject{Application: ref})
	assert.Empty(t, cs, "the check records nothing")
	scan(pt, "the check page")
	pt.Do(wait, chromedp.Click(chromedp.CSS("#confirm-button")))
	waitPath(pt, "/console/claims")
	assert.Contains(t, pt.Text("#notice"), "Confirmed")
	assert.NotContains(t, pt.Text("main"), "Temperance Okafor", "no longer waiting")
	sys.open(pt, "/console/claims?filter=answered")
	assert.Contains(t, pt.Text("#claims-table"), "Temperance Okafor")
	assert.Contains(t, pt.Text("#claims-table"), "Confirmed on")
	scan(pt, "the queue after an answer")
	sys.open(pt, "/console/applications/"+ref)
	assert.Contains(t, pt.Text("main"), "does not allow this page", "a provider cannot open the application")
	// Signed out: the tabs share the browser's cookies.
	pt.Do(wait, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)))
	waitPath(pt, "/login")

	// Another application, disputed by the same provider.
	other, err := sys.srv.Apply(context.Background(), register.Actor{TokenID: "applicant"}, fsm.SubmitApplication{New: applications.New{Given: "Oscar", Family: "Ng", Nation: "wales",
		Email: "oscar@example.org", DateOfBirth: "1985-02-03", Qualifications: []register.Qualification{{Course: "C1", Awarded: "2023-01-31"}},
		Declarations: applications.Declarations{Truthful: true}, PrivacyConsent: true}})
	require.NoError(t, err)
	otherRef := other.(*applications.Application).Ref
	_, err = claims.New(sys.srv).Answer(context.Background(), staff.ActorFor(prov), confirmations.Answer{Subject: confirmations.Subject{Application: otherRef},
		Outcome: confirmations.Disputed, Reason: "No record of Oscar Ng on this course."})
	require.NoError(t, err)

	// The registrar sees both answers, then approves the confirmed one.
	_, rsecret := sys.totpAccount("Rita Registrar", "rita@nalw.example", register.RoleRegistrar)
	rt := b.NewTab(t)
	sys.signInKeyboard(rt, "rita@nalw.example", rsecret)
	sys.open(rt, "/console/applications/"+otherRef)
	assert.Contains(t, rt.Text("#app-qualifications"), "Disputed by University of Westminster")
	assert.Contains(t, rt.Text("#app-qualifications"), "Reason: No record of Oscar Ng on this course.")
	sys.open(rt, "/console/applications/"+ref)
	today := string(register.DateOf(sys.srv.Now()))
	assert.Contains(t, rt.Text("#app-qualifications"), "Confirmed by University of Westminster on "+today)
	submit(rt, "#approve-form", nil)
	rt.WaitFor(wait, `!!document.getElementById("notice")`)
	n := rt.Text("#app-registrant")
	sys.open(rt, "/console/registrants/"+n)
	assert.Contains(t, rt.Text("#record-qualifications"), "Confirmed by University of Westminster on "+today, "the confirmation carried over")

	// The new registrant signs in to their account and sees it.
	sys.open(ap, "/account")
	waitPath(ap, "/account/sign-in")
	submit(ap, "#email-form", map[string]string{"email": email})
	waitPath(ap, "/account/sign-in/code")
	submit(ap, "#code-form", map[string]string{"code": sys.accountCode(email)})
	waitPath(ap, "/account")
	assert.Contains(t, ap.Text("#my-qualifications"), "Confirmed by University of Westminster on "+today)
}

// An admin creates a provider account on the staff page: the provider is
// required for the role, and the table shows which provider it is.
func TestBrowserAnAdminCreatesAProviderAccount(t *testing.T) {
	src := axeSource(t)
	sys := newSystem(t, "http")
	_, secret := sys.totpAccount("Ada Admin", "ada@nalw.example", register.RoleAdmin)
	tb := browsertest.Start(t).NewTab(t)
	tb.Expect("status of 400")
	sys.signInKeyboard(tb, "ada@nalw.example", secret)
	sys.open(tb, "/console/staff")
	for _, size := range sizes {
		tb.Do(wait, chromedp.EmulateViewport(size.w, size.h))
		assert.Empty(t, axe(tb, src), "the staff page at %s", size.name)
	}
	tb.Do(wait, chromedp.EmulateViewport(1280, 800))
	submit(tb, "#add-staff-form", map[string]string{"name": "Priya Provider", "email": "priya@westminster.example", "role": "provider"})
	tb.WaitFor(wait, `!!document.getElementById("error-summary")`)
	assert.Contains(t, tb.Text("#error-summary"), "belongs to one training provider")
	submit(tb, "#add-staff-form", map[string]string{"name": "Priya Provider", "email": "priya@westminster.example", "role": "provider", "provider": "P1"})
	tb.WaitFor(wait, `!!document.getElementById("setup-url")`)
	assert.Contains(t, tb.Text("#staff-table"), "provider of P1")
	a, err := sys.srv.State().StaffAccountByEmail("priya@westminster.example")
	require.NoError(t, err)
	assert.Equal(t, "P1", a.Provider)
}
