package verifier

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzVerifyStatusListToken feeds arbitrary tokens and uris to
// VerifyStatusListToken. It must never panic; every error must be a
// status list error with no result; and a token may only verify if its
// signing input is one this test signed and the uri is the list's, under
// the issuer. (Signing inputs, not tokens, are compared because ES256
// signatures are randomised.)
func FuzzVerifyStatusListToken(f *testing.F) {
	fx := newFixture(f)
	lc := listClaims(f, testListURI, testNow.Add(-time.Minute))
	tokens := []string{signList(f, fx.ed, lc), signList(f, fx.ec, lc)}
	signed := map[string]bool{}
	for _, tok := range tokens {
		signed[tok[:strings.LastIndexByte(tok, '.')]] = true
		f.Add(tok, testListURI)
		parts := strings.Split(tok, ".")
		f.Add(parts[0]+"."+parts[1]+".", testListURI)
		f.Add(tok, testIssuer+"/status/2")
		f.Add(tok, testIssuer+"/status/../1")
	}
	payload := listPayload(f, lc, nil)
	f.Add(b64s(`{"alg":"none","kid":"`+fx.ed.kid+`","typ":"statuslist+jwt"}`)+"."+b64s(payload)+".", testListURI)
	f.Add(signRaw(f, fx.ed, listHeader(fx.ed), `{"sub":"a","sub":"b"}`), testListURI)
	f.Add(signRaw(f, fx.ed, `{"alg":"EdDSA","kid":"`+fx.ed.kid+`","typ":"vc+jwt"}`, payload), testListURI)
	f.Add(`{"payload":"e30","signatures":[]}`, testListURI)
	f.Add("a.b.c.d.e", otherIssuer+"/status/1")

	f.Fuzz(func(t *testing.T, token, uri string) {
		claims, list, err := VerifyStatusListToken(fx.trust, testIssuer, uri, token, testNow)
		if err != nil {
			if !errors.Is(err, ErrStatusList) {
				t.Fatalf("error %v is not a status list error", err)
			}
			if claims != nil || list != nil {
				t.Fatalf("a result with error %v", err)
			}
			return
		}
		if claims == nil || list == nil || list.Len() == 0 {
			t.Fatal("no error and no list")
		}
		dot := strings.LastIndexByte(token, '.')
		if !signed[token[:dot]] {
			t.Fatalf("a token that was never signed verified: %q", token)
		}
		if claims.Subject != uri || !strings.HasPrefix(uri, testIssuer+"/") {
			t.Fatalf("verified for uri %q, sub %q", uri, claims.Subject)
		}
	})
}
