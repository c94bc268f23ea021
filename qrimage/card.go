package qrimage

import (
	"fmt"
	"image"
	"image/color"
	"strings"
)

// CardInfo is the text printed on a credential card. It is for people to
// read; a verifier trusts only what the QR code carries.
type CardInfo struct {
	// Name is the registrant's name as on the register.
	Name string
	// Role is printed under the name if not empty.
	Role string
	// RegistrationNumber is the register's number, e.g. "LW1000015".
	RegistrationNumber string
	// ValidUntil is the credential's expiry as it should be printed.
	ValidUntil string
	// Issuer is the issuer URL; it is printed without its scheme.
	Issuer string
}

// Card geometry: ISO/IEC 7810 ID-1 (85.6 x 54 mm), portrait. At the default
// height of 1011 pixels it prints at 300 dpi.
const (
	defaultCardHeight = 1011
	cardWidthMM       = 54.0
	cardHeightMM      = 85.6
	// minCardModule is the smallest module, in pixels, Card accepts; below
	// it a printed code is too fine for phone cameras at 300 dpi.
	minCardModule = 3
)

// Card draws a printable card: white, ID-1 sized, with the name,
// registration number and expiry above the QR code and the issuer below it,
// in capitals of a built-in bitmap font (see font.go). The QR code gets all
// the space the text leaves, at a whole number of pixels a module. WithSize
// sets the card's height in pixels and WithLevel the error correction.
func Card(info CardInfo, text string, opts ...Option) (*image.Paletted, error) {
	c, sym, err := prepare(text, opts)
	if err != nil {
		return nil, err
	}
	h := c.size
	if h == 0 {
		h = defaultCardHeight
	}
	w := int(float64(h)*cardWidthMM/cardHeightMM + 0.5)
	img := image.NewPaletted(image.Rect(0, 0, w, h), palette)
	ink := uint8(palette.Index(color.Black))

	margin := w / 16
	base := max(1, w/200)
	textW := w - 2*margin
	gap := cellH * base / 2

	// A thin cutting line around the card.
	line := max(1, w/320)
	for _, r := range []image.Rectangle{
		image.Rect(0, 0, w, line), image.Rect(0, h-line, w, h),
		image.Rect(0, 0, line, h), image.Rect(w-line, 0, w, h),
	} {
		fillRect(img, r, ink)
	}

	y := margin
	drawLines := func(lines []string, scale int) {
		for _, l := range lines {
			drawText(img, l, image.Pt((w-textWidth(l, scale))/2, y), scale, ink)
			y += cellH * scale
		}
		y += gap
	}
	// The name is the largest text that fits one line, down to the base
	// size; a longer name wraps at spaces.
	nameScale := base * 2
	for nameScale > base && textWidth(info.Name, nameScale) > textW {
		nameScale--
	}
	drawLines(wrapWords(info.Name, textW, nameScale), nameScale)
	if info.Role != "" {
		drawLines(wrapWords(info.Role, textW, base), base)
	}
	drawLines(wrapWords("REG NO "+info.RegistrationNumber, textW, base), base)
	drawLines(wrapWords("VALID UNTIL "+info.ValidUntil, textW, base), base)

	footScale := max(1, base*2/3)
	issuer := strings.TrimPrefix(strings.TrimPrefix(info.Issuer, "https://"), "http://")
	foot := wrapWords("ISSUED BY "+issuer, textW, footScale)
	footTop := h - margin - len(foot)*cellH*footScale

	// The quiet zone is as white as the card, so the symbol may use the
	// margins too.
	avail := min(w-2*line, footTop-y)
	scale := avail / sym.Size()
	if scale < minCardModule {
		return nil, fmt.Errorf("%w: card of %dx%d px leaves %d px a module, need %d", ErrTooSmall, w, h, scale, minCardModule)
	}
	side := scale * sym.Size()
	drawSymbol(img, sym, image.Pt((w-side)/2, y+(footTop-y-side)/2), scale)

	y = footTop
	drawLines(foot, footScale)
	return img, nil
}
