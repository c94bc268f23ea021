package qrimage

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// CardInfo is the text printed on a credential card. It is for people to
// read; a verifier trusts only what the QR code carries.
type CardInfo struct {
	// RegisterName is the register's name, printed at the top, e.g.
	// "National Association of Link Workers".
	RegisterName string
	// Name is the registrant's name as on the register, accents and all.
	Name string
	// Role is printed under the name if not empty.
	Role string
	// RegistrationNumber is the register's number, e.g. "LW1000015".
	RegistrationNumber string
	// ValidUntil is the credential's last valid day as it should be printed.
	ValidUntil string
	// QualityMark is the Quality Mark line, printed only if not empty: the
	// caller sets it only while the credential says the register holds it.
	QualityMark string
	// CheckURL is where a person checks the card, printed as "Check this
	// card at ..." without its scheme.
	CheckURL string
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

// cardPalette has 256 greys for anti-aliased text; index 0 is white (a
// blank card) and index i is ink of coverage i/255, so 255 is black.
var cardPalette = func() color.Palette {
	p := make(color.Palette, 256)
	for i := range p {
		p[i] = color.Gray{Y: uint8(255 - i)}
	}
	return p
}()

// The Go fonts (BSD licence, like Go itself; golang.org/x/image/font/gofont)
// cover Latin, Greek and Cyrillic, so Siân, Seán and Ŵyn print as written.
var (
	fontsOnce           sync.Once
	regularTTF, boldTTF *opentype.Font
	errFonts            error
)

func cardFonts() (*opentype.Font, *opentype.Font, error) {
	fontsOnce.Do(func() {
		if regularTTF, errFonts = opentype.Parse(goregular.TTF); errFonts != nil {
			return
		}
		boldTTF, errFonts = opentype.Parse(gobold.TTF)
	})
	return regularTTF, boldTTF, errFonts
}

// cardText draws anti-aliased lines of text onto a card, centred.
type cardText struct {
	img  *image.Paletted
	mask *image.Alpha
	dpi  float64
	y    int // top of the next line
}

func (c *cardText) face(f *opentype.Font, points float64) (font.Face, error) {
	return opentype.NewFace(f, &opentype.FaceOptions{Size: points, DPI: c.dpi, Hinting: font.HintingFull})
}

// lines draws s wrapped at spaces to width pixels, each line centred.
func (c *cardText) lines(face font.Face, s string, width int) {
	m := face.Metrics()
	for _, l := range wrapWords(face, s, width) {
		adv := font.MeasureString(face, l)
		d := font.Drawer{Dst: c.mask, Src: image.Opaque, Face: face,
			Dot: fixed.Point26_6{X: fixed.I(c.img.Rect.Dx()/2) - adv/2, Y: fixed.I(c.y) + m.Ascent}}
		d.DrawString(l)
		c.y += (m.Ascent + m.Descent).Ceil()
	}
}

// gap leaves a blank space of points.
func (c *cardText) gap(points float64) { c.y += int(points * c.dpi / 72) }

// ink copies the text mask onto the card as grey levels.
func (c *cardText) ink() {
	for i, a := range c.mask.Pix {
		if a > c.img.Pix[i] {
			c.img.Pix[i] = a
		}
	}
}

// Card draws a printable card: white, ID-1 sized, the register's name, the
// holder's name, role, registration number and last valid day above the QR
// code, the Quality Mark line if set, and where to check the card below it,
// in the Go fonts. The QR code gets all the space the text leaves, at a
// whole number of pixels a module. WithSize sets the card's height in pixels
// and WithLevel the error correction.
func Card(info CardInfo, text string, opts ...Option) (*image.Paletted, error) {
	c, sym, err := prepare(text, opts)
	if err != nil {
		return nil, err
	}
	regular, bold, err := cardFonts()
	if err != nil {
		return nil, fmt.Errorf("loading the card fonts: %w", err)
	}
	h := c.size
	if h == 0 {
		h = defaultCardHeight
	}
	w := int(float64(h)*cardWidthMM/cardHeightMM + 0.5)
	img := image.NewPaletted(image.Rect(0, 0, w, h), cardPalette)
	const ink = 255
	t := &cardText{img: img, mask: image.NewAlpha(img.Rect), dpi: float64(h) / (cardHeightMM / 25.4)}

	margin := w / 16
	textW := w - 2*margin

	// A thin cutting line around the card.
	line := max(1, w/320)
	for _, r := range []image.Rectangle{
		image.Rect(0, 0, w, line), image.Rect(0, h-line, w, h),
		image.Rect(0, 0, line, h), image.Rect(w-line, 0, w, h),
	} {
		fillRect(img, r, ink)
	}

	faces := map[string]font.Face{}
	for name, spec := range map[string]struct {
		f  *opentype.Font
		pt float64
	}{"register": {bold, 6.5}, "name": {bold, 11}, "body": {regular, 7.5}, "small": {regular, 6}} {
		if faces[name], err = t.face(spec.f, spec.pt); err != nil {
			return nil, fmt.Errorf("card font: %w", err)
		}
	}
	// The name is the largest size, down to the body size, that fits one
	// line; a longer name wraps at spaces.
	nameFace := faces["name"]
	for pt := 11.0; pt > 7.5 && font.MeasureString(nameFace, info.Name).Ceil() > textW; pt -= 0.5 {
		if nameFace, err = t.face(bold, pt-0.5); err != nil {
			return nil, fmt.Errorf("card font: %w", err)
		}
	}

	t.y = margin
	if info.RegisterName != "" {
		t.lines(faces["register"], info.RegisterName, textW)
		t.gap(5)
	}
	t.lines(nameFace, info.Name, textW)
	t.gap(2)
	if info.Role != "" {
		t.lines(faces["body"], info.Role, textW)
	}
	t.lines(faces["body"], "Registration number "+info.RegistrationNumber, textW)
	t.lines(faces["body"], "Valid until "+info.ValidUntil, textW)
	if info.QualityMark != "" {
		t.lines(faces["body"], info.QualityMark, textW)
	}
	t.gap(2)
	top := t.y

	// The footer is laid out on a scratch writer first to learn its height.
	check := ""
	if info.CheckURL != "" {
		check = "Check this card at " + strings.TrimPrefix(strings.TrimPrefix(info.CheckURL, "https://"), "http://")
	}
	m := faces["small"].Metrics()
	footLines := len(wrapWords(faces["small"], check, textW))
	footTop := h - margin - footLines*(m.Ascent+m.Descent).Ceil()

	// The quiet zone is as white as the card, so the symbol may use the
	// margins too.
	avail := min(w-2*line, footTop-top)
	scale := avail / sym.Size()
	if scale < minCardModule {
		return nil, fmt.Errorf("%w: card of %dx%d px leaves %d px a module, need %d", ErrTooSmall, w, h, scale, minCardModule)
	}
	side := scale * sym.Size()
	drawSymbol(img, sym, image.Pt((w-side)/2, top+(footTop-top-side)/2), scale, ink)

	t.y = footTop
	t.lines(faces["small"], check, textW)
	t.ink()
	return img, nil
}

func fillRect(img *image.Paletted, r image.Rectangle, c uint8) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		off := img.PixOffset(r.Min.X, y)
		for i := range r.Dx() {
			img.Pix[off+i] = c
		}
	}
}

// wrapWords splits s into lines that each fit width pixels in face,
// breaking at spaces; a single word too long for a line stays whole.
func wrapWords(face font.Face, s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		candidate := w
		if line != "" {
			candidate = line + " " + w
		}
		if line != "" && font.MeasureString(face, candidate).Ceil() > width {
			lines = append(lines, line)
			candidate = w
		}
		line = candidate
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
