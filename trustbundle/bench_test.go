package trustbundle

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/verifier"
)

// benchEnv is a checked bundle holding one 2^20-entry list with 1% of its
// entries set (the statuslist stress workload), and a credential pointing
// at a valid entry of it.
type benchEnv struct {
	key     *keys.Key
	bundle  *Bundle
	data    []byte
	checked *Checked
	sc      *StatusChecker
	token   string
	ref     credential.StatusListRef
	f       *fixture
}

func newBenchEnv(b *testing.B) *benchEnv {
	e := &benchEnv{}
	var jwks []byte
	e.key, jwks = newKey(b)
	l := stressList(b)
	idx := 0
	for v, _ := l.Get(idx); v != 0; v, _ = l.Get(idx) {
		idx++
	}
	root, _ := newKey(b)
	f := &fixture{root: root, key: e.key, jwks: jwks}
	e.f = f
	e.bundle = f.makeBundle(b, signList(b, e.key, listClaims(b, testListURI, l, testNow.Add(-10*time.Minute))))
	e.data = marshal(b, e.bundle)
	var err error
	e.checked, err = e.bundle.Check(testNow)
	require.NoError(b, err)
	e.sc, err = e.checked.StatusChecker(verifier.WithStatusClock(func() time.Time { return testNow }))
	require.NoError(b, err)
	e.token = credentialToken(b, e.key, uint64(idx))
	e.ref = refOf(testListURI, uint64(idx))
	return e
}

func (e *benchEnv) verifier(b *testing.B, opts ...verifier.Option) *verifier.Verifier {
	v, err := verifier.New(e.checked.Trust, append([]verifier.Option{verifier.WithClock(func() time.Time { return testNow })}, opts...)...)
	require.NoError(b, err)
	return v
}

// BenchmarkVerify and BenchmarkVerifyWithStatus run side by side on the
// same credential and trust: the difference is the status lookup in the
// bundle's decoded 2^20-entry list, whose budget is 2 µs. (Without a
// checker the credential is valid with "its status was not checked".)
func BenchmarkVerify(b *testing.B) {
	e := newBenchEnv(b)
	v := e.verifier(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if res := v.Verify(ctx, e.token); !res.Valid || res.Status.Checked {
			b.Fatal(res.Reason)
		}
	}
}

func BenchmarkVerifyWithStatus(b *testing.B) {
	e := newBenchEnv(b)
	v := e.verifier(b, verifier.WithStatusChecker(e.sc))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if res := v.Verify(ctx, e.token); !res.Valid || !res.Status.Checked {
			b.Fatal(res.Reason)
		}
	}
}

// BenchmarkCheckStatus is the lookup alone.
func BenchmarkCheckStatus(b *testing.B) {
	e := newBenchEnv(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if info, err := e.sc.CheckStatus(ctx, testIssuer, e.ref); err != nil || info.Status != verifier.StatusValid {
			b.Fatal(info, err)
		}
	}
}

// BenchmarkCheckStatusSystemClock is the lookup with the real clock, as
// deployed: time.Now is part of the cost.
func BenchmarkCheckStatusSystemClock(b *testing.B) {
	e := newBenchEnv(b)
	now := time.Now()
	bundle := e.f.makeBundle(b, signList(b, e.key, listClaims(b, testListURI, stressList(b), now)))
	c, err := bundle.Check(now)
	require.NoError(b, err)
	sc, err := c.StatusChecker()
	require.NoError(b, err)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sc.CheckStatus(ctx, testIssuer, e.ref); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheck is loading a bundle: verifying its list token and
// decoding the 2^20-entry list, done once per sync or start.
func BenchmarkCheck(b *testing.B) {
	e := newBenchEnv(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.bundle.Check(testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse is reading a bundle file's bytes.
func BenchmarkParse(b *testing.B) {
	e := newBenchEnv(b)
	b.SetBytes(int64(len(e.data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(e.data); err != nil {
			b.Fatal(err)
		}
	}
}
