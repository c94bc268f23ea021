package statuslist

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewRejectsBitsOtherThan1248(t *testing.T) {
	for _, bits := range []int{-1, 0, 3, 5, 6, 7, 9, 16} {
		_, err := New(bits, 8)
		assert.ErrorIs(t, err, ErrInvalidBits, "bits %d", bits)
	}
}

func TestNewRejectsNonPositiveOrHugeSize(t *testing.T) {
	for _, size := range []int{-1, 0, maxSize + 1} {
		_, err := New(1, size)
		assert.ErrorIs(t, err, ErrInvalidSize, "size %d", size)
	}
}

func TestNewListIsAllValidWithRequestedShape(t *testing.T) {
	for _, bits := range []int{1, 2, 4, 8} {
		l, err := New(bits, 13) // 13 is not a multiple of any entries-per-byte
		require.NoError(t, err)
		assert.Equal(t, 13, l.Len())
		assert.Equal(t, bits, l.Bits())
		assert.Len(t, l.data, (13*bits+7)/8)
		for i := range l.Len() {
			v, err := l.Get(i)
			require.NoError(t, err)
			require.Equal(t, Valid, v)
		}
	}
}

func TestSetThenGetReturnsEveryValueWithoutDisturbingNeighbours(t *testing.T) {
	for _, bits := range []int{1, 2, 4, 8} {
		const size = 40
		l, err := New(bits, size)
		require.NoError(t, err)
		maxV := uint8(1<<bits - 1)
		want := make([]uint8, size)
		for i := range size {
			// A pattern that gives adjacent entries different values, so a
			// wrong shift or mask shows up in a neighbour.
			want[i] = uint8(i*7+3) & maxV
			require.NoError(t, l.Set(i, want[i]))
		}
		// Overwrite one entry with every value and back.
		for v := range int(maxV) + 1 {
			require.NoError(t, l.Set(17, uint8(v)))
			got, err := l.Get(17)
			require.NoError(t, err)
			require.Equal(t, uint8(v), got)
		}
		require.NoError(t, l.Set(17, want[17]))
		for i := range size {
			got, err := l.Get(i)
			require.NoError(t, err)
			require.Equal(t, want[i], got, "bits %d index %d", bits, i)
		}
	}
}

func TestGetAndSetRejectIndicesOutsideList(t *testing.T) {
	l, err := New(2, 12)
	require.NoError(t, err)
	for _, idx := range []int{-1, 12, 13, 1 << 40} {
		_, err := l.Get(idx)
		assert.ErrorIs(t, err, ErrIndexOutOfRange, "Get(%d)", idx)
		assert.ErrorIs(t, l.Set(idx, Invalid), ErrIndexOutOfRange, "Set(%d)", idx)
	}
}

func TestGetRejectsPaddingEntriesOfLastByte(t *testing.T) {
	// 13 two-bit entries use 4 bytes; entries 13 to 15 are padding.
	l, err := New(2, 13)
	require.NoError(t, err)
	_, err = l.Get(13)
	assert.ErrorIs(t, err, ErrIndexOutOfRange)
}

func TestSetRejectsValueWiderThanBits(t *testing.T) {
	cases := map[int]uint8{1: 2, 2: 4, 4: 16}
	for bits, v := range cases {
		l, err := New(bits, 8)
		require.NoError(t, err)
		assert.ErrorIs(t, l.Set(0, v), ErrValueOutOfRange, "bits %d value %d", bits, v)
		got, _ := l.Get(0)
		assert.Equal(t, Valid, got, "a rejected Set must not write")
	}
}

func TestStatusConstantsHaveRegisteredValues(t *testing.T) {
	assert.Equal(t, uint8(0x00), Valid)
	assert.Equal(t, uint8(0x01), Invalid)
	assert.Equal(t, uint8(0x02), Suspended)
}
