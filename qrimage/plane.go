package qrimage

import (
	"image"
	"image/color"
)

// plane is an 8-bit luminance image, 0 black to 255 white, row-major with
// no padding: the layout gozxing's planar luminance source reads directly.
type plane struct {
	pix  []byte
	w, h int
}

// toPlane converts img to luminance, compositing any transparency over
// white (a transparent PNG shows as white in every viewer). The common
// decoded types take a fast path; JPEG's Y channel already is luminance.
func toPlane(img image.Image) plane {
	b := img.Bounds()
	p := plane{pix: make([]byte, b.Dx()*b.Dy()), w: b.Dx(), h: b.Dy()}
	switch m := img.(type) {
	case *image.Gray:
		for y := range p.h {
			copy(p.pix[y*p.w:(y+1)*p.w], m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.YCbCr:
		for y := range p.h {
			off := m.YOffset(b.Min.X, b.Min.Y+y)
			copy(p.pix[y*p.w:(y+1)*p.w], m.Y[off:off+p.w])
		}
	case *image.RGBA:
		for y := range p.h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range p.w {
				r, g, bl, a := row[4*x], row[4*x+1], row[4*x+2], row[4*x+3]
				// Premultiplied: adding the missing coverage as white is
				// compositing over white.
				p.pix[y*p.w+x] = byte((int(r)+2*int(g)+int(bl))/4 + 255 - int(a))
			}
		}
	case *image.NRGBA:
		for y := range p.h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range p.w {
				r, g, bl, a := row[4*x], row[4*x+1], row[4*x+2], row[4*x+3]
				lum := (int(r) + 2*int(g) + int(bl)) / 4
				p.pix[y*p.w+x] = byte((lum*int(a) + 255*(255-int(a))) / 255)
			}
		}
	// 16-bit images (PNG) would otherwise box every pixel through At.
	case *image.Gray16:
		for y := range p.h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range p.w {
				p.pix[y*p.w+x] = row[2*x]
			}
		}
	case *image.NRGBA64:
		for y := range p.h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range p.w {
				r, g, bl, a := row[8*x], row[8*x+2], row[8*x+4], row[8*x+6]
				lum := (int(r) + 2*int(g) + int(bl)) / 4
				p.pix[y*p.w+x] = byte((lum*int(a) + 255*(255-int(a))) / 255)
			}
		}
	case *image.Paletted:
		var lut [256]byte
		for i, c := range m.Palette {
			lut[i] = luminance(c)
		}
		for y := range p.h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range p.w {
				p.pix[y*p.w+x] = lut[row[x]]
			}
		}
	default:
		for y := range p.h {
			for x := range p.w {
				p.pix[y*p.w+x] = luminance(img.At(b.Min.X+x, b.Min.Y+y))
			}
		}
	}
	return p
}

// luminance is (R + 2G + B) / 4 over white, the weighting gozxing uses.
func luminance(c color.Color) byte {
	r, g, b, a := c.RGBA() // premultiplied, 16 bits
	lum := (r + 2*g + b) / 4
	return byte((lum + 0xffff - a) >> 8)
}

// half returns p at half the width and height, each pixel the mean of a
// 2x2 block.
func (p plane) half() plane {
	q := plane{w: p.w / 2, h: p.h / 2}
	q.pix = make([]byte, q.w*q.h)
	for y := range q.h {
		r0 := p.pix[2*y*p.w:]
		r1 := p.pix[(2*y+1)*p.w:]
		for x := range q.w {
			sum := int(r0[2*x]) + int(r0[2*x+1]) + int(r1[2*x]) + int(r1[2*x+1])
			q.pix[y*q.w+x] = byte((sum + 2) / 4)
		}
	}
	return q
}

// double returns p at twice the width and height, by pixel replication,
// so that one-pixel modules become two pixels for the finder pattern scan.
func (p plane) double() plane {
	q := plane{w: p.w * 2, h: p.h * 2}
	q.pix = make([]byte, q.w*q.h)
	for y := range p.h {
		row := q.pix[2*y*q.w : (2*y+1)*q.w]
		for x, v := range p.pix[y*p.w : (y+1)*p.w] {
			row[2*x], row[2*x+1] = v, v
		}
		copy(q.pix[(2*y+1)*q.w:(2*y+2)*q.w], row)
	}
	return q
}

// stretched maps the 1st to 99th percentile of p's luminance onto 0-255,
// for washed-out photos whose local contrast is below the hybrid
// binarizer's minimum. It reports false when p already uses most of the
// range and stretching would change little.
func (p plane) stretched() (plane, bool) {
	var hist [256]int
	for _, v := range p.pix {
		hist[v]++
	}
	cut := len(p.pix) / 100
	lo, hi := 0, 255
	for n := 0; lo < 255 && n+hist[lo] <= cut; lo++ {
		n += hist[lo]
	}
	for n := 0; hi > 0 && n+hist[hi] <= cut; hi-- {
		n += hist[hi]
	}
	if hi-lo >= 160 || hi <= lo {
		return plane{}, false
	}
	var lut [256]byte
	for v := range lut {
		s := (v - lo) * 255 / (hi - lo)
		lut[v] = byte(min(max(s, 0), 255))
	}
	q := plane{w: p.w, h: p.h, pix: make([]byte, len(p.pix))}
	for i, v := range p.pix {
		q.pix[i] = lut[v]
	}
	return q, true
}

// smoothed returns p with each pixel the mean of its 3x3 neighbourhood, to
// quieten sensor noise that breaks up module edges; unlike halving, it
// keeps the module size.
func (p plane) smoothed() plane {
	q := plane{w: p.w, h: p.h, pix: make([]byte, len(p.pix))}
	// Sum each column triple once per row, then slide across.
	col := make([]int, p.w)
	for y := range p.h {
		y0, y1 := max(y-1, 0), min(y+1, p.h-1)
		for x := range p.w {
			col[x] = int(p.pix[y0*p.w+x]) + int(p.pix[y*p.w+x]) + int(p.pix[y1*p.w+x])
		}
		for x := range p.w {
			x0, x1 := max(x-1, 0), min(x+1, p.w-1)
			q.pix[y*p.w+x] = byte((col[x0] + col[x] + col[x1] + 4) / 9)
		}
	}
	return q
}
