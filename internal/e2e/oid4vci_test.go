package e2e

import (
	"encoding/json"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/internal/tooltest"
)

// owfInterop holds issue.mjs and its pinned OpenWallet Foundation
// OpenID4VCI client and @sd-jwt/sd-jwt-vc (npm ci installs them).
const owfInterop = "../../oid4vci/testdata/interop"

// requireOWFClient returns node with the pinned packages installed, or
// skips (fails when LINKPASS_REQUIRE_TOOLS names node, as in CI).
func requireOWFClient(t *testing.T) string {
	t.Helper()
	return tooltest.Node(t, owfInterop, "@openid4vc/openid4vci", "the OpenID4VCI interop check")
}

type offer struct {
	ID                 string `json:"id"`
	CredentialOfferURI string `json:"credential_offer_uri"`
	OfferURL           string `json:"offer_url"`
	TxCode             string `json:"tx_code"`
	Mail               *struct {
		ID string `json:"id"`
	} `json:"mail"`
}

func addRegistrant(t *testing.T, s *server) string {
	t.Helper()
	var reg struct {
		Number string `json:"registration_number"`
	}
	s.runJSON(t, 0, &reg, "registrant", "add", "--given", "Siân", "--family", "Ó Súilleabháin", "--nation", "wales", "--email", "sian@example.org", "--json")
	s.runJSON(t, 0, &struct{}{}, "qualification", "add", reg.Number, "--title", "Level 4 Certificate in Social Prescribing", "--level", "4",
		"--provider", "University of Westminster", "--accreditation", "nalw-accredited", "--awarded", "2024-06-30", "--json")
	return reg.Number
}

// TestOWFWalletIsIssuedAndVerifiesTheSDJWTVC has an independent
// OpenID4VCI client take an offer from a running serve with its tx_code;
// @sd-jwt/sd-jwt-vc verifies what it got (signature through the issuer
// metadata, vct, cnf, status list) and a key binding JWT by the holder key.
// After a suspension the same SD-JWT VC no longer verifies.
func TestOWFWalletIsIssuedAndVerifiesTheSDJWTVC(t *testing.T) {
	node := requireOWFClient(t)
	s := startServer(t, filepath.Join(t.TempDir(), "reg"))
	n := addRegistrant(t, s)
	var o offer
	s.runJSON(t, 0, &o, "credential", "offer", n, "--json")

	sdFile := filepath.Join(t.TempDir(), "sd-jwt.txt")
	out := runNode(t, node, "issue", o.CredentialOfferURI, o.TxCode, sdFile)
	var got struct {
		Typ              string         `json:"typ"`
		Payload          map[string]any `json:"payload"`
		VCTName          string         `json:"vct_name"`
		CnfMatchesHolder bool           `json:"cnf_matches_holder"`
		KB               map[string]any `json:"kb"`
		Presented        []string       `json:"presented_claims"`
		TamperedRefused  bool           `json:"tampered_refused"`
		Notified         int            `json:"notifications_accepted"`
		VCJWTHeader      map[string]any `json:"vcjwt_header"`
		VCJWTStatus      map[string]any `json:"vcjwt_status"`
	}
	require.NoError(t, json.Unmarshal(out, &got), string(out))
	assert.Equal(t, "dc+sd-jwt", got.Typ)
	assert.Equal(t, "Siân Ó Súilleabháin", got.Payload["name"])
	assert.Equal(t, n, got.Payload["registration_number"])
	assert.Equal(t, s.URL+"/vct/link-worker-registration", got.Payload["vct"])
	assert.Equal(t, "Link worker registration", got.VCTName, "the vct resolved to the register's type metadata")
	assert.True(t, got.CnfMatchesHolder, "cnf.jwk is the wallet's key")
	assert.Equal(t, "https://practice.example", got.KB["aud"])
	assert.NotContains(t, got.Presented, "nation", "the holder withheld nation")
	assert.True(t, got.TamperedRefused, "sd-jwt-vc must refuse a changed credential")
	assert.Equal(t, 2, got.Notified, "the notification endpoint took the client's credential_accepted for both")
	assert.Equal(t, "vc+jwt", got.VCJWTHeader["typ"])
	assert.Equal(t, got.Payload["status"], got.VCJWTStatus, "both formats share the status entry")

	s.runJSON(t, 0, &struct{}{}, "registrant", "suspend", n, "--reason", "Interim order", "--json")
	var after struct {
		Valid bool   `json:"valid"`
		Error string `json:"error"`
	}
	waitFor(t, 20*time.Second, func() bool {
		require.NoError(t, json.Unmarshal(runNode(t, node, "verify", s.URL, sdFile), &after))
		return !after.Valid
	}, "sd-jwt-vc to see the suspension in the status list")
	assert.Contains(t, after.Error, "Status")
}

func runNode(t *testing.T, node string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(node, append([]string{"issue.mjs"}, args...)...)
	cmd.Dir = owfInterop
	var stderr strings.Builder
	cmd.Stderr = &stderr
	timer := time.AfterFunc(60*time.Second, func() {
		if cmd.Process != nil {
			_ = cmd.Process.Kill()
		}
	})
	defer timer.Stop()
	out, err := cmd.Output()
	require.NoError(t, err, "issue.mjs %s failed:\n%s", args[0], stderr.String())
	return out
}

// smtpSink is a real SMTP server in the test process.
type smtpSink struct {
	mu   sync.Mutex
	msgs []string
	rcpt []string
}

func (k *smtpSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{k: k}, nil }

type sinkSession struct{ k *smtpSink }

func (s *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.k.mu.Lock()
	s.k.rcpt = append(s.k.rcpt, to)
	s.k.mu.Unlock()
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.k.mu.Lock()
	s.k.msgs = append(s.k.msgs, string(b))
	s.k.mu.Unlock()
	return err
}
func (s *sinkSession) Reset()        {}
func (s *sinkSession) Logout() error { return nil }

// TestOfferSendMailsTheLinkButNeverTheCode runs serve with --smtp-url at a
// real SMTP server: --send delivers offer_url to the registrant's private
// address, without the tx_code, and the delivery is on their record.
func TestOfferSendMailsTheLinkButNeverTheCode(t *testing.T) {
	sink := &smtpSink{}
	srv := smtp.NewServer(sink)
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })

	s := startServer(t, filepath.Join(t.TempDir(), "reg"), "--smtp-url", "smtp://"+ln.Addr().String()+"?tls=none", "--mail-from", "register@nalw.example")
	n := addRegistrant(t, s)
	var o offer
	s.runJSON(t, 0, &o, "credential", "offer", n, "--send", "--json")
	require.NotNil(t, o.Mail)

	var w struct {
		Messages []struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"messages"`
	}
	waitFor(t, 20*time.Second, func() bool {
		s.runJSON(t, 0, &w, "credential", "wallets", n, "--json")
		return len(w.Messages) == 1 && w.Messages[0].State == "sent"
	}, "the offer mail to be recorded as sent")
	sink.mu.Lock()
	defer sink.mu.Unlock()
	require.Len(t, sink.msgs, 1)
	assert.Equal(t, []string{"sian@example.org"}, sink.rcpt)
	body := strings.ReplaceAll(sink.msgs[0], "=\r\n", "") // undo quoted-printable soft breaks
	assert.Contains(t, body, "/wallet#credential_offer_uri=")
	assert.NotContains(t, body, o.TxCode, "the code never travels with the link")
	assert.NotContains(t, s.stderr.String(), "sian@example.org", "no address in the log")
}
