package issuer_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/trustbundle"
)

// checkBundle takes the register's trust bundle as a verifier would,
// requiring it to follow held.
func checkBundle(t *testing.T, e *env, srv *issuer.Server, held *trustbundle.Checked) *trustbundle.Checked {
	t.Helper()
	b, err := srv.TrustBundle()
	require.NoError(t, err)
	c, err := b.Check(e.clock.Now(), trustbundle.WithAnchor(srv.RootFingerprint()))
	require.NoError(t, err)
	require.NoError(t, c.Follows(held, ""))
	return c
}

// TestTrustStatementFollowsRotationRetirementAndSettings: every change of
// keys or settings gives a statement with a higher sequence, signed by
// the same root; a retired key is listed as retired from then on; the
// root survives a restart; and the root never signs credentials.
func TestTrustStatementFollowsRotationRetirementAndSettings(t *testing.T) {
	e := newEnv(t)
	srv := e.open(t)
	actor := adminActor(t, srv)
	first := checkBundle(t, e, srv, nil)
	assert.True(t, first.Metadata().CredentialsCarryStatus)
	oldKID := first.Trust.KeyIDs(issuerURL)[0]
	assert.NotEqual(t, srv.RootFingerprint(), oldKID, "the root is not a signing key")

	again := checkBundle(t, e, srv, first)
	assert.Equal(t, first.Sequence(), again.Sequence(), "nothing changed")

	e.clock.Advance(time.Minute)
	k, err := srv.RotateKey(actor, keys.AlgES256)
	require.NoError(t, err)
	rotated := checkBundle(t, e, srv, again)
	assert.Greater(t, rotated.Sequence(), again.Sequence())
	assert.ElementsMatch(t, []string{oldKID, k.KID}, rotated.Trust.KeyIDs(issuerURL))

	e.clock.Advance(time.Minute)
	_, err = srv.RetireKey(actor, oldKID, true)
	require.NoError(t, err)
	retired := checkBundle(t, e, srv, rotated)
	assert.Equal(t, []string{oldKID}, retired.Retired())
	assert.Equal(t, []string{k.KID}, retired.Trust.KeyIDs(issuerURL))
	assert.ErrorIs(t, rotated.Follows(retired, ""), trustbundle.ErrRollback, "the bundle from before the retirement is refused")

	e.clock.Advance(time.Minute)
	_, err = srv.Apply(context.Background(), actor, fsm.SetSettings{QualityMark: &register.QualityMark{}})
	require.NoError(t, err)
	withdrawn := checkBundle(t, e, srv, retired)
	assert.Greater(t, withdrawn.Sequence(), retired.Sequence())
	require.NotNil(t, withdrawn.QualityMark())
	assert.False(t, withdrawn.QualityMark().Held)

	fp := srv.RootFingerprint()
	require.NoError(t, srv.Close())
	srv = e.open(t)
	assert.Equal(t, fp, srv.RootFingerprint(), "the root key is kept in the data directory")
	checkBundle(t, e, srv, withdrawn)
	assert.FileExists(t, filepath.Join(e.dir, "root-key", fp+".jwk"))
}
