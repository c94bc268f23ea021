package verifier

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/credential/credentialtest"
	"github.com/nalw/linkpass/keys"
)

// testNow is the fixed time of every test verification.
var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

const (
	testIssuer  = credentialtest.Issuer
	otherIssuer = "https://register.other.example"
)

// testKey is a signing key built from fixed bytes, so that the fuzz seed
// corpus holds tokens that stay valid. It implements credential.Signer.
type testKey struct {
	kid string
	alg string
	ed  ed25519.PrivateKey
	ec  *ecdsa.PrivateKey
}

func (k *testKey) KeyID() string     { return k.kid }
func (k *testKey) Algorithm() string { return k.alg }

func (k *testKey) Sign(in []byte) ([]byte, error) {
	if k.ed != nil {
		return ed25519.Sign(k.ed, in), nil
	}
	digest := sha256.Sum256(in)
	r, s, err := ecdsa.Sign(rand.Reader, k.ec, digest[:])
	if err != nil {
		return nil, err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return sig, nil
}

func (k *testKey) public() any {
	if k.ed != nil {
		return k.ed.Public()
	}
	return &k.ec.PublicKey
}

// publicJWK returns the key's public JWK with kid, alg and use.
func (k *testKey) publicJWK(t testing.TB) []byte {
	j, err := jwk.Import(k.public())
	require.NoError(t, err)
	require.NoError(t, j.Set(jwk.KeyIDKey, k.kid))
	require.NoError(t, j.Set(jwk.AlgorithmKey, k.alg))
	require.NoError(t, j.Set(jwk.KeyUsageKey, "sig"))
	out, err := json.Marshal(j)
	require.NoError(t, err)
	return out
}

// newEdKey makes an Ed25519 test key from a one-byte seed pattern.
func newEdKey(t testing.TB, seedByte byte) *testKey {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = seedByte
	}
	k := &testKey{alg: keys.AlgEdDSA, ed: ed25519.NewKeyFromSeed(seed)}
	k.kid = thumbprintOf(t, k.public())
	return k
}

// newECKey makes a P-256 test key from a fixed scalar.
func newECKey(t testing.TB, scalarByte byte) *testKey {
	d := make([]byte, 32)
	d[31] = scalarByte
	d[0] = 0x01
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	require.NoError(t, err)
	k := &testKey{alg: keys.AlgES256, ec: priv}
	k.kid = thumbprintOf(t, k.public())
	return k
}

func thumbprintOf(t testing.TB, pub any) string {
	j, err := jwk.Import(pub)
	require.NoError(t, err)
	raw, err := json.Marshal(j)
	require.NoError(t, err)
	kid, err := keys.Thumbprint(raw)
	require.NoError(t, err)
	return kid
}

// fixture is a trust with two issuers: testIssuer (an Ed25519 and a P-256
// key) and otherIssuer (an Ed25519 key).
type fixture struct {
	trust      *Trust
	ed, ec     *testKey
	other      *testKey // otherIssuer's key
	untrusted  *testKey // a key nobody trusts
	verifier   *Verifier
	claimsTime time.Time
}

func newFixture(t testing.TB, opts ...Option) *fixture {
	f := &fixture{
		ed:        newEdKey(t, 1),
		ec:        newECKey(t, 2),
		other:     newEdKey(t, 3),
		untrusted: newEdKey(t, 4),
		trust:     NewTrust(),
	}
	jwks, err := keys.JWKS(f.ed.publicJWK(t), f.ec.publicJWK(t))
	require.NoError(t, err)
	require.NoError(t, f.trust.AddIssuer(testIssuer, jwks))
	jwks, err = keys.JWKS(f.other.publicJWK(t))
	require.NoError(t, err)
	require.NoError(t, f.trust.AddIssuer(otherIssuer, jwks))
	// Status answers valid unless a test says otherwise: the other steps
	// are what most tests are about.
	opts = append([]Option{WithClock(func() time.Time { return testNow }), WithStatusChecker(statusAlwaysValid{})}, opts...)
	f.verifier, err = New(f.trust, opts...)
	require.NoError(t, err)
	return f
}

// claims returns a sample credential issued an hour before testNow.
func claims() *credential.Claims {
	return credentialtest.Claims(testNow.Add(-time.Hour))
}

// sign issues c with k through credential.Sign, the production path.
func sign(t testing.TB, c *credential.Claims, k credential.Signer) string {
	token, err := credential.Sign(c, k)
	require.NoError(t, err)
	return token
}

// signRaw signs arbitrary header and payload JSON with k, for attacks
// that credential.Sign (rightly) cannot produce.
func signRaw(t testing.TB, k credential.Signer, header, payload string) string {
	input := b64s(header) + "." + b64s(payload)
	sig, err := k.Sign([]byte(input))
	require.NoError(t, err)
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func b64s(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// stdHeader is the header credential.Sign writes for k.
func stdHeader(k credential.Signer) string {
	return `{"alg":"` + k.Algorithm() + `","typ":"vc+jwt","cty":"vc","kid":"` + k.KeyID() + `"}`
}

// payloadJSON returns the JSON of c after change edits it as a generic map,
// for payloads the Claims type cannot express (missing or extra members).
func payloadJSON(t testing.TB, c *credential.Claims, change func(m map[string]any)) string {
	raw, err := json.Marshal(c)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	if change != nil {
		change(m)
	}
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return string(out)
}

// productionKey generates a key with the keys package and returns it with
// a JWKS holding its public half.
func productionKey(t testing.TB, alg string) (*keys.Key, []byte) {
	k, err := keys.Generate(alg)
	require.NoError(t, err)
	pub, err := k.PublicJWK()
	require.NoError(t, err)
	jwks, err := keys.JWKS(pub)
	require.NoError(t, err)
	return k, jwks
}

// statusAlwaysValid is a StatusChecker that finds every entry valid.
type statusAlwaysValid struct{}

func (statusAlwaysValid) CheckStatus(context.Context, string, credential.StatusListRef) (StatusInfo, error) {
	return StatusInfo{Status: StatusValid, ListIssuedAt: testNow.Add(-time.Minute)}, nil
}
