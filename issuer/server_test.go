package issuer_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/regno"
)

const issuerURL = "http://127.0.0.1:8080"

// clock is a Config.Clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// logBuffer collects logs from every goroutine of a server.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type env struct {
	dir   string
	clock *clock
	logs  *logBuffer
}

func newEnv(t *testing.T) *env {
	return &env{dir: filepath.Join(t.TempDir(), "data"), clock: newClock(), logs: &logBuffer{}}
}

func (e *env) config() issuer.Config {
	return issuer.Config{
		DataDir: e.dir, Create: true, IssuerURL: issuerURL, Clock: e.clock.Now,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// open opens the register in e.dir and closes it when the test ends.
func (e *env) open(t *testing.T) *issuer.Server {
	t.Helper()
	srv, err := issuer.Open(e.config())
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func adminBearer(t *testing.T, srv *issuer.Server) string {
	t.Helper()
	b, err := os.ReadFile(srv.AdminTokenPath)
	require.NoError(t, err)
	return strings.TrimSpace(string(b))
}

func adminActor(t *testing.T, srv *issuer.Server) register.Actor {
	t.Helper()
	a, err := srv.Authenticate(adminBearer(t, srv))
	require.NoError(t, err)
	return a
}

func addRegistrant(t *testing.T, srv *issuer.Server, actor register.Actor, n register.NewRegistrant) *register.Registrant {
	t.Helper()
	res, err := srv.Apply(context.Background(), actor, fsm.AddRegistrant{NewRegistrant: n})
	require.NoError(t, err)
	return res.(fsm.Result).Registrant
}

// stateBytes returns the whole register state as snapshot bytes.
func stateBytes(t *testing.T, s *state.Store) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, s.Snapshot().Persist(&b))
	return b.Bytes()
}

func TestOpenCreatesAdminTokenOnlyOwnerCanRead(t *testing.T) {
	e := newEnv(t)
	srv := e.open(t)
	require.Equal(t, filepath.Join(e.dir, "admin.token"), srv.AdminTokenPath)
	fi, err := os.Stat(srv.AdminTokenPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	bearer := adminBearer(t, srv)
	require.True(t, strings.HasPrefix(bearer, "lpt_"), "tokens are recognisable")
	actor, err := srv.Authenticate(bearer)
	require.NoError(t, err)
	assert.Equal(t, register.RoleAdmin, actor.Role)

	toks, err := srv.State().Tokens()
	require.NoError(t, err)
	require.Len(t, toks, 1)
	// lpt_<id>_<secret>: the secret itself may contain "_".
	secret := strings.SplitN(bearer, "_", 3)[2]
	assert.NotContains(t, string(toks[0].SecretHash), secret, "only a hash is stored")

	logs := e.logs.String()
	require.Contains(t, logs, srv.AdminTokenPath, "the log says where the token is")
	assert.NotContains(t, logs, secret, "the log never holds the secret")
	assert.NotContains(t, logs, bearer)

	marker, err := os.Stat(filepath.Join(e.dir, "linkpass.json"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), marker.Mode().Perm())
	assert.True(t, srv.Ready())
	assert.Equal(t, issuerURL, srv.State().Settings().IssuerURL)
}

func TestReopenResumesStateAndTokens(t *testing.T) {
	e := newEnv(t)
	srv := e.open(t)
	admin := adminActor(t, srv)
	bearer := adminBearer(t, srv)
	r := addRegistrant(t, srv, admin, register.NewRegistrant{Given: "Amara", Family: "Nwosu", Nation: "england"})
	_, registrarBearer, err := srv.CreateToken(admin, register.RoleRegistrar, "desk 2")
	require.NoError(t, err)
	_, err = srv.Apply(context.Background(), admin, fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpSuspend, Reason: "interim order"})
	require.NoError(t, err)
	want, wantIdx := stateBytes(t, srv.State()), srv.State().Index("")
	require.NoError(t, srv.Close())
	assert.False(t, srv.Ready())

	srv2 := e.open(t)
	assert.Equal(t, wantIdx, srv2.State().Index(""))
	assert.Equal(t, want, stateBytes(t, srv2.State()), "every table is as it was")
	got, err := srv2.State().Registrant(r.Number)
	require.NoError(t, err)
	assert.Equal(t, register.Suspended, got.Status)

	assert.Equal(t, bearer, adminBearer(t, srv2), "the admin token is kept")
	_, err = srv2.Authenticate(bearer)
	require.NoError(t, err)
	actor, err := srv2.Authenticate(registrarBearer)
	require.NoError(t, err)
	assert.Equal(t, register.RoleRegistrar, actor.Role)
	toks, err := srv2.State().Tokens()
	require.NoError(t, err)
	assert.Len(t, toks, 2, "no second admin token on reopen")

	// The next registrant gets the next number.
	r2 := addRegistrant(t, srv2, admin, register.NewRegistrant{Given: "Gareth", Family: "Llewellyn", Nation: "wales"})
	assert.Equal(t, regno.Format(regno.FirstSerial+1), r2.Number)
}

func TestReopenAfterSnapshotResumes(t *testing.T) {
	e := newEnv(t)
	srv := e.open(t)
	admin := adminActor(t, srv)
	for _, n := range []string{"Amara", "Gareth", "Eilidh"} {
		addRegistrant(t, srv, admin, register.NewRegistrant{Given: n, Family: "Test", Nation: "england"})
	}
	require.NoError(t, srv.Snapshot())
	r := addRegistrant(t, srv, admin, register.NewRegistrant{Given: "Ciaran", Family: "O'Neill", Nation: "northern-ireland"})
	_, err := srv.Apply(context.Background(), admin, fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpRemove, Reason: "struck off"})
	require.NoError(t, err)
	want := stateBytes(t, srv.State())
	require.NoError(t, srv.Close())

	srv2 := e.open(t)
	assert.Equal(t, want, stateBytes(t, srv2.State()), "snapshot plus the log after it rebuild the register")
}

func TestOpenRefusesUnusableDataDir(t *testing.T) {
	// initialised returns a data directory a server has used and closed.
	initialised := func(t *testing.T) *env {
		e := newEnv(t)
		srv, err := issuer.Open(e.config())
		require.NoError(t, err)
		require.NoError(t, srv.Close())
		return e
	}
	random := make([]byte, 64<<10)
	_, _ = rand.Read(random)

	cases := []struct {
		name   string
		setup  func(t *testing.T) *env
		file   string // the file the message must name, relative to the data dir
		intact string // a file that must be left exactly as it was
	}{
		{"non-empty directory without marker", func(t *testing.T) *env {
			e := newEnv(t)
			require.NoError(t, os.MkdirAll(e.dir, 0o700))
			require.NoError(t, os.WriteFile(filepath.Join(e.dir, "notes.txt"), []byte("important"), 0o600))
			return e
		}, "", "notes.txt"},
		{"marker not JSON", func(t *testing.T) *env {
			e := initialised(t)
			require.NoError(t, os.WriteFile(filepath.Join(e.dir, "linkpass.json"), []byte("{garbage"), 0o600))
			return e
		}, "linkpass.json", "raft/raft.db"},
		{"marker without node id", func(t *testing.T) *env {
			e := initialised(t)
			require.NoError(t, os.WriteFile(filepath.Join(e.dir, "linkpass.json"), []byte(`{"format":1}`), 0o600))
			return e
		}, "linkpass.json", "raft/raft.db"},
		{"marker of another layout version", func(t *testing.T) *env {
			e := initialised(t)
			require.NoError(t, os.WriteFile(filepath.Join(e.dir, "linkpass.json"), []byte(`{"format":2,"node_id":"node-1"}`), 0o600))
			return e
		}, "linkpass.json", "raft/raft.db"},
		{"empty marker", func(t *testing.T) *env {
			e := initialised(t)
			require.NoError(t, os.WriteFile(filepath.Join(e.dir, "linkpass.json"), nil, 0o600))
			return e
		}, "linkpass.json", "raft/raft.db"},
		{"raft.db missing", func(t *testing.T) *env {
			e := initialised(t)
			require.NoError(t, os.Remove(filepath.Join(e.dir, "raft", "raft.db")))
			return e
		}, "raft/raft.db", "linkpass.json"},
		{"raft directory missing", func(t *testing.T) *env {
			e := initialised(t)
			require.NoError(t, os.RemoveAll(filepath.Join(e.dir, "raft")))
			return e
		}, "raft/raft.db", "linkpass.json"},
		{"raft.db random bytes", func(t *testing.T) *env {
			e := initialised(t)
			require.NoError(t, os.WriteFile(filepath.Join(e.dir, "raft", "raft.db"), random, 0o600))
			return e
		}, "raft/raft.db", "raft/raft.db"},
		{"raft.db short garbage", func(t *testing.T) *env {
			e := initialised(t)
			require.NoError(t, os.WriteFile(filepath.Join(e.dir, "raft", "raft.db"), []byte("not a database"), 0o600))
			return e
		}, "raft/raft.db", "raft/raft.db"},
		{"raft.db emptied", func(t *testing.T) *env {
			e := initialised(t)
			require.NoError(t, os.WriteFile(filepath.Join(e.dir, "raft", "raft.db"), nil, 0o600))
			return e
		}, "raft/raft.db", "linkpass.json"},
		{"data dir is a file", func(t *testing.T) *env {
			e := newEnv(t)
			require.NoError(t, os.WriteFile(e.dir, []byte("x"), 0o600))
			return e
		}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := c.setup(t)
			var before []byte
			if c.intact != "" {
				var err error
				before, err = os.ReadFile(filepath.Join(e.dir, c.intact))
				require.NoError(t, err)
			}
			srv, err := issuer.Open(e.config())
			if srv != nil {
				_ = srv.Close()
			}
			require.ErrorIs(t, err, issuer.ErrDataDir)
			assert.Nil(t, srv)
			if c.file != "" {
				assert.Contains(t, err.Error(), filepath.Join(e.dir, c.file), "the message names the file")
			} else {
				assert.Contains(t, err.Error(), e.dir)
			}
			if c.intact != "" {
				after, err := os.ReadFile(filepath.Join(e.dir, c.intact))
				require.NoError(t, err)
				assert.Equal(t, before, after, "%s was left as it was", c.intact)
			}
		})
	}

	t.Run("no data dir given", func(t *testing.T) {
		_, err := issuer.Open(issuer.Config{IssuerURL: issuerURL})
		require.ErrorIs(t, err, issuer.ErrDataDir)
	})
}

func TestOpenRefusesDataDirInUse(t *testing.T) {
	e := newEnv(t)
	srv := e.open(t)
	second, err := issuer.Open(e.config())
	if second != nil {
		_ = second.Close()
	}
	require.ErrorIs(t, err, issuer.ErrDataDir)
	assert.Contains(t, err.Error(), filepath.Join(e.dir, "raft", "raft.db"))
	assert.Contains(t, err.Error(), "locked")

	// The first server is unharmed.
	addRegistrant(t, srv, adminActor(t, srv), register.NewRegistrant{Given: "Amara", Family: "Nwosu", Nation: "england"})
}

func TestFirstOpenWithoutIssuerURLFailsThenSucceedsWithOne(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.IssuerURL = ""
	srv, err := issuer.Open(cfg)
	require.ErrorIs(t, err, register.ErrInvalid)
	require.Nil(t, srv)
	assert.Contains(t, err.Error(), "issuer URL")

	srv = e.open(t)
	assert.Equal(t, issuerURL, srv.State().Settings().IssuerURL)
	_, err = srv.Authenticate(adminBearer(t, srv))
	require.NoError(t, err)
}

func TestReopenWithNewIssuerURLRecordsIt(t *testing.T) {
	e := newEnv(t)
	srv := e.open(t)
	require.NoError(t, srv.Close())
	cfg := e.config()
	cfg.IssuerURL = "https://register.nalw.org.uk"
	srv, err := issuer.Open(cfg)
	require.NoError(t, err)
	defer srv.Close()
	assert.Equal(t, "https://register.nalw.org.uk", srv.State().Settings().IssuerURL)
	evs, err := srv.State().Audit(state.AuditFilter{After: srv.State().Index("") - 1})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, register.System, evs[0].Actor)
	assert.Equal(t, "https://register.nalw.org.uk", evs[0].Details["issuer_url"])
}

func TestAuthenticateRejectsBadTokens(t *testing.T) {
	e := newEnv(t)
	srv := e.open(t)
	admin := adminActor(t, srv)
	bearer := adminBearer(t, srv)
	rev, revBearer, err := srv.CreateToken(admin, register.RoleAuditor, "to revoke")
	require.NoError(t, err)
	_, err = srv.Apply(context.Background(), admin, fsm.RevokeToken{ID: rev.ID, Reason: "left"})
	require.NoError(t, err)

	id := strings.Split(bearer, "_")[1]
	secret := bearer[len("lpt_")+len(id)+1:]
	wrongSecret := "lpt_" + id + "_" + strings.Repeat("A", len(secret))
	unknownID := "lpt_0000000000000000_" + secret

	malformed := []string{"", " ", "Bearer " + bearer, "lpt_", "lpt_" + id, "lpt_" + id + "_", "lpt_" + id + "_short",
		"xyz_" + id + "_" + secret, strings.ToUpper(bearer), bearer + "x", "lpt_" + id[:15] + "_" + secret, strings.Repeat("a", 10000)}
	for _, b := range malformed {
		_, err := srv.Authenticate(b)
		require.ErrorIs(t, err, register.ErrUnauthenticated, "%q", b)
	}

	var msgs []string
	for name, b := range map[string]string{"unknown id": unknownID, "revoked": revBearer, "wrong secret": wrongSecret} {
		a, err := srv.Authenticate(b)
		require.ErrorIs(t, err, register.ErrUnauthenticated, name)
		assert.Equal(t, register.Actor{}, a)
		assert.NotContains(t, err.Error(), secret)
		msgs = append(msgs, err.Error())
	}
	assert.Equal(t, msgs[0], msgs[1], "one answer for unknown, revoked and wrong, so ids are not confirmed")
	assert.Equal(t, msgs[1], msgs[2])

	// Surrounding whitespace, as in a copied file, is tolerated.
	_, err = srv.Authenticate(bearer + "\n")
	require.NoError(t, err)
}

func TestCreateToken(t *testing.T) {
	e := newEnv(t)
	srv := e.open(t)
	admin := adminActor(t, srv)
	seen := map[string]bool{}
	for _, role := range []register.Role{register.RoleAdmin, register.RoleRegistrar, register.RoleAuditor} {
		tok, bearer, err := srv.CreateToken(admin, role, "desk")
		require.NoError(t, err)
		assert.Equal(t, admin.TokenID, tok.CreatedBy)
		assert.Equal(t, e.clock.Now(), tok.CreatedAt)
		require.False(t, seen[bearer])
		seen[bearer] = true
		a, err := srv.Authenticate(bearer)
		require.NoError(t, err)
		assert.Equal(t, register.Actor{TokenID: tok.ID, Role: role}, a)
		assert.NotContains(t, e.logs.String(), bearer)
	}
	_, _, err := srv.CreateToken(admin, "root", "")
	require.ErrorIs(t, err, register.ErrInvalid)
	_, _, err = srv.CreateToken(admin, register.RoleAuditor, strings.Repeat("n", 101))
	require.ErrorIs(t, err, register.ErrInvalid)
}

func TestApplyRefusesCancelledContext(t *testing.T) {
	e := newEnv(t)
	srv := e.open(t)
	idx := srv.State().Index("")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := srv.Apply(ctx, adminActor(t, srv), fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "A", Family: "B", Nation: "wales"}})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, idx, srv.State().Index(""))
}

func TestApplyReturnsRuleErrors(t *testing.T) {
	e := newEnv(t)
	srv := e.open(t)
	admin := adminActor(t, srv)
	r := addRegistrant(t, srv, admin, register.NewRegistrant{Given: "Amara", Family: "Nwosu", Nation: "england"})
	idx := srv.State().Index("")
	_, err := srv.Apply(context.Background(), admin, fsm.ChangeRegistrant{Number: r.Number, Op: fsm.OpReinstate, Reason: "x"})
	require.ErrorIs(t, err, register.ErrConflict)
	_, err = srv.Apply(context.Background(), admin, fsm.ChangeRegistrant{Number: regno.Format(999999), Op: fsm.OpRemove, Reason: "x"})
	require.ErrorIs(t, err, register.ErrNotFound)
	assert.Equal(t, idx, srv.State().Index(""), "refused changes leave the state index where it was")
	got, err := srv.State().Registrant(r.Number)
	require.NoError(t, err)
	assert.Equal(t, r, got)
}

func TestApplyAfterCloseIsUnavailable(t *testing.T) {
	e := newEnv(t)
	srv := e.open(t)
	admin := adminActor(t, srv)
	require.NoError(t, srv.Close())
	_, err := srv.Apply(context.Background(), admin, fsm.LapseSweep{})
	require.ErrorIs(t, err, register.ErrUnavailable)
	require.NoError(t, srv.Close(), "closing twice is harmless")
}

func TestLapseExpiredLapsesRegistrationsPastTheirEnd(t *testing.T) {
	e := newEnv(t)
	srv := e.open(t)
	admin := adminActor(t, srv)
	due := addRegistrant(t, srv, admin, register.NewRegistrant{Given: "Hannah", Family: "Greenwood", Nation: "england", RegisteredUntil: "2026-03-25"})
	notDue := addRegistrant(t, srv, admin, register.NewRegistrant{Given: "Dafydd", Family: "Morgan", Nation: "wales", RegisteredUntil: "2026-03-26"})

	idx := srv.State().Index("")
	n, err := srv.LapseExpired()
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Equal(t, idx, srv.State().Index(""), "nothing due: nothing written to the log")

	e.clock.Advance(11 * 24 * time.Hour) // 2026-03-26
	n, err = srv.LapseExpired()
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	got, err := srv.State().Registrant(due.Number)
	require.NoError(t, err)
	assert.Equal(t, register.Lapsed, got.Status)
	assert.Equal(t, e.clock.Now(), got.StatusChangedAt)
	got, err = srv.State().Registrant(notDue.Number)
	require.NoError(t, err)
	assert.Equal(t, register.Registered, got.Status, "valid all of its last day")

	evs, err := srv.State().Audit(state.AuditFilter{Registrant: due.Number})
	require.NoError(t, err)
	last := evs[len(evs)-1]
	assert.Equal(t, "registrant.lapse", last.Action)
	assert.Equal(t, register.System, last.Actor)
	assert.Equal(t, e.clock.Now(), last.At)
	assert.Contains(t, last.Reason, "2026-03-25")

	idx = srv.State().Index("")
	n, err = srv.LapseExpired()
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Equal(t, idx, srv.State().Index(""))
}

func TestRunLapsesAtStartThenStopsWithContext(t *testing.T) {
	e := newEnv(t)
	srv := e.open(t)
	due := addRegistrant(t, srv, adminActor(t, srv), register.NewRegistrant{Given: "Hannah", Family: "Greenwood", Nation: "england", RegisteredUntil: "2026-03-20"})
	e.clock.Advance(30 * 24 * time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	srv.Run(ctx) // one sweep, then it sees the context has ended
	r, err := srv.State().Registrant(due.Number)
	require.NoError(t, err)
	assert.Equal(t, register.Lapsed, r.Status)
	assert.Contains(t, e.logs.String(), "lapsed registrations")
}

func TestSeedDemoCoversTheRegister(t *testing.T) {
	e := newEnv(t)
	srv := e.open(t)
	n, err := srv.SeedDemo()
	require.NoError(t, err)
	assert.Equal(t, 20, n)

	regs, err := srv.State().Registrants("")
	require.NoError(t, err)
	require.Len(t, regs, 20)
	today := register.DateOf(e.clock.Now())
	count := map[register.Status]int{}
	restricted := map[register.Status]int{}
	nations := map[string]bool{}
	for _, r := range regs {
		count[r.Status]++
		if r.Restricted() {
			restricted[r.Status]++
		}
		nations[r.Nation] = true
		_, err := regno.Parse(r.Number)
		require.NoError(t, err)
		assert.NotEmpty(t, r.Qualifications, r.FullName())
		assert.NotEmpty(t, r.CPD, r.FullName())
		assert.NotEmpty(t, r.Email)
		switch r.Status {
		case register.Registered:
			assert.True(t, r.GoodStanding(today), "%s is registered and in date", r.FullName())
		case register.Lapsed:
			assert.True(t, r.RegisteredUntil.Before(today))
		case register.Suspended:
			assert.True(t, today.Before(r.SuspendedUntil), "%s is suspended until a future date", r.FullName())
		}
	}
	for _, s := range []register.Status{register.Registered, register.Suspended, register.Lapsed, register.Removed} {
		assert.GreaterOrEqual(t, count[s], 2, "at least two %s", s)
	}
	assert.GreaterOrEqual(t, restricted[register.Registered], 1, "registered with conditions")
	assert.Len(t, nations, 4, "every nation")
	assert.True(t, srv.State().Settings().QualityMark.Held(today))

	evs, err := srv.State().Audit(state.AuditFilter{})
	require.NoError(t, err)
	demo := 0
	for _, ev := range evs {
		if ev.Actor.TokenID == "demo-seed" {
			demo++
		}
	}
	assert.Greater(t, demo, 40, "the demonstration's changes are audited as such")

	idx := srv.State().Index("")
	n, err = srv.SeedDemo()
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Equal(t, idx, srv.State().Index(""), "a second seed does nothing")
}

func TestSeedDemoDoesNothingOnANonEmptyRegister(t *testing.T) {
	e := newEnv(t)
	srv := e.open(t)
	addRegistrant(t, srv, adminActor(t, srv), register.NewRegistrant{Given: "Amara", Family: "Nwosu", Nation: "england"})
	before := stateBytes(t, srv.State())
	n, err := srv.SeedDemo()
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Equal(t, before, stateBytes(t, srv.State()))
}

func TestDefaultIssuerURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://localhost:8080",
		"0.0.0.0:8080":   "http://localhost:8080",
		"127.0.0.1:9000": "http://127.0.0.1:9000",
		"[::1]:8080":     "http://[::1]:8080",
		"[::]:8080":      "http://localhost:8080",
	} {
		got := issuer.DefaultIssuerURL(addr)
		assert.Equal(t, want, got, addr)
		require.NoError(t, register.ValidateIssuerURL(got), addr)
	}
}
