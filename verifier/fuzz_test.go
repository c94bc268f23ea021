package verifier

import (
	"context"
	"strings"
	"testing"
)

// FuzzVerify feeds arbitrary tokens to the verifier. It must never panic,
// must always explain itself, and must never call a token valid unless its
// signing input (header.payload) is one this test signed: no mutation of a
// signed token may keep it valid. (The signing input, not the token, is
// compared because ES256 signatures are randomised, so fuzz workers sign
// the same input differently; the keys and claims are fixed.)
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	tokens := []string{sign(f, claims(), fx.ed), sign(f, claims(), fx.ec)}
	signed := map[string]bool{}
	for _, tok := range tokens {
		signed[tok[:strings.LastIndexByte(tok, '.')]] = true
	}
	for _, tok := range tokens {
		f.Add(tok)
		parts := strings.Split(tok, ".")
		f.Add(parts[0] + "." + parts[1] + ".")
		f.Add(b64s(`{"alg":"none","typ":"vc+jwt","kid":"`+fx.ed.kid+`"}`) + "." + parts[1] + ".")
	}
	f.Add(signRaw(f, fx.ed, stdHeader(fx.ed), `{"iss":"a","iss":"b"}`))
	f.Add(`{"payload":"e30","signatures":[]}`)
	f.Add("a.b.c.d.e")

	f.Fuzz(func(t *testing.T, token string) {
		res := fx.verifier.Verify(context.Background(), token)
		if res == nil {
			t.Fatal("nil result")
		}
		if res.Valid != (res.Outcome == OutcomeValid) {
			t.Fatalf("Valid=%v but Outcome=%s", res.Valid, res.Outcome)
		}
		if res.Reason == "" {
			t.Fatalf("no reason for outcome %s", res.Outcome)
		}
		if (res.Err() == nil) != res.Valid {
			t.Fatalf("Err()=%v for outcome %s", res.Err(), res.Outcome)
		}
		if res.Valid && !signed[token[:strings.LastIndexByte(token, '.')]] {
			t.Fatalf("a token that was never signed verified as valid: %q", token)
		}
		if res.Claims != nil && res.KeyID == "" {
			t.Fatalf("claims returned without a verified signature: %q", token)
		}
	})
}
