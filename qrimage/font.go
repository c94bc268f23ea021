package qrimage

import (
	"image"
	"strings"
	"unicode"
)

// The card's text is drawn with this tiny 5x7 bitmap font because the
// module has no font package (golang.org/x/image is not a dependency) and a
// card needs only capitals, digits and a little punctuation. Lowercase is
// printed as capitals, as on most identity documents, and common accented
// Latin letters lose their accents; anything else prints as '?'.

const (
	glyphW, glyphH = 5, 7
	// cellW and cellH add one column and one row of spacing.
	cellW, cellH = glyphW + 1, glyphH + 1
)

// glyphs holds one bitmap a character, top row first, '#' for ink.
var glyphs = map[rune][glyphH]string{
	'A':  {".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"},
	'B':  {"####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."},
	'C':  {".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."},
	'D':  {"###..", "#..#.", "#...#", "#...#", "#...#", "#..#.", "###.."},
	'E':  {"#####", "#....", "#....", "####.", "#....", "#....", "#####"},
	'F':  {"#####", "#....", "#....", "####.", "#....", "#....", "#...."},
	'G':  {".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"},
	'H':  {"#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"},
	'I':  {".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."},
	'J':  {"..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.."},
	'K':  {"#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"},
	'L':  {"#....", "#....", "#....", "#....", "#....", "#....", "#####"},
	'M':  {"#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"},
	'N':  {"#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#"},
	'O':  {".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."},
	'P':  {"####.", "#...#", "#...#", "####.", "#....", "#....", "#...."},
	'Q':  {".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#"},
	'R':  {"####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"},
	'S':  {".####", "#....", "#....", ".###.", "....#", "....#", "####."},
	'T':  {"#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."},
	'U':  {"#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."},
	'V':  {"#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#.."},
	'W':  {"#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#."},
	'X':  {"#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"},
	'Y':  {"#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."},
	'Z':  {"#####", "....#", "...#.", "..#..", ".#...", "#....", "#####"},
	'0':  {".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."},
	'1':  {"..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."},
	'2':  {".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"},
	'3':  {"#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."},
	'4':  {"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."},
	'5':  {"#####", "#....", "####.", "....#", "....#", "#...#", ".###."},
	'6':  {"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."},
	'7':  {"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."},
	'8':  {".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."},
	'9':  {".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."},
	' ':  {".....", ".....", ".....", ".....", ".....", ".....", "....."},
	'-':  {".....", ".....", ".....", ".###.", ".....", ".....", "....."},
	'.':  {".....", ".....", ".....", ".....", ".....", ".##..", ".##.."},
	',':  {".....", ".....", ".....", ".....", ".##..", "..#..", ".#..."},
	':':  {".....", ".##..", ".##..", ".....", ".##..", ".##..", "....."},
	'/':  {".....", "....#", "...#.", "..#..", ".#...", "#....", "....."},
	'\'': {"..#..", "..#..", ".#...", ".....", ".....", ".....", "....."},
	'(':  {"...#.", "..#..", ".#...", ".#...", ".#...", "..#..", "...#."},
	')':  {".#...", "..#..", "...#.", "...#.", "...#.", "..#..", ".#..."},
	'&':  {".##..", "#..#.", "#.#..", ".#...", "#.#.#", "#..#.", ".##.#"},
	'+':  {".....", "..#..", "..#..", "#####", "..#..", "..#..", "....."},
	'?':  {".###.", "#...#", "....#", "...#.", "..#..", ".....", "..#.."},
}

// accentFolds maps accented capitals, as in Welsh, Irish and many other
// names on a UK register, to the letter the font can draw.
var accentFolds = func() map[rune]rune {
	m := map[rune]rune{}
	for base, accented := range map[rune]string{
		'A': "ÀÁÂÃÄÅĀĂĄ", 'C': "ÇĆĈĊČ", 'D': "ĎĐ", 'E': "ÈÉÊËĒĔĖĘĚ",
		'G': "ĜĞĠĢ", 'H': "ĤĦ", 'I': "ÌÍÎÏĨĪĬĮİ", 'J': "Ĵ", 'K': "Ķ",
		'L': "ĹĻĽĿŁ", 'N': "ÑŃŅŇ", 'O': "ÒÓÔÕÖØŌŎŐ", 'R': "ŔŖŘ",
		'S': "ŚŜŞŠ", 'T': "ŢŤŦ", 'U': "ÙÚÛÜŨŪŬŮŰŲ", 'W': "ŴẀẂẄ",
		'Y': "ÝŶŸỲ", 'Z': "ŹŻŽ",
	} {
		for _, r := range accented {
			m[r] = base
		}
	}
	m['’'] = '\''
	m['‘'] = '\''
	m['–'] = '-'
	return m
}()

// glyphFor returns the bitmap the font draws for r.
func glyphFor(r rune) [glyphH]string {
	r = unicode.ToUpper(r)
	if f, ok := accentFolds[r]; ok {
		r = f
	}
	if g, ok := glyphs[r]; ok {
		return g
	}
	return glyphs['?']
}

// textWidth returns the width in pixels of s drawn at scale, without the
// spacing after the last character.
func textWidth(s string, scale int) int {
	n := len([]rune(s))
	if n == 0 {
		return 0
	}
	return (n*cellW - 1) * scale
}

// drawText draws s with its top-left corner at at, each font pixel a
// scale-by-scale square of ink.
func drawText(img *image.Paletted, s string, at image.Point, scale int, ink uint8) {
	x := at.X
	for _, r := range s {
		g := glyphFor(r)
		for gy, row := range g {
			for gx := range glyphW {
				if row[gx] != '#' {
					continue
				}
				fillRect(img, image.Rect(x+gx*scale, at.Y+gy*scale, x+(gx+1)*scale, at.Y+(gy+1)*scale), ink)
			}
		}
		x += cellW * scale
	}
}

// fillRect paints r, clipped to img, with palette index c.
func fillRect(img *image.Paletted, r image.Rectangle, c uint8) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		off := img.PixOffset(r.Min.X, y)
		for i := range r.Dx() {
			img.Pix[off+i] = c
		}
	}
}

// wrapWords splits s into lines that each fit width pixels at scale,
// breaking at spaces; a single word too long for a line stays whole.
func wrapWords(s string, width, scale int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		candidate := w
		if line != "" {
			candidate = line + " " + w
		}
		if line != "" && textWidth(candidate, scale) > width {
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
