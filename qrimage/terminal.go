package qrimage

import (
	"fmt"
	"strings"
)

// Background is the colour a terminal paints behind text.
type Background int

// Terminal backgrounds. Most developer terminals are dark.
const (
	DarkBackground Background = iota
	LightBackground
)

// Terminal draws text as a QR code in Unicode half blocks, two modules to a
// character cell, with the quiet zone, for printing to a terminal.
//
// Plain characters cannot choose colours, only which part of the cell is
// painted in the foreground colour. Scanners expect dark modules on a light
// ground, so on a DarkBackground terminal (light text on dark) the light
// modules and the quiet zone are the painted ones and the dark modules are
// left as the terminal's background; on a LightBackground terminal it is
// the reverse. Pick the wrong one and the code comes out as a negative,
// which many phone scanners refuse. Only WithLevel applies.
func Terminal(text string, bg Background, opts ...Option) (string, error) {
	if bg != DarkBackground && bg != LightBackground {
		return "", fmt.Errorf("%w: background %d", ErrInvalidOption, bg)
	}
	_, sym, err := prepare(text, opts)
	if err != nil {
		return "", err
	}
	// painted reports whether module (x, y) shows in the foreground colour.
	// Rows past the end (an odd module count) belong to the quiet zone.
	n := sym.Size()
	painted := func(x, y int) bool {
		dark := y < n && sym.Modules[y][x]
		return dark == (bg == LightBackground)
	}
	var b strings.Builder
	b.Grow((n + 1) / 2 * (n*3 + 1))
	for y := 0; y < n; y += 2 {
		for x := range n {
			top, bottom := painted(x, y), painted(x, y+1)
			switch {
			case top && bottom:
				b.WriteRune('█')
			case top:
				b.WriteRune('▀')
			case bottom:
				b.WriteRune('▄')
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}
