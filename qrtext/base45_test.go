package qrtext

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The examples of RFC 9285 section 4.3 and 4.4.
var rfc9285Examples = []struct{ plain, encoded string }{
	{"AB", "BB8"},
	{"Hello!!", "%69 VD92EX0"},
	{"base-45", "UJCLQE7W581"},
	{"ietf!", "QED8WEX0"},
	{"", ""},
}

func TestBase45EncodesRFC9285Examples(t *testing.T) {
	for _, ex := range rfc9285Examples {
		assert.Equal(t, ex.encoded, string(appendBase45(nil, []byte(ex.plain))), "encode %q", ex.plain)
		assert.Equal(t, len(ex.encoded), base45EncodedLen(len(ex.plain)))
	}
}

func TestBase45DecodesRFC9285Examples(t *testing.T) {
	for _, ex := range rfc9285Examples {
		got, err := decodeBase45(ex.encoded)
		require.NoError(t, err, "decode %q", ex.encoded)
		assert.Equal(t, ex.plain, string(got))
	}
}

func TestBase45DecodeRejectsWhatNoEncoderWrites(t *testing.T) {
	for name, in := range map[string]string{
		"character outside the alphabet": "BB=",
		"lowercase letter":               "bb8",
		"single dangling character":      "BB8A",
		"triple above 65535":             "GGW", // 16 + 16*45 + 32*2025 = 65536
		"pair above 255":                 "ZZ",  // 35 + 35*45 = 1610
		"non-ASCII byte":                 "BB\xc3",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := decodeBase45(in)
			require.ErrorIs(t, err, errBase45)
		})
	}
}

func TestBase45RoundTripsRandomBytesAndNeverEndsInSpace(t *testing.T) {
	// Decode trims surrounding whitespace, which is only safe because the
	// last character of base45 output is never a space: the top digit of a
	// triple is at most 65535/2025 = 32 and that of a pair at most 255/45 = 5.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		src := make([]byte, rng.IntN(64))
		for i := range src {
			src[i] = byte(rng.UintN(256))
		}
		enc := appendBase45(nil, src)
		if len(enc) > 0 {
			require.NotEqual(t, byte(' '), enc[len(enc)-1], "encoding of %x ends in a space", src)
		}
		got, err := decodeBase45(string(enc))
		require.NoError(t, err)
		require.Equal(t, src, append([]byte{}, got...))
	}
}

func TestBase45EncodesExtremeGroups(t *testing.T) {
	// 0xffff is the largest triple, 0xff the largest pair.
	assert.Equal(t, "FGW", string(appendBase45(nil, []byte{0xff, 0xff})))
	assert.Equal(t, "U5", string(appendBase45(nil, []byte{0xff})))
	assert.Equal(t, "000", string(appendBase45(nil, []byte{0, 0})))
}
