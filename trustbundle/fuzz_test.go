package trustbundle

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseBundle feeds arbitrary bytes to Parse. It must never panic;
// every error must be one of the package's; a bundle it accepts must
// pass Validate and survive a round trip through JSON; and Check of it
// must never panic, and fail only with ErrKeys or ErrStatusList or
// verify every list.
func FuzzParseBundle(f *testing.F) {
	fx := newFixture(f, entries, testNow)
	good := marshal(f, fx.bundle)
	f.Add(good)
	f.Add([]byte(strings.Replace(string(good), `"format": 1,`, `"format": 1, "format": 2,`, 1)))
	f.Add([]byte(strings.Replace(string(good), `"format": 1,`, `"format": 2,`, 1)))
	f.Add([]byte(strings.Replace(string(good), `"issuer":`, `"Issuer":`, 1)))
	f.Add([]byte(strings.Replace(string(good), `"uri":`, `"url":`, 1)))
	f.Add([]byte(string(good) + "{}"))
	f.Add([]byte(`{"format":1,"issuer":"https://a.example","metadata":{},"jwks":{"keys":[]},"status_lists":[],"created_at":"2026-06-01T12:00:00Z"}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Parse(data)
		if err != nil {
			if b != nil {
				t.Fatalf("a bundle with error %v", err)
			}
			for _, want := range []error{ErrTooLarge, ErrMalformed, ErrFormat, ErrInvalid} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("error %v is none of the package's", err)
		}
		if err := b.Validate(); err != nil {
			t.Fatalf("Parse accepted what Validate refuses: %v", err)
		}
		again, err := Parse(marshal(t, b))
		if err != nil {
			t.Fatalf("the accepted bundle does not survive a round trip: %v", err)
		}
		if again.Issuer != b.Issuer || len(again.StatusLists) != len(b.StatusLists) {
			t.Fatal("the round trip changed the bundle")
		}
		c, err := b.Check(testNow)
		switch {
		case err == nil && len(c.Lists()) != len(b.StatusLists):
			t.Fatalf("%d lists checked of %d", len(c.Lists()), len(b.StatusLists))
		case err != nil && !errors.Is(err, ErrKeys) && !errors.Is(err, ErrStatusList):
			t.Fatalf("Check failed with %v", err)
		}
	})
}
