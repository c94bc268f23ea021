package qrimage

import (
	"errors"
	"fmt"
	"image"
	_ "image/gif" // ReadFile accepts what a phone or a mail client produces
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Errors of the readers.
var (
	// ErrNoQRCode is returned when no strategy finds and decodes a QR code.
	ErrNoQRCode = errors.New("qrimage: no readable QR code in the image")
	// ErrImageTooLarge is returned for files or images beyond the limits
	// below, which no phone produces and which would only cost memory.
	ErrImageTooLarge = errors.New("qrimage: image too large")
	// ErrUnsupportedImage is returned by ReadFile for a file that is not a
	// PNG, JPEG or GIF image.
	ErrUnsupportedImage = errors.New("qrimage: not a supported image")
	// ErrDamagedImage is returned for an image whose header is sound but
	// whose pixels cannot be decoded, such as a truncated file.
	ErrDamagedImage = errors.New("qrimage: the image could not be decoded")
)

// Limits of the readers.
const (
	// MaxFileSize is the largest file ReadFile opens.
	MaxFileSize = 40 << 20
	// MaxPixels is the largest image, in pixels, Read and ReadFile accept:
	// a 100-megapixel camera, with room to spare.
	MaxPixels = 120_000_000
	// workingSize is the longest side an image is reduced to before the
	// first attempt. A code that fills a third of a 12-megapixel photo
	// still has modules of several pixels at this size, and detection
	// time grows with the pixel count.
	workingSize = 2000
	// minSide is the shortest side worth trying after downscaling.
	minSide = 160
)

// ReadFile reads the QR code in a PNG, JPEG or GIF file, as Read does,
// decoding it with Decode within LocalBudget.
func ReadFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("qrimage: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("qrimage: %w", err)
	}
	if st.Size() > MaxFileSize {
		return "", fmt.Errorf("%w: %s is %d bytes, limit %d", ErrImageTooLarge, path, st.Size(), MaxFileSize)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return "", fmt.Errorf("qrimage: %w", err)
	}
	if len(data) > MaxFileSize {
		return "", fmt.Errorf("%w: %s is over %d bytes", ErrImageTooLarge, path, MaxFileSize)
	}
	img, err := Decode(data, LocalBudget)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	text, err := Read(img)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return text, nil
}

// Read finds and decodes a QR code in img and returns its text.
//
// It copes with what a receptionist receives: screenshots, photos taken at
// an angle or rotated any way, scaled up or down, slightly blurred, noisy,
// of low contrast, light-on-dark screens, and codes on a card among other
// print. It tries, in order, until one works:
//
//   - the image reduced to at most 2000 pixels a side, with gozxing's
//     hybrid (local threshold) and then global histogram binarizer;
//   - halves and quarters of it, which average away noise and blur and
//     help where modules are many pixels wide;
//   - a doubled copy, for codes whose modules are one or two pixels;
//   - a smoothed copy (3x3 mean), for sensor noise;
//   - a contrast-stretched copy, for washed-out photos;
//   - all of the above inverted, for light-on-dark codes;
//   - all of the above again, sampling the grid for the neighbouring
//     symbol sizes too, for oblique photos whose size ZXing misjudges.
//
// It returns an error wrapping ErrNoQRCode if none succeeds.
func Read(img image.Image) (string, error) {
	b := img.Bounds()
	if int64(b.Dx())*int64(b.Dy()) > MaxPixels {
		return "", fmt.Errorf("%w: %dx%d", ErrImageTooLarge, b.Dx(), b.Dy())
	}
	if b.Empty() {
		return "", fmt.Errorf("%w: empty image", ErrNoQRCode)
	}
	base := toPlane(img)
	for max(base.w, base.h) > workingSize {
		base = base.half()
	}
	variants := variantsOf(base)

	var lastErr error
	attempts := 0
	for _, s := range strategies {
		for _, invert := range []bool{false, true} {
			for _, v := range variants {
				p, ok := v.get()
				if !ok {
					continue
				}
				for _, binarizer := range binarizers {
					attempts++
					text, err := attempt(s, p, invert, binarizer)
					if err == nil {
						return text, nil
					}
					lastErr = err
				}
			}
		}
	}
	return "", fmt.Errorf("%w (%d attempts; last: %v)", ErrNoQRCode, attempts, lastErr)
}

// variant is one version of the image that Read tries, built on first use
// so that the common case, where the first attempt succeeds, pays for no
// other.
type variant struct {
	build func() (plane, bool)
	p     plane
	ok    bool
	built bool
}

func (v *variant) get() (plane, bool) {
	if !v.built {
		v.p, v.ok = v.build()
		v.built = true
	}
	return v.p, v.ok
}

// variantsOf lists, in the order Read tries them, the versions of base:
// itself, its half and quarter, a doubled copy of a small image, a smoothed
// and a contrast-stretched copy.
func variantsOf(base plane) []*variant {
	whole := func() (plane, bool) { return base, true }
	half := &variant{build: func() (plane, bool) {
		h := base.half()
		return h, min(h.w, h.h) >= minSide
	}}
	quarter := &variant{build: func() (plane, bool) {
		h, ok := half.get()
		if !ok {
			return plane{}, false
		}
		q := h.half()
		return q, min(q.w, q.h) >= minSide
	}}
	return []*variant{
		{build: whole},
		half,
		quarter,
		{build: func() (plane, bool) {
			if max(base.w, base.h) > workingSize/2 {
				return plane{}, false
			}
			return base.double(), true
		}},
		{build: func() (plane, bool) { return base.smoothed(), true }},
		{build: base.stretched},
	}
}

// binarizerFunc makes a binarizer, which turns luminance into black and
// white.
type binarizerFunc = func(gozxing.LuminanceSource) gozxing.Binarizer

// binarizers are tried in order. The hybrid one thresholds each 8x8 block
// against its neighbourhood, which survives uneven lighting; the global one
// uses a single histogram threshold, which survives blur that smears the
// local contrast the hybrid one relies on.
var binarizers = []binarizerFunc{
	gozxing.NewHybridBinarizer,
	gozxing.NewGlobalHistgramBinarizer,
}

// strategy finds and decodes a QR code in a binarized image.
type strategy func(*gozxing.BinaryBitmap) (string, error)

// strategies are tried in order: ZXing's own detector, then the dimension
// search of resample.go, which costs more and only helps where the first
// has failed.
var strategies = []strategy{
	decodeZXing,
	decodeDimensionSearch,
}

var decodeHints = map[gozxing.DecodeHintType]any{
	gozxing.DecodeHintType_TRY_HARDER:       true,
	gozxing.DecodeHintType_POSSIBLE_FORMATS: []gozxing.BarcodeFormat{gozxing.BarcodeFormat_QR_CODE},
}

// attempt binarizes p, inverted or not, and runs s on it.
func attempt(s strategy, p plane, invert bool, binarizer binarizerFunc) (text string, err error) {
	// gozxing is a port of Java code that signals some failures by index
	// panics on odd geometry; one bad attempt must not crash a verifier,
	// nor stop the other attempts.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gozxing panicked: %v", r)
		}
	}()
	src, err := gozxing.NewPlanarYUVLuminanceSource(p.pix, p.w, p.h, 0, 0, p.w, p.h, false)
	if err != nil {
		return "", err
	}
	if invert {
		src = src.Invert()
	}
	bmp, err := gozxing.NewBinaryBitmap(binarizer(src))
	if err != nil {
		return "", err
	}
	return s(bmp)
}

// decodeZXing is ZXing's QR reader as it comes.
func decodeZXing(bmp *gozxing.BinaryBitmap) (string, error) {
	res, err := qrcode.NewQRCodeReader().Decode(bmp, decodeHints)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}
