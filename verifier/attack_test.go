package verifier

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/credential"
)

// TestAttackSuite runs known JWT attacks and edge cases; each row names
// the exact outcome the verifier must give.
func TestAttackSuite(t *testing.T) {
	f := newFixture(t)

	// A loopback server standing in for an attacker's key URL: the
	// verifier must never fetch it.
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`{"keys":[]}`))
	}))
	defer srv.Close()
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), srv.URL)

	good := claims()
	goodPayload := payloadJSON(t, good, nil)
	valid := sign(t, good, f.ed)
	validParts := strings.Split(valid, ".")

	hs256 := func() string {
		// HS256 with the trusted public key's bytes as the HMAC secret:
		// the classic algorithm-confusion attack.
		input := b64s(`{"alg":"HS256","typ":"vc+jwt","kid":"`+f.ed.kid+`"}`) + "." + b64s(goodPayload)
		mac := hmac.New(sha256.New, f.ed.publicJWK(t))
		mac.Write([]byte(input))
		return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}
	hs256RawKey := func() string {
		input := b64s(`{"alg":"HS256","typ":"vc+jwt","kid":"`+f.ed.kid+`"}`) + "." + b64s(goodPayload)
		mac := hmac.New(sha256.New, []byte(f.ed.public().(ed25519.PublicKey)))
		mac.Write([]byte(input))
		return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}
	withHeader := func(extra string) string {
		h := strings.TrimSuffix(stdHeader(f.ed), "}") + "," + extra + "}"
		return signRaw(t, f.ed, h, goodPayload)
	}
	withPayload := func(change func(m map[string]any)) string {
		return signRaw(t, f.ed, stdHeader(f.ed), payloadJSON(t, claims(), change))
	}
	withClaims := func(change func(c *credential.Claims)) string {
		c := claims()
		change(c)
		return signRaw(t, f.ed, stdHeader(f.ed), payloadJSON(t, c, nil))
	}
	// impostor has the trusted kid but other key material.
	impostor := newEdKey(t, 9)
	impostor.kid = f.ed.kid
	zeroSig := validParts[0] + "." + validParts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 64))
	lastSigChar := validParts[2][len(validParts[2])-1]
	nonCanonicalSig := validParts[0] + "." + validParts[1] + "." + validParts[2][:len(validParts[2])-1] + string(nonCanonical(lastSigChar))

	cases := []struct {
		name  string
		token string
		want  Outcome
	}{
		{"valid EdDSA credential", valid, OutcomeValid},
		{"valid ES256 credential", sign(t, claims(), f.ec), OutcomeValid},
		{"typ application/vc+jwt is the same media type", signRaw(t, f.ed, `{"alg":"EdDSA","typ":"application/vc+jwt","kid":"`+f.ed.kid+`"}`, goodPayload), OutcomeValid},
		{"no cty is fine", signRaw(t, f.ed, `{"alg":"EdDSA","typ":"vc+jwt","kid":"`+f.ed.kid+`"}`, goodPayload), OutcomeValid},
		{"unknown payload members are ignored", withPayload(func(m map[string]any) { m["extra"] = map[string]any{"a": 1} }), OutcomeValid},

		// alg none and friends.
		{"alg none without signature", b64s(`{"alg":"none","typ":"vc+jwt","kid":"`+f.ed.kid+`"}`) + "." + b64s(goodPayload) + ".", OutcomeUnsupportedAlg},
		{"alg none with the original signature", b64s(`{"alg":"none","typ":"vc+jwt","kid":"`+f.ed.kid+`"}`) + "." + validParts[1] + "." + validParts[2], OutcomeUnsupportedAlg},
		{"alg None", b64s(`{"alg":"None","typ":"vc+jwt","kid":"`+f.ed.kid+`"}`) + "." + b64s(goodPayload) + ".", OutcomeUnsupportedAlg},
		{"alg NONE with signature", signRaw(t, f.ed, `{"alg":"NONE","typ":"vc+jwt","kid":"`+f.ed.kid+`"}`, goodPayload), OutcomeUnsupportedAlg},
		{"alg nOnE", b64s(`{"alg":"nOnE","typ":"vc+jwt","kid":"`+f.ed.kid+`"}`) + "." + b64s(goodPayload) + ".", OutcomeUnsupportedAlg},
		{"alg eddsa (wrong case)", signRaw(t, f.ed, `{"alg":"eddsa","typ":"vc+jwt","kid":"`+f.ed.kid+`"}`, goodPayload), OutcomeUnsupportedAlg},
		{"alg missing", signRaw(t, f.ed, `{"typ":"vc+jwt","kid":"`+f.ed.kid+`"}`, goodPayload), OutcomeUnsupportedAlg},
		{"HS256 keyed with the public JWK", hs256(), OutcomeUnsupportedAlg},
		{"HS256 keyed with the raw public key", hs256RawKey(), OutcomeUnsupportedAlg},
		{"ES256 key with EdDSA alg header", signRaw(t, f.ed, `{"alg":"EdDSA","typ":"vc+jwt","kid":"`+f.ec.kid+`"}`, goodPayload), OutcomeUnsupportedAlg},
		{"EdDSA key with ES256 alg header", signRaw(t, f.ec, `{"alg":"ES256","typ":"vc+jwt","kid":"`+f.ed.kid+`"}`, goodPayload), OutcomeUnsupportedAlg},

		// Keys.
		{"signed by another key with the trusted kid", sign(t, claims(), impostor), OutcomeBadSignature},
		{"signed by an untrusted key", sign(t, claims(), f.untrusted), OutcomeUnknownKey},
		{"kid with path traversal", signRaw(t, f.ed, `{"alg":"EdDSA","typ":"vc+jwt","kid":"../../etc/passwd"}`, goodPayload), OutcomeUnknownKey},
		{"kid with SQL", signRaw(t, f.ed, `{"alg":"EdDSA","typ":"vc+jwt","kid":"' OR 1=1--"}`, goodPayload), OutcomeUnknownKey},
		{"kid missing", signRaw(t, f.ed, `{"alg":"EdDSA","typ":"vc+jwt"}`, goodPayload), OutcomeUnknownKey},
		{"kid empty", signRaw(t, f.ed, `{"alg":"EdDSA","typ":"vc+jwt","kid":""}`, goodPayload), OutcomeUnknownKey},
		{"kid not a string", signRaw(t, f.ed, `{"alg":"EdDSA","typ":"vc+jwt","kid":7}`, goodPayload), OutcomeMalformed},

		// Header parameters that bring or fetch keys, or change processing.
		{"jku to a loopback server", withHeader(`"jku":"` + srv.URL + `/jwks.json"`), OutcomeForbiddenHeader},
		{"x5u to a loopback server", withHeader(`"x5u":"` + srv.URL + `/cert.pem"`), OutcomeForbiddenHeader},
		{"embedded jwk of the signer", signRaw(t, f.untrusted, strings.TrimSuffix(stdHeader(f.untrusted), "}")+`,"jwk":`+string(f.untrusted.publicJWK(t))+"}", goodPayload), OutcomeForbiddenHeader},
		{"x5c", withHeader(`"x5c":["MIIB"]`), OutcomeForbiddenHeader},
		{"x5t#S256", withHeader(`"x5t#S256":"abc"`), OutcomeForbiddenHeader},
		{"crit", withHeader(`"crit":["exp"],"exp":1`), OutcomeForbiddenHeader},
		{"empty crit", withHeader(`"crit":[]`), OutcomeForbiddenHeader},
		{"b64 false", withHeader(`"b64":false`), OutcomeForbiddenHeader},
		{"unknown header member is ignored", withHeader(`"x-note":"hello"`), OutcomeValid},

		// Signature.
		{"all-zero signature", zeroSig, OutcomeBadSignature},
		{"signature truncated by one character", valid[:len(valid)-1], OutcomeBadSignature},
		{"signature truncated by two characters", valid[:len(valid)-2], OutcomeBadSignature},
		{"signature missing", validParts[0] + "." + validParts[1] + ".", OutcomeBadSignature},
		{"signature with non-canonical base64 bits", nonCanonicalSig, OutcomeMalformed},
		{"payload tampered after signing", validParts[0] + "." + b64s(strings.Replace(goodPayload, "Aisha", "Eve", 1)) + "." + validParts[2], OutcomeBadSignature},
		{"header tampered after signing", b64s(strings.Replace(stdHeader(f.ed), `"cty":"vc"`, `"cty":"vc","x":1`, 1)) + "." + validParts[1] + "." + validParts[2], OutcomeBadSignature},

		// Type.
		{"typ JWT", signRaw(t, f.ed, `{"alg":"EdDSA","typ":"JWT","kid":"`+f.ed.kid+`"}`, goodPayload), OutcomeWrongType},
		{"typ missing", signRaw(t, f.ed, `{"alg":"EdDSA","kid":"`+f.ed.kid+`"}`, goodPayload), OutcomeWrongType},
		{"typ statuslist+jwt", signRaw(t, f.ed, `{"alg":"EdDSA","typ":"statuslist+jwt","kid":"`+f.ed.kid+`"}`, goodPayload), OutcomeWrongType},
		// RFC 7515 4.1.10: cty is a media type, the "application/" prefix
		// may be left out and case does not matter.
		{"cty application/vc is vc", signRaw(t, f.ed, `{"alg":"EdDSA","typ":"vc+jwt","cty":"application/vc","kid":"`+f.ed.kid+`"}`, goodPayload), OutcomeValid},
		{"cty Application/VC is vc", signRaw(t, f.ed, `{"alg":"EdDSA","typ":"vc+jwt","cty":"Application/VC","kid":"`+f.ed.kid+`"}`, goodPayload), OutcomeValid},
		{"cty application/vc+jwt is not vc", signRaw(t, f.ed, `{"alg":"EdDSA","typ":"vc+jwt","cty":"application/vc+jwt","kid":"`+f.ed.kid+`"}`, goodPayload), OutcomeWrongType},
		{"cty JWT (nested token)", signRaw(t, f.ed, `{"alg":"EdDSA","typ":"vc+jwt","cty":"JWT","kid":"`+f.ed.kid+`"}`, goodPayload), OutcomeWrongType},

		// VC-JOSE-COSE 3.1.3: a VC 2.0 credential secured with JOSE is the
		// payload itself; the VC 1.1 "vc" (and "vp") claims must not appear.
		{"a vc claim (VC 1.1 JWT encoding)", withPayload(func(m map[string]any) { m["vc"] = map[string]any{"type": []string{"VerifiableCredential"}} }), OutcomeWrongCredentialType},
		{"a vp claim", withPayload(func(m map[string]any) { m["vp"] = map[string]any{} }), OutcomeWrongCredentialType},
		{"a null vc claim", withPayload(func(m map[string]any) { m["vc"] = nil }), OutcomeWrongCredentialType},

		// Issuer.
		{"iss untrusted", withClaims(func(c *credential.Claims) { c.Iss, c.Issuer = "https://evil.example", "https://evil.example" }), OutcomeUntrustedIssuer},
		{"iss missing", withPayload(func(m map[string]any) { delete(m, "iss") }), OutcomeMissingClaim},
		{"iss of another trusted issuer with this issuer's kid", withClaims(func(c *credential.Claims) { c.Iss, c.Issuer = otherIssuer, otherIssuer }), OutcomeUntrustedIssuer},
		{"issuer differs from iss", withClaims(func(c *credential.Claims) { c.Issuer = otherIssuer }), OutcomeUntrustedIssuer},
		{"issuer missing", withPayload(func(m map[string]any) { delete(m, "issuer") }), OutcomeMissingClaim},

		// Required claims and credential type.
		{"exp missing", withPayload(func(m map[string]any) { delete(m, "exp") }), OutcomeMissingClaim},
		{"iat missing", withPayload(func(m map[string]any) { delete(m, "iat") }), OutcomeMissingClaim},
		{"credentialSubject missing", withPayload(func(m map[string]any) { delete(m, "credentialSubject") }), OutcomeMissingClaim},
		{"exp as a string", withPayload(func(m map[string]any) { m["exp"] = "2099-01-01" }), OutcomeMalformed},
		{"exp with a fraction", signRaw(t, f.ed, stdHeader(f.ed), strings.Replace(goodPayload, `"exp":`, `"exp":1.5,"x":`, 1)), OutcomeMalformed},
		{"type without LinkWorkerRegistrationCredential", withClaims(func(c *credential.Claims) { c.Type = c.Type[:1] }), OutcomeWrongCredentialType},
		{"type without VerifiableCredential", withClaims(func(c *credential.Claims) { c.Type = c.Type[1:] }), OutcomeWrongCredentialType},
		{"VC 1.1 context first", withClaims(func(c *credential.Claims) { c.Context[0] = "https://www.w3.org/2018/credentials/v1" }), OutcomeWrongCredentialType},

		// Validity window (skew is 60 s).
		{"expired beyond skew", withClaims(func(c *credential.Claims) { c.Exp = testNow.Add(-61 * time.Second).Unix() }), OutcomeExpired},
		{"expired within skew", withClaims(func(c *credential.Claims) { c.Exp = testNow.Add(-59 * time.Second).Unix() }), OutcomeValid},
		{"validUntil passed beyond skew", withClaims(func(c *credential.Claims) { c.ValidUntil = testNow.Add(-2 * time.Minute).Format(time.RFC3339) }), OutcomeExpired},
		{"nbf beyond skew", withClaims(func(c *credential.Claims) { c.Nbf = testNow.Add(61 * time.Second).Unix() }), OutcomeNotYetValid},
		{"nbf within skew", withClaims(func(c *credential.Claims) { c.Nbf = testNow.Add(59 * time.Second).Unix() }), OutcomeValid},
		{"validFrom in the future", withClaims(func(c *credential.Claims) { c.ValidFrom = testNow.Add(time.Hour).Format(time.RFC3339) }), OutcomeNotYetValid},
		{"iat in the future", withClaims(func(c *credential.Claims) { c.Iat = testNow.Add(time.Hour).Unix() }), OutcomeNotYetValid},
		{"validUntil not a date", withClaims(func(c *credential.Claims) { c.ValidUntil = "tomorrow" }), OutcomeMalformed},

		// Duplicates: the signature verifies, the strict parser refuses.
		{"duplicate iss in payload", signRaw(t, f.ed, stdHeader(f.ed), `{"iss":"a","iss":"b"}`), OutcomeMalformed},
		{"duplicate iss after the real claims", signRaw(t, f.ed, stdHeader(f.ed), strings.TrimSuffix(goodPayload, "}")+`,"iss":"`+otherIssuer+`"}`), OutcomeMalformed},
		{"duplicate through a unicode escape", signRaw(t, f.ed, stdHeader(f.ed), strings.TrimSuffix(goodPayload, "}")+`,"\u0069ss":"x"}`), OutcomeMalformed},
		{"duplicate inside credentialSubject", signRaw(t, f.ed, stdHeader(f.ed), strings.Replace(goodPayload, `"name":`, `"name":"Mallory","name":`, 1)), OutcomeMalformed},
		{"duplicate alg in header", signRaw(t, f.ed, `{"alg":"none","alg":"EdDSA","typ":"vc+jwt","kid":"`+f.ed.kid+`"}`, goodPayload), OutcomeMalformed},
		{"duplicate kid in header", signRaw(t, f.ed, `{"alg":"EdDSA","typ":"vc+jwt","kid":"x","kid":"`+f.ed.kid+`"}`, goodPayload), OutcomeMalformed},
		{"trailing data after payload JSON", signRaw(t, f.ed, stdHeader(f.ed), goodPayload+`{}`), OutcomeMalformed},
		{"payload is not an object", signRaw(t, f.ed, stdHeader(f.ed), `["iss"]`), OutcomeMalformed},

		// Serialization.
		{"flattened JSON serialization", `{"protected":"` + validParts[0] + `","payload":"` + validParts[1] + `","signature":"` + validParts[2] + `"}`, OutcomeMalformed},
		{"general JSON serialization", `{"payload":"` + validParts[1] + `","signatures":[{"protected":"` + validParts[0] + `","signature":"` + validParts[2] + `"}]}`, OutcomeMalformed},
		{"JWE-shaped five parts", validParts[0] + ".AAAA.BBBB.CCCC.DDDD", OutcomeMalformed},
		{"two parts", validParts[0] + "." + validParts[1], OutcomeMalformed},
		{"four parts", valid + ".x", OutcomeMalformed},
		{"empty token", "", OutcomeMalformed},
		{"empty header", "." + validParts[1] + "." + validParts[2], OutcomeMalformed},
		{"padding characters", validParts[0] + "=." + validParts[1] + "." + validParts[2], OutcomeMalformed},
		{"standard base64 alphabet", strings.ReplaceAll(strings.ReplaceAll(valid, "-", "+"), "_", "/"), OutcomeMalformed},
		{"header not JSON", b64s("hello") + "." + validParts[1] + "." + validParts[2], OutcomeMalformed},
		{"oversized token", valid + strings.Repeat("A", DefaultMaxTokenSize), OutcomeTooLarge},
		{"oversized garbage", strings.Repeat("{", DefaultMaxTokenSize+1), OutcomeTooLarge},

		// Whitespace policy: rejected, never trimmed.
		{"leading space", " " + valid, OutcomeMalformed},
		{"trailing newline", valid + "\n", OutcomeMalformed},
		{"trailing CRLF", valid + "\r\n", OutcomeMalformed},
		{"newline inside a segment", valid[:10] + "\n" + valid[10:], OutcomeMalformed},
	}
	names := map[string]bool{}
	for _, tc := range cases {
		require.False(t, names[tc.name], "duplicate case name %q", tc.name)
		names[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			res := f.verifier.Verify(context.Background(), tc.token)
			t.Logf("%s: %s", res.Outcome, res.Reason)
			require.NotNil(t, res)
			assert.Equal(t, tc.want, res.Outcome, "reason: %s", res.Reason)
			assert.Equal(t, tc.want == OutcomeValid, res.Valid)
			assert.NotEmpty(t, res.Reason)
			if tc.want == OutcomeValid {
				assert.NoError(t, res.Err())
			} else {
				assert.ErrorIs(t, res.Err(), outcomeErrors[tc.want])
			}
		})
	}
	assert.Zero(t, hits.Load(), "the verifier must never fetch a URL from a token")
}

// nonCanonical returns a base64url character that decodes to the same
// leading bits as c but sets one of the unused low bits: for a 64-byte
// signature the last character carries 4 data bits and 2 unused bits.
func nonCanonical(c byte) byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, c)
	return alphabet[i|1]
}
