package qrimage

import (
	"image"
	"image/png"
	"os"
	"testing"

	"golang.org/x/image/font/opentype"

	"github.com/nalw/linkpass/qrtext"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var standardCard = CardInfo{
	RegisterName:       "National Association of Link Workers",
	Name:               "Siobhan Okonkwo-Fairweather",
	Role:               "Social prescribing link worker",
	RegistrationNumber: "LW1000173",
	ValidUntil:         "2027-11-23",
	CheckURL:           "https://register.nalw.org.uk/verify",
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
	_, bold, err := cardFonts()
	require.NoError(t, err)
	face, err := (&cardText{dpi: 300}).face(bold, 7.5)
	require.NoError(t, err)
	require.Greater(t, len(wrapWords(face, long.Name, 558)), 1)
}

func TestCardTooSmallForAScannableCodeFails(t *testing.T) {
	_, err := Card(standardCard, sampleText(t), WithSize(300))
	require.ErrorIs(t, err, ErrTooSmall)
}

func TestCardFontsHaveTheAccentsOfNamesOnTheRegister(t *testing.T) {
	regular, bold, err := cardFonts()
	require.NoError(t, err)
	for _, f := range []*opentype.Font{regular, bold} {
		face, err := (&cardText{dpi: 300}).face(f, 11)
		require.NoError(t, err)
		// Welsh, Irish, Scottish Gaelic, and names from further away.
		for _, r := range "âêîôûŵŷÂŴŶáéíóúÁÉÍÓÚàèìòùçñöüßøåæœłńśźżčřšžğışİ’" {
			_, ok := face.GlyphAdvance(r)
			assert.True(t, ok, "no glyph for %q", r)
		}
	}
}

func TestCardShowsTheQualityMarkLineOnlyWhenSet(t *testing.T) {
	with := standardCard
	with.QualityMark = "Accredited Register: PSA Quality Mark"
	a, err := Card(with, sampleText(t))
	require.NoError(t, err)
	b, err := Card(standardCard, sampleText(t))
	require.NoError(t, err)
	// The extra line takes space above the code, so the code starts lower.
	topA, _ := codeRows(a)
	topB, _ := codeRows(b)
	assert.Greater(t, topA, topB)
	got, err := Read(a)
	require.NoError(t, err)
	require.Equal(t, sampleText(t), got)
}

// TestWriteSampleCard writes the standard card for a person to look at:
// LINKPASS_CARD_OUT=/tmp/card.png go test ./qrimage -run SampleCard
func TestWriteSampleCard(t *testing.T) {
	out := os.Getenv("LINKPASS_CARD_OUT")
	if out == "" {
		t.Skip("set LINKPASS_CARD_OUT to a PNG path to write the sample card")
	}
	info := standardCard
	info.Name = "Siân Ní Bhriain-Ŵyn"
	info.QualityMark = "Accredited Register: PSA Quality Mark"
	link, err := qrtext.VerifyURL("https://register.nalw.org.uk", sampleText(t))
	require.NoError(t, err)
	img, err := Card(info, link)
	require.NoError(t, err)
	f, err := os.Create(out)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, png.Encode(f, img))
}
