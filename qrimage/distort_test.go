package qrimage

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// This file builds, inside the test, the kinds of picture a receptionist is
// sent: a QR code rotated, rescaled, blurred, noisy, washed out, seen at an
// angle, light on dark, or sitting on a card among other print.

func grayOf(img image.Image) *image.Gray {
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
	return g
}

// sample returns the bilinear interpolation of src at (x, y), pixel centres
// at half-integers, or bg outside the image.
func sample(src *image.Gray, x, y float64, bg uint8) float64 {
	x, y = x-0.5, y-0.5
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	at := func(ix, iy int) float64 {
		if ix < 0 || iy < 0 || ix >= src.Rect.Dx() || iy >= src.Rect.Dy() {
			return float64(bg)
		}
		return float64(src.Pix[iy*src.Stride+ix])
	}
	ix, iy := int(x0), int(y0)
	top := at(ix, iy)*(1-fx) + at(ix+1, iy)*fx
	bottom := at(ix, iy+1)*(1-fx) + at(ix+1, iy+1)*fx
	return top*(1-fy) + bottom*fy
}

// warp builds a w x h image whose pixel (x, y) shows src at inv(x, y).
func warp(src *image.Gray, w, h int, bg uint8, inv func(x, y float64) (float64, float64)) *image.Gray {
	dst := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			sx, sy := inv(float64(x)+0.5, float64(y)+0.5)
			dst.Pix[y*dst.Stride+x] = uint8(math.Round(sample(src, sx, sy, bg)))
		}
	}
	return dst
}

// rotate turns src by deg degrees about its centre onto a canvas large
// enough to hold it, filled with white.
func rotate(src *image.Gray, deg float64) *image.Gray {
	a := deg * math.Pi / 180
	sin, cos := math.Sin(a), math.Cos(a)
	w, h := float64(src.Rect.Dx()), float64(src.Rect.Dy())
	nw := int(math.Ceil(math.Abs(w*cos) + math.Abs(h*sin)))
	nh := int(math.Ceil(math.Abs(w*sin) + math.Abs(h*cos)))
	return warp(src, nw, nh, 255, func(x, y float64) (float64, float64) {
		dx, dy := x-float64(nw)/2, y-float64(nh)/2
		return cos*dx + sin*dy + w/2, -sin*dx + cos*dy + h/2
	})
}

// scale resizes src by f. Shrinking averages over the source pixels each
// destination pixel covers, as a camera sensor does.
func scale(src *image.Gray, f float64) *image.Gray {
	w, h := int(float64(src.Rect.Dx())*f), int(float64(src.Rect.Dy())*f)
	if f >= 1 {
		return warp(src, w, h, 255, func(x, y float64) (float64, float64) { return x / f, y / f })
	}
	dst := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			x0, x1 := int(float64(x)/f), max(int(float64(x)/f)+1, int(float64(x+1)/f))
			y0, y1 := int(float64(y)/f), max(int(float64(y)/f)+1, int(float64(y+1)/f))
			sum, n := 0, 0
			for sy := y0; sy < min(y1, src.Rect.Dy()); sy++ {
				for sx := x0; sx < min(x1, src.Rect.Dx()); sx++ {
					sum += int(src.Pix[sy*src.Stride+sx])
					n++
				}
			}
			dst.Pix[y*dst.Stride+x] = uint8(sum / max(n, 1))
		}
	}
	return dst
}

// blur applies a separable Gaussian of standard deviation sigma pixels.
func blur(src *image.Gray, sigma float64) *image.Gray {
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	var sum float64
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	pass := func(in []float64, horizontal bool) []float64 {
		out := make([]float64, len(in))
		for y := range h {
			for x := range w {
				var acc float64
				for i, kv := range k {
					sx, sy := x, y
					if horizontal {
						sx = min(max(x+i-r, 0), w-1)
					} else {
						sy = min(max(y+i-r, 0), h-1)
					}
					acc += kv * in[sy*w+sx]
				}
				out[y*w+x] = acc
			}
		}
		return out
	}
	f := make([]float64, w*h)
	for y := range h {
		for x := range w {
			f[y*w+x] = float64(src.Pix[y*src.Stride+x])
		}
	}
	f = pass(pass(f, true), false)
	dst := image.NewGray(src.Rect)
	for i, v := range f {
		dst.Pix[i] = uint8(math.Round(v))
	}
	return dst
}

// mapPixels returns src with every pixel replaced by fn(x, y, value).
func mapPixels(src *image.Gray, fn func(x, y int, v float64) float64) *image.Gray {
	dst := image.NewGray(src.Rect)
	for y := range src.Rect.Dy() {
		for x := range src.Rect.Dx() {
			v := fn(x, y, float64(src.Pix[y*src.Stride+x]))
			dst.Pix[y*dst.Stride+x] = uint8(min(max(math.Round(v), 0), 255))
		}
	}
	return dst
}

func noise(src *image.Gray, sigma float64, rng *rand.Rand) *image.Gray {
	return mapPixels(src, func(_, _ int, v float64) float64 { return v + rng.NormFloat64()*sigma })
}

func saltAndPepper(src *image.Gray, frac float64, rng *rand.Rand) *image.Gray {
	return mapPixels(src, func(_, _ int, v float64) float64 {
		switch r := rng.Float64(); {
		case r < frac/2:
			return 0
		case r < frac:
			return 255
		}
		return v
	})
}

// contrast maps black to lo and white to hi.
func contrast(src *image.Gray, lo, hi float64) *image.Gray {
	return mapPixels(src, func(_, _ int, v float64) float64 { return lo + v/255*(hi-lo) })
}

func invert(src *image.Gray) *image.Gray {
	return mapPixels(src, func(_, _ int, v float64) float64 { return 255 - v })
}

// lighting darkens the image from full at the left to factor at the right,
// as a lamp to one side does.
func lighting(src *image.Gray, factor float64) *image.Gray {
	w := float64(src.Rect.Dx())
	return mapPixels(src, func(x, _ int, v float64) float64 { return v * (1 - (1-factor)*float64(x)/w) })
}

// shear slants src horizontally by k pixels per row.
func shear(src *image.Gray, k float64) *image.Gray {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	extra := math.Abs(k) * float64(h)
	off := math.Min(0, k*float64(h)) // keeps a negative slant on the canvas
	return warp(src, w+int(extra), h, 255, func(x, y float64) (float64, float64) {
		return x - k*y + off, y
	})
}

// keystone shows src as if the top edge were further from the camera: the
// top is narrowed by frac of the width, a perspective (projective) map.
func keystone(src *image.Gray, frac float64) *image.Gray {
	w, h := float64(src.Rect.Dx()), float64(src.Rect.Dy())
	pad := 0.1 * w
	dw, dh := int(w+2*pad), int(h+2*pad)
	// Corners of the source in the destination.
	dst := [4][2]float64{
		{pad + frac*w/2, pad}, {pad + w - frac*w/2, pad},
		{pad + w, pad + h}, {pad, pad + h},
	}
	srcC := [4][2]float64{{0, 0}, {w, 0}, {w, h}, {0, h}}
	hm := homography(dst, srcC)
	return warp(src, dw, dh, 255, func(x, y float64) (float64, float64) {
		d := hm[6]*x + hm[7]*y + 1
		return (hm[0]*x + hm[1]*y + hm[2]) / d, (hm[3]*x + hm[4]*y + hm[5]) / d
	})
}

// homography solves for the projective map taking the four points from to
// the four points to, by Gaussian elimination of the usual 8x8 system.
func homography(from, to [4][2]float64) [8]float64 {
	var a [8][9]float64
	for i := range 4 {
		x, y, u, v := from[i][0], from[i][1], to[i][0], to[i][1]
		a[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		a[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	for c := range 8 {
		p := c
		for r := c + 1; r < 8; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		for r := range 8 {
			if r == c {
				continue
			}
			f := a[r][c] / a[c][c]
			for k := c; k < 9; k++ {
				a[r][k] -= f * a[c][k]
			}
		}
	}
	var h [8]float64
	for i := range 8 {
		h[i] = a[i][8] / a[i][i]
	}
	return h
}

func jpegRoundTrip(t testing.TB, src *image.Gray, quality int) *image.Gray {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, src, &jpeg.Options{Quality: quality}))
	img, err := jpeg.Decode(&buf)
	require.NoError(t, err)
	return grayOf(img)
}

// onCard places src on a w x h sheet at (x, y) and covers the rest with
// text-like marks: rows of dark bars of word length, as print around a code.
func onCard(src *image.Gray, w, h, x, y int, bg uint8, rng *rand.Rand) *image.Gray {
	dst := image.NewGray(image.Rect(0, 0, w, h))
	for i := range dst.Pix {
		dst.Pix[i] = bg
	}
	codeRect := src.Rect.Add(image.Pt(x, y))
	for ty := 20; ty+14 < h; ty += 28 {
		for tx := 20; tx < w-40; {
			word := 20 + rng.IntN(70)
			r := image.Rect(tx, ty, min(tx+word, w-20), ty+14)
			if !r.Overlaps(codeRect.Inset(-10)) {
				draw.Draw(dst, r, image.Black, image.Point{}, draw.Src)
			}
			tx += word + 14
		}
	}
	draw.Draw(dst, codeRect, src, image.Point{}, draw.Src)
	return dst
}

// photo1080p imitates a phone photo of a card: 1920x1080, the code about
// 30% of the height among print, turned a few degrees and softened.
func photo1080p(t testing.TB, code *image.Gray, rng *rand.Rand) *image.Gray {
	t.Helper()
	img := scale(code, 1080*0.3/float64(code.Rect.Dx()))
	img = rotate(img, 5)
	img = onCard(img, 1920, 1080, 800, 350, 240, rng)
	img = blur(img, 1)
	return noise(img, 3, rng)
}

// poorPhoto1080p is photo1080p taken worse: also seen slightly from below,
// grainy, washed out and lit from one side.
func poorPhoto1080p(t testing.TB, code *image.Gray, rng *rand.Rand) *image.Gray {
	t.Helper()
	img := scale(code, 1080*0.3/float64(code.Rect.Dx()))
	img = keystone(img, 0.06)
	img = rotate(img, 8)
	img = onCard(img, 1920, 1080, 800, 300, 235, rng)
	img = blur(img, 1.2)
	img = contrast(img, 50, 215)
	img = lighting(img, 0.7)
	return noise(img, 8, rng)
}

// distortion is one case of the distortion set.
type distortion struct {
	name string
	// mild cases are what a working phone or screenshot produces; they
	// must all read. The others are harder and only counted.
	mild  bool
	apply func(t testing.TB, code *image.Gray, rng *rand.Rand) *image.Gray
}

var distortions = []distortion{
	{"as rendered", true, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return c }},
	{"rotated 90", true, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return rotate(c, 90) }},
	{"rotated 180", true, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return rotate(c, 180) }},
	{"rotated 270", true, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return rotate(c, 270) }},
	{"rotated 15", true, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return rotate(c, 15) }},
	{"rotated -15", true, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return rotate(c, -15) }},
	{"rotated 30", false, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return rotate(c, 30) }},
	{"rotated 45", false, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return rotate(c, 45) }},
	{"scaled x2", true, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return scale(c, 2) }},
	{"scaled x1.37", true, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return scale(c, 1.37) }},
	{"scaled x0.5 (3 px/module)", true, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return scale(c, 0.5) }},
	{"scaled x0.4 (2.4 px/module)", false, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return scale(c, 0.4) }},
	{"scaled x0.3 (1.8 px/module)", false, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return scale(c, 0.3) }},
	{"blur sigma 1", true, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return blur(c, 1) }},
	{"blur sigma 2", false, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return blur(c, 2) }},
	{"blur sigma 3", false, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return blur(c, 3) }},
	{"noise sigma 16", true, func(_ testing.TB, c *image.Gray, r *rand.Rand) *image.Gray { return noise(c, 16, r) }},
	{"noise sigma 48", false, func(_ testing.TB, c *image.Gray, r *rand.Rand) *image.Gray { return noise(c, 48, r) }},
	{"salt and pepper 4%", false, func(_ testing.TB, c *image.Gray, r *rand.Rand) *image.Gray { return saltAndPepper(c, 0.04, r) }},
	{"low contrast 90-170", true, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return contrast(c, 90, 170) }},
	{"low contrast 115-140", false, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return contrast(c, 115, 140) }},
	{"uneven lighting 100% to 35%", false, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return lighting(c, 0.35) }},
	{"light on dark (inverted)", true, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return invert(c) }},
	{"perspective 10%", true, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return keystone(c, 0.10) }},
	{"perspective 18%", false, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return keystone(c, 0.18) }},
	{"perspective 25%", false, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return keystone(c, 0.25) }},
	{"shear 0.15", true, func(_ testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return shear(c, 0.15) }},
	{"JPEG quality 40", true, func(t testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return jpegRoundTrip(t, c, 40) }},
	{"JPEG quality 10", false, func(t testing.TB, c *image.Gray, _ *rand.Rand) *image.Gray { return jpegRoundTrip(t, c, 10) }},
	{"on a card among text", true, func(_ testing.TB, c *image.Gray, r *rand.Rand) *image.Gray {
		return onCard(c, c.Rect.Dx()*2+200, c.Rect.Dy()+300, c.Rect.Dx()+100, 150, 255, r)
	}},
	{"1080p photo, rotated 5, blurred", true, func(t testing.TB, c *image.Gray, r *rand.Rand) *image.Gray { return photo1080p(t, c, r) }},
	{"1080p photo, oblique, dim, noisy", false, func(t testing.TB, c *image.Gray, r *rand.Rand) *image.Gray { return poorPhoto1080p(t, c, r) }},
	{"rotated 12, blurred, noisy, dim", false, func(_ testing.TB, c *image.Gray, r *rand.Rand) *image.Gray {
		return noise(contrast(blur(rotate(c, 12), 1.3), 60, 190), 12, r)
	}},
}
