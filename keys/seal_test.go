package keys

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newKEK(t *testing.T) *KEK {
	t.Helper()
	text, err := NewKEKText()
	require.NoError(t, err)
	k, err := ParseKEK([]byte(text))
	require.NoError(t, err)
	return k
}

func TestSealedKeyOpensOnlyWithItsKEKAndKeyID(t *testing.T) {
	kek, other := newKEK(t), newKEK(t)
	for _, alg := range []string{AlgEdDSA, AlgES256} {
		k, err := Generate(alg)
		require.NoError(t, err)
		sealed, err := kek.Seal(k)
		require.NoError(t, err)
		priv, err := k.privateJWK()
		require.NoError(t, err)
		assert.False(t, bytes.Contains(sealed, priv), "the private JWK must not appear in the sealed form")

		got, err := kek.Open(k.KeyID(), sealed)
		require.NoError(t, err)
		assert.Equal(t, k.KeyID(), got.KeyID())

		_, err = other.Open(k.KeyID(), sealed)
		require.ErrorIs(t, err, ErrSealed, "another KEK")
		_, err = kek.Open("another-kid", sealed)
		require.ErrorIs(t, err, ErrSealed, "sealed for another key id")
		sealed[len(sealed)-1] ^= 1
		_, err = kek.Open(k.KeyID(), sealed)
		require.ErrorIs(t, err, ErrSealed, "damaged")
	}
}

func TestParseKEKRefusesTheWrongLength(t *testing.T) {
	_, err := ParseKEK([]byte("c2hvcnQ\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "linkpass cluster kek")
}
