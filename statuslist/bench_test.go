package statuslist

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"testing"
)

// The benchmarks use the performance target's workload (2^20 two-bit
// entries, 1% Invalid or Suspended) and report, next to time, the encoded
// size as a multiple of the entropy bound ("x-entropy") and in bytes. Run
// them together so the variants are compared on one machine in one run:
//
//	go test -run '^$' -bench . -benchtime 20x ./statuslist/

// encodeVariant is one way of compressing the list, for comparison.
type encodeVariant struct {
	name string
	// encoder returns a function that encodes the list. It is called once
	// per benchmark, so variants may keep state (a warm cache) across ops.
	encoder func() func(*List) []byte
}

func encodeVariants(b *testing.B) []encodeVariant {
	var vs []encodeVariant
	for _, level := range []int{1, 6, 8, 9} {
		vs = append(vs, encodeVariant{
			name: fmt.Sprintf("zlib-level-%d", level),
			encoder: func() func(*List) []byte {
				return func(l *List) []byte { return zlibBytes(b, l.data, level) }
			},
		})
	}
	for _, chunk := range []int{16 << 10, 32 << 10, 64 << 10, 128 << 10} {
		vs = append(vs, encodeVariant{
			name: fmt.Sprintf("chunked-%dKiB", chunk>>10),
			encoder: func() func(*List) []byte {
				e := &Encoder{chunkSize: chunk}
				return func(l *List) []byte {
					out, err := e.Encode(l)
					if err != nil {
						b.Fatal(err)
					}
					return out
				}
			},
		})
	}
	return vs
}

// BenchmarkEncode measures a full encode from nothing ("cold": a fresh
// encoder each time, as List.Encode does) and the re-encode a publisher does
// after one status change ("after-change": one Set, then Encode with the
// encoder that encoded the previous version).
func BenchmarkEncode(b *testing.B) {
	l := sparseList(b, 1, targetSize, targetBits, targetFraction)
	bound := entropyBound(b, l)
	for _, v := range encodeVariants(b) {
		b.Run("cold/"+v.name, func(b *testing.B) {
			var out []byte
			for b.Loop() {
				out = v.encoder()(l)
			}
			b.ReportMetric(float64(len(out))/bound, "x-entropy")
			b.ReportMetric(float64(len(out)), "bytes")
		})
	}
	for _, v := range encodeVariants(b) {
		b.Run("after-change/"+v.name, func(b *testing.B) {
			l := l.clone() // each variant edits its own copy
			enc := v.encoder()
			enc(l) // warm the cache, if the variant has one
			r := rand.New(rand.NewPCG(1, 1))
			var out []byte
			idx, old := 0, Valid
			for i := 0; b.Loop(); i++ {
				// Odd ops change a random entry, even ops put it back, so
				// each encode sees exactly one entry differ from the last
				// and the list does not drift away from the workload.
				if i%2 == 0 {
					idx = r.IntN(l.Len())
					old, _ = l.Get(idx)
					_ = l.Set(idx, old^Suspended)
				} else {
					_ = l.Set(idx, old)
				}
				out = enc(l)
			}
			b.ReportMetric(float64(len(out))/bound, "x-entropy")
			b.ReportMetric(float64(len(out)), "bytes")
		})
	}
}

// BenchmarkGet measures a status lookup on a decoded list held in memory,
// what a verifier does per scanned credential once it has the list.
func BenchmarkGet(b *testing.B) {
	l := sparseList(b, 1, targetSize, targetBits, targetFraction)
	r := rand.New(rand.NewPCG(2, 2))
	idx := make([]int, 4096)
	for i := range idx {
		idx[i] = r.IntN(l.Len())
	}
	var sink uint8
	i := 0
	for b.Loop() {
		v, err := l.Get(idx[i&4095])
		if err != nil {
			b.Fatal(err)
		}
		sink ^= v
		i++
	}
	_ = sink
}

// BenchmarkDecode measures turning a fetched lst into a List: the cost a
// verifier pays once per fetched token, not per lookup.
func BenchmarkDecode(b *testing.B) {
	l := sparseList(b, 1, targetSize, targetBits, targetFraction)
	lst, err := l.EncodeString()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Decode(targetBits, lst); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBomb measures rejecting a 1 GiB decompression bomb.
func BenchmarkDecodeBomb(b *testing.B) {
	lst := base64.RawURLEncoding.EncodeToString(bomb(b, 1<<30))
	for b.Loop() {
		if _, err := Decode(targetBits, lst); err == nil {
			b.Fatal("bomb accepted")
		}
	}
}
