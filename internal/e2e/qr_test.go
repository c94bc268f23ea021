package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQRRoundTripThroughWallet issues a credential with its QR code, reads
// the PNG back (gozxing) and verifies it; then does the same through a
// link worker's wallet: add (checked), list, qr --out, qr --card,
// --terminal.
func TestQRRoundTripThroughWallet(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, filepath.Join(dir, "reg"), "--issuer-url", "https://register.example.org")
	var reg struct {
		Number string `json:"registration_number"`
	}
	// A 25-character name and two qualifications: the standard credential.
	s.runJSON(t, 0, &reg, "registrant", "add", "--given", "Siobhan", "--family", "Okonkwo-Fairweather", "--nation", "england")
	for _, q := range [][]string{
		{"--title", "Level 4 Certificate in Social Prescribing", "--level", "4", "--provider", "University of Westminster", "--accreditation", "nalw-accredited", "--awarded", "2023-07-14"},
		{"--title", "Level 5 Diploma in Health and Social Care", "--level", "5", "--provider", "Open University", "--accreditation", "nalw-aligned", "--awarded", "2025-06-30"},
	} {
		r := s.run(t, "", append([]string{"qualification", "add", reg.Number}, q...)...)
		require.Equal(t, 0, r.code, r.stderr)
	}
	r := s.run(t, "", "quality-mark", "set", "--accredited=true", "--since", "2025-01-01", "--until", "2099-12-31", "--reference", "PSA-1")
	require.Equal(t, 0, r.code, r.stderr)

	tok := filepath.Join(dir, "cred.jwt")
	png := filepath.Join(dir, "cred.png")
	var iss struct {
		JTI string
		QR  struct {
			Version int
			ECC     string
		}
	}
	s.runJSON(t, 0, &iss, "credential", "issue", reg.Number, "--out", tok, "--qr", png)
	assert.Equal(t, "M", iss.QR.ECC)
	assert.LessOrEqual(t, iss.QR.Version, 16, "the standard credential fits QR version 16 at ECC M")
	bundle := filepath.Join(dir, "bundle.json")
	syncBundle(t, s, bundle)

	// A practice reads the QR image and verifies it.
	r = runCLI(t, nil, "", "verify", "--qr-image", png, "--bundle", bundle)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "VALID")
	assert.Contains(t, r.stdout, "Siobhan Okonkwo-Fairweather")
	assert.Contains(t, r.stdout, "photo ID")

	// A link worker keeps it in a wallet and shows it.
	wal := filepath.Join(dir, "wallet")
	r = runCLI(t, nil, "", "wallet", "add", tok, "--wallet", wal, "--bundle", bundle)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	r = runCLI(t, nil, "", "wallet", "list", "--wallet", wal)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, reg.Number)
	out := filepath.Join(dir, "wallet.png")
	var rep struct {
		Version int    `json:"version"`
		ECC     string `json:"ecc"`
	}
	r = runCLI(t, nil, "", "wallet", "qr", "--wallet", wal, "--out", out, "--size", "600", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	decodeOne(t, r.stdout, &rep)
	assert.Equal(t, iss.QR.Version, rep.Version)
	assert.Equal(t, "M", rep.ECC)
	r = runCLI(t, nil, "", "verify", "--qr-image", out, "--bundle", bundle)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	card := filepath.Join(dir, "card.png")
	r = runCLI(t, nil, "", "wallet", "qr", reg.Number, "--wallet", wal, "--out", card, "--card")
	require.Equal(t, 0, r.code, r.stderr)
	r = runCLI(t, nil, "", "verify", "--qr-image", card, "--bundle", bundle)
	require.Equal(t, 0, r.code, "the printed card's QR code verifies: %s", r.stdout+r.stderr)
	r = runCLI(t, nil, "", "wallet", "qr", "--wallet", wal, "--terminal")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "█")

	// After a suspension, a practice that has synced reads the same printed
	// card as SUSPENDED.
	r = s.run(t, "", "registrant", "suspend", reg.Number, "--reason", "interim order")
	require.Equal(t, 0, r.code, r.stderr)
	syncAfterChange(t, s, bundle, tok, "suspended")
	r = runCLI(t, nil, "", "verify", "--qr-image", card, "--bundle", bundle)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "SUSPENDED")

	// An image with no QR code cannot be checked (exit 2), clearly.
	notQR := filepath.Join(dir, "blank.png")
	require.NoError(t, os.WriteFile(notQR, fetch(t, s.URL+"/.well-known/jwks.json"), 0o600))
	r = runCLI(t, nil, "", "verify", "--qr-image", notQR, "--bundle", bundle)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "reading the QR code")
}
