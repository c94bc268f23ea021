package schedule_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/backup"
	"github.com/nalw/linkpass/issuer/backup/offsite"
	"github.com/nalw/linkpass/issuer/backup/schedule"
	"github.com/nalw/linkpass/issuer/register"
)

func register1(t *testing.T) *issuer.Server {
	t.Helper()
	srv, err := issuer.Open(issuer.Config{DataDir: filepath.Join(t.TempDir(), "data"), Create: true, IssuerURL: "https://register.example.org"})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	_, err = srv.SeedDemo()
	require.NoError(t, err)
	return srv
}

// clock steps a minute per reading, so file names differ.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { c.t = c.t.Add(time.Minute); return c.t }

func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestScheduledBackupsAreSealedVerifiedAndPruned takes five backups with
// keep 3: three files remain, each sealed, 0600, and each restores into a
// data directory the register starts from.
func TestScheduledBackupsAreSealedVerifiedAndPruned(t *testing.T) {
	srv := register1(t)
	key, err := backup.NewKey()
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "backups")
	var outcomes []schedule.Outcome
	clk := &clock{t: time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)}
	s, err := schedule.New(schedule.Config{Dir: dir, Every: time.Hour, Keep: 3, Key: key, Take: srv.Backup,
		Record: func(o schedule.Outcome) { outcomes = append(outcomes, o) }, Clock: clk.now})
	require.NoError(t, err)
	for i := range 5 {
		_, _, err := srv.CreateToken(register.System, register.RoleRegistrar, "desk "+string(rune('a'+i)))
		require.NoError(t, err)
		o := s.Once(context.Background())
		require.NoError(t, o.Err)
		assert.False(t, o.Offsite)
	}
	require.Len(t, outcomes, 5)
	got := files(t, dir)
	require.Len(t, got, 3, "keep 3: %v", got)
	for i, name := range got {
		assert.True(t, strings.HasSuffix(name, ".tar.sealed"), name)
		// The oldest two went, not the newest.
		assert.Equal(t, filepath.Base(outcomes[2+i].File), name)
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())

	// The newest restores, and the restored register starts and holds the
	// last token made.
	sealed, err := os.ReadFile(outcomes[4].File)
	require.NoError(t, err)
	assert.NotContains(t, string(sealed), "register.example.org", "a sealed backup reveals nothing")
	plain, err := backup.Open(key, sealed)
	require.NoError(t, err)
	arc, err := backup.Read(bytes.NewReader(plain))
	require.NoError(t, err)
	assert.Equal(t, outcomes[4].Index, arc.Manifest.Index)
	data := filepath.Join(t.TempDir(), "restored")
	require.NoError(t, backup.Restore(arc, data))
	again, err := issuer.Open(issuer.Config{DataDir: data})
	require.NoError(t, err)
	defer again.Close()
	toks, err := again.State().Tokens()
	require.NoError(t, err)
	names := map[string]bool{}
	for _, tok := range toks {
		names[tok.Name] = true
	}
	assert.True(t, names["desk e"], "the newest backup holds the last change before it")
}

// TestABackupThatDoesNotVerifyIsNotKept: a backup damaged between writing
// and checking is deleted, reported as a failure, and never displaces the
// good ones.
func TestABackupThatDoesNotVerifyIsNotKept(t *testing.T) {
	srv := register1(t)
	dir := filepath.Join(t.TempDir(), "backups")
	clk := &clock{t: time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)}
	var failures int
	damage := false
	schedule.AfterWrite(t, func(path string) {
		if !damage {
			return
		}
		// As if the disk had flipped a bit between writing and reading.
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		b[len(b)/2] ^= 0x20
		require.NoError(t, os.WriteFile(path, b, 0o600))
	})
	s, err := schedule.New(schedule.Config{Dir: dir, Every: time.Hour, Keep: 1, Take: srv.Backup, Clock: clk.now,
		Record: func(o schedule.Outcome) {
			if o.Err != nil {
				failures++
			}
		}})
	require.NoError(t, err)
	first := s.Once(context.Background())
	require.NoError(t, first.Err)
	damage = true
	bad := s.Once(context.Background())
	require.Error(t, bad.Err)
	assert.Empty(t, bad.File)
	assert.Equal(t, 1, failures)
	assert.Equal(t, []string{filepath.Base(first.File)}, files(t, dir), "the good backup stays; the bad one and its partial file are gone")

	// A taking failure is a failure too.
	s2, err := schedule.New(schedule.Config{Dir: dir, Every: time.Hour, Keep: 1, Clock: clk.now,
		Take: func() (*backup.Archive, error) { return nil, errors.New("no disk") }})
	require.NoError(t, err)
	assert.ErrorContains(t, s2.Once(context.Background()).Err, "no disk")
	assert.Equal(t, []string{filepath.Base(first.File)}, files(t, dir))
}

func TestVerifySaysWhatIsWrong(t *testing.T) {
	srv := register1(t)
	key, _ := backup.NewKey()
	other, _ := backup.NewKey()
	dir := filepath.Join(t.TempDir(), "b")
	s, err := schedule.New(schedule.Config{Dir: dir, Every: time.Hour, Keep: 2, Key: key, Take: srv.Backup})
	require.NoError(t, err)
	o := s.Once(context.Background())
	require.NoError(t, o.Err)
	require.NoError(t, schedule.Verify(o.File, key, ""))
	assert.ErrorIs(t, schedule.Verify(o.File, other, ""), backup.ErrWrongKey)
	assert.ErrorContains(t, schedule.Verify(o.File, nil, ""), "sealed; give its backup key")
	b, _ := os.ReadFile(o.File)
	b[len(b)-3] ^= 1
	require.NoError(t, os.WriteFile(o.File, b, 0o600))
	assert.ErrorIs(t, schedule.Verify(o.File, key, ""), backup.ErrInvalid)
}

func TestConfigIsChecked(t *testing.T) {
	take := func() (*backup.Archive, error) { return nil, nil }
	bucket := &offsite.Bucket{}
	for name, cfg := range map[string]schedule.Config{
		"no dir":            {Every: time.Hour, Keep: 1, Take: take},
		"too often":         {Dir: t.TempDir(), Every: time.Second, Keep: 1, Take: take},
		"keep none":         {Dir: t.TempDir(), Every: time.Hour, Keep: 0, Take: take},
		"offsite in clear":  {Dir: t.TempDir(), Every: time.Hour, Keep: 1, Take: take, Offsite: bucket},
		"nothing to backup": {Dir: t.TempDir(), Every: time.Hour, Keep: 1},
	} {
		_, err := schedule.New(cfg)
		assert.Error(t, err, name)
	}
}

// TestOffsiteCopiesGoToARealS3Server runs gofakes3, an S3-compatible
// server, in the test on loopback: every backup is uploaded, read back,
// and the bucket is pruned to keep; the copy restores.
func TestOffsiteCopiesGoToARealS3Server(t *testing.T) {
	backend := s3mem.New()
	faker := gofakes3.New(backend)
	ts := httptest.NewServer(faker.Server())
	defer ts.Close()
	require.NoError(t, backend.CreateBucket("nalw-backups"))

	bucket, err := offsite.New(offsite.Config{URL: ts.URL, Bucket: "nalw-backups", Prefix: "register/", AccessKey: "AKIDEXAMPLE", SecretKey: "secret-example", Region: "eu-west-2"})
	require.NoError(t, err)
	srv := register1(t)
	key, _ := backup.NewKey()
	clk := &clock{t: time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)}
	var last schedule.Outcome
	s, err := schedule.New(schedule.Config{Dir: filepath.Join(t.TempDir(), "b"), Every: time.Hour, Keep: 2, Key: key,
		Take: srv.Backup, Offsite: bucket, Clock: clk.now, Record: func(o schedule.Outcome) { last = o }})
	require.NoError(t, err)
	for range 3 {
		o := s.Once(context.Background())
		require.NoError(t, o.Err)
		require.True(t, o.Offsite)
		require.NoError(t, o.OffsiteErr)
	}
	names, err := bucket.Names(context.Background())
	require.NoError(t, err)
	require.Len(t, names, 2, "the bucket is pruned to keep: %v", names)
	assert.Contains(t, names, filepath.Base(last.File))

	data, err := bucket.Get(context.Background(), filepath.Base(last.File))
	require.NoError(t, err)
	plain, err := backup.Open(key, data)
	require.NoError(t, err)
	arc, err := backup.Read(bytes.NewReader(plain))
	require.NoError(t, err)
	assert.Equal(t, last.Index, arc.Manifest.Index)

	// The server going away is an off-site failure, reported, while the
	// local backup is still taken and kept.
	ts.Close()
	o := s.Once(context.Background())
	require.NoError(t, o.Err)
	assert.Error(t, o.OffsiteErr)
	_, err = os.Stat(o.File)
	assert.NoError(t, err)
}

func TestBucketConfigIsChecked(t *testing.T) {
	for name, cfg := range map[string]offsite.Config{
		"plain http far away": {URL: "http://s3.example.org", Bucket: "b", AccessKey: "a", SecretKey: "s"},
		"not a url":           {URL: "s3.example.org", Bucket: "b", AccessKey: "a", SecretKey: "s"},
		"no bucket":           {URL: "https://s3.example.org", AccessKey: "a", SecretKey: "s"},
		"no secret":           {URL: "https://s3.example.org", Bucket: "b", AccessKey: "a"},
	} {
		_, err := offsite.New(cfg)
		assert.Error(t, err, name)
	}
	b, err := offsite.New(offsite.Config{URL: "https://s3.example.org", Bucket: "b", AccessKey: "a", SecretKey: "topsecret"})
	require.NoError(t, err)
	assert.NotContains(t, b.String(), "topsecret")
}
