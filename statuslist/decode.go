package statuslist

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"fmt"
	"io"
)

// DefaultMaxEntries is the decoder's default bound on the entries of a list:
// 16 times RecommendedSize, so at most 16 MiB of decompressed bytes even at
// 8 bits per entry.
const DefaultMaxEntries = 1 << 24

// DecodeOption configures Decode and DecodeBytes.
type DecodeOption func(*decodeConfig)

type decodeConfig struct {
	maxEntries int
}

// WithMaxEntries bounds the entries a decoded list may hold; a list that
// decompresses to more is rejected with ErrTooLarge without inflating the
// rest. The bound is rounded up to a whole byte of entries. Values below 1
// are ignored.
func WithMaxEntries(n int) DecodeOption {
	return func(c *decodeConfig) {
		if n >= 1 {
			c.maxEntries = min(n, maxSize)
		}
	}
}

// strictBase64 rejects padding and non-zero trailing bits, so each list has
// exactly one accepted spelling.
var strictBase64 = base64.RawURLEncoding.Strict()

// Decode decodes the lst member of a status list with the given bits:
// base64url without padding over a ZLIB stream. It never decompresses more
// than the entry bound allows (see WithMaxEntries), and it rejects bad
// base64, corrupt or truncated streams, a wrong checksum, data after the
// stream and an empty list.
func Decode(bits int, lst string, opts ...DecodeOption) (*List, error) {
	if err := checkBits(bits); err != nil {
		return nil, err
	}
	cfg := newDecodeConfig(opts)
	// Refuse to even base64-decode an input that could not be a list
	// within the bound.
	if n := strictBase64.DecodedLen(len(lst)); n > maxCompressedLen(cfg.maxBytes(bits)) {
		return nil, fmt.Errorf("%w: %d compressed bytes", ErrTooLarge, n)
	}
	compressed, err := strictBase64.DecodeString(lst)
	if err != nil {
		return nil, fmt.Errorf("%w: base64url: %w", ErrMalformed, err)
	}
	return decode(bits, compressed, cfg)
}

// DecodeBytes decodes a compressed byte array (the lst of the CBOR form)
// with the same bounds and checks as Decode.
func DecodeBytes(bits int, compressed []byte, opts ...DecodeOption) (*List, error) {
	if err := checkBits(bits); err != nil {
		return nil, err
	}
	return decode(bits, compressed, newDecodeConfig(opts))
}

func newDecodeConfig(opts []DecodeOption) decodeConfig {
	cfg := decodeConfig{maxEntries: DefaultMaxEntries}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// maxBytes is the decompressed size bound for lists of the given bits.
func (c decodeConfig) maxBytes(bits int) int {
	return (c.maxEntries*bits + 7) / 8
}

// maxCompressedLen bounds the compressed size of a list of at most n bytes.
// DEFLATE expands incompressible input by 5 bytes per 64 KiB stored block at
// worst; n/1024 plus the ZLIB framing is ample slack for any real encoder.
func maxCompressedLen(n int) int {
	return n + n/1024 + 64
}

func decode(bits int, compressed []byte, cfg decodeConfig) (*List, error) {
	limit := cfg.maxBytes(bits)
	if len(compressed) > maxCompressedLen(limit) {
		return nil, fmt.Errorf("%w: %d compressed bytes", ErrTooLarge, len(compressed))
	}
	// bytes.Reader is an io.ByteReader, so zlib reads exactly up to the end
	// of its stream and the Len check below sees any trailing data.
	src := bytes.NewReader(compressed)
	zr, err := zlib.NewReader(src)
	if err != nil {
		return nil, fmt.Errorf("%w: zlib header: %w", ErrMalformed, err)
	}
	defer zr.Close()

	// Read one byte past the limit: getting it proves the list is too large
	// without inflating the rest of a bomb.
	data, err := io.ReadAll(io.LimitReader(zr, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	switch {
	case len(data) > limit:
		return nil, fmt.Errorf("%w: decompresses to more than %d bytes (%d entries of %d bits)",
			ErrTooLarge, limit, cfg.maxEntries, bits)
	case len(data) == 0:
		return nil, fmt.Errorf("%w: decompresses to no bytes", ErrMalformed)
	case src.Len() != 0:
		return nil, fmt.Errorf("%w: %d bytes after the zlib stream", ErrMalformed, src.Len())
	}
	return newList(bits, len(data)*8/bits, data), nil
}
