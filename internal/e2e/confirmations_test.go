package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	csrfField  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	totpSecret = regexp.MustCompile(`id="totp-secret"[^>]*>([A-Z2-7]+)<`)
)

// setUp completes a staff account's setup from its link, as its owner
// would in a browser: a password, then an authenticator app.
func setUp(t *testing.T, link string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	page := func(res *http.Response, err error) string {
		t.Helper()
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		require.Less(t, res.StatusCode, 400, "%s", b)
		return string(b)
	}
	base := link[:strings.Index(link, "/setup/")]
	body := page(c.Get(link))
	m := csrfField.FindStringSubmatch(body)
	require.NotNil(t, m, body)
	body = page(c.PostForm(base+"/setup/password", url.Values{"csrf": {m[1]}, "password": {"correct horse battery staple"}, "confirm": {"correct horse battery staple"}}))
	sec := totpSecret.FindStringSubmatch(body)
	require.NotNil(t, sec, body)
	code, err := totp.GenerateCode(sec[1], time.Now())
	require.NoError(t, err)
	page(c.PostForm(base+"/setup/totp", url.Values{"csrf": {csrfField.FindStringSubmatch(body)[1]}, "code": {code}}))
}

// TestAProviderConfirmsFromTheCommandLine: an admin makes a provider
// account tied to its catalogue provider and a token for it; with it the
// provider lists its claims and confirms or disputes them with --json,
// refused where the claim is not its own; a registrar reads the answers.
func TestAProviderConfirmsFromTheCommandLine(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "reg"))
	s.solo(t)
	for _, name := range []string{"University of Westminster", "Open University"} {
		s.runJSON(t, 0, &struct{}{}, "provider", "add", "--name", name)
	}
	for _, p := range []string{"P1", "P2"} {
		s.runJSON(t, 0, &struct{}{}, "course", "add", "--provider", p, "--title", "Certificate of "+p, "--level", "rqf:4", "--mode", "part-time", "--standing", "aligned")
	}
	var reg struct {
		Number string `json:"registration_number"`
	}
	s.runJSON(t, 0, &reg, "registrant", "add", "--given", "Bea", "--family", "Okafor", "--nation", "england", "--email", "bea@example.org",
		"--course", "C1@2024-06-30", "--course", "C2@2023-01-31")

	r := s.run(t, "", "staff", "add", "--name", "Priya Shah", "--email", "priya@westminster.example", "--role", "provider")
	assert.NotEqual(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "belongs to one training provider")
	var acct struct {
		ID       string `json:"id"`
		Provider string `json:"provider"`
		SetupURL string `json:"setup_url"`
	}
	s.runJSON(t, 0, &acct, "staff", "add", "--name", "Priya Shah", "--email", "priya@westminster.example", "--role", "provider", "--provider", "P1")
	assert.Equal(t, "P1", acct.Provider)
	setUp(t, acct.SetupURL)
	var tok struct {
		Token string `json:"token"`
	}
	s.runJSON(t, 0, &tok, "token", "create", "--role", "provider", "--staff", acct.ID)
	require.NotEmpty(t, tok.Token)

	var queue struct {
		Provider string `json:"provider"`
		Claims   []struct {
			Registrant string `json:"registration_number"`
			Index      int    `json:"index"`
			Course     string `json:"course"`
			Name       string `json:"name"`
		} `json:"claims"`
	}
	r = s.run(t, tok.Token, "qualification", "claims", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	decodeOne(t, r.stdout, &queue)
	assert.Equal(t, "University of Westminster", queue.Provider)
	require.Len(t, queue.Claims, 1, "only its own course: %s", r.stdout)
	assert.Equal(t, reg.Number, queue.Claims[0].Registrant)
	assert.Equal(t, "C1", queue.Claims[0].Course)
	assert.NotContains(t, r.stdout, "bea@example.org")

	r = s.run(t, tok.Token, "qualification", "confirm", reg.Number, "1")
	assert.NotEqual(t, 0, r.code)
	assert.Contains(t, r.stderr, "not a claim to one of your provider's courses")
	r = s.run(t, tok.Token, "qualification", "dispute", reg.Number, "0")
	assert.NotEqual(t, 0, r.code, "a dispute needs a reason")
	r = s.run(t, "", "qualification", "confirm", reg.Number, "0")
	assert.NotEqual(t, 0, r.code, "an admin does not answer for a provider")
	assert.Contains(t, r.stderr, "may not do this")

	r = s.run(t, tok.Token, "qualification", "confirm", reg.Number, "0", "--course", "C1", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"changed": true`)
	assert.Contains(t, r.stdout, `"outcome": "confirmed"`)
	r = s.run(t, tok.Token, "qualification", "confirm", reg.Number, "0")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Already confirmed: nothing changed.")

	r = s.run(t, "", "qualification", "confirmations", reg.Number)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "confirmed by University of Westminster on")
	assert.Contains(t, r.stdout, "awaiting", "the other provider has not answered")
	r = s.run(t, "", "audit", "list")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "qualification.confirm")
}
