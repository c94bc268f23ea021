//go:build unix

package trustbundle

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadFileChecksWhatTheGuidePromises: a symbolic link (even to a good
// bundle), a FIFO, and a good file in a folder others may write are
// refused; a sticky shared folder is not.
func TestReadFileChecksWhatTheGuidePromises(t *testing.T) {
	f := newFixture(t, nil, testNow)
	dir := t.TempDir()
	good := filepath.Join(dir, "bundle.json")
	require.NoError(t, WriteFile(good, marshal(t, f.bundle)))

	link := filepath.Join(dir, "link.json")
	require.NoError(t, os.Symlink(good, link))
	_, err := ReadFile(link)
	require.ErrorIs(t, err, ErrInsecureFile)
	assert.Contains(t, err.Error(), "symbolic link")

	fifo := filepath.Join(dir, "fifo.json")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	_, err = ReadFile(fifo) // must not block on the FIFO
	assert.ErrorIs(t, err, ErrInsecureFile)

	shared := filepath.Join(t.TempDir(), "shared")
	require.NoError(t, os.Mkdir(shared, 0o700))
	require.NoError(t, WriteFile(filepath.Join(shared, "bundle.json"), marshal(t, f.bundle)))
	require.NoError(t, os.Chmod(shared, 0o777))
	_, err = ReadFile(filepath.Join(shared, "bundle.json"))
	require.ErrorIs(t, err, ErrInsecureFile)
	assert.Contains(t, err.Error(), "chmod go-w "+shared)

	require.NoError(t, os.Chmod(shared, 0o777|os.ModeSticky))
	_, err = ReadFile(filepath.Join(shared, "bundle.json"))
	assert.NoError(t, err, "in a sticky folder nobody can replace another's file")
	require.NoError(t, os.Chmod(shared, 0o700))
}
