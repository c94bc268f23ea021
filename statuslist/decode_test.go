package statuslist

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bomb returns a zlib stream that inflates to about total bytes of zeros.
// DEFLATE cannot exceed about 1032:1, so 1 GiB takes about 1 MB: the stream
// is one compressed MiB of zeros repeated, each copy a sync-flushed block
// that only copies from the window. Its checksum is wrong on purpose; a
// decoder that gets that far has already lost.
func bomb(tb testing.TB, total int) []byte {
	tb.Helper()
	const seg = 1 << 20
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	require.NoError(tb, err)
	zeros := make([]byte, seg)
	_, err = fw.Write(zeros)
	require.NoError(tb, err)
	require.NoError(tb, fw.Flush())
	first := append([]byte(nil), buf.Bytes()...)
	buf.Reset()
	_, err = fw.Write(zeros)
	require.NoError(tb, err)
	require.NoError(tb, fw.Flush())
	repeat := buf.Bytes()

	out := append([]byte{0x78, 0xDA}, first...)
	for range total/seg - 1 {
		out = append(out, repeat...)
	}
	// An empty final stored block, then a dummy Adler-32.
	return append(out, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0, 0, 0, 0)
}

func TestDecodeRejectsGigabyteBombWithoutInflatingIt(t *testing.T) {
	b := bomb(t, 1<<30)
	t.Logf("bomb: %d compressed bytes for 1 GiB", len(b))
	lst := base64.RawURLEncoding.EncodeToString(b)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Decode(2, lst)
	runtime.ReadMemStats(&after)

	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "more than 4194304 bytes")
	// Inflating the bomb would allocate a gigabyte; the bound (4 MiB for
	// 2^24 two-bit entries) plus ReadAll's growth stays far below this.
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20))
}

func TestDecodeRejectsListLargerThanMaxEntries(t *testing.T) {
	l := sparseList(t, 1, 1024, 2, 0.1) // 256 bytes
	b, err := l.Encode()
	require.NoError(t, err)

	got, err := DecodeBytes(2, b, WithMaxEntries(1024))
	require.NoError(t, err, "exactly at the bound is accepted")
	assert.Equal(t, 1024, got.Len())

	_, err = DecodeBytes(2, b, WithMaxEntries(1020))
	assert.ErrorIs(t, err, ErrTooLarge)
}

func TestDecodeRejectsOversizedInputBeforeInflating(t *testing.T) {
	// 8 one-bit entries fit in 1 byte; no valid stream for that is 100 bytes.
	junk := bytes.Repeat([]byte{0x78}, 100)
	_, err := DecodeBytes(1, junk, WithMaxEntries(8))
	assert.ErrorIs(t, err, ErrTooLarge)
	_, err = Decode(1, base64.RawURLEncoding.EncodeToString(junk), WithMaxEntries(8))
	assert.ErrorIs(t, err, ErrTooLarge)
}

func TestDecodeRejectsBitsOtherThan1248(t *testing.T) {
	_, err := Decode(3, "eNrbuRgAAhcBXQ")
	assert.ErrorIs(t, err, ErrInvalidBits)
	_, err = DecodeBytes(0, []byte{0x78, 0xDA})
	assert.ErrorIs(t, err, ErrInvalidBits)
}

func TestDecodeTakesBitsFromTheCallerNotTheData(t *testing.T) {
	// The compressed bytes do not say how many bits an entry has: the same
	// lst read with the wrong bits gives a different list, which is why the
	// bits member of the claim must be validated and used.
	l1, err := Decode(1, "eNrbuRgAAhcBXQ")
	require.NoError(t, err)
	l2, err := Decode(2, "eNrbuRgAAhcBXQ")
	require.NoError(t, err)
	assert.Equal(t, 16, l1.Len())
	assert.Equal(t, 8, l2.Len())
}

func TestDecodeRejectsMalformedBase64(t *testing.T) {
	for name, lst := range map[string]string{
		"padding":           "eNrbuRgAAhcBXQ==",
		"standard alphabet": "eNr+uRgAAhcBXQ",
		"stray character":   "eNrbuRg*AhcBXQ",
		"nonzero pad bits":  "eNrbuRgAAhcBXR",
		"impossible length": "eNrbu",
	} {
		_, err := Decode(1, lst)
		assert.ErrorIs(t, err, ErrMalformed, name)
	}
}

func TestDecodeRejectsEveryTruncationOfAValidStream(t *testing.T) {
	l := sparseList(t, 2, 4096, 2, 0.05)
	b, err := l.Encode()
	require.NoError(t, err)
	for n := range len(b) {
		_, err := DecodeBytes(2, b[:n])
		require.ErrorIs(t, err, ErrMalformed, "prefix of %d of %d bytes", n, len(b))
	}
}

func TestDecodeRejectsWrongChecksum(t *testing.T) {
	b := zlibBytes(t, []byte{0xb9, 0xa3}, 9)
	b[len(b)-1] ^= 1
	_, err := DecodeBytes(1, b)
	assert.ErrorIs(t, err, ErrMalformed)
	assert.ErrorIs(t, err, zlib.ErrChecksum)
}

func TestDecodeRejectsCorruptDeflateData(t *testing.T) {
	// BTYPE 11 is reserved: a block header no encoder may write.
	b := []byte{0x78, 0xDA, 0x07, 0x00, 0x00, 0x00, 0x00}
	_, err := DecodeBytes(1, b)
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestDecodeRejectsDataAfterTheStream(t *testing.T) {
	b := append(zlibBytes(t, []byte{0xb9, 0xa3}, 9), 0x00)
	_, err := DecodeBytes(1, b)
	assert.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), "after the zlib stream")
}

func TestDecodeRejectsAnEmptyList(t *testing.T) {
	_, err := DecodeBytes(1, zlibBytes(t, nil, 9))
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestDecodeRejectsGzipAndPresetDictionaryStreams(t *testing.T) {
	var gz bytes.Buffer
	gw := gzip.NewWriter(&gz)
	_, err := gw.Write([]byte{0xb9, 0xa3})
	require.NoError(t, err)
	require.NoError(t, gw.Close())
	_, err = DecodeBytes(1, gz.Bytes())
	assert.ErrorIs(t, err, ErrMalformed, "gzip is not zlib")

	var dict bytes.Buffer
	zw, err := zlib.NewWriterLevelDict(&dict, 9, []byte("dictionary"))
	require.NoError(t, err)
	_, err = zw.Write([]byte{0xb9, 0xa3})
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	_, err = DecodeBytes(1, dict.Bytes())
	assert.ErrorIs(t, err, ErrMalformed, "a preset dictionary is not allowed")
}

func TestDecodeReadsStreamsFromOtherEncoders(t *testing.T) {
	// What any conforming issuer might send: every standard level.
	l := sparseList(t, 6, 50_000, 4, 0.02)
	for _, level := range []int{zlib.HuffmanOnly, zlib.NoCompression, 1, 6, 9} {
		got, err := DecodeBytes(4, zlibBytes(t, l.data, level))
		require.NoError(t, err, "level %d", level)
		assert.Equal(t, l.data, got.data)
		assert.Equal(t, 50_000, got.Len())
	}
}
