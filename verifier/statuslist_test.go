package verifier

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/statuslist"
)

func TestVerifyStatusListTokenAcceptsTheRegistersTokens(t *testing.T) {
	f := newFixture(t)
	iat := testNow.Add(-10 * time.Minute)
	for name, k := range map[string]*testKey{"EdDSA": f.ed, "ES256": f.ec} {
		t.Run(name, func(t *testing.T) {
			token := signList(t, k, listClaims(t, testListURI, iat))
			claims, list, err := VerifyStatusListToken(f.trust, testIssuer, testListURI, token, testNow)
			require.NoError(t, err)
			assert.Equal(t, testListURI, claims.Subject)
			assert.Equal(t, iat.Unix(), claims.IssuedAt.Unix())
			assert.Equal(t, time.Hour, claims.TTL)
			assert.Equal(t, 1024, list.Len())
			for idx, want := range []uint8{0, 1, 2, 3} {
				got, err := list.Get(idx)
				require.NoError(t, err)
				assert.Equal(t, want, got, "entry %d", idx)
			}
		})
	}
}

func TestVerifyStatusListTokenAcceptsFullMediaTypeInTyp(t *testing.T) {
	f := newFixture(t)
	payload := listPayload(t, listClaims(t, testListURI, testNow), nil)
	token := signRaw(t, f.ed, `{"alg":"EdDSA","kid":"`+f.ed.kid+`","typ":"application/statuslist+jwt"}`, payload)
	_, _, err := VerifyStatusListToken(f.trust, testIssuer, testListURI, token, testNow)
	assert.NoError(t, err)
}

// TestVerifyStatusListTokenRejects is the attack suite for Status List
// Tokens: each case must fail with its own sentinel error (and with
// ErrStatusList), never return a list.
func TestVerifyStatusListTokenRejects(t *testing.T) {
	f := newFixture(t)
	credToken := sign(t, claims(), f.ed)
	lc := listClaims(t, testListURI, testNow.Add(-time.Minute))
	good := signList(t, f.ed, lc)
	payload := listPayload(t, lc, nil)
	hdr := listHeader(f.ed)
	withPayload := func(change func(m map[string]any)) string {
		return signRaw(t, f.ed, hdr, listPayload(t, lc, change))
	}
	sameKidOtherKey := newEdKey(t, 9)
	sameKidOtherKey.kid = f.ed.kid

	cases := []struct {
		name   string
		issuer string
		uri    string
		token  string
		want   error
	}{
		// The caller's issuer and uri.
		{name: "issuer not trusted", issuer: "https://register.evil.example", uri: "https://register.evil.example/status/1", token: good, want: ErrStatusListIssuer},
		{name: "uri of another issuer", uri: otherIssuer + "/status/1", token: good, want: ErrStatusListURI},
		{name: "uri on a look-alike host", uri: testIssuer + ".evil.example/status/1", token: good, want: ErrStatusListURI},
		{name: "uri with userinfo trick", uri: testIssuer + "@evil.example/status/1", token: good, want: ErrStatusListURI},
		{name: "uri with dot-dot segment", uri: testIssuer + "/status/../../evil", token: good, want: ErrStatusListURI},
		{name: "uri with query", uri: testListURI + "?x=1", token: good, want: ErrStatusListURI},
		{name: "uri with fragment", uri: testListURI + "#x", token: good, want: ErrStatusListURI},
		{name: "uri with percent-encoding", uri: testIssuer + "/status/%2e%2e", token: good, want: ErrStatusListURI},
		{name: "uri is the issuer itself", uri: testIssuer + "/", token: good, want: ErrStatusListURI},

		// Size and structure.
		{name: "too large", token: strings.Repeat("A", MaxStatusListTokenSize+1), want: ErrStatusListTooLarge},
		{name: "JSON serialization", token: `{"payload":"e30","signatures":[]}`, want: ErrStatusListMalformed},
		{name: "two parts", token: good[:strings.LastIndexByte(good, '.')], want: ErrStatusListMalformed},
		{name: "trailing newline", token: good + "\n", want: ErrStatusListMalformed},
		{name: "padding", token: good + "=", want: ErrStatusListMalformed},

		// Header.
		{name: "duplicate header member", token: signRaw(t, f.ed, `{"alg":"EdDSA","kid":"`+f.ed.kid+`","typ":"statuslist+jwt","typ":"statuslist+jwt"}`, payload), want: ErrStatusListMalformed},
		{name: "alg none", token: b64s(`{"alg":"none","kid":"`+f.ed.kid+`","typ":"statuslist+jwt"}`) + "." + b64s(payload) + ".", want: ErrStatusListHeader},
		{name: "alg HS256", token: signRaw(t, f.ed, `{"alg":"HS256","kid":"`+f.ed.kid+`","typ":"statuslist+jwt"}`, payload), want: ErrStatusListHeader},
		{name: "no typ", token: signRaw(t, f.ed, `{"alg":"EdDSA","kid":"`+f.ed.kid+`"}`, payload), want: ErrStatusListType},
		{name: "typ of a credential", token: signRaw(t, f.ed, `{"alg":"EdDSA","kid":"`+f.ed.kid+`","typ":"vc+jwt"}`, payload), want: ErrStatusListType},
		{name: "typ plain JWT", token: signRaw(t, f.ed, `{"alg":"EdDSA","kid":"`+f.ed.kid+`","typ":"JWT"}`, payload), want: ErrStatusListType},
		{name: "a credential is not a status list", token: credToken, want: ErrStatusListType},
		{name: "cty", token: signRaw(t, f.ed, `{"alg":"EdDSA","kid":"`+f.ed.kid+`","typ":"statuslist+jwt","cty":"JWT"}`, payload), want: ErrStatusListHeader},
		{name: "jku", token: signRaw(t, f.ed, `{"alg":"EdDSA","kid":"`+f.ed.kid+`","typ":"statuslist+jwt","jku":"https://evil.example/jwks"}`, payload), want: ErrStatusListHeader},
		{name: "embedded jwk", token: signRaw(t, f.untrusted, `{"alg":"EdDSA","kid":"`+f.untrusted.kid+`","typ":"statuslist+jwt","jwk":`+string(f.untrusted.publicJWK(t))+`}`, payload), want: ErrStatusListHeader},
		{name: "crit", token: signRaw(t, f.ed, `{"alg":"EdDSA","kid":"`+f.ed.kid+`","typ":"statuslist+jwt","crit":["exp"]}`, payload), want: ErrStatusListHeader},
		{name: "no kid", token: signRaw(t, f.ed, `{"alg":"EdDSA","typ":"statuslist+jwt"}`, payload), want: ErrStatusListHeader},

		// Key and signature.
		{name: "unknown kid", token: signList(t, f.untrusted, lc), want: ErrStatusListKey},
		{name: "kid of another trusted issuer", token: signList(t, f.other, lc), want: ErrStatusListKey},
		{name: "alg not the key's", token: signRaw(t, f.ed, `{"alg":"ES256","kid":"`+f.ed.kid+`","typ":"statuslist+jwt"}`, payload), want: ErrStatusListKey},
		{name: "same kid, another key", token: signList(t, sameKidOtherKey, lc), want: ErrStatusListSignature},
		{name: "payload altered", token: alterPayload(good, lc), want: ErrStatusListSignature},
		{name: "signature cut short", token: good[:len(good)-4], want: ErrStatusListSignature},

		// Claims.
		{name: "duplicate sub", token: signRaw(t, f.ed, hdr, `{"sub":"`+testListURI+`","sub":"`+testIssuer+`/status/2","iat":1}`), want: ErrStatusListMalformed},
		{name: "sub in other case only", token: withPayload(func(m map[string]any) { m["Sub"] = m["sub"]; delete(m, "sub") }), want: ErrStatusListMalformed},
		{name: "sub of another list", token: signList(t, f.ed, listClaims(t, testIssuer+"/status/2", testNow)), want: ErrStatusListSubject},
		{name: "iss of another issuer", token: withPayload(func(m map[string]any) { m["iss"] = otherIssuer }), want: ErrStatusListIssuer},
		{name: "no iat", token: withPayload(func(m map[string]any) { delete(m, "iat") }), want: ErrStatusListMalformed},
		{name: "fractional iat", token: withPayload(func(m map[string]any) { m["iat"] = 1.5 }), want: ErrStatusListMalformed},
		{name: "iat as string", token: withPayload(func(m map[string]any) { m["iat"] = "now" }), want: ErrStatusListMalformed},
		{name: "no status_list", token: withPayload(func(m map[string]any) { delete(m, "status_list") }), want: ErrStatusListMalformed},
		{name: "bits 3", token: withPayload(func(m map[string]any) { m["status_list"].(map[string]any)["bits"] = 3 }), want: ErrStatusListMalformed},
		{name: "zero ttl", token: withPayload(func(m map[string]any) { m["ttl"] = 0 }), want: ErrStatusListMalformed},
		{name: "negative ttl", token: withPayload(func(m map[string]any) { m["ttl"] = -60 }), want: ErrStatusListMalformed},
		{name: "issued in the future", token: signList(t, f.ed, listClaims(t, testListURI, testNow.Add(time.Hour))), want: ErrStatusListNotYetValid},
		{name: "nbf in the future", token: withPayload(func(m map[string]any) { m["nbf"] = testNow.Add(time.Hour).Unix() }), want: ErrStatusListNotYetValid},
		{name: "expired", token: withPayload(func(m map[string]any) { m["exp"] = testNow.Add(-time.Hour).Unix() }), want: ErrStatusListExpired},
		{name: "lst not base64url", token: withPayload(func(m map[string]any) { m["status_list"].(map[string]any)["lst"] = "eNo+/" }), want: ErrStatusListMalformed},
		{name: "lst not zlib", token: withPayload(func(m map[string]any) { m["status_list"].(map[string]any)["lst"] = b64s("not zlib at all") }), want: ErrStatusListMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			issuer, uri := testIssuer, testListURI
			if tc.issuer != "" {
				issuer = tc.issuer
			}
			if tc.uri != "" {
				uri = tc.uri
			}
			got, list, err := VerifyStatusListToken(f.trust, issuer, uri, tc.token, testNow)
			require.ErrorIs(t, err, tc.want)
			assert.ErrorIs(t, err, ErrStatusList)
			assert.Nil(t, got)
			assert.Nil(t, list)
		})
	}
}

// alterPayload changes the sub of a signed token's payload, keeping its
// header and signature.
func alterPayload(token string, claims statuslist.TokenClaims) string {
	parts := strings.Split(token, ".")
	claims.Subject = testIssuer + "/status/2"
	raw, _ := claims.MarshalJSON()
	return parts[0] + "." + b64s(string(raw)) + "." + parts[2]
}

func TestVerifyStatusListTokenAcceptsExpiredOnlyWhenAskedTo(t *testing.T) {
	f := newFixture(t)
	c := listClaims(t, testListURI, testNow.Add(-48*time.Hour))
	token := signList(t, f.ed, c)

	_, _, err := VerifyStatusListToken(f.trust, testIssuer, testListURI, token, testNow)
	require.ErrorIs(t, err, ErrStatusListExpired)

	claims, list, err := VerifyStatusListToken(f.trust, testIssuer, testListURI, token, testNow, WithInsecureExpiredStatusList())
	require.NoError(t, err)
	assert.Equal(t, c.Expiry.Unix(), claims.Expiry.Unix())
	assert.NotNil(t, list)
}

func TestVerifyStatusListTokenHonoursClockSkewAtExp(t *testing.T) {
	f := newFixture(t)
	c := listClaims(t, testListURI, testNow.Add(-time.Hour))
	c.Expiry = testNow.Add(-30 * time.Second)
	token := signList(t, f.ed, c)

	_, _, err := VerifyStatusListToken(f.trust, testIssuer, testListURI, token, testNow)
	assert.NoError(t, err, "within the default 60 s skew")
	_, _, err = VerifyStatusListToken(f.trust, testIssuer, testListURI, token, testNow, WithStatusListClockSkew(0))
	assert.ErrorIs(t, err, ErrStatusListExpired)
}

// TestVerifyStatusListTokenRefusesDecompressionBomb signs a token whose
// list inflates to 64 MiB, 64 times the default bound: it must be refused
// as too large, having allocated a small multiple of the bound, not the
// bomb.
func TestVerifyStatusListTokenRefusesDecompressionBomb(t *testing.T) {
	f := newFixture(t)
	c := listClaims(t, testListURI, testNow)
	c.StatusList = &statuslist.Claim{Bits: 2, Lst: bombLst(t, 64<<20)}
	token := signList(t, f.ed, c)
	require.Less(t, len(token), MaxStatusListTokenSize, "the bomb fits in a token")

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, list, err := VerifyStatusListToken(f.trust, testIssuer, testListURI, token, testNow)
	runtime.ReadMemStats(&after)

	require.ErrorIs(t, err, ErrStatusListTooLarge)
	assert.Nil(t, list)
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(16<<20), "allocated %d bytes for a 64 MiB bomb", allocated)
}

func TestVerifyStatusListTokenBoundIsConfigurable(t *testing.T) {
	f := newFixture(t)
	token := signList(t, f.ed, listClaims(t, testListURI, testNow)) // 1024 entries

	_, _, err := VerifyStatusListToken(f.trust, testIssuer, testListURI, token, testNow, WithStatusListMaxEntries(512))
	assert.ErrorIs(t, err, ErrStatusListTooLarge)
	_, _, err = VerifyStatusListToken(f.trust, testIssuer, testListURI, token, testNow, WithStatusListMaxEntries(1024))
	assert.NoError(t, err)
}

func TestVerifyStatusListTokenRefusesBadOptions(t *testing.T) {
	f := newFixture(t)
	token := signList(t, f.ed, listClaims(t, testListURI, testNow))
	for name, opt := range map[string]StatusListOption{
		"negative skew":  WithStatusListClockSkew(-time.Second),
		"huge skew":      WithStatusListClockSkew(time.Hour),
		"zero entries":   WithStatusListMaxEntries(0),
		"beyond decoder": WithStatusListMaxEntries(statuslist.DefaultMaxEntries + 1),
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := VerifyStatusListToken(f.trust, testIssuer, testListURI, token, testNow, opt)
			assert.ErrorIs(t, err, ErrInvalidOption)
		})
	}
	_, _, err := VerifyStatusListToken(nil, testIssuer, testListURI, token, testNow)
	assert.ErrorIs(t, err, ErrInvalidOption)
}

func TestStatusListErrorsMatchOnlyThemselvesAndTheParent(t *testing.T) {
	all := []error{ErrStatusListMalformed, ErrStatusListTooLarge, ErrStatusListType, ErrStatusListHeader,
		ErrStatusListKey, ErrStatusListSignature, ErrStatusListIssuer, ErrStatusListURI, ErrStatusListSubject,
		ErrStatusListExpired, ErrStatusListNotYetValid, ErrStatusListTooOld, ErrStatusListNotFound,
		ErrStatusListFetch, ErrStatusIndexOutOfRange}
	for i, a := range all {
		assert.ErrorIs(t, a, ErrStatusList, a.Error())
		for j, b := range all {
			assert.Equal(t, i == j, errors.Is(a, b), "%v is %v", a, b)
		}
	}
	assert.NotErrorIs(t, ErrMalformed, ErrStatusList)
}

func TestSetIssuerKeysReplacesTheIssuersKeys(t *testing.T) {
	f := newFixture(t)
	newKey := newEdKey(t, 7)
	jwks := `{"keys":[` + string(newKey.publicJWK(t)) + `]}`
	require.NoError(t, f.trust.SetIssuerKeys(testIssuer, []byte(jwks)))
	assert.Equal(t, []string{newKey.kid}, f.trust.KeyIDs(testIssuer))
	assert.Equal(t, []string{f.other.kid}, f.trust.KeyIDs(otherIssuer), "other issuers untouched")

	res := f.verifier.Verify(t.Context(), sign(t, claims(), f.ed))
	assert.Equal(t, OutcomeUnknownKey, res.Outcome, "the replaced key is no longer trusted")
	res = f.verifier.Verify(t.Context(), sign(t, claims(), newKey))
	assert.True(t, res.Valid, res.Reason)
}

func TestSetIssuerKeysRefusesAnotherIssuersKidAndChangesNothing(t *testing.T) {
	f := newFixture(t)
	before := f.trust.KeyIDs(testIssuer)
	jwks := `{"keys":[` + string(f.other.publicJWK(t)) + `]}`
	require.ErrorIs(t, f.trust.SetIssuerKeys(testIssuer, []byte(jwks)), ErrKeyConflict)
	assert.Equal(t, before, f.trust.KeyIDs(testIssuer))

	dup := `{"keys":[` + string(f.ed.publicJWK(t)) + `,` + strings.Replace(string(f.untrusted.publicJWK(t)), f.untrusted.kid, f.ed.kid, 1) + `]}`
	require.ErrorIs(t, f.trust.SetIssuerKeys(testIssuer, []byte(dup)), ErrKeyConflict)
	assert.Equal(t, before, f.trust.KeyIDs(testIssuer))

	require.ErrorIs(t, f.trust.SetIssuerKeys(testIssuer, []byte(`{"keys":[]}`)), ErrInvalidJWKS)
	assert.Equal(t, before, f.trust.KeyIDs(testIssuer))
}
