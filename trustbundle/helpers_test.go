package trustbundle

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/credential/credentialtest"
	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/statuslist"
)

// testNow is the fixed time of every test.
var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

const (
	testIssuer  = credentialtest.Issuer
	testListURI = testIssuer + "/status/1"
	// listSize is the size of test lists: the register's.
	listSize = statuslist.RecommendedSize
)

// signer is what signs tokens in tests: a *keys.Key, or a key made to
// claim another's kid.
type signer interface {
	KeyID() string
	Algorithm() string
	Sign([]byte) ([]byte, error)
}

// forgedKid signs with its own key under someone else's kid.
type forgedKid struct {
	*keys.Key
	kid string
}

func (f forgedKid) KeyID() string { return f.kid }

// newKey generates a key with the keys package and returns it with a
// JWKS holding its public half.
func newKey(t testing.TB) (*keys.Key, []byte) {
	k, err := keys.Generate(keys.AlgEdDSA)
	require.NoError(t, err)
	pub, err := k.PublicJWK()
	require.NoError(t, err)
	jwks, err := keys.JWKS(pub)
	require.NoError(t, err)
	return k, jwks
}

// newList returns a 2-bit list of listSize entries with the given entries
// set.
func newList(t testing.TB, set map[int]uint8) *statuslist.List {
	l, err := statuslist.New(2, listSize)
	require.NoError(t, err)
	for idx, v := range set {
		require.NoError(t, l.Set(idx, v))
	}
	return l
}

// stressList is the benchmark workload of package statuslist: 1% of the
// entries set at random to revoked or suspended, with a fixed seed.
func stressList(t testing.TB) *statuslist.List {
	l := newList(t, nil)
	r := rand.New(rand.NewPCG(1, 2))
	for range listSize / 100 {
		require.NoError(t, l.Set(r.IntN(listSize), uint8(1+r.IntN(2))))
	}
	return l
}

// listClaims returns the claims of a token for uri over l, issued at
// iat with ttl one hour (the register's default is 5 minutes; an hour
// keeps these tests' ages simple) and exp 36 hours, as the register writes.
func listClaims(t testing.TB, uri string, l *statuslist.List, iat time.Time) statuslist.TokenClaims {
	c, err := l.Claim()
	require.NoError(t, err)
	return statuslist.TokenClaims{
		Subject: uri, Issuer: testIssuer, IssuedAt: iat, Expiry: iat.Add(36 * time.Hour), TTL: time.Hour, StatusList: &c,
	}
}

// signList signs claims as a Status List Token with k: header
// {"alg","kid","typ":"statuslist+jwt"} and the claims' JSON.
func signList(t testing.TB, k signer, claims statuslist.TokenClaims) string {
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	header, err := json.Marshal(map[string]string{"alg": k.Algorithm(), "kid": k.KeyID(), "typ": "statuslist+jwt"})
	require.NoError(t, err)
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	sig, err := k.Sign([]byte(input))
	require.NoError(t, err)
	return input + "." + enc.EncodeToString(sig)
}

// fixture is a register's root key, signing key and a bundle it made.
type fixture struct {
	root   *keys.Key
	key    *keys.Key
	jwks   []byte
	bundle *Bundle
}

// newFixture makes a bundle with one list, issued at iat, with the given
// entries set.
func newFixture(t testing.TB, set map[int]uint8, iat time.Time) *fixture {
	f := &fixture{}
	f.root, _ = newKey(t)
	f.key, f.jwks = newKey(t)
	f.bundle = f.makeBundle(t, signList(t, f.key, listClaims(t, testListURI, newList(t, set), iat)))
	return f
}

// statement returns the fixture's trust statement at sequence 1, signed a
// minute before testNow, trusting f.jwks, after change edits it.
func (f *fixture) statement(t testing.TB, change func(st *Statement)) *Statement {
	rootJWK, err := f.root.PublicJWK()
	require.NoError(t, err)
	st := &Statement{
		Issuer: testIssuer, Seq: 1, IssuedAt: testNow.Add(-time.Minute).Unix(), Root: rootJWK, Keys: f.jwks,
		Retired:  []RetiredKey{},
		Metadata: Metadata{Issuer: testIssuer, JWKSURI: testIssuer + "/.well-known/jwks.json", CredentialsCarryStatus: true},
	}
	if change != nil {
		change(st)
	}
	return st
}

// sign signs st with the fixture's root key.
func (f *fixture) sign(t testing.TB, st *Statement) string {
	tok, err := SignStatement(st, f.root)
	require.NoError(t, err)
	return tok
}

// makeBundle returns a bundle of f's issuer with f's statement, holding
// one list token at testListURI.
func (f *fixture) makeBundle(t testing.TB, token string) *Bundle {
	return f.bundleWith(t, f.statement(t, nil), token)
}

// bundleWith returns a bundle with statement st, signed by f's root, and
// one list token at testListURI.
func (f *fixture) bundleWith(t testing.TB, st *Statement, token string) *Bundle {
	return &Bundle{
		Format: Format, Issuer: testIssuer, Statement: f.sign(t, st),
		StatusLists: []StatusList{{URI: testListURI, Token: token}},
		CreatedAt:   testNow.Add(-time.Minute),
	}
}

// marshal encodes b the way the register serves it.
func marshal(t testing.TB, b *Bundle) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(b))
	return buf.Bytes()
}

// credentialToken signs the sample credential with k, pointing at entry
// idx of the test list.
func credentialToken(t testing.TB, k signer, idx uint64) string {
	c := credentialtest.Claims(testNow.Add(-time.Hour))
	c.Status = &credential.Status{StatusList: credential.StatusListRef{Idx: idx, URI: testListURI}}
	token, err := credential.Sign(c, k)
	require.NoError(t, err)
	return token
}

// bombLst returns an lst that is a valid ZLIB stream of n zero bytes.
func bombLst(t testing.TB, n int) string {
	var buf bytes.Buffer
	zw, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	require.NoError(t, err)
	zeros := make([]byte, 1<<20)
	for written := 0; written < n; written += len(zeros) {
		_, err := zw.Write(zeros[:min(len(zeros), n-written)])
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return base64.RawURLEncoding.EncodeToString(buf.Bytes())
}

// refOf is a status reference to entry idx of uri.
func refOf(uri string, idx uint64) credential.StatusListRef {
	return credential.StatusListRef{URI: uri, Idx: idx}
}
