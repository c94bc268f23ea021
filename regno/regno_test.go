package regno

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDammKnownVector(t *testing.T) {
	// The Damm algorithm's published example: 572 has check digit 4.
	assert.Equal(t, byte(4), checkDigit("572"))
}

func TestFormatThenParseRoundTrips(t *testing.T) {
	for serial := uint64(FirstSerial); serial < FirstSerial+2000; serial++ {
		n := Format(serial)
		got, err := Parse(n)
		require.NoError(t, err, n)
		assert.Equal(t, n, got)
		s, err := Serial(n)
		require.NoError(t, err)
		assert.Equal(t, serial, s)
	}
}

func TestParseNormalisesWhatPeopleType(t *testing.T) {
	n := Format(123456)
	for _, in := range []string{" " + n + " ", "lw" + n[2:], n[:2] + "-" + n[2:5] + " " + n[5:]} {
		got, err := Parse(in)
		require.NoError(t, err, in)
		assert.Equal(t, n, got)
	}
}

func TestParseCatchesEverySingleDigitErrorAndAdjacentTransposition(t *testing.T) {
	for serial := uint64(FirstSerial); serial < FirstSerial+300; serial++ {
		n := Format(serial)
		digits := []byte(n[2:])
		for i := range digits {
			for d := byte('0'); d <= '9'; d++ {
				if d == digits[i] {
					continue
				}
				typo := append([]byte(nil), digits...)
				typo[i] = d
				_, err := Parse(Prefix + string(typo))
				assert.ErrorIs(t, err, ErrCheckDigit, "substitution %s -> %s", n, typo)
			}
			if i+1 < len(digits) && digits[i] != digits[i+1] {
				typo := append([]byte(nil), digits...)
				typo[i], typo[i+1] = typo[i+1], typo[i]
				_, err := Parse(Prefix + string(typo))
				assert.ErrorIs(t, err, ErrCheckDigit, "transposition %s -> %s", n, typo)
			}
		}
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	for _, in := range []string{"", "LW", "XY1000017", "LW12", "LW10000A7", "LW1000017000000000000", "1000017", "LW 1000017; DROP TABLE"} {
		_, err := Parse(in)
		assert.ErrorIs(t, err, ErrFormat, in)
	}
}
