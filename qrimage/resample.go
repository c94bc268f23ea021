package qrimage

import (
	"errors"
	"fmt"
	"math"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// errNoFinderPatterns is returned by decodeDimensionSearch when the image
// does not show three finder patterns at all.
var errNoFinderPatterns = errors.New("fewer than three finder patterns")

// decodeDimensionSearch is Read's last resort, for codes whose finder
// patterns are found but whose size in modules ZXing misjudges.
//
// ZXing derives the symbol's dimension from the distance between finder
// patterns divided by their apparent module size. In a photo that is
// blurred, noisy and a little oblique, the module size estimate can be off
// by a few percent, which for a version 13 symbol (69 modules) is enough to
// land on the neighbouring valid dimension; every later step then samples
// the wrong grid. Here the finder patterns are located once and the grid is
// sampled for the estimated dimension and its neighbours (dimensions step by
// four modules, one QR version), each with and without the alignment
// pattern, until one decodes. Reed-Solomon decoding rejects wrong grids, so
// trying more of them does not risk a false read.
func decodeDimensionSearch(bmp *gozxing.BinaryBitmap) (string, error) {
	matrix, err := bmp.GetBlackMatrix()
	if err != nil {
		return "", err
	}
	info, nf := detector.NewFinderPatternFinder(matrix, nil).Find(decodeHints)
	if nf != nil {
		return "", fmt.Errorf("%w: %v", errNoFinderPatterns, nf)
	}
	tl, tr, bl := info.GetTopLeft(), info.GetTopRight(), info.GetBottomLeft()
	span := (gozxing.ResultPoint_Distance(tl, tr) + gozxing.ResultPoint_Distance(tl, bl)) / 2
	moduleSize := (tl.GetEstimatedModuleSize() + tr.GetEstimatedModuleSize() + bl.GetEstimatedModuleSize()) / 3
	if moduleSize < 1 {
		return "", fmt.Errorf("module size %.2f px is too small", moduleSize)
	}
	// The nearest valid dimension (4k+1) to the estimate, then its
	// neighbours in order of distance.
	est := 4*int(math.Round((span/moduleSize+7-1)/4)) + 1
	lastErr := errors.New("no candidate dimension")
	for _, delta := range []int{0, -4, 4, -8, 8} {
		dim := est + delta
		version, err := decoder.Version_GetProvisionalVersionForDimension(dim)
		if err != nil {
			continue
		}
		// Centres of the finder patterns are dim-7 modules apart.
		ms := span / float64(dim-7)
		candidates := []*detector.AlignmentPattern{nil}
		if len(version.GetAlignmentPatternCenters()) > 0 {
			if ap := findAlignment(matrix, tl, tr, bl, dim, ms); ap != nil {
				candidates = []*detector.AlignmentPattern{ap, nil}
			}
		}
		for _, ap := range candidates {
			transform := detector.Detector_createTransform(tl, tr, bl, ap, dim)
			bits, err := detector.Detector_sampleGrid(matrix, transform, dim)
			if err != nil {
				lastErr = err
				continue
			}
			res, err := decoder.NewDecoder().Decode(bits, decodeHints)
			if err != nil {
				lastErr = err
				continue
			}
			return res.GetText(), nil
		}
	}
	return "", lastErr
}

// findAlignment looks for the bottom-right alignment pattern where a
// symbol of dim modules would have it, widening the search as ZXing does.
func findAlignment(matrix *gozxing.BitMatrix, tl, tr, bl *detector.FinderPattern, dim int, moduleSize float64) *detector.AlignmentPattern {
	// The alignment pattern's centre is three modules in from the
	// would-be bottom-right finder pattern's centre, towards top-left.
	brX := tr.GetX() - tl.GetX() + bl.GetX()
	brY := tr.GetY() - tl.GetY() + bl.GetY()
	k := 1 - 3/float64(dim-7)
	ex := tl.GetX() + k*(brX-tl.GetX())
	ey := tl.GetY() + k*(brY-tl.GetY())
	for _, f := range []float64{4, 8, 16} {
		r := f * moduleSize
		x0, y0 := max(0, int(ex-r)), max(0, int(ey-r))
		x1, y1 := min(matrix.GetWidth()-1, int(ex+r)), min(matrix.GetHeight()-1, int(ey+r))
		if float64(x1-x0) < 3*moduleSize || float64(y1-y0) < 3*moduleSize {
			return nil
		}
		ap, err := detector.NewAlignmentPatternFinder(matrix, x0, y0, x1-x0, y1-y0, moduleSize, nil).Find()
		if err == nil {
			return ap
		}
	}
	return nil
}
