package verifier

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/keys"
)

func TestValidResultCarriesClaimsKeyAndIssuer(t *testing.T) {
	f := newFixture(t)
	c := claims()
	res := f.verifier.Verify(context.Background(), sign(t, c, f.ed))
	require.True(t, res.Valid, res.Reason)
	assert.Equal(t, c, res.Claims, "decoded claims must equal what was signed")
	assert.Equal(t, f.ed.kid, res.KeyID)
	assert.Equal(t, testIssuer, res.Issuer)
	assert.True(t, res.Status.Checked)
	assert.NoError(t, res.Err())
}

func TestVerifyWorksWithProductionKeys(t *testing.T) {
	for _, alg := range []string{keys.AlgEdDSA, keys.AlgES256} {
		t.Run(alg, func(t *testing.T) {
			k, jwks := productionKey(t, alg)
			trust := NewTrust()
			require.NoError(t, trust.AddIssuer(testIssuer, jwks))
			v, err := New(trust, WithClock(func() time.Time { return testNow }), WithStatusChecker(statusAlwaysValid{}))
			require.NoError(t, err)
			res := v.Verify(context.Background(), sign(t, claims(), k))
			assert.True(t, res.Valid, res.Reason)
		})
	}
}

func TestExpiredCredentialStillShowsWhoseItIs(t *testing.T) {
	f := newFixture(t)
	c := claims()
	c.Exp = testNow.Add(-time.Hour).Unix()
	res := f.verifier.Verify(context.Background(), signRaw(t, f.ed, stdHeader(f.ed), payloadJSON(t, c, nil)))
	assert.Equal(t, OutcomeExpired, res.Outcome)
	assert.Equal(t, "the credential expired on 2026-06-01 11:00 UTC", res.Reason)
	require.NotNil(t, res.Claims)
	assert.Equal(t, "Aisha Okafor-Brown", res.Claims.CredentialSubject.Name)
}

func TestClaimsAreNilWhenSignatureFails(t *testing.T) {
	f := newFixture(t)
	token := sign(t, claims(), f.ed)
	parts := strings.Split(token, ".")
	tampered := parts[0] + "." + b64s(`{"iss":"x"}`) + "." + parts[2]
	res := f.verifier.Verify(context.Background(), tampered)
	assert.Equal(t, OutcomeBadSignature, res.Outcome)
	assert.Nil(t, res.Claims)
	assert.Empty(t, res.KeyID)
}

func TestErrWrapsSentinelAndIsAnError(t *testing.T) {
	f := newFixture(t)
	res := f.verifier.Verify(context.Background(), "a.b")
	err := res.Err()
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrMalformed)
	assert.NotErrorIs(t, err, ErrExpired)
	var verr *Error
	require.True(t, errors.As(err, &verr))
	assert.Equal(t, OutcomeMalformed, verr.Outcome)
	assert.Contains(t, err.Error(), "malformed")
}

func TestEveryOutcomeHasASentinel(t *testing.T) {
	for o, sentinel := range outcomeErrors {
		r := &Result{Outcome: o, Reason: "x"}
		assert.ErrorIs(t, r.Err(), sentinel, o)
	}
	assert.Len(t, outcomeErrors, 16)
}

func TestKeyRotationVerifiesOldAndNewUntilOldIsRemoved(t *testing.T) {
	f := newFixture(t)
	oldToken := sign(t, claims(), f.ed)
	next := newEdKey(t, 7)
	jwks, err := keys.JWKS(next.publicJWK(t))
	require.NoError(t, err)
	require.NoError(t, f.trust.AddIssuer(testIssuer, jwks))
	newToken := sign(t, claims(), next)

	assert.Equal(t, OutcomeValid, f.verifier.Verify(context.Background(), oldToken).Outcome)
	assert.Equal(t, OutcomeValid, f.verifier.Verify(context.Background(), newToken).Outcome)

	require.NoError(t, f.trust.RemoveKey(testIssuer, f.ed.kid))
	assert.Equal(t, OutcomeUnknownKey, f.verifier.Verify(context.Background(), oldToken).Outcome)
	assert.Equal(t, OutcomeValid, f.verifier.Verify(context.Background(), newToken).Outcome)
	assert.ErrorIs(t, f.trust.RemoveKey(testIssuer, f.ed.kid), ErrNoSuchKey)
}

func TestRemoveIssuerUntrustsItsKeys(t *testing.T) {
	f := newFixture(t)
	token := sign(t, claims(), f.ed)
	require.NoError(t, f.trust.RemoveIssuer(testIssuer))
	assert.Equal(t, OutcomeUnknownKey, f.verifier.Verify(context.Background(), token).Outcome)
	assert.Equal(t, []string{otherIssuer}, f.trust.Issuers())
	assert.ErrorIs(t, f.trust.RemoveIssuer(testIssuer), ErrNoSuchIssuer)
}

func TestAddIssuerRejectsUnsafeJWKS(t *testing.T) {
	ed := newEdKey(t, 1)
	ec := newECKey(t, 2)
	pub := func(k *testKey, change func(m map[string]any)) string {
		var m map[string]any
		require.NoError(t, json.Unmarshal(k.publicJWK(t), &m))
		change(m)
		out, err := json.Marshal(m)
		require.NoError(t, err)
		return string(out)
	}
	privEd, err := jwk.Import(ed.ed)
	require.NoError(t, err)
	require.NoError(t, privEd.Set(jwk.KeyIDKey, ed.kid))
	require.NoError(t, privEd.Set(jwk.AlgorithmKey, "EdDSA"))
	privJSON, err := json.Marshal(privEd)
	require.NoError(t, err)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	j384, err := jwk.Import(&p384.PublicKey)
	require.NoError(t, err)
	require.NoError(t, j384.Set(jwk.KeyIDKey, "p384"))
	require.NoError(t, j384.Set(jwk.AlgorithmKey, "ES256"))
	p384JSON, err := json.Marshal(j384)
	require.NoError(t, err)

	cases := map[string]string{
		"not JSON":                  `nope`,
		"empty set":                 `{"keys":[]}`,
		"private key":               `{"keys":[` + string(privJSON) + `]}`,
		"symmetric key":             `{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"s","alg":"HS256"}]}`,
		"use enc":                   `{"keys":[` + pub(ed, func(m map[string]any) { m["use"] = "enc" }) + `]}`,
		"key_ops without verify":    `{"keys":[` + pub(ed, func(m map[string]any) { m["key_ops"] = []string{"encrypt"} }) + `]}`,
		"no alg":                    `{"keys":[` + pub(ed, func(m map[string]any) { delete(m, "alg") }) + `]}`,
		"no kid":                    `{"keys":[` + pub(ed, func(m map[string]any) { delete(m, "kid") }) + `]}`,
		"alg none":                  `{"keys":[` + pub(ed, func(m map[string]any) { m["alg"] = "none" }) + `]}`,
		"EdDSA alg on a P-256 key":  `{"keys":[` + pub(ec, func(m map[string]any) { m["alg"] = "EdDSA" }) + `]}`,
		"ES256 alg on an Ed25519":   `{"keys":[` + pub(ed, func(m map[string]any) { m["alg"] = "ES256" }) + `]}`,
		"ES256 alg on a P-384 key":  `{"keys":[` + string(p384JSON) + `]}`,
		"one good, one private key": `{"keys":[` + string(ec.publicJWK(t)) + `,` + string(privJSON) + `]}`,
	}
	for name, jwks := range cases {
		t.Run(name, func(t *testing.T) {
			trust := NewTrust()
			assert.ErrorIs(t, trust.AddIssuer(testIssuer, []byte(jwks)), ErrInvalidJWKS)
			assert.Empty(t, trust.Issuers(), "nothing may be added from a refused JWKS")
		})
	}
}

func TestAddIssuerRefusesKidOfAnotherIssuerButAcceptsRepeat(t *testing.T) {
	f := newFixture(t)
	jwks, err := keys.JWKS(f.ed.publicJWK(t))
	require.NoError(t, err)
	assert.ErrorIs(t, f.trust.AddIssuer(otherIssuer, jwks), ErrKeyConflict)
	assert.NoError(t, f.trust.AddIssuer(testIssuer, jwks), "re-adding the same key is a no-op")

	liar := newEdKey(t, 8)
	liar.kid = f.ed.kid
	jwks, err = keys.JWKS(liar.publicJWK(t))
	require.NoError(t, err)
	assert.ErrorIs(t, f.trust.AddIssuer(testIssuer, jwks), ErrKeyConflict)
	assert.ElementsMatch(t, []string{f.ec.kid, f.ed.kid}, f.trust.KeyIDs(testIssuer), "a refused add changes nothing")
}

func TestNewRejectsBadOptions(t *testing.T) {
	trust := NewTrust()
	for name, opt := range map[string]Option{
		"negative skew":     WithClockSkew(-time.Second),
		"skew over 5 min":   WithClockSkew(MaxClockSkew + time.Second),
		"zero max size":     WithMaxTokenSize(0),
		"huge max size":     WithMaxTokenSize(1 << 30),
		"nil clock":         WithClock(nil),
		"nil statuschecker": WithStatusChecker(nil),
	} {
		_, err := New(trust, opt)
		assert.ErrorIs(t, err, ErrInvalidOption, name)
	}
	_, err := New(nil)
	assert.ErrorIs(t, err, ErrInvalidOption)
}

func TestClockSkewOptionChangesLeeway(t *testing.T) {
	f := newFixture(t, WithClockSkew(0))
	c := claims()
	c.Exp = testNow.Add(-time.Second).Unix()
	res := f.verifier.Verify(context.Background(), signRaw(t, f.ed, stdHeader(f.ed), payloadJSON(t, c, nil)))
	assert.Equal(t, OutcomeExpired, res.Outcome)

	f = newFixture(t, WithClockSkew(5*time.Minute))
	c.Exp = testNow.Add(-4 * time.Minute).Unix()
	res = f.verifier.Verify(context.Background(), signRaw(t, f.ed, stdHeader(f.ed), payloadJSON(t, c, nil)))
	assert.Equal(t, OutcomeValid, res.Outcome)
}

func TestMaxTokenSizeIsCheckedBeforeParsing(t *testing.T) {
	f := newFixture(t, WithMaxTokenSize(100))
	res := f.verifier.Verify(context.Background(), sign(t, claims(), f.ed))
	assert.Equal(t, OutcomeTooLarge, res.Outcome)
	res = f.verifier.Verify(context.Background(), strings.Repeat(" ", 101))
	assert.Equal(t, OutcomeTooLarge, res.Outcome, "size comes before the whitespace check")
}

// fakeStatus is a StatusChecker that answers from a table.
type fakeStatus struct {
	info  StatusInfo
	err   error
	calls int
	got   credential.StatusListRef
}

func (s *fakeStatus) CheckStatus(_ context.Context, issuer string, ref credential.StatusListRef) (StatusInfo, error) {
	s.calls++
	s.got = ref
	return s.info, s.err
}

func TestStatusStep(t *testing.T) {
	listTime := testNow.Add(-time.Hour)
	cases := []struct {
		name string
		fake fakeStatus
		want Outcome
	}{
		{"valid", fakeStatus{info: StatusInfo{Status: StatusValid, ListIssuedAt: listTime}}, OutcomeValid},
		{"valid but stale list", fakeStatus{info: StatusInfo{Status: StatusValid, Stale: true}}, OutcomeValid},
		{"suspended", fakeStatus{info: StatusInfo{Status: StatusSuspended, ListIssuedAt: listTime}}, OutcomeSuspended},
		{"revoked", fakeStatus{info: StatusInfo{Status: StatusRevoked}}, OutcomeRevoked},
		{"unknown", fakeStatus{info: StatusInfo{Status: StatusUnknown}}, OutcomeStatusUnknown},
		{"nonsense status", fakeStatus{info: StatusInfo{Status: "fine"}}, OutcomeStatusUnknown},
		{"checker error", fakeStatus{err: errors.New("no list cached")}, OutcomeStatusUnknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := tc.fake
			f := newFixture(t, WithStatusChecker(&fake))
			c := claims()
			res := f.verifier.Verify(context.Background(), sign(t, c, f.ed))
			assert.Equal(t, tc.want, res.Outcome, res.Reason)
			assert.True(t, res.Status.Checked)
			assert.Equal(t, 1, fake.calls)
			assert.Equal(t, c.Status.StatusList, fake.got)
			assert.NotNil(t, res.Claims)
			if tc.fake.err != nil {
				assert.ErrorIs(t, res.Err(), tc.fake.err, "the checker's error is kept as the cause")
			}
		})
	}
}

func TestStatusCheckerRunsOnlyAfterSignatureAndClaimsPass(t *testing.T) {
	fake := &fakeStatus{info: StatusInfo{Status: StatusValid}}
	f := newFixture(t, WithStatusChecker(fake))
	expired := claims()
	expired.Exp = testNow.Add(-time.Hour).Unix()
	f.verifier.Verify(context.Background(), signRaw(t, f.ed, stdHeader(f.ed), payloadJSON(t, expired, nil)))
	f.verifier.Verify(context.Background(), sign(t, claims(), f.untrusted))
	assert.Zero(t, fake.calls)
}

// A credential with no status entry cannot have its status checked, so it
// is never valid: a forger holding a register key (or an old credential)
// would otherwise escape every suspension.
func TestCredentialWithoutStatusIsNotValid(t *testing.T) {
	fake := &fakeStatus{info: StatusInfo{Status: StatusValid}}
	f := newFixture(t, WithStatusChecker(fake))
	c := claims()
	c.Status = nil
	res := f.verifier.Verify(context.Background(), sign(t, c, f.ed))
	assert.Equal(t, OutcomeStatusNotChecked, res.Outcome, res.Reason)
	assert.False(t, res.Valid)
	assert.ErrorIs(t, res.Err(), ErrStatusNotChecked)
	assert.Contains(t, res.Reason, "no status entry")
	assert.False(t, res.Status.Checked)
	assert.Zero(t, fake.calls)

	nullStatus := signRaw(t, f.ed, stdHeader(f.ed), payloadJSON(t, claims(), func(m map[string]any) { m["status"] = nil }))
	res = f.verifier.Verify(context.Background(), nullStatus)
	assert.Equal(t, OutcomeStatusNotChecked, res.Outcome, "status: null is no status: %s", res.Reason)
}

func TestCredentialWithoutStatusFromStatusRequiringIssuerIsRefused(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.trust.RequireStatus(testIssuer))
	for name, tok := range map[string]string{
		"no status":   signRaw(t, f.ed, stdHeader(f.ed), payloadJSON(t, claims(), func(m map[string]any) { delete(m, "status") })),
		"status null": signRaw(t, f.ed, stdHeader(f.ed), payloadJSON(t, claims(), func(m map[string]any) { m["status"] = nil })),
	} {
		res := f.verifier.Verify(context.Background(), tok)
		assert.Equal(t, OutcomeMissingClaim, res.Outcome, "%s: %s", name, res.Reason)
		assert.Contains(t, res.Reason, "states that all its credentials carry one")
	}
	// The requirement is the issuer's own: another issuer's credential
	// without status is not checked, not refused.
	c := claims()
	c.Iss, c.Issuer, c.Status = otherIssuer, otherIssuer, nil
	res := f.verifier.Verify(context.Background(), sign(t, c, f.other))
	assert.Equal(t, OutcomeStatusNotChecked, res.Outcome, res.Reason)
	assert.ErrorIs(t, f.trust.RequireStatus("https://nobody.example"), ErrNoSuchIssuer)
}

func TestWithoutAStatusCheckerNothingIsValid(t *testing.T) {
	f := newFixture(t)
	for name, opt := range map[string][]Option{
		"no checker":             nil,
		"signature-only asked":   {WithoutStatusCheck()},
		"checker then no-status": {WithStatusChecker(statusAlwaysValid{}), WithoutStatusCheck()},
	} {
		v, err := New(f.trust, append([]Option{WithClock(func() time.Time { return testNow })}, opt...)...)
		require.NoError(t, err)
		res := v.Verify(context.Background(), sign(t, claims(), f.ed))
		assert.Equal(t, OutcomeStatusNotChecked, res.Outcome, name)
		assert.False(t, res.Valid, name)
		assert.NotNil(t, res.Claims, "%s: the claims are shown, the signature verified", name)
		assert.Contains(t, res.Reason, "status was not checked", name)
		if len(opt) > 0 {
			assert.Contains(t, res.Reason, "signature-only check was asked for", name)
		}
	}
}

func TestTrustChangesDuringVerificationAreSafe(t *testing.T) {
	f := newFixture(t)
	token := sign(t, claims(), f.ed)
	extra := newEdKey(t, 6)
	jwks, err := keys.JWKS(extra.publicJWK(t))
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			assert.NoError(t, f.trust.AddIssuer(testIssuer, jwks))
			assert.NoError(t, f.trust.RemoveKey(testIssuer, extra.kid))
		}
	}()
	for range 200 {
		assert.Equal(t, OutcomeValid, f.verifier.Verify(context.Background(), token).Outcome)
	}
	<-done
}
