package statuslist

import "errors"

// Sentinel errors. Every error the package returns wraps one of these, so
// callers can branch with errors.Is while the message keeps the detail.
var (
	// ErrInvalidBits reports a bits value other than 1, 2, 4 or 8.
	ErrInvalidBits = errors.New("statuslist: bits must be 1, 2, 4 or 8")
	// ErrInvalidSize reports a list size that is not positive or too large.
	ErrInvalidSize = errors.New("statuslist: invalid list size")
	// ErrIndexOutOfRange reports an index outside [0, Len()).
	ErrIndexOutOfRange = errors.New("statuslist: index out of range")
	// ErrValueOutOfRange reports a status value that does not fit in bits.
	ErrValueOutOfRange = errors.New("statuslist: status value does not fit in bits")
	// ErrMalformed reports an encoded list that is not valid base64url, not a
	// valid ZLIB stream, has trailing data, or decompresses to nothing.
	ErrMalformed = errors.New("statuslist: malformed encoded list")
	// ErrTooLarge reports an encoded list whose compressed or decompressed
	// size exceeds the decoder's bound (a defence against decompression bombs).
	ErrTooLarge = errors.New("statuslist: encoded list exceeds size bound")
	// ErrMissingClaim reports a required claim that is absent.
	ErrMissingClaim = errors.New("statuslist: missing required claim")
	// ErrInvalidClaim reports a claim whose value has the wrong form.
	ErrInvalidClaim = errors.New("statuslist: invalid claim")
	// ErrSubjectMismatch reports a token whose sub is not the expected URI.
	ErrSubjectMismatch = errors.New("statuslist: token subject does not match status list uri")
	// ErrExpired reports a token whose exp has passed.
	ErrExpired = errors.New("statuslist: token expired")
	// ErrIndexInUse reports an attempt to allocate an index twice.
	ErrIndexInUse = errors.New("statuslist: index already allocated")
	// ErrListFull reports that no unallocated index is left.
	ErrListFull = errors.New("statuslist: no free index left")
)
