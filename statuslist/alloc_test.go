package statuslist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seeded returns a deterministic randomness stream for PickFree.
func seeded(seed uint64) io.Reader {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return rand.NewChaCha8(key)
}

func TestNewIndexSetRejectsInvalidSize(t *testing.T) {
	for _, size := range []int{0, -1, maxSize + 1} {
		_, err := NewIndexSet(size)
		assert.ErrorIs(t, err, ErrInvalidSize)
	}
}

func TestIndexSetAddRejectsDoubleAllocationAndOutOfRange(t *testing.T) {
	s, err := NewIndexSet(100)
	require.NoError(t, err)
	require.NoError(t, s.Add(42))
	assert.ErrorIs(t, s.Add(42), ErrIndexInUse)
	assert.ErrorIs(t, s.Add(100), ErrIndexOutOfRange)
	assert.ErrorIs(t, s.Add(-1), ErrIndexOutOfRange)
	assert.Equal(t, 1, s.Used())
	assert.True(t, s.Has(42))
	assert.False(t, s.Has(43))
	assert.False(t, s.Has(-1))
}

func TestPickFreeNeverReturnsAnAllocatedIndex(t *testing.T) {
	// Fill a list completely through PickFree: every pick must be new, and
	// the last ones go through the dense (counting) path.
	const size = 1000 // not a multiple of 64: the last word has padding bits
	s, err := NewIndexSet(size)
	require.NoError(t, err)
	rnd := seeded(1)
	for range size {
		idx, err := s.PickFree(rnd)
		require.NoError(t, err)
		require.NoError(t, s.Add(idx), "PickFree returned %d twice", idx)
	}
	_, err = s.PickFree(rnd)
	assert.ErrorIs(t, err, ErrListFull)
}

func TestPickFreeIsDeterministicForAGivenStream(t *testing.T) {
	s, err := NewIndexSet(RecommendedSize)
	require.NoError(t, err)
	a, err := s.PickFree(seeded(7))
	require.NoError(t, err)
	b, err := s.PickFree(seeded(7))
	require.NoError(t, err)
	assert.Equal(t, a, b)
}

func TestPickFreeIsUniformOverFreeIndices(t *testing.T) {
	// Chi-squared goodness of fit against the uniform distribution, on a
	// sparse set (random probes) and a dense one (counting to a rank). The
	// stream is fixed, so the statistic is too: no flakiness.
	for name, used := range map[string]int{"sparse": 8, "dense": 56} {
		t.Run(name, func(t *testing.T) {
			const size = 64
			s, err := NewIndexSet(size)
			require.NoError(t, err)
			for i := range used {
				require.NoError(t, s.Add(i*size/used))
			}
			free := size - used
			const draws = 40_000
			counts := make(map[int]int)
			rnd := seeded(99)
			for range draws {
				idx, err := s.PickFree(rnd)
				require.NoError(t, err)
				require.False(t, s.Has(idx))
				counts[idx]++
			}
			require.Len(t, counts, free, "every free index is reachable")
			want := float64(draws) / float64(free)
			chi2 := 0.0
			for _, c := range counts {
				chi2 += (float64(c) - want) * (float64(c) - want) / want
			}
			df := float64(free - 1)
			limit := chi2Quantile999(df)
			assert.Less(t, chi2, limit, "chi2 %.1f with %v degrees of freedom", chi2, df)
		})
	}
}

func TestPickFreeReportsAFailingRandomnessSource(t *testing.T) {
	s, err := NewIndexSet(10)
	require.NoError(t, err)
	_, err = s.PickFree(bytes.NewReader([]byte{1, 2, 3}))
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	boom := errors.New("boom")
	_, err = s.PickFree(iotestErrReader{boom})
	assert.ErrorIs(t, err, boom)
}

func TestUniformRejectsTheBiasedTopOfTheRange(t *testing.T) {
	// For n = 3, 2^64 mod 3 = 1: the single value 2^64-1 would make 0 more
	// likely than 1 or 2, so uniform must discard it and read again.
	var stream []byte
	stream = binary.LittleEndian.AppendUint64(stream, math.MaxUint64)
	stream = binary.LittleEndian.AppendUint64(stream, 5)
	v, err := uniform(bytes.NewReader(stream), 3)
	require.NoError(t, err)
	assert.Equal(t, 2, v, "5 mod 3, from the second read")

	// 2^64-2 is the largest accepted value, and it maps to 2 (2^64-2 = 3k+2).
	v, err = uniform(bytes.NewReader(binary.LittleEndian.AppendUint64(nil, math.MaxUint64-1)), 3)
	require.NoError(t, err)
	assert.Equal(t, 2, v)
}

func TestNthFreeCountsAcrossWordsAndIgnoresPaddingBits(t *testing.T) {
	s, err := NewIndexSet(130) // three words, the last with 2 real bits
	require.NoError(t, err)
	for i := range 130 {
		if i != 5 && i != 64 && i != 129 {
			require.NoError(t, s.Add(i))
		}
	}
	assert.Equal(t, 5, s.nthFree(0))
	assert.Equal(t, 64, s.nthFree(1))
	assert.Equal(t, 129, s.nthFree(2))
}

// chi2Quantile999 approximates the 99.9th percentile of chi-squared with df
// degrees of freedom (Wilson-Hilferty; 24.5 for df 7 against an exact 24.3,
// 93.2 for df 55 against 93.2).
func chi2Quantile999(df float64) float64 {
	const z = 3.0902 // standard normal 99.9th percentile
	a := 2 / (9 * df)
	return df * math.Pow(1-a+z*math.Sqrt(a), 3)
}

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }
