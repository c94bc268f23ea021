package qrtext

import (
	"errors"
	"testing"
)

// FuzzDecode checks that Decode never panics and that what it accepts is a
// compact JWS that survives another round trip unchanged. Its seed corpus
// in testdata/fuzz/FuzzDecode (real compact texts, a plain JWS and broken
// variants) runs with every plain go test.
func FuzzDecode(f *testing.F) {
	f.Add("")
	f.Add(Prefix)
	f.Fuzz(func(t *testing.T, text string) {
		jws, err := Decode(text)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode error %v does not wrap ErrMalformed", err)
			}
			if jws != "" {
				t.Fatalf("Decode returned %q with an error", jws)
			}
			return
		}
		again, err := Encode(jws)
		if errors.Is(err, ErrTooLarge) {
			// A long plain JWS of random bytes does not compress below
			// MaxTextLen; it would not fit a QR code either.
			return
		}
		if err != nil {
			t.Fatalf("Decode returned %q, which Encode rejects: %v", jws, err)
		}
		back, err := Decode(again)
		if err != nil {
			t.Fatalf("Decode(Encode(%q)): %v", jws, err)
		}
		if back != jws {
			t.Fatalf("round trip changed the JWS:\n got %q\nwant %q", back, jws)
		}
	})
}

// FuzzEncodeRoundTrip checks the lossless promise on arbitrary parts.
func FuzzEncodeRoundTrip(f *testing.F) {
	f.Add([]byte(`{"alg":"EdDSA","typ":"vc+jwt"}`), []byte(`{"iss":"https://register.nalw.org.uk"}`), make([]byte, 64))
	f.Fuzz(func(t *testing.T, header, payload, sig []byte) {
		if len(header) == 0 || len(payload) == 0 || len(sig) == 0 {
			return
		}
		jws := b64.EncodeToString(header) + "." + b64.EncodeToString(payload) + "." + b64.EncodeToString(sig)
		text, err := Encode(jws)
		if err != nil {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Encode(%q): %v", jws, err)
			}
			return
		}
		if !IsCompact(text) {
			t.Fatalf("Encode wrote %q, which IsCompact rejects", text)
		}
		got, err := Decode(text)
		if err != nil {
			t.Fatalf("Decode(Encode(%q)): %v", jws, err)
		}
		if got != jws {
			t.Fatalf("round trip changed the JWS:\n got %q\nwant %q", got, jws)
		}
	})
}
