package wallet

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/credential/credentialtest"
	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/qrtext"
	"github.com/nalw/linkpass/verifier"
)

type fixture struct {
	key   *keys.Key
	v     *verifier.Verifier
	now   time.Time
	trust *verifier.Trust
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	k, err := keys.Generate("")
	require.NoError(t, err)
	pub, err := k.PublicJWK()
	require.NoError(t, err)
	set, err := keys.JWKS(pub)
	require.NoError(t, err)
	tr := verifier.NewTrust()
	require.NoError(t, tr.AddIssuer(credentialtest.Issuer, set))
	now := time.Now()
	v, err := verifier.New(tr, verifier.WithClock(func() time.Time { return now }), verifier.WithStatusChecker(fixedStatus(verifier.StatusValid)))
	require.NoError(t, err)
	return &fixture{key: k, v: v, now: now, trust: tr}
}

// fixedStatus is a StatusChecker giving every entry the same status.
type fixedStatus string

func (s fixedStatus) CheckStatus(context.Context, string, credential.StatusListRef) (verifier.StatusInfo, error) {
	return verifier.StatusInfo{Status: string(s)}, nil
}

func TestAddStoresASignatureOnlyCheckButRefusesASuspendedCredential(t *testing.T) {
	f := newFixture(t)
	w, err := Open(filepath.Join(t.TempDir(), "wallet"))
	require.NoError(t, err)
	sigOnly, err := verifier.New(f.trust, verifier.WithoutStatusCheck())
	require.NoError(t, err)
	e, res, err := w.Add(context.Background(), f.token(t, nil), sigOnly)
	require.NoError(t, err, "a genuine credential is kept when only its signature was asked about")
	assert.Equal(t, verifier.OutcomeStatusNotChecked, res.Outcome)
	assert.False(t, res.Valid)
	assert.FileExists(t, e.File)

	suspended, err := verifier.New(f.trust, verifier.WithStatusChecker(fixedStatus(verifier.StatusSuspended)))
	require.NoError(t, err)
	_, res, err = w.Add(context.Background(), f.token(t, func(c *credential.Claims) { c.Jti = "other" }), suspended)
	assert.ErrorIs(t, err, ErrRejected)
	assert.Equal(t, verifier.OutcomeSuspended, res.Outcome)
}

func (f *fixture) token(t *testing.T, mod func(c *credential.Claims)) string {
	t.Helper()
	c := credentialtest.Claims(f.now.Add(-time.Hour))
	if mod != nil {
		mod(c)
	}
	tok, err := credential.Sign(c, f.key)
	require.NoError(t, err)
	return tok
}

func TestAddVerifiesStoresPrivatelyAndLists(t *testing.T) {
	f := newFixture(t)
	w, err := Open(filepath.Join(t.TempDir(), "wallet"))
	require.NoError(t, err)
	tok := f.token(t, nil)
	e, res, err := w.Add(context.Background(), tok, f.v)
	require.NoError(t, err)
	require.True(t, res.Valid)
	fi, err := os.Stat(e.File)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	di, err := os.Stat(w.Dir())
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())

	all, bad := w.List()
	require.Empty(t, bad)
	require.Len(t, all, 1)
	assert.Equal(t, tok, all[0].Token)
	assert.Equal(t, "LW1000015", all[0].RegistrationNumber)
	got, err := w.Find("lw1000015")
	require.NoError(t, err)
	assert.Equal(t, e.JTI, got.JTI)
	got, err = w.Find("")
	require.NoError(t, err, "one person's credentials need no number")
	assert.Equal(t, e.JTI, got.JTI)
}

func TestAddAcceptsQRText(t *testing.T) {
	f := newFixture(t)
	w, err := Open(t.TempDir())
	require.NoError(t, err)
	text, err := qrtext.Encode(f.token(t, nil))
	require.NoError(t, err)
	e, _, err := w.Add(context.Background(), text, f.v)
	require.NoError(t, err)
	b, err := os.ReadFile(e.File)
	require.NoError(t, err)
	assert.Contains(t, string(b), ".", "the wallet stores the token itself, not the QR text")
}

func TestAddRefusesWhatDoesNotVerifyAndStoresNothing(t *testing.T) {
	f := newFixture(t)
	other := newFixture(t)
	w, err := Open(t.TempDir())
	require.NoError(t, err)
	expired := f.token(t, func(c *credential.Claims) {
		c.Iat = f.now.Add(-48 * time.Hour).Unix()
		c.ValidFrom = f.now.Add(-48 * time.Hour).UTC().Format(time.RFC3339)
		c.Exp = f.now.Add(-24 * time.Hour).Unix()
		c.ValidUntil = f.now.Add(-24 * time.Hour).UTC().Format(time.RFC3339)
	})
	for name, tc := range map[string]struct {
		text    string
		want    error
		outcome verifier.Outcome
	}{
		"signed by a stranger": {other.token(t, nil), ErrRejected, verifier.OutcomeUnknownKey},
		"expired":              {expired, ErrRejected, verifier.OutcomeExpired},
		"garbage":              {"hello", ErrNotACredential, ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, res, err := w.Add(context.Background(), tc.text, f.v)
			require.ErrorIs(t, err, tc.want)
			if tc.outcome != "" {
				assert.Equal(t, tc.outcome, res.Outcome)
			}
		})
	}
	all, _ := w.List()
	assert.Empty(t, all)
}

func TestAddWithoutTrustChecksOnlyShape(t *testing.T) {
	f := newFixture(t)
	w, err := Open(t.TempDir())
	require.NoError(t, err)
	e, res, err := w.Add(context.Background(), f.token(t, nil), nil)
	require.NoError(t, err)
	assert.Nil(t, res, "no verification was done, and the result says so")
	assert.Equal(t, "Aisha Okafor-Brown", e.Name)
	_, _, err = w.Add(context.Background(), "a.b.c", nil)
	assert.ErrorIs(t, err, ErrNotACredential)
}

func TestFindNeedsANumberWhenTheWalletHoldsSeveralPeople(t *testing.T) {
	f := newFixture(t)
	w, err := Open(t.TempDir())
	require.NoError(t, err)
	_, _, err = w.Add(context.Background(), f.token(t, nil), f.v)
	require.NoError(t, err)
	_, _, err = w.Add(context.Background(), f.token(t, func(c *credential.Claims) {
		c.Jti = "second"
		c.CredentialSubject.RegistrationNumber = "LW1000028"
	}), f.v)
	require.NoError(t, err)
	_, err = w.Find("")
	assert.ErrorIs(t, err, ErrAmbiguous)
	e, err := w.Find("LW1000028")
	require.NoError(t, err)
	assert.Equal(t, "second", e.JTI)
	_, err = w.Find("LW1000031")
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestListReportsFilesThatAreNotCredentials(t *testing.T) {
	w, err := Open(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(w.Dir(), "junk.jwt"), []byte("nonsense"), 0o600))
	all, bad := w.List()
	assert.Empty(t, all)
	require.Len(t, bad, 1)
	assert.Contains(t, bad[0].Error(), "junk.jwt")
}

func TestExpiryWarningWindow(t *testing.T) {
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	e := &Entry{ExpiresAt: now.Add(31 * 24 * time.Hour)}
	assert.False(t, e.ExpiresSoon(now))
	e.ExpiresAt = now.Add(29 * 24 * time.Hour)
	assert.True(t, e.ExpiresSoon(now))
	assert.False(t, e.Expired(now))
	assert.True(t, e.Expired(e.ExpiresAt))
}
