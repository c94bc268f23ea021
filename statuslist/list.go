package statuslist

import (
	"fmt"
	"math/bits"
)

// Status values registered by the Token Status List specification. Values 3
// and 0x0C to 0x0F are application specific; the rest are reserved.
const (
	// Valid is the status of a credential that is in force (0x00).
	Valid uint8 = 0
	// Invalid is the status of a revoked credential (0x01).
	Invalid uint8 = 1
	// Suspended is the status of a temporarily invalid credential (0x02).
	Suspended uint8 = 2
)

// maxSize bounds the entries of a list built with New. It is far above any
// list the register needs and exists to turn a unit mistake (bytes for bits,
// say) into an error rather than a multi-gigabyte allocation.
const maxSize = 1 << 30

// List is a fixed-size status list: size entries of bits bits each, packed
// as the specification requires, with entry 0 in the least significant bits
// of byte 0.
//
// A List is not safe for concurrent use if any goroutine calls Set; Get alone
// may be called concurrently.
type List struct {
	data []byte
	size int
	bits uint8
	// Derived from bits so that Get is a shift and a mask.
	bitsLog2   uint8 // log2(bits)
	perByteLog uint8 // log2(8/bits): index >> perByteLog is the byte index
	mask       uint8 // (1<<bits)-1
}

// New returns a list of size entries of bits bits each, all Valid.
// bits must be 1, 2, 4 or 8 and size in [1, 2^30].
func New(bits, size int) (*List, error) {
	if err := checkBits(bits); err != nil {
		return nil, err
	}
	if size < 1 || size > maxSize {
		return nil, fmt.Errorf("%w: %d entries (want 1 to %d)", ErrInvalidSize, size, maxSize)
	}
	nbytes := (size*bits + 7) / 8
	return newList(bits, size, make([]byte, nbytes)), nil
}

// newList wraps data without copying; bits must already be checked.
func newList(bitsPerEntry, size int, data []byte) *List {
	l := &List{
		data: data,
		size: size,
		bits: uint8(bitsPerEntry),
		mask: uint8(1<<bitsPerEntry - 1),
	}
	l.bitsLog2 = uint8(bits.TrailingZeros8(l.bits))
	l.perByteLog = 3 - l.bitsLog2
	return l
}

func checkBits(bits int) error {
	switch bits {
	case 1, 2, 4, 8:
		return nil
	}
	return fmt.Errorf("%w: got %d", ErrInvalidBits, bits)
}

// Len returns the number of entries. For a decoded list this is the number
// of entries the decompressed bytes hold, since the format carries no size.
func (l *List) Len() int { return l.size }

// Bits returns the number of bits per entry.
func (l *List) Bits() int { return int(l.bits) }

// Get returns the status at idx.
func (l *List) Get(idx int) (uint8, error) {
	// One unsigned comparison rejects negative indices too.
	if uint(idx) >= uint(l.size) {
		return 0, fmt.Errorf("%w: %d not in [0, %d)", ErrIndexOutOfRange, idx, l.size)
	}
	shift := uint(idx&(1<<l.perByteLog-1)) << l.bitsLog2
	return l.data[idx>>l.perByteLog] >> shift & l.mask, nil
}

// Set stores status v at idx. v must fit in the list's bits.
func (l *List) Set(idx int, v uint8) error {
	if uint(idx) >= uint(l.size) {
		return fmt.Errorf("%w: %d not in [0, %d)", ErrIndexOutOfRange, idx, l.size)
	}
	if v > l.mask {
		return fmt.Errorf("%w: %d needs more than %d bits", ErrValueOutOfRange, v, l.bits)
	}
	shift := uint(idx&(1<<l.perByteLog-1)) << l.bitsLog2
	b := &l.data[idx>>l.perByteLog]
	*b = *b&^(l.mask<<shift) | v<<shift
	return nil
}
