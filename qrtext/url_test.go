package qrtext

import (
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/qrtext/qrtexttest"
)

const nalwRegister = "https://register.nalw.org.uk"

// maxURLVersion is the QR version at ECC M the URL form of the standard
// credential must fit: 77x77 modules.
const maxURLVersion = 15

func TestVerifyURLRoundTripsThroughDecode(t *testing.T) {
	for name, c := range map[string]string{"standard": qrtexttest.MustJWS(qrtexttest.Standard())} {
		text, err := Encode(c)
		require.NoError(t, err)
		u, err := VerifyURL(nalwRegister+"/", text)
		require.NoError(t, err, name)
		require.True(t, strings.HasPrefix(u, "HTTPS://REGISTER.NALW.ORG.UK/verify#CHECK/LP1:"), u)
		require.NotContains(t, u, " ", "a space would end the link in many scanners")
		got, err := Decode(u)
		require.NoError(t, err, name)
		require.Equal(t, c, got)
		// A scanner that upper-cases the scheme, or adds a line end.
		got, err = Decode(strings.ToLower(u[:36]) + u[36:] + "\r\n")
		require.NoError(t, err)
		require.Equal(t, c, got)
	}
}

func TestVerifyURLEscapesEveryPercentAndSpace(t *testing.T) {
	// Base45 of these bytes contains both " " and "%" (values 36 and 38),
	// the two characters a URL fragment cannot carry as they are.
	text := Prefix + "A %B% "[:5] + "0"
	u, err := VerifyURL(nalwRegister, text)
	require.NoError(t, err)
	require.Equal(t, "HTTPS://REGISTER.NALW.ORG.UK/verify#CHECK/LP1:A%20%25B%250", u)
	inner, isURL, err := fromURL(u)
	require.NoError(t, err)
	require.True(t, isURL)
	require.Equal(t, text, inner)
	// Links printed before the marker existed still read.
	inner, _, err = fromURL("HTTPS://REGISTER.NALW.ORG.UK/verify#LP1:A%20%25B%250")
	require.NoError(t, err)
	require.Equal(t, text, inner)
}

func TestDecodeRefusesALinkWithoutACredential(t *testing.T) {
	for _, bad := range []string{
		"https://register.nalw.org.uk/verify",
		"https://register.nalw.org.uk/verify#",
		"https://register.nalw.org.uk/verify#LP1:%zz",
		"https://register.nalw.org.uk/verify#not a credential",
	} {
		_, err := Decode(bad)
		require.ErrorIs(t, err, ErrMalformed, bad)
	}
}

func TestVerifyURLRefusesABadRegisterAddress(t *testing.T) {
	for _, base := range []string{"", "register.nalw.org.uk", "ftp://x", "https://x/?q=1", "https://x/#f"} {
		_, err := VerifyURL(base, Prefix+"00")
		require.Error(t, err, base)
	}
	_, err := VerifyURL(nalwRegister, "eyJ.eyJ.sig")
	require.ErrorIs(t, err, ErrMalformed)
}

// TestURLFormFitsQRVersion15AtECCM measures the cost of the link: go-qrcode
// splits the data into segments itself, so the prefix goes in byte mode
// and the fragment, escapes included, in alphanumeric mode.
func TestURLFormFitsQRVersion15AtECCM(t *testing.T) {
	worst, worstBare, longest, worstByte := 0, 0, 0, 0
	// Enough keys that the rare long byte segment the marker prevents
	// (FragmentMarker) would show: without it, 5 in 3,000 needed 16.
	for range 400 {
		text, err := Encode(qrtexttest.MustJWS(qrtexttest.Standard()))
		require.NoError(t, err)
		u, err := VerifyURL(nalwRegister, text)
		require.NoError(t, err)
		worst = max(worst, qrVersion(t, u, qrcode.Medium))
		worstBare = max(worstBare, qrVersion(t, text, qrcode.Medium))
		longest = max(longest, len(u))
		worstByte = max(worstByte, qrVersion(t, strings.ToLower(u), qrcode.Medium))
		// All in byte mode (lowercase forces it), the link needs a larger
		// code: proof that the fragment is in alphanumeric mode.
		require.Less(t, qrVersion(t, u, qrcode.Medium), qrVersion(t, strings.ToLower(u), qrcode.Medium))
	}
	t.Logf("standard credential at M over 400 keys: bare LP1 worst version %d; link (up to %d chars) worst version %d; all in byte mode it would be %d",
		worstBare, longest, worst, worstByte)
	require.LessOrEqual(t, worst, maxURLVersion)
}
