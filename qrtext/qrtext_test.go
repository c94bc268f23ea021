package qrtext

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/qrtext/qrtexttest"
)

var b64 = base64.RawURLEncoding

// samples returns named sample credentials covering the shapes a register
// issues: name length, number of qualifications, Quality Mark, algorithm
// and a non-NALW issuer that the dictionary knows nothing of.
func samples(t testing.TB) map[string]string {
	t.Helper()
	std := qrtexttest.Standard()
	specs := map[string]qrtexttest.Spec{
		"standard (27-char name, 2 quals, QM)": std,
		"short name":                           {Name: "Ann Lee", Qualifications: 2, QualityMark: true, Alg: qrtexttest.EdDSA},
		"25-char name":                         {Name: "Gwenllian Price-Ashworthy", Qualifications: 2, QualityMark: true, Alg: qrtexttest.EdDSA},
		"0 quals, no QM":                       {Name: std.Name, Qualifications: 0, Alg: qrtexttest.EdDSA},
		"1 qual, QM":                           {Name: std.Name, Qualifications: 1, QualityMark: true, Alg: qrtexttest.EdDSA},
		"3 quals, QM":                          {Name: std.Name, Qualifications: 3, QualityMark: true, Alg: qrtexttest.EdDSA},
		"2 quals, no QM":                       {Name: std.Name, Qualifications: 2, Alg: qrtexttest.EdDSA},
		"ES256":                                {Name: std.Name, Qualifications: 2, QualityMark: true, Alg: qrtexttest.ES256},
		"other issuer":                         {Name: std.Name, Qualifications: 2, QualityMark: true, Alg: qrtexttest.EdDSA, Issuer: "https://credentials.example-register.org"},
	}
	out := make(map[string]string, len(specs))
	for name, spec := range specs {
		tok, err := qrtexttest.JWS(spec)
		require.NoError(t, err, name)
		out[name] = tok
	}
	return out
}

func TestEncodeDecodeReturnsTheExactJWSForEverySample(t *testing.T) {
	for name, tok := range samples(t) {
		t.Run(name, func(t *testing.T) {
			text, err := Encode(tok)
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(text, Prefix))
			got, err := Decode(text)
			require.NoError(t, err)
			require.Equal(t, tok, got)
		})
	}
}

func TestRoundTripHoldsForArbitraryBinaryParts(t *testing.T) {
	// The format is generic: any three non-empty byte strings within the
	// limits survive, whether or not they look like a credential.
	rng := rand.New(rand.NewPCG(3, 4))
	randBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		return b
	}
	for i := range 300 {
		tok := b64.EncodeToString(randBytes(1+rng.IntN(200))) + "." +
			b64.EncodeToString(randBytes(1+rng.IntN(3000))) + "." +
			b64.EncodeToString(randBytes(1+rng.IntN(300)))
		text, err := Encode(tok)
		require.NoError(t, err, "case %d", i)
		got, err := Decode(text)
		require.NoError(t, err, "case %d", i)
		require.Equal(t, tok, got, "case %d", i)
	}
}

func TestEncodeRejectsJWSThatWouldNotRoundTrip(t *testing.T) {
	std := qrtexttest.MustJWS(qrtexttest.Standard())
	h, p, s := splitThree(t, std)
	for name, in := range map[string]string{
		"padding":                     h + "=." + p + "." + s,
		"standard alphabet":           h + "." + p + "." + strings.ReplaceAll(strings.ReplaceAll(s, "-", "+"), "_", "/") + "+/",
		"non-zero trailing bits":      h + "." + p + "." + "QR", // canonical form of 0x41 is "QQ"
		"two parts":                   h + "." + p,
		"four parts":                  std + "." + s,
		"empty payload (detached)":    h + ".." + s,
		"empty signature (unsecured)": h + "." + p + ".",
		"inner whitespace":            h + ". " + p + "." + s,
		"empty":                       "",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Encode(in)
			require.ErrorIs(t, err, ErrMalformed)
		})
	}
}

func TestEncodeRejectsPartsOverTheLimits(t *testing.T) {
	big := b64.EncodeToString(make([]byte, maxPayloadLen+1))
	_, err := Encode("eyJ9." + big + ".c2ln")
	require.ErrorIs(t, err, ErrTooLarge)
	require.ErrorIs(t, err, ErrMalformed)
}

func TestDecodeAcceptsAPlainJWSWithSurroundingWhitespace(t *testing.T) {
	tok := qrtexttest.MustJWS(qrtexttest.Standard())
	got, err := Decode(" \r\n" + tok + "\n")
	require.NoError(t, err)
	assert.Equal(t, tok, got)
}

func TestDecodeToleratesScannerLineEndingsAroundCompactText(t *testing.T) {
	tok := qrtexttest.MustJWS(qrtexttest.Standard())
	text, err := Encode(tok)
	require.NoError(t, err)
	got, err := Decode(text + "\r\n")
	require.NoError(t, err)
	assert.Equal(t, tok, got)
}

func TestDecodeRejectsPlainJWSThatIsNotCanonical(t *testing.T) {
	tok := qrtexttest.MustJWS(qrtexttest.Standard())
	_, err := Decode(tok + "=")
	require.ErrorIs(t, err, ErrMalformed)
}

// packRaw builds a packing from a signature and the raw content of the
// compressed stream, so that tests can write packings Encode never would.
func packRaw(t testing.TB, version byte, sig, raw []byte) []byte {
	t.Helper()
	out := append([]byte{version}, fields(sig)...)
	return append(out, deflateWith(t, raw, dictV1)...)
}

// deflateWith compresses raw as pack does, with an optional dictionary.
func TestDictionaryV1IsFrozen(t *testing.T) {
	// Printed cards were compressed against this exact dictionary. If this
	// fails, restore dictV1 and put the change in a new version instead
	// (see dict.go).
	sum := sha256.Sum256(dictV1)
	require.Equal(t, "85e10e0b91c74423b84535e9c183f9eb34f697d6d2eedf9a2353313ba0114adb", hex.EncodeToString(sum[:]))
	require.Len(t, dictV1, 1879)
}

func deflateWith(t testing.TB, raw, dict []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := flate.NewWriterDict(&b, flate.BestCompression, dict)
	require.NoError(t, err)
	_, err = w.Write(raw)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

func fields(parts ...[]byte) []byte {
	var raw []byte
	for _, p := range parts {
		raw = binary.AppendUvarint(raw, uint64(len(p)))
		raw = append(raw, p...)
	}
	return raw
}

func compact(packed []byte) string {
	return Prefix + string(appendBase45(nil, packed))
}

func TestDecodeRejectsMalformedCompactText(t *testing.T) {
	tok := qrtexttest.MustJWS(qrtexttest.Standard())
	good, err := Encode(tok)
	require.NoError(t, err)
	h, p, s := []byte(`{"alg":"EdDSA"}`), []byte(`{"iss":"x"}`), make([]byte, 64)

	cases := map[string]struct {
		text string
		want error
	}{
		"prefix only":                   {Prefix, ErrMalformed},
		"character outside base45":      {good[:40] + "a" + good[41:], ErrMalformed},
		"truncated":                     {good[:len(good)-30], ErrMalformed},
		"unknown format version":        {compact(packRaw(t, 2, s, fields(h, p))), ErrUnsupportedVersion},
		"bytes after deflate stream":    {compact(append(packRaw(t, 1, s, fields(h, p)), 0)), ErrMalformed},
		"bytes after the payload":       {compact(packRaw(t, 1, s, append(fields(h, p), 7))), ErrMalformed},
		"missing payload":               {compact(packRaw(t, 1, s, fields(h))), ErrMalformed},
		"empty header":                  {compact(packRaw(t, 1, s, fields(nil, p))), ErrMalformed},
		"empty signature":               {compact(packRaw(t, 1, nil, fields(h, p))), ErrMalformed},
		"signature length past the end": {compact([]byte{1, 64, 1, 2, 3}), ErrMalformed},
		"overlong uvarint":              {compact(append([]byte{1}, bytes.Repeat([]byte{0xff}, 12)...)), ErrMalformed},
		"payload length past the end":   {compact(packRaw(t, 1, s, append(fields(h), 64, 1, 2))), ErrMalformed},
		"header over its limit":         {compact(packRaw(t, 1, s, fields(make([]byte, maxHeaderLen+1), p))), ErrTooLarge},
		"signature over its limit":      {compact(packRaw(t, 1, make([]byte, maxSignatureLen+1), fields(h, p))), ErrTooLarge},
		"decompression bomb":            {compact(packRaw(t, 1, s, make([]byte, 1<<20))), ErrTooLarge},
		"text over MaxTextLen":          {Prefix + strings.Repeat("0", MaxTextLen), ErrTooLarge},
		"not deflate at all":            {compact([]byte{1, 0xff, 0xff, 0xff, 0xff}), ErrMalformed},
		"empty packing":                 {Prefix + "", ErrMalformed},
		"plain text that is not a JWS":  {"hello world", ErrMalformed},
		"URL instead of a credential":   {"https://register.nalw.org.uk/register/LW1000173", ErrMalformed},
		"lowercase prefix is not ours":  {strings.ToLower(good[:4]) + good[4:], ErrMalformed},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Decode(tc.text)
			require.ErrorIs(t, err, tc.want)
			require.ErrorIs(t, err, ErrMalformed, "every failure must map to the malformed outcome")
			require.Empty(t, got)
		})
	}
}

func TestDecodeStopsADecompressionBombAtTheLimit(t *testing.T) {
	// A megabyte of zeros compresses to about a kilobyte. Decode must stop
	// reading at the limit instead of inflating it all and checking after:
	// the bytes it allocates show which one it did.
	text := compact(packRaw(t, 1, []byte{1}, make([]byte, 1<<20)))
	require.Less(t, len(text), MaxTextLen)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Decode(text)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ErrTooLarge)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(256<<10))
}

func TestIsCompactRecognisesOnlyTheCompactForm(t *testing.T) {
	tok := qrtexttest.MustJWS(qrtexttest.Standard())
	text, err := Encode(tok)
	require.NoError(t, err)
	assert.True(t, IsCompact(text))
	assert.True(t, IsCompact(text+"\n"))
	assert.False(t, IsCompact(tok), "a plain JWS is not the compact form")
	assert.False(t, IsCompact("LP1:abc"), "lowercase is outside base45")
	assert.False(t, IsCompact("LP2:ABC"))
	assert.False(t, IsCompact(""))
}

func TestEncodedTextIsQRAlphanumericAndNeverStartsOrEndsWithSpace(t *testing.T) {
	const qrAlphanumeric = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	for name, tok := range samples(t) {
		text, err := Encode(tok)
		require.NoError(t, err)
		for i, r := range text {
			require.Contains(t, qrAlphanumeric, string(r), "%s: character %d", name, i)
		}
		require.Equal(t, strings.TrimSpace(text), text, name)
	}
}

func TestDictionaryShrinksTheStandardCredential(t *testing.T) {
	// If a later edit broke the dictionary (say, a typo in a member name),
	// round trips would still pass; this catches the lost compression.
	tok := qrtexttest.MustJWS(qrtexttest.Standard())
	parts, err := splitJWS(tok)
	require.NoError(t, err)
	raw := fields(parts.header, parts.payload)
	withDict := len(deflateWith(t, raw, dictV1))
	without := len(deflateWith(t, raw, nil))
	t.Logf("packed: %d bytes raw, %d deflated, %d deflated with dictionary", len(raw), without, withDict)
	require.Less(t, withDict, without*6/10, "the dictionary should save at least 40%")
}

func splitThree(t *testing.T, tok string) (string, string, string) {
	t.Helper()
	p := strings.Split(tok, ".")
	require.Len(t, p, 3)
	return p[0], p[1], p[2]
}
