package verifier

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/statuslist"
)

// verifiedList verifies a token of the sample list issued at iat, as a
// checker would hold it.
func verifiedList(t testing.TB, f *fixture, iat time.Time) (*statuslist.TokenClaims, *statuslist.List) {
	token := signList(t, f.ed, listClaims(t, testListURI, iat))
	claims, list, err := VerifyStatusListToken(f.trust, testIssuer, testListURI, token, iat, WithInsecureExpiredStatusList())
	require.NoError(t, err)
	return claims, list
}

func policyAt(t testing.TB, now time.Time, opts ...StatusOption) *StatusPolicy {
	p, err := NewStatusPolicy(append([]StatusOption{WithStatusClock(func() time.Time { return now })}, opts...)...)
	require.NoError(t, err)
	return p
}

func TestLookupMapsStatusValues(t *testing.T) {
	f := newFixture(t)
	iat := testNow.Add(-10 * time.Minute)
	claims, list := verifiedList(t, f, iat)
	p := policyAt(t, testNow)
	for idx, want := range []string{StatusValid, StatusRevoked, StatusSuspended, StatusUnknown} {
		info, err := p.Lookup(claims, list, uint64(idx))
		require.NoError(t, err)
		assert.Equal(t, want, info.Status, "entry %d", idx)
		assert.False(t, info.Stale)
		assert.Equal(t, iat.Unix(), info.ListIssuedAt.Unix())
	}
	info, _ := p.Lookup(claims, list, 3)
	assert.Contains(t, info.Reason, "status value 3")
}

func TestLookupRefusesIndexOutOfRange(t *testing.T) {
	f := newFixture(t)
	claims, list := verifiedList(t, f, testNow)
	p := policyAt(t, testNow)
	for _, idx := range []uint64{1024, 1 << 40, ^uint64(0)} {
		info, err := p.Lookup(claims, list, idx)
		require.ErrorIs(t, err, ErrStatusIndexOutOfRange, "idx %d", idx)
		assert.Equal(t, StatusUnknown, info.Status)
	}
}

func TestLookupStaleness(t *testing.T) {
	f := newFixture(t)
	iat := testNow
	claims, list := verifiedList(t, f, iat) // ttl 1 h, exp 36 h
	const revoked = 1

	cases := []struct {
		name      string
		age       time.Duration
		opts      []StatusOption
		wantErr   error
		wantStale bool
		reason    string
	}{
		{name: "within ttl", age: 30 * time.Minute},
		{name: "past ttl answers, marked stale", age: 2 * time.Hour, wantStale: true, reason: "status as of 2026-06-01 12:00 UTC"},
		{name: "past max age", age: 25 * time.Hour, wantErr: ErrStatusListTooOld, wantStale: true},
		{name: "past a shorter max age", age: 2 * time.Hour, opts: []StatusOption{WithMaxAge(time.Hour)}, wantErr: ErrStatusListTooOld, wantStale: true},
		{name: "within a longer max age", age: 30 * time.Hour, opts: []StatusOption{WithMaxAge(48 * time.Hour)}, wantStale: true, reason: "status as of"},
		{name: "past max age, stale allowed", age: 25 * time.Hour, opts: []StatusOption{WithAllowStale()}, wantStale: true, reason: "25 hours ago, older than the 24 hours allowed"},
		{name: "past exp", age: 37 * time.Hour, opts: []StatusOption{WithMaxAge(72 * time.Hour)}, wantErr: ErrStatusListExpired, wantStale: true},
		{name: "past exp, stale allowed", age: 4 * 24 * time.Hour, opts: []StatusOption{WithAllowStale()}, wantStale: true, reason: "4 days ago; the list expired at 2026-06-03 00:00 UTC"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := policyAt(t, iat.Add(tc.age), tc.opts...)
			info, err := p.Lookup(claims, list, revoked)
			assert.Equal(t, tc.wantStale, info.Stale)
			assert.Equal(t, iat.Unix(), info.ListIssuedAt.Unix())
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Equal(t, StatusUnknown, info.Status, "no answer from a list too old")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, StatusRevoked, info.Status)
			if tc.reason == "" {
				assert.Empty(t, info.Reason)
			} else {
				assert.Contains(t, info.Reason, tc.reason)
			}
		})
	}
}

func TestNewStatusPolicyDefaultsAndRefusals(t *testing.T) {
	p, err := NewStatusPolicy()
	require.NoError(t, err)
	assert.Equal(t, DefaultStatusMaxAge, p.MaxAge())
	assert.False(t, p.AllowStale())

	for name, o := range map[string]StatusOption{
		"zero max age":     WithMaxAge(0),
		"negative max age": WithMaxAge(-time.Hour),
		"nil clock":        WithStatusClock(nil),
	} {
		_, err := NewStatusPolicy(o)
		assert.ErrorIs(t, err, ErrInvalidOption, name)
	}
}

// policyChecker is the smallest StatusChecker over one verified list.
type policyChecker struct {
	p      *StatusPolicy
	claims *statuslist.TokenClaims
	list   *statuslist.List
}

func (c policyChecker) CheckStatus(_ context.Context, _ string, ref credential.StatusListRef) (StatusInfo, error) {
	return c.p.Lookup(c.claims, c.list, ref.Idx)
}

func TestVerifyReportsStaleStatusInItsReason(t *testing.T) {
	f := newFixture(t)
	claims, list := verifiedList(t, f, testNow.Add(-30*time.Hour))
	c := claimsWithIdx(0)

	strict := policyChecker{policyAt(t, testNow), claims, list}
	v, err := New(f.trust, WithClock(func() time.Time { return testNow }), WithStatusChecker(strict))
	require.NoError(t, err)
	res := v.Verify(t.Context(), sign(t, c, f.ed))
	assert.Equal(t, OutcomeStatusUnknown, res.Outcome, "30 hours old, max age 24 h")
	assert.ErrorIs(t, res.Err(), ErrStatusListTooOld)

	lenient := policyChecker{policyAt(t, testNow, WithAllowStale()), claims, list}
	v, err = New(f.trust, WithClock(func() time.Time { return testNow }), WithStatusChecker(lenient))
	require.NoError(t, err)
	res = v.Verify(t.Context(), sign(t, c, f.ed))
	require.True(t, res.Valid, res.Reason)
	assert.True(t, res.Status.Stale)
	assert.Contains(t, res.Reason, "status as of 2026-05-31 06:00 UTC, 30 hours ago")
}

// claimsWithIdx is the sample credential pointing at entry idx of the
// sample list.
func claimsWithIdx(idx uint64) *credential.Claims {
	c := claims()
	c.Status.StatusList = credential.StatusListRef{Idx: idx, URI: testListURI}
	return c
}
