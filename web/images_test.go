package web

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/qrimage"
	"github.com/nalw/linkpass/qrtext"
)

// This file makes the pictures the browser tests show the checker: a
// camera's view of a QR code (as a Y4M video for Chromium's fake camera)
// and a phone photo of a credential card.

// qrText returns the QR compact text of a credential.
func qrText(t *testing.T, jws string) string {
	t.Helper()
	text, err := qrtext.Encode(jws)
	require.NoError(t, err)
	return text
}

// qrLink returns the link a credential's QR code carries, for the
// register at base.
func qrLink(t *testing.T, base, jws string) string {
	t.Helper()
	link, err := qrtext.VerifyURL(base, qrText(t, jws))
	require.NoError(t, err)
	return link
}

// cameraFrame draws text's QR code centred on a white w x h frame, as
// large as whole-pixel modules allow with a margin.
func cameraFrame(t *testing.T, text string, w, h int) *image.Gray {
	t.Helper()
	sym, err := qrimage.Encode(text, qrimage.LevelM)
	require.NoError(t, err)
	module := (min(w, h) * 9 / 10) / sym.Size()
	require.GreaterOrEqual(t, module, 3, "the frame is too small for this QR code")
	code, err := qrimage.Render(text, qrimage.WithModuleSize(module))
	require.NoError(t, err)
	frame := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(frame, frame.Rect, image.White, image.Point{}, draw.Src)
	at := image.Pt((w-code.Rect.Dx())/2, (h-code.Rect.Dy())/2)
	draw.Draw(frame, code.Rect.Add(at), code, code.Rect.Min, draw.Src)
	return frame
}

// writeY4M writes frames copies of img as a YUV4MPEG2 video (4:2:0, grey:
// chroma planes at 128), the format Chromium's
// --use-file-for-fake-video-capture plays in a loop.
func writeY4M(path string, img *image.Gray, frames int) error {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w%2 != 0 || h%2 != 0 {
		return fmt.Errorf("y4m: 4:2:0 needs even dimensions, not %dx%d", w, h)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("y4m: %w", err)
	}
	bw := bufio.NewWriter(f)
	fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n", w, h)
	chroma := bytes.Repeat([]byte{128}, w*h/4)
	for range frames {
		bw.WriteString("FRAME\n")
		for y := range h {
			bw.Write(img.Pix[y*img.Stride : y*img.Stride+w])
		}
		bw.Write(chroma) // U
		bw.Write(chroma) // V
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("y4m: %w", err)
	}
	return f.Close()
}

// photo describes how a phone photo of a card differs from the card.
type photo struct {
	degrees float64 // rotation
	blur    int     // box blur radius, in pixels
	noise   float64 // standard deviation of sensor noise, in grey levels
	seed    uint64
}

// cardPhoto returns a PNG that looks like a phone photo of the credential
// card carrying text: the card lying on a darker desk, turned, blurred,
// noisy and a little washed out.
func cardPhoto(t *testing.T, text, name, regno string, p photo) []byte {
	t.Helper()
	card, err := qrimage.Card(qrimage.CardInfo{Name: name, Role: "Social prescribing link worker", RegistrationNumber: regno, ValidUntil: "2027-01-31", CheckURL: "https://register.example/verify"}, text, qrimage.WithSize(1100))
	require.NoError(t, err)
	src := image.NewGray(card.Rect)
	draw.Draw(src, src.Rect, card, card.Rect.Min, draw.Src)

	// The desk is a soft gradient, darker than the card.
	const W, H = 1400, 1400
	a := p.degrees * math.Pi / 180
	sin, cos := math.Sin(a), math.Cos(a)
	cw, ch := float64(src.Rect.Dx()), float64(src.Rect.Dy())
	out := image.NewGray(image.Rect(0, 0, W, H))
	for y := range H {
		for x := range W {
			dx, dy := float64(x)+0.5-W/2, float64(y)+0.5-H/2
			sx, sy := cos*dx+sin*dy+cw/2, -sin*dx+cos*dy+ch/2
			desk := 90 + 40*float64(x+y)/float64(W+H)
			v := desk
			if sx >= 0 && sy >= 0 && sx < cw-1 && sy < ch-1 {
				v = bilinear(src, sx, sy)*0.8 + 30 // washed out: 30..234
			}
			out.Pix[y*out.Stride+x] = uint8(v)
		}
	}
	out = boxBlur(out, p.blur)
	rng := rand.New(rand.NewPCG(p.seed, 7))
	for i, v := range out.Pix {
		out.Pix[i] = uint8(math.Max(0, math.Min(255, float64(v)+rng.NormFloat64()*p.noise)))
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, out))
	return buf.Bytes()
}

func bilinear(src *image.Gray, x, y float64) float64 {
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	i := int(y0)*src.Stride + int(x0)
	p := src.Pix
	top := float64(p[i])*(1-fx) + float64(p[i+1])*fx
	bot := float64(p[i+src.Stride])*(1-fx) + float64(p[i+src.Stride+1])*fx
	return top*(1-fy) + bot*fy
}

// boxBlur averages each pixel with its neighbours within r, horizontally
// then vertically.
func boxBlur(src *image.Gray, r int) *image.Gray {
	if r <= 0 {
		return src
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	pass := func(in *image.Gray, horizontal bool) *image.Gray {
		out := image.NewGray(in.Rect)
		for y := range h {
			for x := range w {
				sum, n := 0, 0
				for k := -r; k <= r; k++ {
					xx, yy := x, y
					if horizontal {
						xx += k
					} else {
						yy += k
					}
					if xx >= 0 && yy >= 0 && xx < w && yy < h {
						sum += int(in.Pix[yy*in.Stride+xx])
						n++
					}
				}
				out.Pix[y*out.Stride+x] = uint8(sum / n)
			}
		}
		return out
	}
	return pass(pass(src, true), false)
}
