package qrimage

import (
	"image"
	"math/rand/v2"
	"testing"
)

func BenchmarkRenderCompact(b *testing.B) {
	text := sampleText(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderPlainJWS renders the same credential without qrtext, a
// version 37 symbol, for comparison with BenchmarkRenderCompact.
func BenchmarkRenderPlainJWS(b *testing.B) {
	sampleText(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(sampleJWS); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPNG(b *testing.B) {
	text := sampleText(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PNG(text); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTerminal(b *testing.B) {
	text := sampleText(b)
	for b.Loop() {
		if _, err := Terminal(text, DarkBackground); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCard(b *testing.B) {
	text := sampleText(b)
	for b.Loop() {
		if _, err := Card(standardCard, text); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRead(b *testing.B, img image.Image) {
	b.Helper()
	text := sampleText(b)
	got, err := Read(img)
	if err != nil || got != text {
		b.Fatalf("image does not read: %v", err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Read(img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadScreenshot reads a code as Render draws it (8 px modules).
func BenchmarkReadScreenshot(b *testing.B) {
	img, err := Render(sampleText(b))
	if err != nil {
		b.Fatal(err)
	}
	benchRead(b, img)
}

// BenchmarkRead1080pPhoto reads a 1920x1080 photo-like image, the code 30%
// of its height, turned 5 degrees and softened.
func BenchmarkRead1080pPhoto(b *testing.B) {
	img, err := Render(sampleText(b), WithModuleSize(6))
	if err != nil {
		b.Fatal(err)
	}
	benchRead(b, photo1080p(b, grayOf(img), rand.New(rand.NewPCG(1, 1))))
}

// BenchmarkRead1080pPoorPhoto is the same photo taken worse; it needs the
// fallback strategies, so it shows what they cost.
func BenchmarkRead1080pPoorPhoto(b *testing.B) {
	img, err := Render(sampleText(b), WithModuleSize(6))
	if err != nil {
		b.Fatal(err)
	}
	benchRead(b, poorPhoto1080p(b, grayOf(img), rand.New(rand.NewPCG(1, 1))))
}

// BenchmarkRead1080pNoCode is the worst case: every strategy fails.
func BenchmarkRead1080pNoCode(b *testing.B) {
	blank := image.NewGray(image.Rect(0, 0, 10, 10))
	page := onCard(blank, 1920, 1080, 0, 0, 240, rand.New(rand.NewPCG(2, 2)))
	for b.Loop() {
		if _, err := Read(page); err == nil {
			b.Fatal("read a code from a page without one")
		}
	}
}

// BenchmarkDistortionSet runs the whole distortion set and reports the
// share of cases read as the metric %read.
func BenchmarkDistortionSet(b *testing.B) {
	text := sampleText(b)
	var rate float64
	for b.Loop() {
		results := distortionResults(b, text)
		ok := 0
		for _, r := range results {
			if r {
				ok++
			}
		}
		rate = 100 * float64(ok) / float64(len(results))
	}
	b.ReportMetric(rate, "%read")
}
