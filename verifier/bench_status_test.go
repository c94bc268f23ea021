package verifier

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/statuslist"
)

// memoryTransport serves one Status List Token from memory, so that an
// Online checker can be benchmarked at the register's real URL with no
// network.
type memoryTransport struct{ token string }

func (m memoryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {StatusListMediaType}},
		Body:       io.NopCloser(strings.NewReader(m.token)),
		Request:    req,
	}, nil
}

// warmOnline returns an Online checker for the sample list (2^20 entries,
// 1% set) that has fetched and decoded it once.
func warmOnline(b *testing.B, f *fixture) *Online {
	l, err := statuslist.New(2, statuslist.RecommendedSize)
	require.NoError(b, err)
	for i := 0; i < l.Len(); i += 100 {
		require.NoError(b, l.Set(i+1, statuslist.Invalid))
	}
	c, err := l.Claim()
	require.NoError(b, err)
	token := signList(b, f.ed, statuslist.TokenClaims{
		Subject: testListURI, Issuer: testIssuer, IssuedAt: testNow.Add(-time.Minute), Expiry: testNow.Add(time.Hour), TTL: time.Hour, StatusList: &c,
	})
	o, err := NewOnline(f.trust, WithHTTPClient(&http.Client{Transport: memoryTransport{token}}),
		WithStatusClock(func() time.Time { return testNow }))
	require.NoError(b, err)
	info, err := o.CheckStatus(context.Background(), testIssuer, claims().Status.StatusList)
	require.NoError(b, err)
	require.Equal(b, StatusValid, info.Status)
	return o
}

// BenchmarkVerifyWithStatus is BenchmarkVerify with the status step: the
// Online checker answering from its decoded, cached 2^20-entry list.
// Compare with BenchmarkVerify; the budget for the lookup is 2 µs.
func BenchmarkVerifyWithStatus(b *testing.B) {
	f := newFixture(b)
	o := warmOnline(b, f)
	v, err := New(f.trust, WithClock(func() time.Time { return testNow }), WithStatusChecker(o))
	require.NoError(b, err)
	token := sign(b, claims(), f.ed)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if res := v.Verify(ctx, token); !res.Valid || !res.Status.Checked {
			b.Fatal(res.Reason)
		}
	}
}

// BenchmarkOnlineCheckStatus is the cached lookup alone.
func BenchmarkOnlineCheckStatus(b *testing.B) {
	f := newFixture(b)
	o := warmOnline(b, f)
	ref := claims().Status.StatusList
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if info, err := o.CheckStatus(ctx, testIssuer, ref); err != nil || info.Status != StatusValid {
			b.Fatal(info, err)
		}
	}
}

// BenchmarkVerifyStatusListToken verifies and decodes a 2^20-entry list:
// the cost of each fetch or bundle load, not of a lookup.
func BenchmarkVerifyStatusListToken(b *testing.B) {
	f := newFixture(b)
	l, err := statuslist.New(2, statuslist.RecommendedSize)
	require.NoError(b, err)
	for i := 0; i < l.Len(); i += 100 {
		require.NoError(b, l.Set(i+1, statuslist.Suspended))
	}
	c, err := l.Claim()
	require.NoError(b, err)
	token := signList(b, f.ed, statuslist.TokenClaims{Subject: testListURI, IssuedAt: testNow, StatusList: &c})
	b.SetBytes(int64(len(token)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := VerifyStatusListToken(f.trust, testIssuer, testListURI, token, testNow); err != nil {
			b.Fatal(err)
		}
	}
}
