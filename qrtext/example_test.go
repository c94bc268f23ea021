package qrtext_test

import (
	"fmt"

	"github.com/nalw/linkpass/qrtext"
)

// The worked example of docs/qr-format.md: a small JWS signed with the
// Ed25519 key whose seed is 32 zero bytes, and its compact form. Decoding
// the printed form must give the JWS back for as long as version 1 exists.
// Encode's output is not pinned here: it depends on Go's DEFLATE
// compressor, and any valid stream decodes.
func Example() {
	const jws = "eyJhbGciOiJFZERTQSIsInR5cCI6InZjK2p3dCJ9" +
		".eyJpc3MiOiJodHRwczovL3JlZ2lzdGVyLm5hbHcub3JnLnVrIiwianRpIjoiMSJ9" +
		".wf6-h3fcCu_SSxEyLvt0kPmGG5Cj2xXhE8to4mSpR9yi1eRq56PRYukh_p-Z7L8q3buE7MIn53JMpaiuk0nHBw"
	const printed = "LP1:570RNO+3O*6F9H1FQQ$72C.55XENOV L37WKLY2RM2UBDTWC 39FQKJ*SYCT7LQBLTN8WTKJN7OI1S8 " +
		"GNOOUBT1V9REL+RIB7P-OIHVL:5RFMJC-0WYLTVAOS0000FGW"

	got, err := qrtext.Decode(printed)
	if err != nil {
		panic(err)
	}
	fmt.Println(got == jws)

	text, err := qrtext.Encode(jws)
	if err != nil {
		panic(err)
	}
	back, err := qrtext.Decode(text)
	if err != nil {
		panic(err)
	}
	fmt.Println(back == jws, qrtext.IsCompact(text))
	// Output:
	// true
	// true true
}
