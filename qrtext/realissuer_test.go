package qrtext

import (
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/credential/credentialtest"
	"github.com/nalw/linkpass/keys"
)

// TestRealIssuerCredentialRoundTripsAndFitsQRVersion16AtECCM uses the
// register's own signing code, so that a change in how the issuer writes
// tokens cannot silently push the QR code past its size target.
func TestRealIssuerCredentialRoundTripsAndFitsQRVersion16AtECCM(t *testing.T) {
	for _, alg := range []string{keys.AlgEdDSA, keys.AlgES256} {
		t.Run(alg, func(t *testing.T) {
			k, err := keys.Generate(alg)
			require.NoError(t, err)
			c := credentialtest.Claims(time.Now())
			c.CredentialSubject.Name = "Siobhan Okonkwo-Fairweather"
			c.CredentialSubject.Qualifications = append(c.CredentialSubject.Qualifications, credential.Qualification{
				Title: "Level 5 Diploma in Health and Social Care", Level: 5,
				Provider: "Open University", Accreditation: "nalw-aligned", YearAwarded: 2025,
			})
			tok, err := credential.Sign(c, k)
			require.NoError(t, err)

			text, err := Encode(tok)
			require.NoError(t, err)
			back, err := Decode(text)
			require.NoError(t, err)
			require.Equal(t, tok, back)

			v := qrVersion(t, text, qrcode.Medium)
			t.Logf("%s: JWS %d chars (version %d at M), compact %d chars (version %d at M)",
				alg, len(tok), qrVersion(t, tok, qrcode.Medium), len(text), v)
			require.NotZero(t, v)
			require.LessOrEqual(t, v, maxStandardVersion)
		})
	}
}
