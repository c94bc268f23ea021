package trustbundle

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/statuslist"
	"github.com/nalw/linkpass/verifier"
)

const (
	idxValid     = 4217
	idxRevoked   = 17
	idxSuspended = 900_001
	idxValue3    = 5
)

// entries are the statuses of the end-to-end list.
var entries = map[int]uint8{idxRevoked: statuslist.Invalid, idxSuspended: statuslist.Suspended, idxValue3: 3}

// verifierAt returns a verifier trusting c's Trust, checking status with
// c's StatusChecker under opts, with both clocks at now.
func verifierAt(t *testing.T, c *Checked, now time.Time, opts ...verifier.StatusOption) *verifier.Verifier {
	sc, err := c.StatusChecker(append([]verifier.StatusOption{verifier.WithStatusClock(func() time.Time { return now })}, opts...)...)
	require.NoError(t, err)
	v, err := verifier.New(c.Trust, verifier.WithClock(func() time.Time { return now }), verifier.WithStatusChecker(sc))
	require.NoError(t, err)
	return v
}

// checkedFromFile runs a bundle through the offline path: marshal, Parse,
// Check.
func checkedFromFile(t *testing.T, b *Bundle, now time.Time) *Checked {
	parsed, err := Parse(marshal(t, b))
	require.NoError(t, err)
	c, err := parsed.Check(now)
	require.NoError(t, err)
	return c
}

func TestBundleEndToEndValidSuspendedRevoked(t *testing.T) {
	f := newFixture(t, entries, testNow.Add(-10*time.Minute))
	c := checkedFromFile(t, f.bundle, testNow)
	v := verifierAt(t, c, testNow)

	for idx, want := range map[uint64]verifier.Outcome{
		idxValid:     verifier.OutcomeValid,
		idxRevoked:   verifier.OutcomeRevoked,
		idxSuspended: verifier.OutcomeSuspended,
		idxValue3:    verifier.OutcomeStatusUnknown,
	} {
		res := v.Verify(t.Context(), credentialToken(t, f.key, idx))
		assert.Equal(t, want, res.Outcome, "entry %d: %s", idx, res.Reason)
		assert.True(t, res.Status.Checked)
		assert.False(t, res.Status.Stale)
		assert.Equal(t, testNow.Add(-10*time.Minute).Unix(), res.Status.ListIssuedAt.Unix())
	}
}

func TestCheckedDescribesItsLists(t *testing.T) {
	iat := testNow.Add(-10 * time.Minute)
	f := newFixture(t, nil, iat)
	c := checkedFromFile(t, f.bundle, testNow)
	assert.Equal(t, testIssuer, c.Issuer())
	assert.True(t, c.CreatedAt().Equal(f.bundle.CreatedAt))
	assert.Equal(t, []ListInfo{{URI: testListURI, IssuedAt: iat, Expiry: iat.Add(36 * time.Hour), TTL: time.Hour, Entries: listSize}}, c.Lists())
	assert.Equal(t, []string{testIssuer}, c.Trust.Issuers())
	assert.Equal(t, []string{f.key.KeyID()}, c.Trust.KeyIDs(testIssuer))
}

// flipPayloadChar changes one character of a token's payload to another
// base64url character, keeping the encoding valid.
func flipPayloadChar(token string) string {
	dot := strings.IndexByte(token, '.')
	i := dot + 10
	c := byte('A')
	if token[i] == 'A' {
		c = 'B'
	}
	return token[:i] + string(c) + token[i+1:]
}

// TestCheckRejectsTamperedAndForgedBundles: whatever was done to the
// bundle, Check fails, naming the status list and the verifier's reason.
func TestCheckRejectsTamperedAndForgedBundles(t *testing.T) {
	f := newFixture(t, entries, testNow)
	good := f.bundle.StatusLists[0].Token
	attacker, attackerJWKS := newKey(t)
	l := newList(t, nil)

	cases := []struct {
		name   string
		change func(b *Bundle)
		want   []error
	}{
		{"a byte of the list token changed", func(b *Bundle) {
			b.StatusLists[0].Token = flipPayloadChar(good)
		}, []error{ErrStatusList, verifier.ErrStatusListSignature}},
		{"a byte of the signature changed", func(b *Bundle) {
			sig := good[strings.LastIndexByte(good, '.')+1:]
			raw, _ := base64.RawURLEncoding.DecodeString(sig)
			raw[0] ^= 1
			b.StatusLists[0].Token = good[:strings.LastIndexByte(good, '.')+1] + base64.RawURLEncoding.EncodeToString(raw)
		}, []error{ErrStatusList, verifier.ErrStatusListSignature}},
		{"the statement's keys swapped by whoever serves it", func(b *Bundle) {
			b.Statement = swapPayload(t, b.Statement, f.statement(t, func(st *Statement) { st.Keys = attackerJWKS }))
		}, []error{ErrStatement, verifier.ErrPinnedJWS}},
		{"a statement signed by another key under the root's kid", func(b *Bundle) {
			tok, err := SignStatement(f.statement(t, func(st *Statement) { st.Keys = attackerJWKS }), forgedKid{attacker, f.root.KeyID()})
			require.NoError(t, err)
			b.Statement = tok
		}, []error{ErrStatement, verifier.ErrPinnedJWS}},
		{"a statement for another issuer", func(b *Bundle) {
			b.Statement = f.sign(t, f.statement(t, func(st *Statement) { st.Issuer = "https://evil.example" }))
		}, []error{ErrStatement}},
		{"a statement dated in the future", func(b *Bundle) {
			b.Statement = f.sign(t, f.statement(t, func(st *Statement) { st.IssuedAt = testNow.Add(time.Hour).Unix() }))
		}, []error{ErrStatement}},
		{"a key both trusted and retired", func(b *Bundle) {
			b.Statement = f.sign(t, f.statement(t, func(st *Statement) { st.Retired = []RetiredKey{{KID: f.key.KeyID()}} }))
		}, []error{ErrStatement}},
		{"the root also a signing key", func(b *Bundle) {
			pub, err := f.root.PublicJWK()
			require.NoError(t, err)
			set, err := keys.JWKS(pub)
			require.NoError(t, err)
			b.Statement = f.sign(t, f.statement(t, func(st *Statement) { st.Keys = set }))
		}, []error{ErrStatement}},
		{"a status list in place of the statement", func(b *Bundle) {
			b.Statement = good
		}, []error{ErrStatement}},
		{"a list signed by the root key", func(b *Bundle) {
			b.StatusLists[0].Token = signList(t, f.root, listClaims(t, testListURI, l, testNow))
		}, []error{ErrStatusList, verifier.ErrStatusListKey}},
		{"a list signed by another key under the same kid", func(b *Bundle) {
			b.StatusLists[0].Token = signList(t, forgedKid{attacker, f.key.KeyID()}, listClaims(t, testListURI, l, testNow))
		}, []error{ErrStatusList, verifier.ErrStatusListSignature}},
		{"a list signed by an unknown key", func(b *Bundle) {
			b.StatusLists[0].Token = signList(t, attacker, listClaims(t, testListURI, l, testNow))
		}, []error{ErrStatusList, verifier.ErrStatusListKey}},
		{"a list whose sub is not its uri", func(b *Bundle) {
			b.StatusLists[0].Token = signList(t, f.key, listClaims(t, testIssuer+"/status/2", l, testNow))
		}, []error{ErrStatusList, verifier.ErrStatusListSubject}},
		{"a list of another list's uri", func(b *Bundle) {
			b.StatusLists[0].URI = testIssuer + "/status/2"
		}, []error{ErrStatusList, verifier.ErrStatusListSubject}},
		{"a list uri not under the issuer", func(b *Bundle) {
			b.StatusLists[0].URI = "https://evil.example/status/1"
		}, []error{ErrInvalid}},
		{"a list uri escaping the issuer's path", func(b *Bundle) {
			b.StatusLists[0].URI = testIssuer + "/../status/1"
		}, []error{ErrStatusList, verifier.ErrStatusListURI}},
		{"a decompression bomb in a correctly signed list", func(b *Bundle) {
			c := listClaims(t, testListURI, l, testNow)
			c.StatusList = &statuslist.Claim{Bits: 2, Lst: bombLst(t, 64<<20)}
			b.StatusLists[0].Token = signList(t, f.key, c)
		}, []error{ErrStatusList, verifier.ErrStatusListTooLarge}},
		{"a list issued in the future", func(b *Bundle) {
			b.StatusLists[0].Token = signList(t, f.key, listClaims(t, testListURI, l, testNow.Add(time.Hour)))
		}, []error{ErrStatusList, verifier.ErrStatusListNotYetValid}},
		{"a credential in place of a list", func(b *Bundle) {
			b.StatusLists[0].Token = credentialToken(t, f.key, 1)
		}, []error{ErrStatusList, verifier.ErrStatusListType}},
		{"a private key in the statement's keys", func(b *Bundle) {
			var set struct{ Keys []map[string]any }
			require.NoError(t, json.Unmarshal(f.jwks, &set))
			set.Keys[0]["d"] = base64.RawURLEncoding.EncodeToString(make([]byte, 32))
			raw, _ := json.Marshal(set)
			b.Statement = f.sign(t, f.statement(t, func(st *Statement) { st.Keys = raw }))
		}, []error{ErrKeys, verifier.ErrInvalidJWKS}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := *f.bundle
			b.StatusLists = append([]StatusList(nil), f.bundle.StatusLists...)
			tc.change(&b)
			c, err := b.Check(testNow)
			for _, want := range tc.want {
				require.ErrorIs(t, err, want)
			}
			assert.Nil(t, c)
		})
	}
}

// TestForgedBundleCannotValidateRealCredentials: an attacker who makes a
// whole bundle of their own (their own root, keys and lists) gets one
// that checks on its own, but that trusts only the attacker: the
// register's credentials are then unknown, never valid; and a verifier
// given the register's anchor, or holding its bundle, refuses it.
func TestForgedBundleCannotValidateRealCredentials(t *testing.T) {
	f := newFixture(t, entries, testNow)
	attacker, attackerJWKS := newKey(t)
	evil := &fixture{key: attacker, jwks: attackerJWKS}
	evil.root, _ = newKey(t)
	forged := evil.bundleWith(t, evil.statement(t, nil), signList(t, attacker, listClaims(t, testListURI, newList(t, nil), testNow)))
	c := checkedFromFile(t, forged, testNow)

	res := verifierAt(t, c, testNow).Verify(t.Context(), credentialToken(t, f.key, idxRevoked))
	assert.Equal(t, verifier.OutcomeUnknownKey, res.Outcome)

	_, err := forged.Check(testNow, WithAnchor(f.root.KeyID()))
	assert.ErrorIs(t, err, ErrStatement, "the configured anchor is not the forger's root")
	held, err := f.bundle.Check(testNow)
	require.NoError(t, err)
	assert.ErrorIs(t, c.Follows(held, ""), ErrRootChanged, "the pinned root is not the forger's root")
}

// swapPayload puts st's JSON in place of token's payload, keeping its
// header and signature: what a mirror editing a bundle can do.
func swapPayload(t *testing.T, token string, st *Statement) string {
	raw, err := json.Marshal(st)
	require.NoError(t, err)
	parts := strings.Split(token, ".")
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(raw) + "." + parts[2]
}

func TestStatusCheckerNeverAnswersValidForWhatItCannotVouchFor(t *testing.T) {
	f := newFixture(t, entries, testNow)
	c := checkedFromFile(t, f.bundle, testNow)
	sc, err := c.StatusChecker(verifier.WithStatusClock(func() time.Time { return testNow }))
	require.NoError(t, err)

	cases := []struct {
		name   string
		issuer string
		uri    string
		idx    uint64
		want   error
	}{
		{"index just past the end", testIssuer, testListURI, listSize, verifier.ErrStatusIndexOutOfRange},
		{"index far out of range", testIssuer, testListURI, 1 << 62, verifier.ErrStatusIndexOutOfRange},
		{"a list the bundle does not hold", testIssuer, testIssuer + "/status/2", 1, verifier.ErrStatusListNotFound},
		{"another issuer", "https://register.other.example", "https://register.other.example/status/1", 1, verifier.ErrStatusListIssuer},
		{"another issuer naming our list", "https://register.other.example", testListURI, 1, verifier.ErrStatusListIssuer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			info, err := sc.CheckStatus(t.Context(), tc.issuer, refOf(tc.uri, tc.idx))
			require.ErrorIs(t, err, tc.want)
			assert.Equal(t, verifier.StatusUnknown, info.Status)
		})
	}

	res := verifierAt(t, c, testNow).Verify(t.Context(), credentialToken(t, f.key, listSize))
	assert.Equal(t, verifier.OutcomeStatusUnknown, res.Outcome)
	assert.ErrorIs(t, res.Err(), verifier.ErrStatusIndexOutOfRange)
}

func TestStatusCheckerStaleness(t *testing.T) {
	iat := testNow
	f := newFixture(t, entries, iat) // ttl 1 h, exp iat+36 h
	c := checkedFromFile(t, f.bundle, testNow)

	cases := []struct {
		name   string
		age    time.Duration
		opts   []verifier.StatusOption
		want   verifier.Outcome
		stale  bool
		reason string
		err    error
	}{
		{name: "fresh", age: 30 * time.Minute, want: verifier.OutcomeRevoked},
		{name: "past ttl: answered, as of iat", age: 3 * time.Hour, want: verifier.OutcomeRevoked, stale: true, reason: "status as of 2026-06-01 12:00 UTC"},
		{name: "past max age: could not check", age: 25 * time.Hour, want: verifier.OutcomeStatusUnknown, stale: true, err: verifier.ErrStatusListTooOld},
		{name: "past max age, allow stale", age: 25 * time.Hour, opts: []verifier.StatusOption{verifier.WithAllowStale()},
			want: verifier.OutcomeRevoked, stale: true, reason: "25 hours ago"},
		{name: "within a longer max age", age: 30 * time.Hour, opts: []verifier.StatusOption{verifier.WithMaxAge(48 * time.Hour)},
			want: verifier.OutcomeRevoked, stale: true, reason: "status as of"},
		{name: "past a shorter max age", age: 90 * time.Minute, opts: []verifier.StatusOption{verifier.WithMaxAge(time.Hour)},
			want: verifier.OutcomeStatusUnknown, stale: true, err: verifier.ErrStatusListTooOld},
		{name: "past exp: could not check", age: 40 * time.Hour, opts: []verifier.StatusOption{verifier.WithMaxAge(72 * time.Hour)},
			want: verifier.OutcomeStatusUnknown, stale: true, err: verifier.ErrStatusListExpired},
		{name: "past exp, allow stale", age: 40 * time.Hour, opts: []verifier.StatusOption{verifier.WithAllowStale()},
			want: verifier.OutcomeRevoked, stale: true, reason: "the list expired at 2026-06-03 00:00 UTC"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := iat.Add(tc.age)
			res := verifierAt(t, c, now, tc.opts...).Verify(t.Context(), credentialToken(t, f.key, idxRevoked))
			assert.Equal(t, tc.want, res.Outcome, res.Reason)
			assert.Equal(t, tc.stale, res.Status.Stale)
			if tc.err != nil {
				assert.ErrorIs(t, res.Err(), tc.err)
			}
			if tc.reason != "" {
				assert.Contains(t, res.Reason, tc.reason)
			}

			// A valid entry under the same policy: valid only if answered.
			res = verifierAt(t, c, now, tc.opts...).Verify(t.Context(), credentialToken(t, f.key, idxValid))
			assert.Equal(t, tc.err == nil, res.Valid, res.Reason)
			if res.Valid && tc.stale {
				assert.Contains(t, res.Reason, "status as of")
			}
		})
	}
}

func TestCheckAcceptsAnExpiredListForThePolicyToJudge(t *testing.T) {
	f := newFixture(t, entries, testNow.Add(-40*time.Hour))
	c := checkedFromFile(t, f.bundle, testNow)

	res := verifierAt(t, c, testNow).Verify(t.Context(), credentialToken(t, f.key, idxValid))
	assert.Equal(t, verifier.OutcomeStatusUnknown, res.Outcome, "past exp: no answer by default")
	res = verifierAt(t, c, testNow, verifier.WithAllowStale()).Verify(t.Context(), credentialToken(t, f.key, idxValid))
	assert.True(t, res.Valid, res.Reason)
	assert.True(t, res.Status.Stale)
}

func TestStatusCheckerRefusesBadOptions(t *testing.T) {
	f := newFixture(t, nil, testNow)
	c := checkedFromFile(t, f.bundle, testNow)
	_, err := c.StatusChecker(verifier.WithMaxAge(-time.Second))
	assert.ErrorIs(t, err, verifier.ErrInvalidOption)
	sc, err := c.StatusChecker(verifier.WithMaxAge(time.Hour), verifier.WithAllowStale())
	require.NoError(t, err)
	assert.Equal(t, time.Hour, sc.Policy().MaxAge())
	assert.True(t, sc.Policy().AllowStale())
}

// TestCheckedReadsTheRegistersQualityMarkStanding checks the statement's
// metadata: the standing when present, nil when absent; and that a mirror
// cannot change it.
func TestCheckedReadsTheRegistersQualityMarkStanding(t *testing.T) {
	f := newFixture(t, nil, testNow)
	held := &QualityMarkStanding{Scheme: "PSA Accredited Registers", Held: true, Until: "2027-06-30", AsOf: time.Date(2026, 5, 24, 10, 0, 0, 0, time.UTC)}
	for name, want := range map[string]*QualityMarkStanding{"present": held, "absent": nil} {
		t.Run(name, func(t *testing.T) {
			b := *f.bundle
			b.Statement = f.sign(t, f.statement(t, func(st *Statement) { st.Metadata.QualityMark = want }))
			c, err := b.Check(testNow)
			require.NoError(t, err)
			assert.Equal(t, want, c.QualityMark())
		})
	}
	withdrawn := *held
	withdrawn.Held = false
	b := *f.bundle
	b.Statement = swapPayload(t, f.sign(t, f.statement(t, func(st *Statement) { st.Metadata.QualityMark = held })),
		f.statement(t, func(st *Statement) { st.Metadata.QualityMark = &withdrawn }))
	_, err := b.Check(testNow)
	assert.ErrorIs(t, err, ErrStatement, "the standing is signed: a mirror cannot change it")
}
