package statuslist

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
)

// RecommendedSize is the number of entries we give each status list: 2^20.
// Herd privacy grows with the entries a list covers, and random allocation
// stays cheap and hides how many credentials exist while the list is sparse;
// docs/status-list.md sets out the reasoning.
const RecommendedSize = 1 << 20

// rejectionTries bounds the random probes PickFree makes before it falls
// back to counting free slots. With a quarter or more of the list free, 32
// misses in a row happen about once in 10^4 calls (0.75^32).
const rejectionTries = 32

// IndexSet records which indices of a status list are already allocated.
// The register rebuilds it from its replicated log; the list itself cannot
// serve, since an unallocated entry and a valid one are both 0.
//
// An IndexSet is not safe for concurrent use.
type IndexSet struct {
	words []uint64
	size  int
	used  int
}

// NewIndexSet returns an empty set for a list of size entries.
func NewIndexSet(size int) (*IndexSet, error) {
	if size < 1 || size > maxSize {
		return nil, fmt.Errorf("%w: %d entries (want 1 to %d)", ErrInvalidSize, size, maxSize)
	}
	return &IndexSet{words: make([]uint64, (size+63)/64), size: size}, nil
}

// Size returns the number of entries of the list the set belongs to.
func (s *IndexSet) Size() int { return s.size }

// Used returns the number of allocated indices.
func (s *IndexSet) Used() int { return s.used }

// Has reports whether idx is allocated. Indices outside the list are not.
func (s *IndexSet) Has(idx int) bool {
	if uint(idx) >= uint(s.size) {
		return false
	}
	return s.words[idx/64]&(1<<(idx%64)) != 0
}

// Add records idx as allocated. Allocating an index twice is an error: two
// credentials sharing a status entry would share their fate and be linkable.
func (s *IndexSet) Add(idx int) error {
	if uint(idx) >= uint(s.size) {
		return fmt.Errorf("%w: %d not in [0, %d)", ErrIndexOutOfRange, idx, s.size)
	}
	if s.Has(idx) {
		return fmt.Errorf("%w: %d", ErrIndexInUse, idx)
	}
	s.words[idx/64] |= 1 << (idx % 64)
	s.used++
	return nil
}

// PickFree returns an unallocated index chosen uniformly at random, reading
// randomness from rnd (crypto/rand.Reader in production; a fixed stream in
// tests). It does not record the index: the caller commits it (through the
// replicated log) and then calls Add.
//
// The choice is uniform over the free indices whatever the fill level:
// random probes of the whole list are tried first, and each probe that lands
// on a free index lands on each one with the same chance; if they all miss,
// PickFree draws a rank among the free indices and counts its way there.
func (s *IndexSet) PickFree(rnd io.Reader) (int, error) {
	free := s.size - s.used
	if free == 0 {
		return 0, fmt.Errorf("%w: all %d indices allocated", ErrListFull, s.size)
	}
	if free >= s.size/4 {
		for range rejectionTries {
			idx, err := uniform(rnd, s.size)
			if err != nil {
				return 0, err
			}
			if !s.Has(idx) {
				return idx, nil
			}
		}
	}
	rank, err := uniform(rnd, free)
	if err != nil {
		return 0, err
	}
	return s.nthFree(rank), nil
}

// nthFree returns the free index of rank n (0-based, ascending); n must be
// less than the number of free indices.
func (s *IndexSet) nthFree(n int) int {
	for w, word := range s.words {
		free := ^word
		if last := (w+1)*64 - s.size; last > 0 {
			free &= math.MaxUint64 >> last // bits past the end are not indices
		}
		if c := bits.OnesCount64(free); n >= c {
			n -= c
			continue
		}
		for range n {
			free &= free - 1 // clear the lowest free bit
		}
		return w*64 + bits.TrailingZeros64(free)
	}
	panic("statuslist: nthFree rank out of range") // callers pass n < free
}

// uniform returns an integer in [0, n) with no modulo bias, reading 8 bytes
// of rnd per attempt and rejecting the few values that would skew it.
func uniform(rnd io.Reader, n int) (int, error) {
	var b [8]byte
	// 2^64 mod n, computed without overflowing: the top of the range that
	// cannot be spread evenly over [0, n).
	rem := (math.MaxUint64%uint64(n) + 1) % uint64(n)
	for {
		if _, err := io.ReadFull(rnd, b[:]); err != nil {
			return 0, fmt.Errorf("statuslist: read randomness: %w", err)
		}
		v := binary.LittleEndian.Uint64(b[:])
		if v <= math.MaxUint64-rem {
			return int(v % uint64(n)), nil
		}
	}
}
