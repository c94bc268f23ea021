package qrtext

import (
	"errors"
	"fmt"
)

// base45Alphabet is the alphabet of RFC 9285, table 1. It is exactly the
// character set of QR alphanumeric mode, which packs two characters into
// 11 bits; that is why base45 beats base64 (which forces byte mode) by
// roughly a third in QR modules.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// errBase45 is wrapped by every base45 decoding error.
var errBase45 = errors.New("invalid base45")

// base45Values maps an ASCII byte to its base45 value, or 0xff if the byte
// is not in the alphabet.
var base45Values = func() [256]byte {
	var t [256]byte
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = byte(i)
	}
	return t
}()

// base45EncodedLen returns the length of the base45 encoding of n bytes.
func base45EncodedLen(n int) int {
	return n/2*3 + n%2*2
}

// appendBase45 appends the RFC 9285 encoding of src to dst. Each pair of
// bytes [a, b] becomes three characters c, d, e with
// a*256 + b = c + d*45 + e*45*45, least significant first; a trailing odd
// byte becomes two characters.
func appendBase45(dst, src []byte) []byte {
	for len(src) >= 2 {
		v := uint(src[0])<<8 | uint(src[1])
		dst = append(dst,
			base45Alphabet[v%45],
			base45Alphabet[v/45%45],
			base45Alphabet[v/(45*45)])
		src = src[2:]
	}
	if len(src) == 1 {
		v := uint(src[0])
		dst = append(dst, base45Alphabet[v%45], base45Alphabet[v/45])
	}
	return dst
}

// decodeBase45 decodes an RFC 9285 string. As section 6 of the RFC requires,
// it rejects characters outside the alphabet, a dangling single character,
// and groups whose value does not fit the bytes they stand for (a triple
// above 65535, a pair above 255), so that every byte string has exactly one
// accepted encoding.
func decodeBase45(src string) ([]byte, error) {
	if len(src)%3 == 1 {
		return nil, fmt.Errorf("%w: length %d leaves a single character", errBase45, len(src))
	}
	dst := make([]byte, 0, len(src)/3*2+len(src)%3/2)
	for i := 0; i < len(src); i += 3 {
		n := min(3, len(src)-i)
		var v uint
		mul := uint(1)
		for j := range n {
			d := base45Values[src[i+j]]
			if d == 0xff {
				return nil, fmt.Errorf("%w: character %q at offset %d", errBase45, src[i+j], i+j)
			}
			v += uint(d) * mul
			mul *= 45
		}
		if n == 3 {
			if v > 0xffff {
				return nil, fmt.Errorf("%w: group at offset %d exceeds 16 bits", errBase45, i)
			}
			dst = append(dst, byte(v>>8), byte(v))
			continue
		}
		if v > 0xff {
			return nil, fmt.Errorf("%w: final pair at offset %d exceeds 8 bits", errBase45, i)
		}
		dst = append(dst, byte(v))
	}
	return dst, nil
}
