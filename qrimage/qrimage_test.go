package qrimage

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/qrtext"
	"github.com/nalw/linkpass/qrtext/qrtexttest"
)

var (
	sampleOnce           sync.Once
	sampleJWS, sampleQR  string
	errSampleUnavailable error
)

// sampleText returns the standard credential in qrtext's compact form, the
// text the QR codes of this package carry in production.
func sampleText(t testing.TB) string {
	t.Helper()
	sampleOnce.Do(func() {
		spec := qrtexttest.Standard()
		spec.Seed = []byte("linkpass-qrimage-tests")
		sampleJWS, errSampleUnavailable = qrtexttest.JWS(spec)
		if errSampleUnavailable == nil {
			sampleQR, errSampleUnavailable = qrtext.Encode(sampleJWS)
		}
	})
	require.NoError(t, errSampleUnavailable)
	return sampleQR
}

func TestRenderDrawsWholePixelModulesAndAFourModuleQuietZone(t *testing.T) {
	text := sampleText(t)
	sym, err := Encode(text, LevelM)
	require.NoError(t, err)
	const px = 5
	img, err := Render(text, WithModuleSize(px))
	require.NoError(t, err)

	n := sym.Size()
	require.Equal(t, 17+4*sym.Version+2*QuietZone, n)
	require.Equal(t, image.Rect(0, 0, n*px, n*px), img.Bounds())
	for my := range n {
		for mx := range n {
			want := sym.Modules[my][mx]
			inQuietZone := mx < QuietZone || my < QuietZone || mx >= n-QuietZone || my >= n-QuietZone
			if inQuietZone {
				require.False(t, want, "module (%d,%d) in the quiet zone is dark", mx, my)
			}
			// Every pixel of the module has the module's colour.
			for y := my * px; y < (my+1)*px; y++ {
				for x := mx * px; x < (mx+1)*px; x++ {
					require.Equal(t, want, isDark(img.At(x, y)), "pixel (%d,%d) of module (%d,%d)", x, y, mx, my)
				}
			}
		}
	}
}

func isDark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r+g+b < 3*0x8000
}

func TestRenderWithSizeFillsTheSizeWithTheLargestWholeModule(t *testing.T) {
	text := sampleText(t)
	sym, err := Encode(text, LevelM)
	require.NoError(t, err)
	for _, size := range []int{sym.Size(), 500, 777, 1024} {
		img, err := Render(text, WithSize(size))
		require.NoError(t, err)
		require.Equal(t, image.Rect(0, 0, size, size), img.Bounds())
		scale := size / sym.Size()
		// The symbol is centred, so the first dark pixel on the diagonal
		// (the finder pattern's corner) sits after the quiet zone plus half
		// the spare pixels.
		first := -1
		for i := 0; i < size && first < 0; i++ {
			if isDark(img.At(i, i)) {
				first = i
			}
		}
		assert.Equal(t, (size-scale*sym.Size())/2+QuietZone*scale, first, "size %d", size)
	}
}

func TestRenderRejectsSizesThatCannotHoldOnePixelAModule(t *testing.T) {
	_, err := Render(sampleText(t), WithSize(40))
	require.ErrorIs(t, err, ErrTooSmall)
	_, err = Render(sampleText(t), WithSize(-1))
	require.ErrorIs(t, err, ErrInvalidOption)
	_, err = Render(sampleText(t), WithLevel(Level(9)))
	require.ErrorIs(t, err, ErrInvalidOption)
}

func TestRenderRejectsTextBeyondVersion40(t *testing.T) {
	_, err := Render(strings.Repeat("a", 3000), WithLevel(LevelM))
	require.ErrorIs(t, err, ErrTextTooLong)
}

func TestRenderUsesECCMByDefault(t *testing.T) {
	text := sampleText(t)
	def, err := Render(text)
	require.NoError(t, err)
	m, err := Render(text, WithLevel(LevelM))
	require.NoError(t, err)
	h, err := Render(text, WithLevel(LevelH))
	require.NoError(t, err)
	require.Equal(t, m.Pix, def.Pix)
	require.NotEqual(t, h.Bounds(), def.Bounds(), "level H needs a larger symbol, so the level really changed")
}

func TestRenderThenReadReturnsTheExactText(t *testing.T) {
	compact := sampleText(t)
	for name, text := range map[string]string{"compact form": compact, "plain JWS (version 37)": sampleJWS} {
		t.Run(name, func(t *testing.T) {
			img, err := Render(text, WithModuleSize(4))
			require.NoError(t, err)
			got, err := Read(img)
			require.NoError(t, err)
			require.Equal(t, text, got)
		})
	}
	// And the whole chain back to the signed token.
	img, err := Render(compact, WithModuleSize(3))
	require.NoError(t, err)
	got, err := Read(img)
	require.NoError(t, err)
	jws, err := qrtext.Decode(got)
	require.NoError(t, err)
	require.Equal(t, sampleJWS, jws)
}

func TestPNGIsAOneBitImageThatReadsBack(t *testing.T) {
	text := sampleText(t)
	b, err := PNG(text, WithModuleSize(4))
	require.NoError(t, err)
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	require.NoError(t, err)
	require.Len(t, cfg.ColorModel.(color.Palette), 2)
	require.Equal(t, text, readViaFile(t, "code.png", b))
}

// readViaFile writes b to a file called name and reads it with ReadFile.
func readViaFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	got, err := ReadFile(path)
	require.NoError(t, err)
	return got
}

func TestReadFileReadsAJPEGPhoto(t *testing.T) {
	text := sampleText(t)
	img, err := Render(text, WithModuleSize(4))
	require.NoError(t, err)
	photo := photo1080p(t, grayOf(img), rand.New(rand.NewPCG(5, 6)))
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, photo, &jpeg.Options{Quality: 85}))
	require.Equal(t, text, readViaFile(t, "photo.jpg", buf.Bytes()))
}

func TestReadReportsErrNoQRCodeForAPictureWithoutOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	blank := image.NewGray(image.Rect(0, 0, 400, 300))
	page := onCard(blank, 800, 600, 0, 0, 255, rng)
	for name, img := range map[string]image.Image{"text only": page, "noise": noise(blank, 60, rng), "1x1": image.NewGray(image.Rect(0, 0, 1, 1))} {
		_, err := Read(img)
		require.ErrorIs(t, err, ErrNoQRCode, name)
	}
	_, err := Read(image.NewGray(image.Rect(0, 0, 0, 0)))
	require.ErrorIs(t, err, ErrNoQRCode)
}

func TestReadFileRejectsFilesThatAreNotImages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "note.png")
	require.NoError(t, os.WriteFile(path, []byte("LP1:not an image"), 0o600))
	_, err := ReadFile(path)
	require.ErrorIs(t, err, ErrUnsupportedImage)
}

func TestReadFileRejectsAnImageDeclaringTooManyPixelsBeforeDecodingIt(t *testing.T) {
	// A tiny PNG whose header claims 20000x20000 pixels: decoding it would
	// allocate 400 MB, so ReadFile must refuse from the header alone.
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))))
	b := buf.Bytes()
	ihdr := b[8+4 : 8+4+4+13] // type and data of the first chunk
	require.Equal(t, "IHDR", string(ihdr[:4]))
	binary.BigEndian.PutUint32(ihdr[4:], 20000)
	binary.BigEndian.PutUint32(ihdr[8:], 20000)
	binary.BigEndian.PutUint32(b[8+4+4+13:], crc32.ChecksumIEEE(ihdr))
	path := filepath.Join(t.TempDir(), "bomb.png")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	_, err := ReadFile(path)
	require.ErrorIs(t, err, ErrImageTooLarge)
}

func TestReadAcceptsEveryCommonImageType(t *testing.T) {
	text := sampleText(t)
	img, err := Render(text, WithModuleSize(4))
	require.NoError(t, err)
	g := grayOf(img)
	rgba := image.NewRGBA(g.Rect)
	nrgba := image.NewNRGBA(g.Rect)
	ycc := image.NewYCbCr(g.Rect, image.YCbCrSubsampleRatio420)
	for i, v := range g.Pix {
		x, y := i%g.Rect.Dx(), i/g.Rect.Dx()
		rgba.Set(x, y, color.Gray{Y: v})
		nrgba.Set(x, y, color.Gray{Y: v})
		ycc.Y[ycc.YOffset(x, y)] = v
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = 128, 128
	}
	// A sub-image whose bounds do not start at the origin.
	sub := image.NewGray(image.Rect(-30, -20, g.Rect.Dx()+30, g.Rect.Dy()+20))
	for i := range sub.Pix {
		sub.Pix[i] = 255
	}
	for y := range g.Rect.Dy() {
		copy(sub.Pix[sub.PixOffset(0, y):], g.Pix[y*g.Stride:(y+1)*g.Stride])
	}
	for name, im := range map[string]image.Image{
		"paletted": img, "gray": g, "rgba": rgba, "nrgba": nrgba, "ycbcr": ycc,
		"gray16": gray16(g), "nrgba64": nrgba64(g), "rgba64 (generic path)": rgba64(g), "offset bounds": sub,
	} {
		got, err := Read(im)
		require.NoError(t, err, name)
		require.Equal(t, text, got, name)
	}
}

// each16 calls set with every pixel of g widened to 16 bits.
func each16(g *image.Gray, set func(x, y int, v uint16)) {
	for y := range g.Rect.Dy() {
		for x := range g.Rect.Dx() {
			set(x, y, uint16(g.GrayAt(x, y).Y)*0x101)
		}
	}
}

func nrgba64(g *image.Gray) *image.NRGBA64 {
	out := image.NewNRGBA64(g.Rect)
	each16(g, func(x, y int, v uint16) { out.SetNRGBA64(x, y, color.NRGBA64{R: v, G: v, B: v, A: 0xffff}) })
	return out
}

func rgba64(g *image.Gray) *image.RGBA64 {
	out := image.NewRGBA64(g.Rect)
	each16(g, func(x, y int, v uint16) { out.SetRGBA64(x, y, color.RGBA64{R: v, G: v, B: v, A: 0xffff}) })
	return out
}

func gray16(g *image.Gray) *image.Gray16 {
	out := image.NewGray16(g.Rect)
	each16(g, func(x, y int, v uint16) { out.SetGray16(x, y, color.Gray16{Y: v}) })
	return out
}

func TestReadOfATransparentPNGSeesTheCodeOverWhite(t *testing.T) {
	// Dark modules opaque, light ones fully transparent, as some apps save
	// a code: a viewer shows it over white, and so must Read.
	text := sampleText(t)
	img, err := Render(text, WithModuleSize(4))
	require.NoError(t, err)
	nrgba := image.NewNRGBA(img.Rect)
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			if isDark(img.At(x, y)) {
				nrgba.Set(x, y, color.NRGBA{A: 255})
			}
		}
	}
	got, err := Read(nrgba)
	require.NoError(t, err)
	require.Equal(t, text, got)
}

// distortionResults runs the distortion set once and returns which cases
// read back the exact text.
func distortionResults(t testing.TB, text string) map[string]bool {
	t.Helper()
	img, err := Render(text, WithModuleSize(6))
	require.NoError(t, err)
	code := grayOf(img)
	out := make(map[string]bool, len(distortions))
	for i, d := range distortions {
		rng := rand.New(rand.NewPCG(uint64(i), 42))
		got, err := Read(d.apply(t, code, rng))
		out[d.name] = err == nil && got == text
		if err == nil && got != text {
			t.Errorf("%s: read %q, a different text: a false read is worse than none", d.name, got)
		}
	}
	return out
}

func TestReadSurvivesTheDistortionSet(t *testing.T) {
	if testing.Short() {
		t.Skip("the distortion set takes a few seconds")
	}
	results := distortionResults(t, sampleText(t))
	var mild, mildOK, hard, hardOK int
	for _, d := range distortions {
		ok := results[d.name]
		t.Logf("%-34s mild=%-5v read=%v", d.name, d.mild, ok)
		if d.mild {
			mild++
			if ok {
				mildOK++
			}
			assert.True(t, ok, "mild distortion %q must read", d.name)
			continue
		}
		hard++
		if ok {
			hardOK++
		}
	}
	t.Logf("mild: %d/%d read, hard: %d/%d read, overall %.0f%%",
		mildOK, mild, hardOK, hard, 100*float64(mildOK+hardOK)/float64(mild+hard))
	assert.GreaterOrEqual(t, float64(hardOK)/float64(hard), 0.6, "at least 60%% of the hard cases should read")
}

func TestZbarimgReadsOurPNG(t *testing.T) {
	bin, err := exec.LookPath("zbarimg")
	if err != nil {
		if strings.Contains(os.Getenv("LINKPASS_REQUIRE_TOOLS"), "zbar") {
			t.Fatalf("zbarimg not on PATH but LINKPASS_REQUIRE_TOOLS requires zbar (Debian: apt-get install zbar-tools)")
		}
		t.Skip("zbarimg not on PATH (Debian: apt-get install zbar-tools); set LINKPASS_REQUIRE_TOOLS=zbar to make this a failure")
	}
	link, err := qrtext.VerifyURL("https://register.nalw.org.uk", sampleText(t))
	require.NoError(t, err)
	// The bare text (one alphanumeric segment) and the link a phone camera
	// opens (a byte segment, then an alphanumeric one).
	for _, text := range []string{sampleText(t), link} {
		b, err := PNG(text, WithModuleSize(4))
		require.NoError(t, err)
		path := filepath.Join(t.TempDir(), "code.png")
		require.NoError(t, os.WriteFile(path, b, 0o600))
		out, err := exec.Command(bin, "--raw", "-q", path).Output()
		require.NoError(t, err, "zbarimg failed")
		// --raw prints the data and a newline; our text never ends in
		// whitespace, so trimming the newline is exact.
		require.Equal(t, text, strings.TrimSuffix(string(out), "\n"))
		jws, err := qrtext.Decode(string(out))
		require.NoError(t, err)
		require.Equal(t, sampleJWS, jws)
		// Read (gozxing) agrees.
		img, err := Render(text, WithModuleSize(4))
		require.NoError(t, err)
		got, err := Read(img)
		require.NoError(t, err)
		require.Equal(t, text, got)
	}
}

func TestReadFindsTheCodeAtAnyRotation(t *testing.T) {
	text := sampleText(t)
	img, err := Render(text, WithModuleSize(4))
	require.NoError(t, err)
	code := grayOf(img)
	var failed []int
	for deg := 0; deg < 360; deg += 15 {
		got, err := Read(rotate(code, float64(deg)))
		if err != nil || got != text {
			failed = append(failed, deg)
		}
	}
	require.Empty(t, failed, "angles that did not read")
}
