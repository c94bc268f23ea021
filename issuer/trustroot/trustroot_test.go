package trustroot

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/keys"
)

func TestOpenMakesOneRootKeyThenKeepsIt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "root-key")
	k, made, err := Open(dir)
	require.NoError(t, err)
	assert.True(t, made)
	again, made, err := Open(dir)
	require.NoError(t, err)
	assert.False(t, made)
	assert.Equal(t, k.KeyID(), again.KeyID())

	// A second key: which one verifiers pinned cannot be guessed.
	d, err := keys.OpenDir(dir)
	require.NoError(t, err)
	other, err := keys.Generate("")
	require.NoError(t, err)
	require.NoError(t, d.Save(other))
	_, _, err = Open(dir)
	assert.ErrorContains(t, err, "exactly the one verifiers have pinned")
}
