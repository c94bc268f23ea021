package issuer_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

func addNamed(srv *issuer.Server, actor register.Actor, family string) error {
	_, err := srv.Apply(context.Background(), actor, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "Test", Family: family, Nation: "england"}})
	return err
}

// eventually polls cond for up to 10 seconds.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestVanishedDataDirStopsWrites moves and deletes the data directory under
// a running register: it refuses every change (saying nothing was
// changed) instead of acknowledging writes into an unlinked file, readyz
// fails, and it says so in one log line. Put back, it carries on.
func TestVanishedDataDirStopsWrites(t *testing.T) {
	for _, how := range []string{"renamed", "deleted"} {
		t.Run(how, func(t *testing.T) {
			e := newEnv(t)
			cfg := e.config()
			cfg.StorageCheckEvery = 20 * time.Millisecond
			srv, err := issuer.Open(cfg)
			require.NoError(t, err)
			defer srv.Close()
			admin := adminActor(t, srv)
			require.NoError(t, addNamed(srv, admin, "Before"))

			aside := e.dir + ".aside"
			if how == "renamed" {
				require.NoError(t, os.Rename(e.dir, aside))
			} else {
				require.NoError(t, os.RemoveAll(e.dir))
			}
			for i := 0; i < 50; i++ {
				err := addNamed(srv, admin, fmt.Sprint("Lost", i))
				require.ErrorIs(t, err, register.ErrUnavailable)
				assert.Contains(t, err.Error(), "has gone")
				assert.Contains(t, err.Error(), "nothing was changed")
			}
			eventually(t, func() bool { return !srv.Ready() }, "readyz kept saying ready")
			require.Error(t, srv.StorageFault())
			time.Sleep(100 * time.Millisecond) // several checks
			assert.Equal(t, 1, strings.Count(e.logs.String(), "the register stopped taking changes"), "one line, not a flood:\n%s", e.logs.String())
			regs, err := srv.State().Registrants("")
			require.NoError(t, err)
			assert.Len(t, regs, 1, "nothing was applied")

			if how == "renamed" {
				require.NoError(t, os.Rename(aside, e.dir))
				eventually(t, srv.Ready, "the register did not resume when its directory came back")
				require.NoError(t, addNamed(srv, admin, "After"))
				assert.Contains(t, e.logs.String(), "takes changes again")
			} else {
				// A new directory at the path is not the register's: never resume.
				require.NoError(t, os.MkdirAll(e.dir, 0o700))
				require.NoError(t, os.WriteFile(filepath.Join(e.dir, "linkpass.json"), []byte("{}"), 0o600))
				time.Sleep(100 * time.Millisecond)
				assert.False(t, srv.Ready())
				require.ErrorIs(t, addNamed(srv, admin, "Lost"), register.ErrUnavailable)
			}
		})
	}
}

// TestUnwritableDataDirStopsWrites makes the directory read-only under a
// running register (as root, modes do not stop writes, so it needs a
// non-root user).
func TestUnwritableDataDirStopsWrites(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("as root, directory modes do not stop writes; the disk-full test covers a failing write")
	}
	e := newEnv(t)
	cfg := e.config()
	cfg.StorageCheckEvery = 20 * time.Millisecond
	srv, err := issuer.Open(cfg)
	require.NoError(t, err)
	defer srv.Close()
	require.NoError(t, os.Chmod(e.dir, 0o500))
	defer os.Chmod(e.dir, 0o700)
	eventually(t, func() bool { return !srv.Ready() }, "readyz kept saying ready")
	err = addNamed(srv, adminActor(t, srv), "Lost")
	require.ErrorIs(t, err, register.ErrUnavailable)
	assert.Contains(t, err.Error(), "cannot be written")
	require.NoError(t, os.Chmod(e.dir, 0o700))
	eventually(t, srv.Ready, "the register did not resume")
}

// TestDiskFull runs the register on a small tmpfs and fills it: changes
// are refused as "disk full, nothing was changed" (not "not the leader"),
// Raft's retries do not flood the log, and once space is freed the
// register takes changes again by itself with every acknowledged change
// kept.
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root (CI runs as root)")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s)", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, out)
		}
	})
	e := newEnv(t)
	e.dir = filepath.Join(mnt, "data")
	cfg := e.config()
	cfg.StorageCheckEvery = 50 * time.Millisecond
	srv, err := issuer.Open(cfg)
	require.NoError(t, err)
	defer srv.Close()
	admin := adminActor(t, srv)

	// Fill the disk.
	filler, err := os.Create(filepath.Join(mnt, "filler"))
	require.NoError(t, err)
	for {
		if _, err := filler.Write(make([]byte, 64<<10)); err != nil {
			require.True(t, errors.Is(err, syscall.ENOSPC), "%v", err)
			break
		}
	}
	filler.Close()

	acked := []string{}
	var full error
	for i := 0; i < 200 && full == nil; i++ {
		name := fmt.Sprint("Acked", i)
		err := addNamed(srv, admin, name)
		if err == nil {
			acked = append(acked, name)
			continue
		}
		full = err
	}
	require.ErrorIs(t, full, register.ErrDiskFull)
	assert.Contains(t, full.Error(), "nothing was changed")
	for i := 0; i < 100; i++ {
		err := addNamed(srv, admin, "Refused")
		require.ErrorIs(t, err, register.ErrDiskFull, "every change is refused as disk full, never 'not the leader'")
	}
	eventually(t, func() bool { return !srv.Ready() }, "readyz kept saying ready")
	time.Sleep(2 * time.Second) // Raft retries its election meanwhile
	logs := e.logs.String()
	assert.Less(t, strings.Count(logs, "\n"), 40, "the log is rate-limited:\n%s", logs)

	require.NoError(t, os.Remove(filepath.Join(mnt, "filler")))
	eventually(t, func() bool { return addNamed(srv, admin, "AfterFree") == nil }, "the register did not take changes again")
	assert.True(t, srv.Ready())
	regs, err := srv.State().Registrants("")
	require.NoError(t, err)
	have := map[string]bool{}
	for _, r := range regs {
		have[r.Family] = true
	}
	for _, n := range acked {
		assert.True(t, have[n], "acknowledged %s was kept", n)
	}
	assert.False(t, have["Refused"], "a refused change was not applied")

	// And after a restart, from the disk.
	require.NoError(t, srv.Close())
	srv2, err := issuer.Open(cfg)
	require.NoError(t, err)
	defer srv2.Close()
	for _, n := range append(acked, "AfterFree") {
		found := false
		regs, _ := srv2.State().Registrants("")
		for _, r := range regs {
			found = found || r.Family == n
		}
		assert.True(t, found, "%s survived the restart", n)
	}
}
