package qrimage

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// truncatedPNG is a PNG header declaring w x h pixels of 16-bit RGBA,
// with no pixel data: under 100 bytes that Go's decoder would answer by
// allocating 8 bytes a pixel.
func truncatedPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 16, 6
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	c := append([]byte("IHDR"), ihdr...)
	b.Write(c)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(c))
	return b.Bytes()
}

func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func TestDecodeRefusesFromTheHeaderWhatWouldExceedTheBudget(t *testing.T) {
	data := truncatedPNG(7000, 7000)
	cost, format, cfg, err := DecodeCost(data)
	require.NoError(t, err)
	assert.Equal(t, "png", format)
	assert.Equal(t, 7000, cfg.Width)
	assert.GreaterOrEqual(t, cost, int64(7000*7000*8), "16-bit RGBA is 8 bytes a pixel")

	before := heapAllocated()
	_, err = Decode(data, ServerBudget)
	allocated := heapAllocated() - before
	require.ErrorIs(t, err, ErrImageTooLarge)
	var tl *TooLargeError
	require.ErrorAs(t, err, &tl)
	assert.Contains(t, err.Error(), "7000x7000")
	assert.Contains(t, err.Error(), "limit is 48 MiB")
	assert.Less(t, allocated, uint64(1<<20), "refused without decoding")

	// Within the budget the same truncated file is decoded, and found
	// damaged rather than unsupported.
	_, err = Decode(truncatedPNG(100, 100), ServerBudget)
	require.ErrorIs(t, err, ErrDamagedImage)
	_, err = Decode([]byte("LP1:not an image"), ServerBudget)
	require.ErrorIs(t, err, ErrUnsupportedImage)
}

func TestDecodeRefusesFormatsNotAsked(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewGray(image.Rect(0, 0, 10, 10))))
	_, err := Decode(buf.Bytes(), ServerBudget, "jpeg")
	require.ErrorIs(t, err, ErrUnsupportedImage)
	_, err = Decode(buf.Bytes(), ServerBudget, "png", "jpeg")
	require.NoError(t, err)
}

// TestDecodeCostBoundsWhatDecodingAllocates checks the cost model against
// Go's decoders: what decoding allocates never exceeds the pixel part of
// the cost.
func TestDecodeCostBoundsWhatDecodingAllocates(t *testing.T) {
	const w, h = 1200, 900
	gray := image.NewGray(image.Rect(0, 0, w, h))
	nrgba64 := image.NewNRGBA64(gray.Rect)
	for i := range nrgba64.Pix {
		nrgba64.Pix[i] = byte(i * 7) // not a flat colour, so not a palette
	}
	ycc := image.NewYCbCr(gray.Rect, image.YCbCrSubsampleRatio420)
	encode := map[string]func() ([]byte, error){
		"png gray": func() ([]byte, error) { var b bytes.Buffer; err := png.Encode(&b, gray); return b.Bytes(), err },
		"png 16-bit rgba": func() ([]byte, error) {
			var b bytes.Buffer
			err := png.Encode(&b, nrgba64)
			return b.Bytes(), err
		},
		"jpeg 4:2:0": func() ([]byte, error) { var b bytes.Buffer; err := jpeg.Encode(&b, ycc, nil); return b.Bytes(), err },
		"jpeg gray":  func() ([]byte, error) { var b bytes.Buffer; err := jpeg.Encode(&b, gray, nil); return b.Bytes(), err },
	}
	for name, enc := range encode {
		t.Run(name, func(t *testing.T) {
			data, err := enc()
			require.NoError(t, err)
			cost, _, _, err := DecodeCost(data)
			require.NoError(t, err)
			work := int64(w*h)*4/3 + 4*int64(w*h)
			runtime.GC()
			before := heapAllocated()
			_, _, err = image.Decode(bytes.NewReader(data))
			allocated := int64(heapAllocated() - before)
			require.NoError(t, err)
			assert.LessOrEqual(t, allocated, cost-work+64<<10, "decoding allocated %d bytes; the model says %d", allocated, cost-work)
			assert.Greater(t, allocated, (cost-work)/2, "the model is not wildly pessimistic")
		})
	}
}

func TestJPEGFrameTellsProgressiveAndSampling(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, image.NewYCbCr(image.Rect(0, 0, 64, 64), image.YCbCrSubsampleRatio420), nil))
	data := b.Bytes()
	prog, sampling, ok := jpegFrame(data)
	require.True(t, ok)
	assert.False(t, prog)
	assert.Equal(t, [][2]int{{2, 2}, {1, 1}, {1, 1}}, sampling)
	baseline := jpegCost(data, 64*64)
	assert.Equal(t, int64(64*64*3/2), baseline)

	// The same frame marked progressive (SOF2) costs five times as much.
	i := bytes.Index(data, []byte{0xff, 0xc0})
	require.Positive(t, i)
	prog2 := bytes.Clone(data)
	prog2[i+1] = 0xc2
	prog, _, ok = jpegFrame(prog2)
	require.True(t, ok)
	assert.True(t, prog)
	assert.Equal(t, 5*baseline, jpegCost(prog2, 64*64))

	// Garbage after the start marker assumes the worst.
	assert.Equal(t, int64(64*64*20), jpegCost([]byte{0xff, 0xd8, 0x00}, 64*64))
}

func TestReadFileRefusesAnImageOverTheLocalBudgetWithAClearMessage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.png")
	require.NoError(t, os.WriteFile(path, truncatedPNG(20000, 10000), 0o600))
	_, err := ReadFile(path)
	require.ErrorIs(t, err, ErrImageTooLarge)
	assert.Contains(t, err.Error(), "20000x10000")
	assert.Contains(t, err.Error(), "crop it to the QR code")
}
