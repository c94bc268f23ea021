package statuslist

import (
	"bytes"
	"compress/zlib"
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// sparseList returns a list of n entries of the given bits in which a
// fraction of entries, chosen at random from seed, hold Invalid or Suspended
// (each with even odds; only Invalid when bits is 1). It is the workload of
// the performance target.
func sparseList(tb testing.TB, seed uint64, n, bits int, fraction float64) *List {
	tb.Helper()
	l, err := New(bits, n)
	require.NoError(tb, err)
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	for set := 0; set < int(float64(n)*fraction); {
		idx := r.IntN(n)
		if v, _ := l.Get(idx); v != Valid {
			continue // pick distinct entries so exactly the fraction is set
		}
		require.NoError(tb, l.Set(idx, uint8(1+r.IntN(min(2, 1<<bits-1)))))
		set++
	}
	return l
}

// entropyBound returns the Shannon bound, in bytes, for l's entries taken
// as independent draws from their own value distribution: n × H / 8.
func entropyBound(tb testing.TB, l *List) float64 {
	tb.Helper()
	counts := make([]int, 1<<l.Bits())
	for i := range l.Len() {
		v, err := l.Get(i)
		require.NoError(tb, err)
		counts[v]++
	}
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(l.Len())
			h -= p * math.Log2(p)
		}
	}
	return float64(l.Len()) * h / 8
}

// inflate decompresses b with the standard library's zlib reader and
// requires that b is exactly one zlib stream: nothing may follow it.
func inflate(tb testing.TB, b []byte) []byte {
	tb.Helper()
	src := bytes.NewReader(b)
	zr, err := zlib.NewReader(src)
	require.NoError(tb, err)
	out, err := io.ReadAll(zr)
	require.NoError(tb, err)
	require.NoError(tb, zr.Close())
	require.Zero(tb, src.Len(), "bytes left after the zlib stream")
	return out
}

// zlibBytes compresses b with the standard library at the given level.
func zlibBytes(tb testing.TB, b []byte, level int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := zlib.NewWriterLevel(&buf, level)
	require.NoError(tb, err)
	_, err = w.Write(b)
	require.NoError(tb, err)
	require.NoError(tb, w.Close())
	return buf.Bytes()
}

// clone returns a deep copy of l.
func (l *List) clone() *List {
	c := *l
	c.data = append([]byte(nil), l.data...)
	return &c
}
