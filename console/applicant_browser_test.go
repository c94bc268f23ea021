package console

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

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/internal/browsertest"
	"github.com/nalw/linkpass/issuer/register"
)

// statusCode waits for the newest sign-in code mailed for application ref.
func (s *system) statusCode(ref string) string {
	s.t.Helper()
	var code string
	require.Eventually(s.t, func() bool {
		files, _ := filepath.Glob(filepath.Join(s.outbox, "*.eml"))
		var at time.Time
		for _, p := range files {
			b, _ := os.ReadFile(p)
			st, _ := os.Stat(p)
			if m := applyCode.FindSubmatch(b); m != nil && strings.Contains(string(b), "Your code to see application "+ref) && st.ModTime().After(at) {
				code, at = string(m[1]), st.ModTime()
			}
		}
		return code != ""
	}, wait, 20*time.Millisecond, "no sign-in code for %s", ref)
	return code
}

// application records an application through the intake, as /apply does.
func (s *system) application(given, email string) string {
	s.t.Helper()
	ctx := context.Background()
	require.NoError(s.t, s.apps.SendCode(ctx, email, "192.0.2.1"))
	a, err := s.apps.Submit(ctx, applications.New{Given: given, Family: "Okafor", Nation: "wales", Email: email, DateOfBirth: "1988-11-02",
		Qualifications: []register.Qualification{{Title: "Level 4 Certificate in Social Prescribing", Level: 4, Provider: "Open University", Accreditation: "other", Awarded: "2025-06-30"}},
		Declarations:   applications.Declarations{Truthful: true}, PrivacyConsent: true}, s.codeFor(email))
	require.NoError(s.t, err)
	return a.Ref
}

// statusSignIn signs the applicant's tab in to application ref.
func (s *system) statusSignIn(tb *browsertest.Tab, ref string, axe func(string)) {
	tb.T.Helper()
	s.open(tb, "/apply/status")
	waitPath(tb, "/apply/status")
	if browsertest.Eval[bool](tb, `!!document.getElementById("sign-out-form")`) {
		fresh(tb, `!!document.getElementById("ref-form")`, chromedp.Click(chromedp.CSS(`#sign-out-form button`)))
	}
	// The pages work without JavaScript: they carry none.
	assert.Zero(tb.T, browsertest.Eval[int](tb, `document.scripts.length`))
	axe("the applicant's sign-in")
	submit(tb, "#ref-form", map[string]string{"ref": ref})
	waitPath(tb, "/apply/status/sign-in")
	axe("the applicant's code page")
	code := s.statusCode(ref)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	submitFresh(tb, "#code-form", map[string]string{"code": wrong}, `!!document.getElementById("error-message")`)
	assert.Contains(tb.T, tb.Text("#error-message"), "4 tries left")
	axe("a wrong code")
	submit(tb, "#code-form", map[string]string{"code": code})
	waitPath(tb, "/apply/status")
	require.Equal(tb.T, ref, tb.Text("#app-ref"))
}

func TestBrowserARegistrarAsksTheApplicantAnswersOnlineAndAnAppealIsLodged(t *testing.T) {
	sys := newSystem(t, "http")
	src := browsertest.AxeSource(t, axeDir)
	b := browsertest.Start(t)
	ap := b.NewTab(t)
	ap.Expect("status of 400")
	ap.Expect("status of 409")
	axe := func(what string) {
		t.Helper()
		for _, size := range []struct {
			name string
			w, h int64
		}{{"desktop", 1280, 800}, {"phone", 360, 740}} {
			ap.Do(5*time.Second, chromedp.EmulateViewport(size.w, size.h))
			assert.Empty(t, browsertest.AxeViolations(ap, src), "%s at %s", what, size.name)
			assert.LessOrEqual(t, browsertest.Eval[int](ap, `document.documentElement.scrollWidth`), int(size.w), "%s scrolls sideways at %s", what, size.name)
		}
	}
	ref := sys.application("Temperance", "temperance@example.org")

	// The registrar asks for more information in the console.
	_, secret := sys.totpAccount("Rita Registrar", "rita@nalw.example", register.RoleRegistrar)
	rt := b.NewTab(t)
	rt.Expect("status of 400")
	sys.signInKeyboard(rt, "rita@nalw.example", secret)
	sys.open(rt, "/console/applications/"+ref)
	waitPath(rt, "/console/applications/"+ref)
	submitFresh(rt, "#info-form", map[string]string{"info-note": "Send the number on your certificate."}, `!!document.getElementById("notice")`)
	assert.Contains(t, rt.Text("#notice"), "emailed your request")

	// The applicant answers at /apply/status.
	sys.statusSignIn(ap, ref, axe)
	assert.Contains(t, ap.Text("#request"), "Send the number on your certificate.")
	axe("an application waiting for an answer")
	submitFresh(ap, "#answer-form", nil, `!!document.getElementById("error-message")`)
	assert.Contains(t, ap.Text("#error-message"), "Answer is required")
	axe("an answer refused")
	submitFresh(ap, "#answer-form", map[string]string{"answer": "Certificate OU-4471, awarded June 2025."}, `!!document.getElementById("notice")`)
	assert.Contains(t, ap.Text("#notice"), "Your answer is sent")
	assert.Equal(t, "answered", browsertest.Eval[string](ap, `document.getElementById("standing").dataset.state`))
	axe("an answered application")

	// The console shows it answered, with the answer and the mail sent;
	// the registrar approves.
	sys.open(rt, "/console/applications")
	waitPath(rt, "/console/applications")
	assert.Contains(t, rt.Text(`#applications-table tr[data-ref="`+ref+`"]`), "answered")
	assert.Contains(t, rt.Text("#queue-count"), "1 waiting")
	sys.open(rt, "/console/applications/"+ref)
	waitPath(rt, "/console/applications/"+ref)
	assert.Contains(t, rt.Text("#app-answer"), "Certificate OU-4471, awarded June 2025.")
	rt.WaitFor(wait, `!!document.querySelector('#app-mail tr[data-purpose="answer-received"]')`)
	for _, p := range []string{"application-received", "more-information", "sign-in-code", "answer-received"} {
		assert.True(t, browsertest.Eval[bool](rt, `!!document.querySelector('#app-mail tr[data-purpose="`+p+`"]')`), "the %s email is on the application", p)
	}
	submitFresh(rt, "#approve-form", nil, `!!document.getElementById("notice")`)
	assert.Contains(t, rt.Text("#notice"), "Approved")
	n := rt.Text("#app-registrant")
	assert.Equal(t, register.Registered, sys.registrant(n).Status)
	fresh(ap, `!!document.getElementById("registrant")`, chromedp.Reload())
	assert.Equal(t, n, ap.Text("#registrant"))
	axe("an approved application")

	// A refusal, appealed online within the period.
	ref2 := sys.application("Gwen", "gwen@example.org")
	sys.open(rt, "/console/applications/"+ref2)
	waitPath(rt, "/console/applications/"+ref2)
	submitFresh(rt, "#refuse-form", map[string]string{"refuse-note": "The qualification is not at level 4."}, `!!document.getElementById("notice")`)
	sys.statusSignIn(ap, ref2, func(string) {})
	assert.NotEmpty(t, ap.Text("#appeal-by"))
	axe("a refusal that may be appealed")
	submitFresh(ap, "#appeal-form", map[string]string{"grounds": "The course is aligned with NALW standards; see the catalogue."}, `!!document.getElementById("notice")`)
	assert.Contains(t, ap.Text("#notice"), "Your appeal is lodged")
	sys.open(rt, "/console/applications")
	waitPath(rt, "/console/applications")
	assert.Contains(t, rt.Text(`#applications-table tr[data-ref="`+ref2+`"]`), "appealed")
	sys.open(rt, "/console/applications/"+ref2)
	waitPath(rt, "/console/applications/"+ref2)
	assert.True(t, browsertest.Eval[bool](rt, `!!document.getElementById("decide-form")`), "the appeal waits for a decision")
	assert.Contains(t, rt.Text("#app-history"), "appealed by applicant: The course is aligned")

	// After the period, the page says the refusal can no longer be
	// appealed, and offers no form.
	ref3 := sys.application("Hywel", "hywel@example.org")
	sys.open(rt, "/console/applications/"+ref3)
	waitPath(rt, "/console/applications/"+ref3)
	submitFresh(rt, "#refuse-form", map[string]string{"refuse-note": "No qualification at level 4."}, `!!document.getElementById("notice")`)
	sys.clk.Add(29 * 24 * time.Hour)
	sys.statusSignIn(ap, ref3, func(string) {})
	assert.Contains(t, ap.Text("#appeal-ended"), "can no longer be appealed online")
	assert.False(t, browsertest.Eval[bool](ap, `!!document.getElementById("appeal-form")`))
	axe("a refusal past its appeal period")
	a, err := sys.srv.State().Application(ref3)
	require.NoError(t, err)
	assert.Equal(t, applications.Refused, a.State)
}
