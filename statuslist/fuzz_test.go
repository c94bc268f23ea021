package statuslist

import (
	"encoding/base64"
	"errors"
	"testing"
)

// FuzzDecode feeds arbitrary bits and bytes to the decoder. It must never
// panic; it must fail only with the package's sentinels; the string and byte
// forms must agree; and whatever it accepts must be a well-formed list that
// re-encodes to the same bytes. The seed corpus is testdata/fuzz/FuzzDecode
// (spec examples, truncations, bad checksums, a small bomb, ...), which
// plain go test runs.
func FuzzDecode(f *testing.F) {
	f.Add(1, []byte{0x78, 0xda, 0xdb, 0xb9, 0x18, 0x00, 0x02, 0x17, 0x01, 0x5d})
	f.Add(2, []byte{0x78, 0xda, 0x3b, 0xe9, 0xf2, 0x13, 0x00, 0x03, 0xdf, 0x02, 0x07})

	// A small bound keeps each run fast and makes ErrTooLarge reachable.
	opt := WithMaxEntries(1 << 16)
	f.Fuzz(func(t *testing.T, bits int, data []byte) {
		l, err := DecodeBytes(bits, data, opt)
		l2, err2 := Decode(bits, base64.RawURLEncoding.EncodeToString(data), opt)
		_, _ = Decode(bits, string(data), opt) // arbitrary text as lst: no panic

		if (err == nil) != (err2 == nil) {
			t.Fatalf("DecodeBytes err %v, Decode err %v", err, err2)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidBits) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		if string(l.data) != string(l2.data) {
			t.Fatal("string and byte forms decode differently")
		}
		if l.Len() < 1 || l.Len() > 1<<16+7 || l.Len() != len(l.data)*8/bits {
			t.Fatalf("Len %d for %d bytes of %d bits", l.Len(), len(l.data), bits)
		}
		if _, err := l.Get(l.Len() - 1); err != nil {
			t.Fatalf("last entry: %v", err)
		}
		if _, err := l.Get(l.Len()); !errors.Is(err, ErrIndexOutOfRange) {
			t.Fatalf("Get(Len()) = %v", err)
		}
		// Small chunks so the fuzzer's lists also cross chunk seams.
		enc, err := (&Encoder{chunkSize: 16}).Encode(l)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeBytes(bits, enc, opt)
		if err != nil {
			t.Fatalf("re-encoded list does not decode: %v", err)
		}
		if string(back.data) != string(l.data) {
			t.Fatal("re-encoded list decodes to other bytes")
		}
	})
}
