package qrtext

import (
	"testing"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/nalw/linkpass/qrtext/qrtexttest"
)

func benchToken(b *testing.B) (jws, text string) {
	b.Helper()
	spec := qrtexttest.Standard()
	spec.Seed = []byte("linkpass-qrtext-bench")
	jws = qrtexttest.MustJWS(spec)
	text, err := Encode(jws)
	if err != nil {
		b.Fatal(err)
	}
	return jws, text
}

func BenchmarkEncode(b *testing.B) {
	jws, text := benchToken(b)
	b.ReportMetric(float64(len(text)), "chars")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(jws); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeCompact(b *testing.B) {
	_, text := benchToken(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodePlainJWS is the baseline: checking a plain JWS is all a
// verifier does when the QR holds the JWS itself.
func BenchmarkDecodePlainJWS(b *testing.B) {
	jws, _ := benchToken(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(jws); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQRSymbolCompact and BenchmarkQRSymbolPlainJWS compare building
// the QR symbol (version choice, Reed-Solomon, masking) for both forms.
func BenchmarkQRSymbolCompact(b *testing.B) {
	_, text := benchToken(b)
	benchSymbol(b, text)
}

func BenchmarkQRSymbolPlainJWS(b *testing.B) {
	jws, _ := benchToken(b)
	benchSymbol(b, jws)
}

func benchSymbol(b *testing.B, text string) {
	b.ReportAllocs()
	for b.Loop() {
		q, err := qrcode.New(text, qrcode.Medium)
		if err != nil {
			b.Fatal(err)
		}
		_ = q.Bitmap()
	}
}
