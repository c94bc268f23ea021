// Package qrimage draws QR codes for credentials and reads them back from
// the pictures a practice receives: screenshots, phone photos, scans of a
// printed card.
//
// Drawing follows what scanners rely on (ISO/IEC 18004): every module is a
// whole number of pixels, so no module is blurred or thinner than its
// neighbours, and the symbol keeps its quiet zone of four light modules.
// Reading tries progressively harder strategies with gozxing before it
// gives up with ErrNoQRCode.
package qrimage

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"

	qrcode "github.com/skip2/go-qrcode"
)

// Level is a QR error correction level. Higher levels survive more damage
// and need a larger symbol for the same text.
type Level int

// The four levels of ISO/IEC 18004, recovering about 7, 15, 25 and 30% of
// the codewords. LevelM is the default: a screen or card is rarely damaged,
// and a denser symbol is harder to photograph than a lightly protected one.
const (
	LevelL Level = iota
	LevelM
	LevelQ
	LevelH
)

// QuietZone is the width of the light border around every symbol, in
// modules, as ISO/IEC 18004 requires for the standard symbol.
const QuietZone = 4

// defaultModuleSize is the module size, in pixels, when no size is asked
// for: large enough for any phone to read off a screen.
const defaultModuleSize = 8

// Errors of the renderers.
var (
	// ErrTextTooLong is returned when the text does not fit even a version
	// 40 symbol at the chosen level.
	ErrTextTooLong = errors.New("qrimage: text too long for a QR code")
	// ErrTooSmall is returned when the requested size cannot give every
	// module at least one whole pixel (or, for a card, too few to scan).
	ErrTooSmall = errors.New("qrimage: requested size too small for the QR code")
	// ErrInvalidOption is returned for an option value that makes no sense,
	// such as a negative size.
	ErrInvalidOption = errors.New("qrimage: invalid option")
)

// Option adjusts how a QR code is drawn.
type Option func(*config) error

type config struct {
	level      Level
	size       int // requested image (or card) height in pixels; 0 = unset
	moduleSize int // exact pixels per module; 0 = unset
}

// WithLevel sets the error correction level (LevelM by default).
func WithLevel(l Level) Option {
	return func(c *config) error {
		if l < LevelL || l > LevelH {
			return fmt.Errorf("%w: level %d", ErrInvalidOption, l)
		}
		c.level = l
		return nil
	}
}

// WithSize asks for an image of px by px pixels. Render centres the symbol
// in it at the largest whole module size that fits, so the light border may
// be wider than the quiet zone but never narrower. For Card it is the
// card's height.
func WithSize(px int) Option {
	return func(c *config) error {
		if px <= 0 {
			return fmt.Errorf("%w: size %d", ErrInvalidOption, px)
		}
		c.size = px
		return nil
	}
}

// WithModuleSize sets the size of one module in pixels; the image is then
// exactly (symbol size + 2*QuietZone) * px wide. It overrides WithSize in
// Render and is ignored by Card and Terminal.
func WithModuleSize(px int) Option {
	return func(c *config) error {
		if px <= 0 {
			return fmt.Errorf("%w: module size %d", ErrInvalidOption, px)
		}
		c.moduleSize = px
		return nil
	}
}

func newConfig(opts []Option) (config, error) {
	c := config{level: LevelM}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return config{}, err
		}
	}
	return c, nil
}

// prepare applies opts and encodes text at the chosen level.
func prepare(text string, opts []Option) (config, Symbol, error) {
	c, err := newConfig(opts)
	if err != nil {
		return config{}, Symbol{}, err
	}
	sym, err := Encode(text, c.level)
	if err != nil {
		return config{}, Symbol{}, err
	}
	return c, sym, nil
}

// recoveryLevels maps Level to go-qrcode, whose names are one step off
// ("High" is 25%, Q).
var recoveryLevels = [...]qrcode.RecoveryLevel{
	LevelL: qrcode.Low,
	LevelM: qrcode.Medium,
	LevelQ: qrcode.High,
	LevelH: qrcode.Highest,
}

// Symbol is an encoded QR code before it is drawn.
type Symbol struct {
	// Version is the QR version, 1 to 40; the symbol is 17+4*Version
	// modules wide.
	Version int
	// Modules holds Modules[y][x] == true for a dark module. It includes
	// the quiet zone, so it is 17+4*Version+2*QuietZone modules wide.
	Modules [][]bool
}

// Encode builds the symbol for text at the smallest version that holds it.
// go-qrcode picks the segment modes, so a text made only of QR alphanumeric
// characters (such as qrtext's compact form) is packed at 5.5 bits per
// character.
func Encode(text string, level Level) (Symbol, error) {
	if level < LevelL || level > LevelH {
		return Symbol{}, fmt.Errorf("%w: level %d", ErrInvalidOption, level)
	}
	if text == "" {
		return Symbol{}, fmt.Errorf("%w: empty text", ErrInvalidOption)
	}
	q, err := qrcode.New(text, recoveryLevels[level])
	if err != nil {
		// go-qrcode has no sentinel for this; it fails only on empty or
		// too-long content, and empty is ruled out above.
		return Symbol{}, fmt.Errorf("%w: %d bytes at level %d: %v", ErrTextTooLong, len(text), level, err)
	}
	// go-qrcode's own Image scales by rounding pixel positions, which gives
	// modules of uneven width; its Bitmap is the exact module grid with a
	// four-module quiet zone, which is what we draw from.
	return Symbol{Version: q.VersionNumber, Modules: q.Bitmap()}, nil
}

// Size returns the width of the symbol in modules, quiet zone included.
func (s Symbol) Size() int { return len(s.Modules) }

// palette draws light modules white and dark ones black; index 0 is white
// so that a fresh image is blank card.
var palette = color.Palette{color.White, color.Black}

// Render draws text as a QR code: whole-pixel modules, a quiet zone of four
// modules, ECC M unless WithLevel says otherwise. Without WithSize or
// WithModuleSize each module is 8 pixels.
func Render(text string, opts ...Option) (*image.Paletted, error) {
	c, sym, err := prepare(text, opts)
	if err != nil {
		return nil, err
	}
	n := sym.Size()
	scale, side := c.moduleSize, 0
	switch {
	case scale > 0:
		side = n * scale
	case c.size > 0:
		scale, side = c.size/n, c.size
		if scale < 1 {
			return nil, fmt.Errorf("%w: %d px for %d modules", ErrTooSmall, c.size, n)
		}
	default:
		scale = defaultModuleSize
		side = n * scale
	}
	img := image.NewPaletted(image.Rect(0, 0, side, side), palette)
	offset := (side - n*scale) / 2
	drawSymbol(img, sym, image.Pt(offset, offset), scale, uint8(palette.Index(color.Black)))
	return img, nil
}

// drawSymbol paints the dark modules of sym onto img with its top-left
// corner (the outer edge of the quiet zone) at at, scale pixels a module.
// img must already be light underneath.
func drawSymbol(img *image.Paletted, sym Symbol, at image.Point, scale int, dark uint8) {
	for my, row := range sym.Modules {
		for mx, on := range row {
			if !on {
				continue
			}
			x0, y0 := at.X+mx*scale, at.Y+my*scale
			for y := y0; y < y0+scale; y++ {
				off := img.PixOffset(x0, y)
				for i := range scale {
					img.Pix[off+i] = dark
				}
			}
		}
	}
}

// PNG renders text as Render does and encodes it as a 1-bit PNG.
func PNG(text string, opts ...Option) ([]byte, error) {
	img, err := Render(text, opts...)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qrimage: encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}
