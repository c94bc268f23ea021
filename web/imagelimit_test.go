package web

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostilePNG is the attack the issue reports: a PNG of under 150 bytes
// whose header declares a w x h canvas of 16-bit RGBA (8 bytes a pixel),
// cut off after its first IDAT bytes. Go's PNG decoder allocates the
// whole canvas before it finds the truncation.
func hostilePNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		c := append([]byte(typ), data...)
		b.Write(c)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(c))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 16, 6 // 16-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x62, 0x60, 0x18, 0x05, 0xa3, 0x60})
	return b.Bytes()
}

// heapAllocs is the cumulative bytes allocated on the heap so far.
func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func TestVerifyImageRefusesAHostilePNGBeforeAllocatingItsCanvas(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	// 7000 x 7000 is 49 megapixels, under a pixel count limit alone, but
	// 392 MB to decode at 8 bytes a pixel.
	body := hostilePNG(7000, 7000)
	require.Less(t, len(body), 150)
	before := heapAllocs()
	res := sys.post("/v1/verify/image", "image/png", bytes.NewReader(body))
	allocated := heapAllocs() - before
	require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
	e := decode[ErrorBody](t, res)
	assert.Equal(t, "too_large", e.Error.Code)
	assert.Contains(t, e.Error.Message, "7000x7000")
	assert.Contains(t, e.Error.Message, "MiB")
	// The whole request, server and client side, allocates little: the
	// canvas was never made.
	assert.Less(t, allocated, uint64(16<<20), "allocated %d MiB refusing it", allocated>>20)
}

func TestVerifyImageAnswers503WithRetryAfterWhenEveryReaderIsBusy(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	// Occupy every admission slot, as a flood in progress would.
	for range cap(sys.site.uploads) {
		sys.site.uploads <- struct{}{}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	res, err := client.Post(sys.url+"/v1/verify/image", "image/png", bytes.NewReader(hostilePNG(100, 100)))
	require.NoError(t, err, "a full reader answers at once rather than queueing")
	defer res.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	assert.NotEmpty(t, res.Header.Get("Retry-After"))
	e := decode[ErrorBody](t, res)
	assert.Equal(t, "busy", e.Error.Code)
	assert.True(t, strings.Contains(e.Error.Message, "try again"), e.Error.Message)

	// Text verification and the register do not share the image slots.
	res = sys.post("/v1/verify", "application/json", strings.NewReader(`{"credential":"LP1:x"}`))
	assert.Equal(t, http.StatusOK, res.StatusCode)
	for range cap(sys.site.uploads) {
		<-sys.site.uploads
	}
	res = sys.post("/v1/verify/image", "image/png", bytes.NewReader(hostilePNG(100, 100)))
	assert.Equal(t, http.StatusBadRequest, res.StatusCode, "with a slot free the image is read (and found truncated)")
}
