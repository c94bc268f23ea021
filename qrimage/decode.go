package qrimage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"slices"
)

// Budgets for Decode: what decoding and reading one image may cost in
// memory.
const (
	// ServerBudget is for images sent by anyone to a public endpoint: a
	// 12-megapixel phone photo (baseline JPEG), a 4K screenshot fits.
	ServerBudget = 48 << 20
	// LocalBudget is for a file the user chose on their own machine.
	LocalBudget = 1 << 30
)

// DecodeCost is the memory, in bytes, that decoding data and reading the
// QR code in it would take, worked out from the image's header alone:
// the decoded pixels as Go's decoders lay them out (8 bytes a pixel for
// 16-bit RGBA PNG, the sampled planes and, for progressive JPEG, its
// coefficients) plus Read's working planes. It also returns the format
// and the dimensions, and fails with ErrUnsupportedImage for anything
// that is not a PNG, JPEG or GIF header.
func DecodeCost(data []byte) (cost int64, format string, cfg image.Config, err error) {
	cfg, format, err = image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, "", cfg, fmt.Errorf("%w: %w", ErrUnsupportedImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return 0, "", cfg, fmt.Errorf("%w: %dx%d image", ErrUnsupportedImage, cfg.Width, cfg.Height)
	}
	px := int64(cfg.Width) * int64(cfg.Height)
	var pixels int64
	switch format {
	case "png", "gif":
		pixels = px * bytesPerPixel(cfg.ColorModel)
	case "jpeg":
		pixels = jpegCost(data, px)
	default:
		return 0, "", cfg, fmt.Errorf("%w: %s", ErrUnsupportedImage, format)
	}
	// Read's luminance plane and its halvings (4/3 of it), then variants
	// at the working size.
	work := px*4/3 + 4*min(px, workingSize*workingSize)
	return pixels + work, format, cfg, nil
}

// bytesPerPixel is what the PNG and GIF decoders allocate per pixel for
// each colour model they return.
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4 // RGBA, NRGBA and anything unforeseen
}

// jpegCost is what Go's JPEG decoder allocates for an image of px pixels:
// each component's plane at its sampling, and for a progressive JPEG a
// 4-byte coefficient per sample besides. It reads the frame header
// (SOF) for both; if it cannot, it assumes the worst Go decodes:
// progressive with four full-resolution components.
func jpegCost(data []byte, px int64) int64 {
	progressive, sampling, ok := jpegFrame(data)
	if !ok {
		return px * 4 * 5
	}
	hmax, vmax := 1, 1
	for _, s := range sampling {
		hmax, vmax = max(hmax, s[0]), max(vmax, s[1])
	}
	var samples int64
	for _, s := range sampling {
		samples += px * int64(s[0]*s[1]) / int64(hmax*vmax)
	}
	if len(sampling) == 4 {
		samples += px * 4 // Go converts CMYK and YCCK into a new image
	}
	if progressive {
		return samples * 5
	}
	return samples
}

// jpegFrame reads a JPEG's markers up to its frame header and returns
// whether it is progressive and each component's sampling factors.
func jpegFrame(b []byte) (progressive bool, sampling [][2]int, ok bool) {
	if len(b) < 2 || b[0] != 0xff || b[1] != 0xd8 {
		return false, nil, false
	}
	for p := 2; p+4 <= len(b); {
		if b[p] != 0xff {
			return false, nil, false
		}
		marker := b[p+1]
		if marker == 0xff { // fill byte
			p++
			continue
		}
		if marker == 0x01 || 0xd0 <= marker && marker <= 0xd7 { // no length
			p += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[p+2:]))
		seg := b[p+4:]
		if n < 2 || len(seg) < n-2 {
			return false, nil, false
		}
		seg = seg[:n-2]
		switch marker {
		case 0xc0, 0xc1, 0xc2: // the frames Go decodes
			if len(seg) < 6 {
				return false, nil, false
			}
			nc := int(seg[5])
			if nc == 0 || len(seg) < 6+3*nc {
				return false, nil, false
			}
			for i := range nc {
				hv := seg[6+3*i+1]
				h, v := int(hv>>4), int(hv&0x0f)
				if h < 1 || v < 1 {
					return false, nil, false
				}
				sampling = append(sampling, [2]int{h, v})
			}
			return marker == 0xc2, sampling, true
		case 0xda: // start of scan before any frame
			return false, nil, false
		}
		p += 2 + n
	}
	return false, nil, false
}

// Check checks from data's header alone that it is an image of one of
// formats (PNG, JPEG or GIF when none is given) that costs at most budget
// bytes to decode and read (DecodeCost). It fails with
// ErrUnsupportedImage for any other header, and with a *TooLargeError,
// which wraps ErrImageTooLarge, beyond the budget or MaxPixels.
func Check(data []byte, budget int64, formats ...string) error {
	cost, format, cfg, err := DecodeCost(data)
	if err != nil {
		return err
	}
	if len(formats) > 0 && !slices.Contains(formats, format) {
		return fmt.Errorf("%w: a %s image; send %v", ErrUnsupportedImage, format, formats)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels || cost > budget {
		return &TooLargeError{Width: cfg.Width, Height: cfg.Height, Cost: cost, Budget: budget}
	}
	return nil
}

// Decode decodes an image that passes Check. An image beyond the budget
// is never decoded: a small file can declare an enormous image. Pixels
// that cannot be decoded (a truncated file) fail with ErrDamagedImage.
func Decode(data []byte, budget int64, formats ...string) (image.Image, error) {
	if err := Check(data, budget, formats...); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDamagedImage, err)
	}
	return img, nil
}

// TooLargeError is an image refused by Decode for its size. It wraps
// ErrImageTooLarge.
type TooLargeError struct {
	Width, Height int
	Cost, Budget  int64 // bytes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%v: the image is %dx%d pixels, which would take %d MiB to read; the limit is %d MiB: send a smaller photo, or crop it to the QR code",
		ErrImageTooLarge, e.Width, e.Height, mib(e.Cost), e.Budget>>20)
}

func (e *TooLargeError) Unwrap() error { return ErrImageTooLarge }

// mib rounds up to whole MiB.
func mib(n int64) int64 { return (n + 1<<20 - 1) >> 20 }
