package qrimage

import (
	"image"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var standardCard = CardInfo{
	Name:               "Siobhan Okonkwo-Fairweather",
	Role:               "Social prescribing link worker",
	RegistrationNumber: "LW1000173",
	ValidUntil:         "2027-11-23",
	Issuer:             "https://register.nalw.org.uk",
}

func TestCardIsID1SizedAndItsCodeReadsBack(t *testing.T) {
	text := sampleText(t)
	img, err := Card(standardCard, text)
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, 638, 1011), img.Bounds(), "ID-1 portrait at 300 dpi")
	got, err := Read(img)
	require.NoError(t, err)
	require.Equal(t, text, got)
}

func TestCardPrintsTextAboveAndBelowTheCode(t *testing.T) {
	img, err := Card(standardCard, sampleText(t))
	require.NoError(t, err)
	sym, err := Encode(sampleText(t), LevelM)
	require.NoError(t, err)
	// Find the code's rows: the longest run of rows containing dark pixels
	// in the middle column band belongs to the symbol; text must have ink
	// both above its quiet zone and below it.
	top, bottom := codeRows(img)
	require.Greater(t, bottom-top, sym.Size()*minCardModule-2*QuietZone*minCardModule)
	assert.True(t, hasInk(img, image.Rect(10, 10, img.Rect.Dx()-10, top-10)), "no text above the code")
	assert.True(t, hasInk(img, image.Rect(10, bottom+10, img.Rect.Dx()-10, img.Rect.Dy()-10)), "no text below the code")
}

// codeRows returns the first and last row of the tallest block of rows in
// which more than a fifth of the pixels are dark: the QR symbol.
func codeRows(img *image.Paletted) (top, bottom int) {
	best, start := 0, -1
	for y := 0; y <= img.Rect.Dy(); y++ {
		dense := false
		if y < img.Rect.Dy() {
			n := 0
			for x := range img.Rect.Dx() {
				if img.Pix[y*img.Stride+x] != 0 {
					n++
				}
			}
			dense = n > img.Rect.Dx()/5
		}
		switch {
		case dense && start < 0:
			start = y
		case !dense && start >= 0:
			if y-start > best {
				best, top, bottom = y-start, start, y-1
			}
			start = -1
		}
	}
	return top, bottom
}

func hasInk(img *image.Paletted, r image.Rectangle) bool {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.Pix[y*img.Stride+x] != 0 {
				return true
			}
		}
	}
	return false
}

func TestCardWrapsANameTooLongForOneLine(t *testing.T) {
	long := standardCard
	long.Name = "Anne-Marie Siobhan Okonkwo-Fairweather Llewellyn-Davies"
	img, err := Card(long, sampleText(t))
	require.NoError(t, err)
	got, err := Read(img)
	require.NoError(t, err)
	require.Equal(t, sampleText(t), got)
	require.Greater(t, len(wrapWords(long.Name, 558, 3)), 1)
}

func TestCardTooSmallForAScannableCodeFails(t *testing.T) {
	_, err := Card(standardCard, sampleText(t), WithSize(300))
	require.ErrorIs(t, err, ErrTooSmall)
}

func TestFontDrawsEveryGlyphAsFiveBySeven(t *testing.T) {
	for r, g := range glyphs {
		for _, row := range g {
			require.Len(t, row, glyphW, "glyph %q", r)
			for _, c := range row {
				require.Contains(t, ".#", string(c), "glyph %q", r)
			}
		}
	}
}

func TestFontFoldsLowercaseAndAccentsToCapitals(t *testing.T) {
	assert.Equal(t, glyphs['S'], glyphFor('s'))
	assert.Equal(t, glyphs['A'], glyphFor('â'), "Welsh circumflex")
	assert.Equal(t, glyphs['O'], glyphFor('Ó'), "Irish fada")
	assert.Equal(t, glyphs['W'], glyphFor('ŵ'))
	assert.Equal(t, glyphs['?'], glyphFor('語'))
}
