package verifier

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/nalw/linkpass/credential"
)

// BenchmarkVerify and BenchmarkBareEd25519Verify run side by side: the
// target is Verify (structure, header, key lookup, signature, strict
// claims decoding and checks; no status) costing at most 1.25x a bare
// ed25519.Verify of the same signing input.
func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	token := sign(b, claims(), f.ed)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if res := f.verifier.Verify(ctx, token); !res.Valid {
			b.Fatal(res.Reason)
		}
	}
}

func BenchmarkBareEd25519Verify(b *testing.B) {
	f := newFixture(b)
	token := sign(b, claims(), f.ed)
	dot := strings.LastIndexByte(token, '.')
	input := []byte(token[:dot])
	sig, err := b64.DecodeString(token[dot+1:])
	if err != nil {
		b.Fatal(err)
	}
	pub := f.ed.public().(ed25519.PublicKey)
	b.ReportAllocs()
	for b.Loop() {
		if !ed25519.Verify(pub, input, sig) {
			b.Fatal("bad signature")
		}
	}
}

func BenchmarkVerifyES256(b *testing.B) {
	f := newFixture(b)
	token := sign(b, claims(), f.ec)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if res := f.verifier.Verify(ctx, token); !res.Valid {
			b.Fatal(res.Reason)
		}
	}
}

// BenchmarkJWXVerify is jwx's jws.Verify of the same token (signature
// only, no claims decoding), for reference.
func BenchmarkJWXVerify(b *testing.B) {
	f := newFixture(b)
	token := []byte(sign(b, claims(), f.ed))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jws.Verify(token, jws.WithKey(jwa.EdDSA(), f.ed.public())); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeClaims isolates the strict claims decoder.
func BenchmarkDecodeClaims(b *testing.B) {
	f := newFixture(b)
	token := sign(b, claims(), f.ed)
	parts := strings.Split(token, ".")
	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := decodeClaims(payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodingJSONUnmarshalClaims is encoding/json decoding the same
// payload (which neither rejects duplicates nor matches names exactly),
// for comparison with BenchmarkDecodeClaims.
func BenchmarkEncodingJSONUnmarshalClaims(b *testing.B) {
	f := newFixture(b)
	token := sign(b, claims(), f.ed)
	payload, err := b64.DecodeString(strings.Split(token, ".")[1])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var c credential.Claims
		if err := json.Unmarshal(payload, &c); err != nil {
			b.Fatal(err)
		}
	}
}
