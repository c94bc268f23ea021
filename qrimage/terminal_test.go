package qrimage

import (
	"image"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// cellsToModules turns Terminal output back into the module grid it shows,
// given which terminal it was drawn for.
func cellsToModules(t *testing.T, out string, bg Background) [][]bool {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var grid [][]bool
	for _, line := range lines {
		top, bottom := []bool{}, []bool{}
		for _, r := range line {
			var pt, pb bool // painted halves
			switch r {
			case '█':
				pt, pb = true, true
			case '▀':
				pt = true
			case '▄':
				pb = true
			case ' ':
			default:
				t.Fatalf("unexpected character %q", r)
			}
			// On a dark terminal the painted halves are light modules.
			dark := bg == LightBackground
			top = append(top, pt == dark)
			bottom = append(bottom, pb == dark)
		}
		grid = append(grid, top, bottom)
	}
	return grid
}

func TestTerminalShowsEveryModuleWithLightAndDarkRightForTheBackground(t *testing.T) {
	text := sampleText(t)
	sym, err := Encode(text, LevelM)
	require.NoError(t, err)
	for _, bg := range []Background{DarkBackground, LightBackground} {
		out, err := Terminal(text, bg)
		require.NoError(t, err)
		grid := cellsToModules(t, out, bg)
		n := sym.Size()
		// Half blocks pair rows, so an odd module count leaves one extra
		// half row, which must be light (more quiet zone).
		require.Len(t, grid, n+1)
		require.Equal(t, sym.Modules, grid[:n], "background %d", bg)
		for _, dark := range grid[n] {
			require.False(t, dark)
		}
	}
}

func TestTerminalOutputScansWhenDrawnAsADarkTerminalShowsIt(t *testing.T) {
	// Draw the characters as a dark terminal would (light glyphs on black,
	// each cell 4x8 pixels) and read the picture.
	text := sampleText(t)
	out, err := Terminal(text, DarkBackground)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	const cw, ch = 4, 8
	img := image.NewGray(image.Rect(0, 0, len([]rune(lines[0]))*cw, len(lines)*ch))
	for y, line := range lines {
		for x, r := range []rune(line) {
			upper := r == '█' || r == '▀'
			lower := r == '█' || r == '▄'
			for py := range ch {
				lit := (py < ch/2 && upper) || (py >= ch/2 && lower)
				if lit {
					for px := range cw {
						img.Pix[(y*ch+py)*img.Stride+x*cw+px] = 230
					}
				}
			}
		}
	}
	got, err := Read(img)
	require.NoError(t, err)
	require.Equal(t, text, got)
}

func TestTerminalRejectsAnUnknownBackground(t *testing.T) {
	_, err := Terminal("LP1:ABC", Background(7))
	require.ErrorIs(t, err, ErrInvalidOption)
}
