package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var algs = []string{AlgEdDSA, AlgES256}

func TestGenerateDefaultsToEdDSA(t *testing.T) {
	k, err := Generate("")
	require.NoError(t, err)
	assert.Equal(t, AlgEdDSA, k.Algorithm())
	assert.IsType(t, ed25519.PublicKey{}, k.Public())
}

func TestGenerateRejectsUnsupportedAlgorithm(t *testing.T) {
	for _, alg := range []string{"RS256", "HS256", "none", "es256", "ES384"} {
		_, err := Generate(alg)
		assert.ErrorIs(t, err, ErrUnsupportedAlgorithm, alg)
	}
}

func TestKeyIDIsThumbprintOfPublicJWK(t *testing.T) {
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			k, err := Generate(alg)
			require.NoError(t, err)
			require.True(t, ValidKeyID(k.KeyID()))
			pub, err := k.PublicJWK()
			require.NoError(t, err)
			tp, err := Thumbprint(pub)
			require.NoError(t, err)
			assert.Equal(t, k.KeyID(), tp)
		})
	}
}

// The example key and thumbprint of RFC 7638 section 3.1.
const rfc7638Key = `{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`
const rfc7638Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

func TestThumbprintMatchesRFC7638Example(t *testing.T) {
	tp, err := Thumbprint([]byte(rfc7638Key))
	require.NoError(t, err)
	assert.Equal(t, rfc7638Thumbprint, tp)
}

func TestThumbprintRejectsGarbage(t *testing.T) {
	_, err := Thumbprint([]byte(`{"kty":"nope"}`))
	assert.ErrorIs(t, err, ErrInvalidKey)
}

func TestPublicJWKHasKidAlgUseAndNoPrivateMembers(t *testing.T) {
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			k, err := Generate(alg)
			require.NoError(t, err)
			raw, err := k.PublicJWK()
			require.NoError(t, err)
			var m map[string]any
			require.NoError(t, json.Unmarshal(raw, &m))
			assert.Equal(t, k.KeyID(), m["kid"])
			assert.Equal(t, alg, m["alg"])
			assert.Equal(t, "sig", m["use"])
			assert.NotContains(t, m, "d")
		})
	}
}

// TestSignVerifiesWithJWX checks our signatures with an independent
// implementation: jwx verifies a compact JWS built over our signature.
func TestSignVerifiesWithJWX(t *testing.T) {
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			k, err := Generate(alg)
			require.NoError(t, err)
			input := []byte("eyJhbGciOiJFZERTQSJ9.eyJoZWxsbyI6IndvcmxkIn0")
			input = []byte(strings.Replace(string(input), "eyJhbGciOiJFZERTQSJ9", b64(`{"alg":"`+alg+`"}`), 1))
			sig, err := k.Sign(input)
			require.NoError(t, err)
			assert.Len(t, sig, 64)
			compact := string(input) + "." + b64raw(sig)
			salg, ok := jwa.LookupSignatureAlgorithm(alg)
			require.True(t, ok)
			payload, err := jws.Verify([]byte(compact), jws.WithKey(salg, k.Public()))
			require.NoError(t, err)
			assert.JSONEq(t, `{"hello":"world"}`, string(payload))
		})
	}
}

func TestES256SignatureIsRawRS(t *testing.T) {
	k, err := Generate(AlgES256)
	require.NoError(t, err)
	msg := []byte("signing input")
	sig, err := k.Sign(msg)
	require.NoError(t, err)
	require.Len(t, sig, 64)
	digest := sha256.Sum256(msg)
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:])
	assert.True(t, ecdsa.Verify(k.Public().(*ecdsa.PublicKey), digest[:], r, s))
}

func TestKeyNeverPrintsPrivateMaterial(t *testing.T) {
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			k, err := Generate(alg)
			require.NoError(t, err)
			var secrets [][]byte
			if k.ed != nil {
				secrets = append(secrets, k.ed.Seed(), k.ed)
			} else {
				secrets = append(secrets, k.ec.D.Bytes())
			}

			var logBuf bytes.Buffer
			slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("key", "key", k)
			slog.New(slog.NewTextHandler(&logBuf, nil)).Info("key", "key", k)
			outputs := []string{
				fmt.Sprintf("%v %+v %#v %s %x %X %q %d", k, k, k, k, k, k, k, k),
				fmt.Sprint(k), fmt.Sprintln(k), k.String(),
				fmt.Sprintf("%v", *k), fmt.Sprintf("%+v", []*Key{k}),
				logBuf.String(),
			}
			jsonOut, err := json.Marshal(k)
			require.NoError(t, err)
			outputs = append(outputs, string(jsonOut))

			for _, out := range outputs {
				assert.Contains(t, out+logBuf.String(), k.KeyID())
				for _, secret := range secrets {
					for _, enc := range encodings(secret) {
						assert.NotContains(t, out, enc, "private key material printed")
					}
				}
			}
			assert.Contains(t, logBuf.String(), `"kid":"`+k.KeyID()+`"`)
		})
	}
}

// encodings returns the ways fmt might render secret bytes.
func encodings(secret []byte) []string {
	return []string{
		fmt.Sprintf("%x", secret), fmt.Sprintf("%X", secret), b64raw(secret),
		fmt.Sprint(secret[:8])[1:20], // a run of decimal bytes, as %v prints []byte
		fmt.Sprint(new(big.Int).SetBytes(secret)),
	}
}

func TestJWKSBuildsKeySetParsedByJWX(t *testing.T) {
	a, err := Generate(AlgEdDSA)
	require.NoError(t, err)
	b, err := Generate(AlgES256)
	require.NoError(t, err)
	ja, err := a.PublicJWK()
	require.NoError(t, err)
	jb, err := b.PublicJWK()
	require.NoError(t, err)
	set, err := JWKS(ja, jb)
	require.NoError(t, err)
	parsed, err := jwk.Parse(set)
	require.NoError(t, err)
	require.Equal(t, 2, parsed.Len())
	_, ok := parsed.LookupKeyID(a.KeyID())
	assert.True(t, ok)
	_, ok = parsed.LookupKeyID(b.KeyID())
	assert.True(t, ok)
}

func TestJWKSRefusesPrivateKeyAndNonObjects(t *testing.T) {
	k, err := Generate(AlgEdDSA)
	require.NoError(t, err)
	priv, err := k.privateJWK()
	require.NoError(t, err)
	_, err = JWKS(priv)
	assert.ErrorIs(t, err, ErrInvalidKey)
	_, err = JWKS([]byte(`[1]`))
	assert.ErrorIs(t, err, ErrInvalidKey)
}

func TestValidKeyIDRejectsPathAndInjectionCharacters(t *testing.T) {
	good := strings.Repeat("A", 43)
	assert.True(t, ValidKeyID(good))
	for _, bad := range []string{
		"", "../x", "a/b", `a\b`, "' OR 1=1--", "../../etc/passwd",
		good[:42], good + "A", good[:42] + ".", good[:42] + "/", good[:42] + "=", good[:42] + "\x00",
	} {
		assert.False(t, ValidKeyID(bad), "%q", bad)
	}
}

func b64(s string) string    { return b64raw([]byte(s)) }
func b64raw(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func TestDirSaveLoadRoundTrip(t *testing.T) {
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			d, err := OpenDir(filepath.Join(t.TempDir(), "keys"))
			require.NoError(t, err)
			k, err := Generate(alg)
			require.NoError(t, err)
			require.NoError(t, d.Save(k))

			info, err := os.Stat(filepath.Join(d.Path(), k.KeyID()+".jwk"))
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

			got, err := d.Load(k.KeyID())
			require.NoError(t, err)
			assert.Equal(t, k.KeyID(), got.KeyID())
			assert.Equal(t, alg, got.Algorithm())
			assert.True(t, got.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public()))

			// The loaded key signs for the original's public key.
			salg, _ := jwa.LookupSignatureAlgorithm(alg)
			hdr := b64(`{"alg":"` + alg + `"}`)
			sig, err := got.Sign([]byte(hdr + "." + b64("{}")))
			require.NoError(t, err)
			_, err = jws.Verify([]byte(hdr+"."+b64("{}")+"."+b64raw(sig)), jws.WithKey(salg, k.Public()))
			assert.NoError(t, err)

			kids, err := d.List()
			require.NoError(t, err)
			assert.Equal(t, []string{k.KeyID()}, kids)
		})
	}
}

func TestDirCreatesDirectoryOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "keys")
	_, err := OpenDir(path)
	require.NoError(t, err)
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm())
}

func TestDirRefusesGroupOrWorldWritableDirectory(t *testing.T) {
	path := t.TempDir()
	for _, mode := range []os.FileMode{0o775, 0o757, 0o777} {
		require.NoError(t, os.Chmod(path, mode))
		_, err := OpenDir(path)
		assert.ErrorIs(t, err, ErrInsecurePermissions, "%#o", mode)
		assert.Contains(t, err.Error(), "chmod 700")
	}
	require.NoError(t, os.Chmod(path, 0o755))
	_, err := OpenDir(path)
	assert.NoError(t, err, "a readable directory reveals only public key ids")
}

func TestDirSaveRefusesToOverwriteExistingKey(t *testing.T) {
	d, err := OpenDir(t.TempDir())
	require.NoError(t, err)
	k, err := Generate(AlgEdDSA)
	require.NoError(t, err)
	require.NoError(t, d.Save(k))
	before, err := os.ReadFile(filepath.Join(d.Path(), k.KeyID()+".jwk"))
	require.NoError(t, err)

	err = d.Save(k)
	assert.ErrorIs(t, err, ErrKeyExists)
	after, err := os.ReadFile(filepath.Join(d.Path(), k.KeyID()+".jwk"))
	require.NoError(t, err)
	assert.Equal(t, before, after)

	entries, err := os.ReadDir(d.Path())
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary files may be left behind")
}

func TestDirLoadRefusesGroupOrWorldReadableFile(t *testing.T) {
	d, err := OpenDir(t.TempDir())
	require.NoError(t, err)
	k, err := Generate(AlgEdDSA)
	require.NoError(t, err)
	require.NoError(t, d.Save(k))
	name := filepath.Join(d.Path(), k.KeyID()+".jwk")
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644, 0o660} {
		require.NoError(t, os.Chmod(name, mode))
		_, err = d.Load(k.KeyID())
		assert.ErrorIs(t, err, ErrInsecurePermissions, "%#o", mode)
		assert.Contains(t, err.Error(), "chmod 600")
	}
	require.NoError(t, os.Chmod(name, 0o400))
	_, err = d.Load(k.KeyID())
	assert.NoError(t, err, "a stricter mode than 0600 is fine")
}

func TestDirLoadRefusesSymlink(t *testing.T) {
	d, err := OpenDir(t.TempDir())
	require.NoError(t, err)
	k, err := Generate(AlgEdDSA)
	require.NoError(t, err)
	require.NoError(t, d.Save(k))
	other, err := Generate(AlgEdDSA)
	require.NoError(t, err)
	require.NoError(t, os.Symlink(filepath.Join(d.Path(), k.KeyID()+".jwk"), filepath.Join(d.Path(), other.KeyID()+".jwk")))
	_, err = d.Load(other.KeyID())
	assert.ErrorIs(t, err, ErrInsecurePermissions)
}

func TestDirLoadRefusesBadKeyIDs(t *testing.T) {
	d, err := OpenDir(t.TempDir())
	require.NoError(t, err)
	for _, kid := range []string{"../x", "a/b", "' OR 1=1--", "../../etc/passwd", "", "x;DROP TABLE keys"} {
		_, err := d.Load(kid)
		assert.ErrorIs(t, err, ErrInvalidKeyID, "%q", kid)
	}
}

func TestDirLoadMissingKeyIsNotFound(t *testing.T) {
	d, err := OpenDir(t.TempDir())
	require.NoError(t, err)
	_, err = d.Load(strings.Repeat("A", 43))
	assert.ErrorIs(t, err, ErrKeyNotFound)
}

func TestDirLoadRefusesKeyStoredUnderAnotherKid(t *testing.T) {
	d, err := OpenDir(t.TempDir())
	require.NoError(t, err)
	k, err := Generate(AlgEdDSA)
	require.NoError(t, err)
	require.NoError(t, d.Save(k))
	other := strings.Repeat("B", 43)
	require.NoError(t, os.Rename(filepath.Join(d.Path(), k.KeyID()+".jwk"), filepath.Join(d.Path(), other+".jwk")))
	_, err = d.Load(other)
	assert.ErrorIs(t, err, ErrKeyMismatch)
}

func TestDirLoadRefusesFileWhoseKidMemberLies(t *testing.T) {
	d, err := OpenDir(t.TempDir())
	require.NoError(t, err)
	k, err := Generate(AlgEdDSA)
	require.NoError(t, err)
	priv, err := k.privateJWK()
	require.NoError(t, err)
	lying := strings.Replace(string(priv), k.KeyID(), strings.Repeat("C", 43), 1)
	require.NoError(t, os.WriteFile(filepath.Join(d.Path(), k.KeyID()+".jwk"), []byte(lying), 0o600))
	_, err = d.Load(k.KeyID())
	assert.ErrorIs(t, err, ErrKeyMismatch)
}

func TestDirListIgnoresForeignFiles(t *testing.T) {
	d, err := OpenDir(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(d.Path(), "README"), nil, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(d.Path(), "../x.jwk"), nil, 0o600))
	a, _ := Generate(AlgEdDSA)
	b, _ := Generate(AlgES256)
	require.NoError(t, d.Save(a))
	require.NoError(t, d.Save(b))
	kids, err := d.List()
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{a.KeyID(), b.KeyID()}, kids)
}
