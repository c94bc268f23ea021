package account_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/account"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

func (s *system) actions(number string) []string {
	evs, err := s.srv.State().Audit(state.AuditFilter{Registrant: number})
	require.NoError(s.t, err)
	var out []string
	for _, e := range evs {
		out = append(out, e.Action)
	}
	return out
}

const (
	wait = 20 * time.Second
	tick = 50 * time.Millisecond
)

var tokens = regexp.MustCompile(`value="[A-Za-z0-9_-]{43}"`)

func TestSignInPageSaysTheSameForAnEmailNotOnTheRegister(t *testing.T) {
	s := newSystem(t)
	known, unknown := s.client(), s.client()
	known.get(account.PathSignIn)
	unknown.get(account.PathSignIn)
	ks := known.post(account.PathSignIn, url.Values{"email": {amaraEmail}})
	us := unknown.post(account.PathSignIn, url.Values{"email": {"nobody@example.org"}})
	assert.Equal(t, ks, us)
	assert.Equal(t, tokens.ReplaceAllString(known.got, "X"), tokens.ReplaceAllString(unknown.got, "X"), "the page does not say whether the address is on the register")
	assert.Contains(t, unknown.got, "If that address is on the register, we have sent a code")
	s.nextCode(amaraEmail)

	// A code typed after an unknown address is refused as any wrong code.
	us = unknown.post(account.PathCode, url.Values{"code": {"123456"}})
	ks = known.post(account.PathCode, url.Values{"code": {"000000"}})
	assert.Equal(t, http.StatusUnauthorized, us)
	assert.Equal(t, ks, us)
	assert.Contains(t, unknown.got, "That code is not right")
}

func TestAWrongCodeFiveTimesLocksThatCode(t *testing.T) {
	s := newSystem(t)
	c := s.client()
	c.get(account.PathSignIn)
	c.post(account.PathSignIn, url.Values{"email": {amaraEmail}})
	code := s.nextCode(amaraEmail)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	page := c.got
	for i := range account.CodeAttempts {
		c.got = page
		assert.Equal(t, http.StatusUnauthorized, c.post(account.PathCode, url.Values{"code": {wrong}}), "try %d", i+1)
	}
	assert.Contains(t, c.got, "locked after 5 wrong tries")
	c.got = page
	assert.Equal(t, http.StatusUnauthorized, c.post(account.PathCode, url.Values{"code": {code}}), "the right code no longer works")
	assert.NotContains(t, c.got, "Your account</h1>")
	assert.Equal(t, http.StatusOK, c.get(account.PathHome))
	assert.Contains(t, c.got, "Sign in to your account", "not signed in")

	require.Eventually(t, func() bool {
		a := s.actions(s.amara.Number)
		return strings.Count(strings.Join(a, " "), "account.sign-in-failed") == 4 && strings.Contains(strings.Join(a, " "), "account.code-locked")
	}, wait, tick, "every failure is audited, and the lock")
	assert.NotContains(t, s.actions(s.amara.Number), "account.signed-in")
}

func TestSignedInRegistrantSeesTheirEntryDetailsAndCredentials(t *testing.T) {
	s := newSystem(t)
	c := s.client()
	c.signIn()
	assert.Contains(t, c.got, amaraEmail, "private details")
	assert.Contains(t, c.got, `id="public-entry"`, "the public entry")
	assert.Contains(t, c.got, `id="credentials"`)
	assert.Contains(t, c.got, "Add to my phone's wallet")
	assert.Contains(t, s.actions(s.amara.Number), "account.signed-in")

	require.Equal(t, http.StatusOK, c.post("/account/wallet", url.Values{}))
	assert.Regexp(t, `id="tx-code" class="secret">\d{6}<`, c.got, "the code is shown to the signed-in registrant")
	assert.Contains(t, c.got, "/wallet#credential_offer_uri=")

	// Sign-out ends the session on the server.
	c.get(account.PathHome)
	require.Equal(t, http.StatusOK, c.post("/account/sign-out", url.Values{}))
	assert.Contains(t, c.got, "You have signed out")
	c.get(account.PathHome)
	assert.Contains(t, c.got, "Sign in to your account")
}

func TestFormsNeedTheSessionsCSRFTokenAndTheSameOrigin(t *testing.T) {
	s := newSystem(t)
	c := s.client()
	c.signIn()
	cpd := url.Values{"date": {string(register.DateOf(s.srv.Now()))}, "title": {"Reading"}, "points": {"2"}, "kind": {"informal"}}
	form := url.Values{"csrf": {"forged"}}
	for k, v := range cpd {
		form[k] = v
	}
	assert.Equal(t, http.StatusForbidden, c.post("/account/cpd", form))
	req, _ := http.NewRequest(http.MethodPost, s.url+"/account/cpd", strings.NewReader(cpd.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := c.hc.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
	acts, _ := s.srv.State().CPDOf(s.amara.Number)
	assert.Empty(t, acts, "nothing saved")
}

func TestCookieIsHostOnlyHttpOnlyAndLax(t *testing.T) {
	s := newSystem(t)
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.PostForm(s.url+account.PathSignIn, url.Values{"email": {"x@example.org"}})
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	set := res.Header.Get("Set-Cookie")
	assert.Contains(t, set, "linkpass-account=")
	assert.Contains(t, set, "HttpOnly")
	assert.Contains(t, set, "SameSite=Lax")
	assert.Contains(t, set, "Path=/")
	assert.NotContains(t, set, "Domain=")
}

func TestCPDAndRenewalThroughThePages(t *testing.T) {
	s := newSystem(t)
	c := s.client()
	c.signIn()
	today := string(register.DateOf(s.srv.Now()))
	tomorrow := string(register.DateOf(s.srv.Now()).AddDays(1))

	c.get("/account/cpd")
	assert.Equal(t, http.StatusBadRequest, c.post("/account/cpd", url.Values{"date": {tomorrow}, "title": {"Course"}, "points": {"6"}, "kind": {"formal"}}))
	assert.Contains(t, c.got, "is in the future")
	assert.Equal(t, http.StatusBadRequest, c.post("/account/cpd", url.Values{"date": {today}, "title": {"Course"}, "points": {"six"}, "kind": {"formal"}}))
	assert.Contains(t, c.got, "Points must be")
	assert.Equal(t, http.StatusBadRequest, c.post("/account/cpd", url.Values{"date": {today}, "title": {"Course"}, "points": {"6"}}))
	assert.Contains(t, c.got, "Choose whether the activity was formal or informal")
	acts, _ := s.srv.State().CPDOf(s.amara.Number)
	assert.Empty(t, acts, "nothing half-saved")

	require.Equal(t, http.StatusOK, c.post("/account/cpd", url.Values{"date": {today}, "title": {"Safeguarding adults"}, "provider": {"NALW"}, "points": {"6"}, "kind": {"formal"}, "reflection": {"Changed how I refer."}}))
	require.Equal(t, http.StatusOK, c.post("/account/cpd", url.Values{"date": {today}, "title": {"Reading"}, "points": {"10"}, "kind": {"informal"}}))
	assert.Contains(t, c.got, "Safeguarding adults")

	// Not enough: refused saying what is missing.
	c.get("/account/renew")
	declare := url.Values{"fit": {"yes"}, "convictions": {"yes"}, "health": {"yes"}, "details": {"yes"}}
	assert.Equal(t, http.StatusBadRequest, c.post("/account/renew", declare))
	assert.Contains(t, c.got, "4 more points")
	assert.Contains(t, c.got, "4 more formal points")

	// Edit one, then meet the rule.
	acts, _ = s.srv.State().CPDOf(s.amara.Number)
	var course *register.CPDActivity
	for _, a := range acts {
		if a.Formal {
			course = a
		}
	}
	require.NotNil(t, course)
	c.get("/account/cpd/" + course.ID)
	require.Equal(t, http.StatusOK, c.post("/account/cpd/"+course.ID, url.Values{"date": {today}, "title": {"Safeguarding adults"}, "points": {"10"}, "kind": {"formal"}}))
	c.get("/account/renew")
	noDecl := url.Values{"fit": {"yes"}, "health": {"yes"}, "details": {"yes"}}
	assert.Equal(t, http.StatusBadRequest, c.post("/account/renew", noDecl))
	assert.Contains(t, c.got, "convictions")
	c.get("/account/renew")
	require.Equal(t, http.StatusOK, c.post("/account/renew", declare))
	want := s.amara.RegisteredUntil.AddYears(1)
	assert.Contains(t, c.got, "renewed until "+want.Time().Format("2 January 2006"))
	now, _ := s.srv.State().Registrant(s.amara.Number)
	assert.Equal(t, want, now.RegisteredUntil)
	creds, _ := s.srv.State().CredentialsOf(s.amara.Number)
	require.Len(t, creds, 2, "the credential was re-issued")
	var valid []*register.IssuedCredential
	for _, cr := range creds {
		if cr.Status == register.CredentialValid {
			valid = append(valid, cr)
		}
	}
	require.Len(t, valid, 1, "the old one is superseded")
	assert.True(t, valid[0].ExpiresAt.After(s.amara.RegisteredUntil.EndOfDay()), "the new one runs past the old end date")
}
