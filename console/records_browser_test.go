package console

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/internal/browsertest"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/registrants"
	"github.com/nalw/linkpass/trustbundle"
	"github.com/nalw/linkpass/verifier"
)

// fillAction fills an action's form (field name → value), continues to
// the preview and returns once it is shown.
func fillAction(tb *browsertest.Tab, fields map[string]string) {
	tb.T.Helper()
	var acts []chromedp.Action[chromedp.Void]
	for id, v := range fields {
		acts = append(acts, chromedp.SetValue(chromedp.CSS("#action-form #"+id), v))
	}
	acts = append(acts, chromedp.Click(chromedp.ID("action-continue")))
	tb.Do(wait, acts...)
	tb.WaitFor(wait, `!!document.getElementById("confirm-form") || !!document.getElementById("error-message")`)
	if browsertest.Eval[bool](tb, `!!document.getElementById("error-message")`) {
		tb.T.Fatalf("the form was refused: %s", tb.Text("#error-message"))
	}
}

// act runs an action on a record through its form, preview and
// confirmation, and returns once the record shows the change.
func (s *system) act(tb *browsertest.Tab, number, action string, fields map[string]string) {
	tb.T.Helper()
	s.open(tb, "/console/registrants/"+number+"/"+action)
	fillAction(tb, fields)
	tb.Do(wait, chromedp.Click(chromedp.ID("confirm-button")))
	waitPath(tb, "/console/registrants/"+number)
	tb.WaitFor(wait, `!!document.getElementById("notice")`)
}

// actIssuing runs an action that issues a credential and returns it.
func (s *system) actIssuing(tb *browsertest.Tab, number, action string, fields map[string]string) string {
	tb.T.Helper()
	s.open(tb, "/console/registrants/"+number+"/"+action)
	fillAction(tb, fields)
	tb.Do(wait, chromedp.Click(chromedp.ID("confirm-button")))
	tb.WaitFor(wait, `!!document.getElementById("issued-jwt")`)
	return browsertest.Eval[string](tb, `document.getElementById("issued-jwt").value`)
}

// verify checks a credential as a practice would: with the register's
// trust bundle, through the verifier library.
func (s *system) verify(token string) verifier.Outcome {
	s.t.Helper()
	b, err := s.srv.TrustBundle()
	require.NoError(s.t, err)
	checked, err := b.Check(s.clk.Now(), trustbundle.WithAnchor(s.srv.RootFingerprint()))
	require.NoError(s.t, err)
	v, err := checked.Verifier(nil, verifier.WithClock(s.clk.Now))
	require.NoError(s.t, err)
	return v.Verify(context.Background(), token).Outcome
}

func (s *system) registrant(n string) *register.Registrant {
	s.t.Helper()
	r, err := s.srv.State().Registrant(n)
	require.NoError(s.t, err)
	return r
}

// shoot takes a page's screenshots at desktop and phone widths.
func shoot(tb *browsertest.Tab, name string) {
	tb.T.Helper()
	browsertest.Shoot(tb, name, 1280, 800)
	browsertest.Shoot(tb, name+"-360", 360, 740)
	tb.Do(wait, chromedp.EmulateViewport(1280, 800))
}

// A registrant's whole life through the console: added, qualified, CPD
// recorded, credentialled and sent to a wallet, restricted and freed,
// suspended and reinstated, renewed, corrected (which re-issues the
// credential) and finally removed, the restriction and the removal each
// proposed by one registrar and approved by a second.
func TestBrowserARegistrantsWholeLifeThroughTheConsole(t *testing.T) {
	sys := newSystem(t, "http")
	_, secret := sys.totpAccount("Rita Registrar", "rita@nalw.example", register.RoleRegistrar)
	_, samSecret := sys.totpAccount("Sam Second", "sam@nalw.example", register.RoleRegistrar)
	tb := browsertest.Start(t).NewTab(t)
	sys.signInKeyboard(tb, "rita@nalw.example", secret)

	// Added.
	tb.Do(wait, chromedp.Click(chromedp.CSS(`nav a[href="/console/registrants"]`)))
	waitPath(tb, "/console/registrants")
	shoot(tb, "console-find")
	tb.Do(wait, chromedp.Click(chromedp.ID("add-registrant")))
	waitPath(tb, "/console/registrants/new")
	shoot(tb, "console-add")
	fillAction(tb, map[string]string{"given_name": "Siân", "family_name": "Ofarrell", "nation": "wales", "email": "sian@example.org",
		"course": "C1", "awarded": string(register.DateOf(sys.clk.Now()).AddDays(-40))})
	assert.Contains(t, tb.Text("#preview-changes"), "Siân")
	shoot(tb, "console-add-check")
	tb.Do(wait, chromedp.Click(chromedp.ID("confirm-button")))
	tb.WaitFor(wait, `!!document.getElementById("record-regno")`)
	n := tb.Text("#record-regno")
	assert.Contains(t, tb.Text("#notice"), "Added Siân Ofarrell to the register as "+n)
	assert.Equal(t, register.Registered, sys.registrant(n).Status)

	// Found again, by a folded name.
	sys.open(tb, "/console/registrants?q=SIAN+OFARRELL")
	tb.WaitFor(wait, `!!document.querySelector('#found tr[data-regno="`+n+`"]')`)
	shoot(tb, "console-find-results")

	awarded := string(register.DateOf(sys.clk.Now()).AddDays(-30))
	sys.act(tb, n, "add-qualification", map[string]string{"title": "Level 4 Certificate in Social Prescribing", "level": "4", "provider": "University of Westminster",
		"accreditation": "nalw-accredited", "awarded": awarded})
	assert.Contains(t, tb.Text("#record-qualifications"), "Level 4 Certificate in Social Prescribing")
	sys.act(tb, n, "cpd", map[string]string{"year": "2026", "hours": "22", "formal_hours": "12"})
	assert.Contains(t, tb.Text("#record-cpd"), "22")

	// A credential, then the offer to the wallet: the code on screen, the
	// link by mail.
	first := sys.actIssuing(tb, n, "issue-credential", nil)
	assert.Equal(t, verifier.OutcomeValid, sys.verify(first))
	shoot(tb, "console-issued")
	sys.open(tb, "/console/registrants/"+n+"/send-credential")
	fillAction(tb, nil)
	assert.Contains(t, tb.Text("#preview-credentials"), "sian@example.org")
	tb.Do(wait, chromedp.Click(chromedp.ID("confirm-button")))
	tb.WaitFor(wait, `!!document.getElementById("tx-code")`)
	code := tb.Text("#tx-code")
	assert.Regexp(t, `^[0-9]{4,}$`, code)
	shoot(tb, "console-offer")
	mailed := outboxText(t, sys.outbox)
	assert.Contains(t, mailed, "credential_offer_uri", "the link went by mail")
	assert.NotContains(t, mailed, code, "the code did not")

	// Restricted: proposed by Rita, approved by Sam; then freed.
	review := string(register.DateOf(sys.clk.Now()).AddDays(90))
	sys.open(tb, "/console/registrants/"+n+"/restrict")
	fillAction(tb, map[string]string{"text": "Must work under supervision", "reason": "Panel decision 2026/14", "review": review})
	assert.Contains(t, tb.Text("#needs-approval"), "second registrar")
	tb.Do(wait, chromedp.Click(chromedp.ID("confirm-button")))
	waitPath(tb, "/console/registrants/"+n)
	assert.Contains(t, tb.Text("#notice"), "Nothing has changed yet")
	assert.False(t, sys.registrant(n).Restricted(), "proposed, not made")
	sys.switchTo(tb, "sam@nalw.example", samSecret)
	sys.approveOnly(tb)
	assert.Contains(t, tb.Text("#notice"), "Approved")
	assert.True(t, sys.registrant(n).Restricted())
	sys.switchTo(tb, "rita@nalw.example", secret)
	sys.open(tb, "/console/registrants/"+n)
	assert.Contains(t, tb.Text("#record-restrictions"), "Must work under supervision")
	assert.Equal(t, verifier.OutcomeRevoked, sys.verify(first), "a change of restrictions revokes what was issued")
	sys.act(tb, n, "unrestrict", map[string]string{"reason": "Supervision period completed"})
	assert.False(t, sys.registrant(n).Restricted())

	// Suspended until a date, with a review; reinstated.
	until := string(register.DateOf(sys.clk.Now()).AddDays(60))
	sys.open(tb, "/console/registrants/"+n+"/suspend")
	fillAction(tb, map[string]string{"reason": "Interim order", "until": until, "review": review})
	assert.Contains(t, tb.Text("#preview-changes"), until)
	shoot(tb, "console-suspend-check")
	tb.Do(wait, chromedp.Click(chromedp.ID("confirm-button")))
	waitPath(tb, "/console/registrants/"+n)
	assert.Equal(t, register.Suspended, sys.registrant(n).Status)
	assert.Equal(t, register.Date(until), sys.registrant(n).SuspendedUntil)
	sys.act(tb, n, "reinstate", map[string]string{"reason": "Interim order lifted on appeal"})
	assert.Equal(t, register.Registered, sys.registrant(n).Status)

	before := sys.registrant(n).RegisteredUntil
	sys.act(tb, n, "renew", nil)
	assert.Equal(t, before.AddYears(1), sys.registrant(n).RegisteredUntil)

	// A correction re-issues the credential: the old one verifies as
	// revoked, the new one as valid.
	old := sys.actIssuing(tb, n, "issue-credential", nil)
	require.Equal(t, verifier.OutcomeValid, sys.verify(old))
	reissued := sys.actIssuing(tb, n, "correct", map[string]string{"family_name": "O'Farrell", "reason": "Misspelt when entered"})
	assert.Contains(t, tb.Text("#notice"), "superseded")
	assert.Equal(t, verifier.OutcomeRevoked, sys.verify(old))
	assert.Equal(t, verifier.OutcomeValid, sys.verify(reissued))
	assert.Equal(t, "O'Farrell", sys.registrant(n).Family)

	// The record: every field, and its history with who and why.
	sys.open(tb, "/console/registrants/"+n)
	hist := tb.Text("#timeline")
	for _, want := range []string{"Record corrected", "Misspelt when entered", "Ofarrell", "Rita Registrar", "Suspended", "Interim order", "Restriction added", "Wallet offer made"} {
		assert.Contains(t, hist, want)
	}
	assert.Contains(t, tb.Text("#record-email"), "sian@example.org")
	shoot(tb, "console-record")

	// Removed: Rita proposes, typing the number; her own approval is
	// refused; Sam approves.
	sys.open(tb, "/console/registrants/"+n+"/remove")
	shoot(tb, "console-remove")
	fillAction(tb, map[string]string{"reason": "Struck off by the conduct panel", "registration_number": n})
	shoot(tb, "console-remove-check")
	tb.Do(wait, chromedp.Click(chromedp.ID("confirm-button")))
	waitPath(tb, "/console/registrants/"+n)
	assert.Contains(t, tb.Text("#record-proposals"), "Removal")
	assert.Equal(t, register.Registered, sys.registrant(n).Status)
	ps, err := sys.regs.Proposals(register.ProposalPending)
	require.NoError(t, err)
	require.Len(t, ps, 1)
	id := ps[0].ID
	sys.open(tb, "/console/approvals")
	assert.Contains(t, tb.Text("#mine-"+id), "second registrar must approve")
	assert.False(t, browsertest.Eval[bool](tb, `!!document.getElementById("approve-`+id+`")`), "no approve button for the proposer")
	shoot(tb, "console-approvals-own")
	// The approval posted anyway, as a form of her own, is refused.
	tb.Expect("status of 403")
	browsertest.Eval[bool](tb, `(() => { const f = document.createElement("form"); f.method = "post"; f.action = "/console/approvals/`+id+`/approve";
		const c = document.createElement("input"); c.name = "csrf"; c.value = document.querySelector("input[name=csrf]").value; f.append(c);
		document.body.append(f); f.submit(); return true })()`)
	tb.WaitFor(wait, `!!document.getElementById("error-message")`)
	assert.Contains(t, tb.Text("#error-message"), "a second registrar must approve it")
	assert.Equal(t, register.Registered, sys.registrant(n).Status, "her own approval removed nobody")

	sys.switchTo(tb, "sam@nalw.example", samSecret)
	sys.open(tb, "/console")
	assert.Contains(t, tb.Text("#pending-approvals"), "1 change waits")
	tb.Do(wait, chromedp.Click(chromedp.CSS("#pending-approvals a")))
	waitPath(tb, "/console/approvals")
	assert.Contains(t, tb.Text("#proposal-"+id), "Rita Registrar")
	assert.Contains(t, tb.Text("#proposal-"+id), "removed")
	shoot(tb, "console-approvals")
	tb.Do(wait, chromedp.Click(chromedp.ID("approve-"+id)))
	tb.WaitFor(wait, `!!document.getElementById("notice")`)
	assert.Equal(t, register.Removed, sys.registrant(n).Status)
	assert.Equal(t, verifier.OutcomeRevoked, sys.verify(reissued))
	sys.open(tb, "/console/registrants/"+n)
	hist = tb.Text("#timeline")
	assert.Contains(t, hist, "Proposal approved")
	assert.Contains(t, hist, "Sam Second")
	assert.Contains(t, hist, "Proposed for approval")
}

// switchTo signs out and signs in as another account.
func (s *system) switchTo(tb *browsertest.Tab, email, secret string) {
	tb.T.Helper()
	s.open(tb, "/console")
	tb.Do(wait, chromedp.Click(chromedp.CSS(`nav form[action="/logout"] button`)))
	waitPath(tb, "/login")
	s.signInKeyboard(tb, email, secret)
}

// approveOnly approves the one proposal waiting.
func (s *system) approveOnly(tb *browsertest.Tab) {
	tb.T.Helper()
	ps, err := s.regs.Proposals(register.ProposalPending)
	require.NoError(tb.T, err)
	require.Len(tb.T, ps, 1)
	s.open(tb, "/console/approvals")
	tb.Do(wait, chromedp.Click(chromedp.ID("approve-"+ps[0].ID)))
	tb.WaitFor(wait, `!!document.getElementById("notice")`)
}

// outboxText is every mail in the outbox, as one text.
func outboxText(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		b.Write(data)
		return err
	}))
	return b.String()
}

// One action with the keyboard alone: from the record, Tab to "Record
// CPD", fill the form, continue, confirm.
func TestBrowserAnActionWithTheKeyboardAlone(t *testing.T) {
	sys := newSystem(t, "http")
	r := sys.addRegistrant("Kay", "Board", "kay@example.org")
	_, secret := sys.totpAccount("Rita Registrar", "rita@nalw.example", register.RoleRegistrar)
	tb := browsertest.Start(t).NewTab(t)
	sys.signInKeyboard(tb, "rita@nalw.example", secret)
	sys.open(tb, "/console/registrants/"+r.Number)
	tabTo(tb, "action-cpd", 60)
	tb.Do(wait, chromedp.KeyEvent(kb.Enter))
	waitPath(tb, "/console/registrants/"+r.Number+"/cpd")
	tabTo(tb, "year", 20)
	tb.Do(wait, chromedp.KeyEvent("2026"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("21.5"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("10"), chromedp.KeyEvent(kb.Enter))
	tb.WaitFor(wait, `!!document.getElementById("confirm-form")`)
	tabTo(tb, "confirm-button", 30)
	tb.Do(wait, chromedp.KeyEvent(kb.Enter))
	waitPath(tb, "/console/registrants/"+r.Number)
	tb.WaitFor(wait, `!!document.getElementById("notice")`)
	require.Len(t, sys.registrant(r.Number).CPD, 1)
	assert.Equal(t, register.CPD{Year: 2026, Hours: 21.5, FormalHours: 10}, sys.registrant(r.Number).CPD[0])
}

// axeScan runs axe-core (WCAG 2.2 A and AA and best practice) and returns
// its serious and critical violations.
const axeScan = `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
  .filter(v => v.impact === "serious" || v.impact === "critical")
  .map(v => v.impact + " " + v.id + ": " + v.help + " at " + v.nodes.map(n => n.target.join(" ")).join(", ")))`

func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "web", "testdata", "axe", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		msg := "axe-core is not installed; run `npm ci` in web/testdata/axe"
		if strings.Contains(os.Getenv("LINKPASS_REQUIRE_TOOLS"), "node") {
			t.Fatal(msg + " (LINKPASS_REQUIRE_TOOLS requires node)")
		}
		t.Skip(msg)
	}
	return string(b)
}

func axe(tb *browsertest.Tab, src string) []string {
	tb.T.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, 30*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](src+";true"))
	require.NoError(tb.T, err)
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](axeScan, chromedp.EvalAwaitPromise))
	require.NoError(tb.T, err)
	return v
}

// The registrants' pages pass axe-core with no serious or critical
// violation at desktop width and at 360 px: the search and its results,
// a record with everything on it, every action's form, a refused form and
// a preview.
func TestBrowserRegistrantPagesPassAxe(t *testing.T) {
	src := axeSource(t)
	sys := newSystem(t, "http")
	r := sys.addRegistrant("Axel", "Checker", "axel@example.org")
	ctx := context.Background()
	_, err := sys.regs.Change(ctx, sys.admin, r.Number, addQual())
	require.NoError(t, err)
	_, err = sys.regs.Issue(ctx, sys.admin, r.Number)
	require.NoError(t, err)
	// A removal waits for approval, so the queue has a proposal to show.
	_, err = sys.regs.Change(ctx, sys.admin, r.Number, &registrants.Remove{Reason: "Struck off", Number: r.Number})
	require.NoError(t, err)
	_, secret := sys.totpAccount("Rita Registrar", "rita@nalw.example", register.RoleRegistrar)
	tb := browsertest.Start(t).NewTab(t)
	tb.Expect("status of 400") // the refused form, on purpose
	sys.signInKeyboard(tb, "rita@nalw.example", secret)
	pages := []string{"/console", "/console/approvals", "/console/registrants", "/console/registrants?q=checker", "/console/registrants?q=zz", "/console/registrants/new", "/console/registrants/" + r.Number}
	for _, a := range actions {
		pages = append(pages, "/console/registrants/"+r.Number+"/"+a.name)
	}
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 800}, {"phone", 360, 740}} {
		tb.Do(wait, chromedp.EmulateViewport(size.w, size.h))
		for _, p := range pages {
			sys.open(tb, p)
			assert.Empty(t, axe(tb, src), "%s at %s", p, size.name)
		}
		// A preview, and a refused form.
		sys.open(tb, "/console/registrants/"+r.Number+"/suspend")
		fillAction(tb, map[string]string{"reason": "Interim order"})
		assert.Empty(t, axe(tb, src), "the suspension's preview at %s", size.name)
		sys.open(tb, "/console/registrants/"+r.Number+"/restrict")
		tb.Do(wait, chromedp.Click(chromedp.ID("action-continue")))
		tb.WaitFor(wait, `!!document.getElementById("error-message")`)
		assert.Empty(t, axe(tb, src), "a refused restriction at %s", size.name)
	}
}

func addQual() *registrants.AddQualification {
	return &registrants.AddQualification{Qualification: register.Qualification{Title: "Level 4 Certificate", Level: 4, Provider: "Uni", Accreditation: "nalw-aligned", Awarded: "2024-06-30"}}
}
