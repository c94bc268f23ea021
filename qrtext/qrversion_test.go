package qrtext

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/qrtext/qrtexttest"
)

// maxStandardVersion is the QR version, at ECC M, that the standard
// credential must fit: version 16 is 81x81 modules, which a phone camera
// reads comfortably from a screen or a printed card at arm's length.
const maxStandardVersion = 16

// qrVersion returns the version go-qrcode picks for text at level, or 0 if
// the text does not fit any version.
func qrVersion(t testing.TB, text string, level qrcode.RecoveryLevel) int {
	t.Helper()
	q, err := qrcode.New(text, level)
	if err != nil {
		return 0
	}
	return q.VersionNumber
}

func TestStandardCredentialFitsQRVersion16AtECCM(t *testing.T) {
	// The key, kid and signature differ on every run; try many to show the
	// margin is not luck.
	worst := 0
	for range 25 {
		text, err := Encode(qrtexttest.MustJWS(qrtexttest.Standard()))
		require.NoError(t, err)
		worst = max(worst, qrVersion(t, text, qrcode.Medium))
	}
	t.Logf("standard credential: worst QR version at M over 25 keys: %d", worst)
	require.NotZero(t, worst)
	require.LessOrEqual(t, worst, maxStandardVersion)
}

func TestEncodedTextUsesQRAlphanumericMode(t *testing.T) {
	// go-qrcode chooses segment modes itself. A string of the same length
	// made only of letters can only be alphanumeric, so if our text needs a
	// larger version than that, go-qrcode must have fallen back to byte mode.
	text, err := Encode(qrtexttest.MustJWS(qrtexttest.Standard()))
	require.NoError(t, err)
	for _, level := range []qrcode.RecoveryLevel{qrcode.Low, qrcode.Medium, qrcode.High} {
		alnum := qrVersion(t, strings.Repeat("A", len(text)), level)
		require.LessOrEqual(t, qrVersion(t, text, level), alnum)
		byteMode := qrVersion(t, strings.ToLower(text), level)
		require.Less(t, alnum, byteMode, "lowercase forces byte mode and must cost more")
	}
}

// alternatives are the text forms the format was chosen from; the table in
// docs/qr-format.md comes from TestQRVersionsByEncoding.
var alternatives = []struct {
	name string
	text func(t *testing.T, tok string) string
}{
	{"plain JWS (byte mode)", func(t *testing.T, tok string) string { return tok }},
	{"base45, no compression", func(t *testing.T, tok string) string {
		p, err := splitJWS(tok)
		require.NoError(t, err)
		return Prefix + string(appendBase45(nil, fields(p.signature, p.header, p.payload)))
	}},
	{"base45 + deflate, no dictionary", func(t *testing.T, tok string) string {
		p, err := splitJWS(tok)
		require.NoError(t, err)
		packing := append([]byte{formatVersion}, fields(p.signature)...)
		return compact(append(packing, deflateWith(t, fields(p.header, p.payload), nil)...))
	}},
	{"LP1 compact (deflate + dictionary)", func(t *testing.T, tok string) string {
		text, err := Encode(tok)
		require.NoError(t, err)
		return text
	}},
}

func TestQRVersionsByEncoding(t *testing.T) {
	levels := []struct {
		name  string
		level qrcode.RecoveryLevel
	}{{"L", qrcode.Low}, {"M", qrcode.Medium}, {"Q", qrcode.High}}

	all := samples(t)
	names := make([]string, 0, len(all))
	for name := range all {
		names = append(names, name)
	}
	slices.Sort(names)

	var table strings.Builder
	fmt.Fprintf(&table, "\n| sample | encoding | chars | L | M | Q |\n|---|---|---|---|---|---|\n")
	for _, name := range names {
		tok := all[name]
		var plainM, compactM int
		for _, alt := range alternatives {
			text := alt.text(t, tok)
			row := fmt.Sprintf("| %s | %s | %d |", name, alt.name, len(text))
			for _, l := range levels {
				v := qrVersion(t, text, l.level)
				cell := fmt.Sprint(v)
				if v == 0 {
					cell = "> 40"
				}
				row += " " + cell + " |"
				if l.level == qrcode.Medium {
					switch alt.name {
					case alternatives[0].name:
						plainM = v
					case alternatives[len(alternatives)-1].name:
						compactM = v
					}
				}
			}
			table.WriteString(row + "\n")
		}
		require.NotZero(t, compactM, name)
		if plainM != 0 {
			require.Less(t, compactM, plainM, "%s: the compact form must need a smaller QR code", name)
		}
	}
	t.Log(table.String())
}
