// Package issuer runs the register: the replicated state (Raft log,
// go-memdb state store), the operations registrars perform on it, and
// credential issuance. The HTTP API lives in issuer/api; the domain rules in
// issuer/register.
package issuer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
	"golang.org/x/time/rate"

	"github.com/nalw/linkpass/issuer/backup"
	"github.com/nalw/linkpass/issuer/cluster"
	"github.com/nalw/linkpass/issuer/datadir"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/issuer/statuspub"
	"github.com/nalw/linkpass/issuer/trustroot"
	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/statuslist"
)

// Config configures a register server.
type Config struct {
	// DataDir holds the Raft log, snapshots, signing keys and the first
	// admin token.
	DataDir string
	// Create makes a new register when DataDir is missing or empty.
	// Without it such a directory is refused, so that a mistyped or moved
	// path never starts an empty register with a new signing key.
	Create bool
	// IssuerURL is the register's public base URL: credentials name it as
	// their issuer. Empty keeps what the register has recorded.
	IssuerURL string
	// DefaultIssuerURL is recorded on first start when IssuerURL is empty;
	// it never replaces a recorded issuer URL.
	DefaultIssuerURL string
	// RegisterName names the register; empty keeps what is recorded.
	RegisterName string
	// Logger receives operational logs. Secrets never go to it.
	Logger *slog.Logger
	// Clock returns the current time; tests move it.
	Clock func() time.Time
	// LapseCheckEvery is how often registrations past their end are lapsed.
	LapseCheckEvery time.Duration
	// LapseConfirmShare is the largest share of registered registrants
	// (0 to 1) the automatic sweep lapses on its own; a sweep that would
	// lapse more (and more than one) waits for an operator's confirmation.
	// Zero means the default, 5%.
	LapseConfirmShare float64
	// ObserveApply, if set, is told how long each change took to commit
	// (the metrics' apply latency).
	ObserveApply func(time.Duration)
	// ApplyTimeout bounds how long a change may wait to be committed.
	ApplyTimeout time.Duration
	// SnapshotThreshold is how many log entries since the last snapshot
	// trigger one (16,384 by default: replaying them takes one to two
	// seconds, and at a million registrants each snapshot costs about half
	// a second of CPU that writes then do not have).
	SnapshotThreshold uint64
	// SnapshotBytes is how many bytes of log entries since the last
	// snapshot trigger one (8 MiB by default): a few large entries, an
	// import's batches, replay as slowly as many small ones. At 16 MiB a
	// kill -9 at the end of an import of 1,000,000 replayed for 1.1–1.3 s
	// and restarted in 4.1–4.7 s, close to the 5 s target; at 8 MiB, 0.3 s
	// and 3.2 s, for more snapshots during the import (61.6 against 75.9 s
	// through the API, one run each).
	SnapshotBytes uint64
	// SnapshotInterval is how often the register checks whether to
	// snapshot (every second when zero).
	SnapshotInterval time.Duration
	// TrailingLogs is how many log entries a snapshot leaves in the log
	// (1024 by default); tests lower it to make the log start after a
	// snapshot.
	TrailingLogs uint64
	// KeyAlgorithm is the algorithm of the first signing key: "EdDSA"
	// (default) or "ES256".
	KeyAlgorithm string
	// StatusListSize is the number of entries of each new status list.
	StatusListSize int
	// StatusListTTL is how long verifiers may cache a Status List Token
	// before fetching a fresh one.
	StatusListTTL time.Duration
	// StorageCheckEvery is how often the data directory is checked while
	// the register runs (still there, writable, disk not full).
	StorageCheckEvery time.Duration
	// StatusListValidity is how long a Status List Token is valid (its exp).
	StatusListValidity time.Duration
	// PublishTimeout bounds how long a change to a credential's status
	// waits for the status list that carries it to be served.
	PublishTimeout time.Duration
	// Cluster, when set, runs this node as a member of a Raft cluster
	// over mutual TLS instead of as a register of one.
	Cluster *cluster.Config
	// KEK is the cluster's key-encryption key: signing and root keys
	// travel through the log sealed under it. Required with Cluster.
	KEK *keys.KEK
}

func (c *Config) init() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.LapseCheckEvery == 0 {
		c.LapseCheckEvery = 10 * time.Minute
	}
	if c.LapseConfirmShare == 0 {
		c.LapseConfirmShare = 0.05
	}
	if c.StorageCheckEvery == 0 {
		c.StorageCheckEvery = time.Second
	}
	if c.ApplyTimeout == 0 {
		c.ApplyTimeout = 10 * time.Second
	}
	if c.TrailingLogs == 0 {
		c.TrailingLogs = 1024
	}
	if c.SnapshotThreshold == 0 {
		c.SnapshotThreshold = 16384
	}
	if c.SnapshotBytes == 0 {
		c.SnapshotBytes = 8 << 20
	}
	if c.SnapshotInterval == 0 {
		c.SnapshotInterval = time.Second
	}
	if c.StatusListSize == 0 {
		c.StatusListSize = statuslist.RecommendedSize
	}
	if c.StatusListTTL == 0 {
		// Online verifiers cache a list this long: short enough that a
		// suspension reaches them within minutes, while re-signing every
		// half ttl costs next to nothing.
		c.StatusListTTL = 5 * time.Minute
	}
	if c.Cluster != nil && c.Cluster.LeaderLostAfter == 0 {
		c.Cluster.LeaderLostAfter = 5 * time.Second
	}
	if c.StatusListValidity == 0 {
		c.StatusListValidity = 36 * time.Hour
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = 5 * time.Second
	}
}

// ErrDataDir means the data directory cannot be used; the message says
// which file and what to do.
var ErrDataDir = datadir.ErrUnusable

// Server is one member of the register.
type Server struct {
	cfg    Config
	logger *slog.Logger
	fsm    *fsm.FSM
	raft   *raft.Raft
	logs   *raftboltdb.BoltStore
	trans  raft.Transport
	snaps  *datadir.VerifiedSnapshots
	node   *cluster.Raft // nil for a register of one
	ready  atomic.Bool
	// checkedAt is when the start's checks of the data directory ended.
	checkedAt time.Time
	health    health

	marker  datadir.Marker
	watch   *datadir.Watch
	signers *signers
	root    *trustroot.Signer
	rootKey *keys.Key
	closing chan struct{}
	pub     *statuspub.Publisher
	stopPub context.CancelFunc
	pubDone chan struct{}

	lapseHold lapseHold
	// stopWatch ends the data directory watch.
	stopWatch context.CancelFunc

	// AdminTokenPath is where the first admin token was written.
	AdminTokenPath string

	closeOnce sync.Once
	closeErr  error
}

// Open opens (or on first start creates) the register in cfg.DataDir and
// waits until it has caught up with its log. It never starts an empty
// register over a data directory it cannot read.
func Open(cfg Config) (*Server, error) {
	cfg.init()
	t0 := time.Now()
	m, fresh, cleared, err := datadir.Open(cfg.DataDir, cfg.Clock(), cfg.Create)
	if err != nil {
		return nil, err
	}
	if cfg.Cluster != nil {
		if m, err = datadir.ClaimForNode(cfg.DataDir, m, cfg.Cluster.NodeID, fresh); err != nil {
			return nil, err
		}
	} else if m.Clustered {
		return nil, fmt.Errorf("%w: %s is the data directory of cluster member %q: start it as one (--node-id %s --raft-addr --cluster-tls --kek-file); see the operator guide to make a register of one from it", ErrDataDir, cfg.DataDir, m.NodeID, m.NodeID)
	}
	if err := datadir.CheckPermissions(cfg.DataDir, cfg.Logger); err != nil {
		return nil, err
	}
	if fresh {
		cfg.Logger.Info("creating a new register", "data", cfg.DataDir)
	}
	if cleared {
		cfg.Logger.Warn("starting the register afresh: an earlier first start in this directory did not finish, so it held nothing anyone had been told", "data", cfg.DataDir)
	}
	s := &Server{cfg: cfg, logger: cfg.Logger, marker: m, closing: make(chan struct{}), health: health{onApply: cfg.ObserveApply}, AdminTokenPath: datadir.Layout(cfg.DataDir).AdminToken()}
	if s.watch, err = datadir.NewWatch(cfg.DataDir, cfg.Logger); err != nil {
		return nil, err
	}
	if s.fsm, err = fsm.New(cfg.Logger); err != nil {
		return nil, err
	}
	if err := s.openKeys(); err != nil {
		return nil, err
	}
	// A node joining a cluster takes the root key from the log, once it
	// has caught up; every other start has it, or makes it, here.
	joining := cfg.Cluster != nil && !cfg.Cluster.Bootstrap && !datadir.HasRootKey(cfg.DataDir)
	if !joining {
		if err := s.openTrustRoot(); err != nil {
			return nil, err
		}
	}
	if err := s.openRaft(m, fresh); err != nil {
		return nil, err
	}
	tLoaded := time.Now()
	if s.node != nil {
		if err := s.startMember(fresh, joining); err != nil {
			s.Close()
			return nil, err
		}
	} else {
		if err := s.waitReady(30 * time.Second); err != nil {
			s.Close()
			return nil, err
		}
		if err := s.firstStart(); err != nil {
			s.Close()
			return nil, err
		}
	}
	tCaughtUp := time.Now()
	s.pub = s.newPublisher()
	if err := s.pub.Rebuild(); errors.Is(err, statuspub.ErrClockBehind) {
		// Serve, but not ready and without lists, until the clock is right:
		// readyz says why, and the publisher retries every second.
		s.logger.Error("not publishing status lists: the clock is behind", "err", err)
	} else if err != nil {
		s.Close()
		return nil, fmt.Errorf("publishing status lists: %w", err)
	}
	// The publisher runs as long as the server: a change to a status is
	// acknowledged only once it is served.
	ctx, cancel := context.WithCancel(context.Background())
	s.stopPub, s.pubDone = cancel, make(chan struct{})
	go func() { defer close(s.pubDone); s.pub.Run(ctx) }()
	if m.Initialising {
		m.Initialising = false
		if err := datadir.WriteMarker(cfg.DataDir, m); err != nil {
			s.Close()
			return nil, err
		}
	}
	var wctx context.Context
	wctx, s.stopWatch = context.WithCancel(context.Background())
	go s.watch.Run(wctx, s.cfg.StorageCheckEvery)
	go s.snapshotWhenBehind()
	s.ready.Store(true)
	// What a start spent its time on: a slow start says which part to
	// look at (operator guide, Performance).
	s.logger.Info("register open", "index", s.State().Index(""),
		"checks_s", seconds(s.checkedAt.Sub(t0)), "snapshot_s", seconds(tLoaded.Sub(s.checkedAt)),
		"log_s", seconds(tCaughtUp.Sub(tLoaded)), "status_lists_s", seconds(time.Since(tCaughtUp)), "total_s", seconds(time.Since(t0)))
	// What a restore threw away since its last collection stays resident
	// until the heap next reaches twice what that collection saw live,
	// which can be most of the first minute of serving. Collect it now,
	// beside the first requests; the background scavenger then hands its
	// pages back. (debug.FreeOSMemory hands them back at once, but
	// releasing a gigabyte in one go held requests up for up to 0.7 s.)
	go runtime.GC()
	return s, nil
}

// checkLog is datadir.CheckLog, its error said for an operator.
func checkLog(path string, snapshotIndex uint64) (datadir.LogInfo, error) {
	info, err := datadir.CheckLog(path, snapshotIndex)
	if err != nil {
		return info, fmt.Errorf("%w: the register's log %s is damaged (%v). Do not delete it: restore the register from a backup with `linkpass restore` into a new directory, keeping this one aside", ErrDataDir, path, err)
	}
	return info, nil
}

func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }

func (s *Server) openRaft(m datadir.Marker, fresh bool) error {
	dir := datadir.Layout(s.cfg.DataDir).Raft()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("%w: cannot create %s: %v", ErrDataDir, dir, err)
	}
	dbPath := datadir.Layout(s.cfg.DataDir).Log()
	var restored datadir.Snapshot // the snapshot the checks found whole
	if !fresh {
		if _, err := os.Stat(dbPath); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrDataDir, dbPath, err)
		}
		// Raft and bbolt end the process with a stack trace on a damaged
		// log or a missing snapshot: look first, and say which file.
		layout := datadir.Layout(s.cfg.DataDir)
		newest := datadir.NewestSnapshotIndex(layout)
		info, err := checkLog(dbPath, newest)
		if err != nil {
			return err
		}
		if restored, err = datadir.CheckSnapshots(layout, info.First, s.logger); err != nil {
			return err
		}
		if restored.Index < newest {
			// An older snapshot will be restored, so more of the log is
			// replayed: check those commands too.
			if _, err := checkLog(dbPath, restored.Index); err != nil {
				return err
			}
		}
	}
	s.checkedAt = time.Now()
	logs, err := raftboltdb.New(raftboltdb.Options{Path: dbPath, BoltOptions: datadir.LogOptions()})
	if err != nil {
		if errors.Is(err, bbolt.ErrTimeout) {
			return fmt.Errorf("%w: %s is locked: another linkpass is already running with --data %s; stop it first", ErrDataDir, dbPath, s.cfg.DataDir)
		}
		return fmt.Errorf("%w: cannot open the register's log %s: %v. Do not delete it: restore the data directory from a backup, or move it aside to start a new register", ErrDataDir, dbPath, err)
	}
	s.logs = logs
	// Raft's own warnings include an election at every start of a single
	// node, which is expected; errors still reach the operator.
	hlog := hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Error, Output: newRaftLog(s.logger)})
	files, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, hlog)
	if err != nil {
		logs.Close()
		return fmt.Errorf("%w: snapshots in %s: %v", ErrDataDir, datadir.Layout(s.cfg.DataDir).Snapshots(), err)
	}
	snaps := datadir.NewVerifiedSnapshots(files, datadir.Layout(s.cfg.DataDir), restored)
	s.snaps = snaps
	// Snapshots hold the whole register, private contact details included.
	_ = os.Chmod(datadir.Layout(s.cfg.DataDir).Snapshots(), 0o700)
	conf := raft.DefaultConfig()
	conf.LocalID = raft.ServerID(m.NodeID)
	conf.Logger = hlog
	// Raft's own check, every 2 minutes, stays as a backstop to
	// snapshotWhenBehind's.
	conf.SnapshotThreshold = s.cfg.SnapshotThreshold
	conf.TrailingLogs = s.cfg.TrailingLogs
	conf.MaxAppendEntries = 256
	// One voter elects itself: short timeouts make start-up quick.
	conf.HeartbeatTimeout = 100 * time.Millisecond
	conf.ElectionTimeout = 100 * time.Millisecond
	conf.LeaderLeaseTimeout = 100 * time.Millisecond
	var addr raft.ServerAddress
	var trans raft.Transport
	if c := s.cfg.Cluster; c != nil {
		// On a LAN a follower that misses half a second of heartbeats
		// starts an election: a new leader within about a second of a
		// crash, well inside the three seconds writes may stall.
		conf.HeartbeatTimeout = 500 * time.Millisecond
		conf.ElectionTimeout = 500 * time.Millisecond
		conf.LeaderLeaseTimeout = 250 * time.Millisecond
		// The leader renounces leadership when it cannot reach a majority
		// for a lease, so a minority side refuses writes.
		conf.ShutdownOnRemove = false
		addr = raft.ServerAddress(c.Advertise)
		trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{Stream: c.Transport, MaxPool: 3, Timeout: 10 * time.Second, Logger: hlog})
	} else {
		addr, trans = raft.NewInmemTransport(raft.ServerAddress(m.NodeID))
	}
	s.trans = trans

	existing, err := raft.HasExistingState(logs, logs, snaps)
	if err != nil {
		logs.Close()
		return fmt.Errorf("%w: reading %s: %v", ErrDataDir, dbPath, err)
	}
	if !existing {
		if !fresh {
			logs.Close()
			return fmt.Errorf("%w: %s holds no log although the directory was initialised; restore the data directory from a backup", ErrDataDir, dbPath)
		}
		if s.cfg.Cluster == nil || s.cfg.Cluster.Bootstrap {
			boot := raft.Configuration{Servers: []raft.Server{{Suffrage: raft.Voter, ID: conf.LocalID, Address: addr}}}
			if err := raft.BootstrapCluster(conf, logs, logs, snaps, trans, boot); err != nil {
				logs.Close()
				return fmt.Errorf("bootstrapping the register: %w", err)
			}
		}
	}
	r, err := raft.NewRaft(conf, s.fsm, logs, logs, snaps, trans)
	if err != nil {
		logs.Close()
		return fmt.Errorf("%w: cannot load the register from %s: %v. Restore the data directory from a backup", ErrDataDir, dir, err)
	}
	s.raft = r
	if c := s.cfg.Cluster; c != nil {
		s.node = cluster.NewRaft(r, m.NodeID, c.LeaderLostAfter)
		c.Transport.Expect(s.node.NodeAt)
	}
	return nil
}

// raftLog passes Raft's error lines to the operational log, at most a few
// every ten seconds: on a full disk Raft retries its election and logs
// every failure, which once made 88,000 lines in 10 seconds and buried the
// one line that said why.
type raftLog struct {
	logger     *slog.Logger
	mu         sync.Mutex
	every      rate.Sometimes
	suppressed int
}

func newRaftLog(logger *slog.Logger) *raftLog {
	return &raftLog{logger: logger, every: rate.Sometimes{First: 5, Interval: 10 * time.Second}}
}

func (l *raftLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	logged := false
	l.every.Do(func() {
		logged = true
		l.logger.Error("raft", "line", strings.TrimSpace(string(p)), "suppressed_since_last", l.suppressed)
		l.suppressed = 0
	})
	if !logged {
		l.suppressed++
	}
	return len(p), nil
}

// waitReady waits for leadership and for every committed entry to be
// applied, so that the first request sees everything acknowledged before.
func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for s.raft.State() != raft.Leader {
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: no leader elected within %s", register.ErrUnavailable, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := s.raft.Barrier(timeout).Error(); err != nil {
		return fmt.Errorf("%w: catching up with the log: %v", register.ErrUnavailable, err)
	}
	return nil
}

// firstStart records settings from the configuration and makes sure an
// admin token exists. The token file is written before the token is
// recorded, and reused if present, so a crash in between never leaves a
// register nobody can administer.
func (s *Server) firstStart() error {
	st := s.State()
	set := fsm.SetSettings{}
	cur := st.Settings()
	switch {
	case s.cfg.IssuerURL != "" && s.cfg.IssuerURL != cur.IssuerURL:
		if cur.IssuerURL != "" {
			s.logger.Warn("changing the issuer URL: credentials issued before name the old one and verifiers must trust both", "old", cur.IssuerURL, "new", s.cfg.IssuerURL)
		}
		set.IssuerURL = &s.cfg.IssuerURL
	case cur.IssuerURL == "" && s.cfg.DefaultIssuerURL != "":
		set.IssuerURL = &s.cfg.DefaultIssuerURL
	}
	if s.cfg.RegisterName != "" && s.cfg.RegisterName != cur.RegisterName {
		set.RegisterName = &s.cfg.RegisterName
	}
	if set.IssuerURL != nil || set.RegisterName != nil || cur.ModifyIndex == 0 {
		if _, err := s.apply(register.System, set); err != nil {
			return fmt.Errorf("recording settings: %w", err)
		}
	}
	if st.Settings().IssuerURL == "" {
		return fmt.Errorf("%w: the register has no issuer URL; pass --issuer-url", register.ErrInvalid)
	}
	if err := s.ensureSigningKey(); err != nil {
		return fmt.Errorf("making the first signing key: %w", err)
	}
	if err := s.checkActiveKeyFile(); err != nil {
		return err
	}
	toks, err := st.Tokens()
	if err != nil {
		return err
	}
	if len(toks) > 0 {
		return s.checkAdminTokenFile()
	}
	bearer, err := os.ReadFile(s.AdminTokenPath)
	if err != nil {
		_, b := newTokenSecret()
		bearer = []byte(b + "\n")
		if err := datadir.WriteFileAtomic(s.AdminTokenPath, bearer, 0o600); err != nil {
			return fmt.Errorf("writing the admin token: %w", err)
		}
	}
	id, secret, err := splitBearer(string(bearer))
	if err != nil {
		return fmt.Errorf("%w: %s is damaged (%v); delete it and start again to make a new one", ErrDataDir, s.AdminTokenPath, err)
	}
	_, err = s.apply(register.System, fsmCreateToken(register.Token{ID: id, Role: register.RoleAdmin, Name: "first admin", SecretHash: hashSecret(secret)}))
	if err != nil {
		return fmt.Errorf("recording the admin token: %w", err)
	}
	s.logger.Info("created the first admin token", "path", s.AdminTokenPath)
	return nil
}

// checkAdminTokenFile refuses an admin token file that no longer holds a
// token of this register: the operator would otherwise find out only when
// every admin command fails. The file is only a copy handed to the
// operator, so a missing one is fine, and a damaged one is re-made rather
// than restored.
func (s *Server) checkAdminTokenFile() error {
	b, err := os.ReadFile(s.AdminTokenPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: cannot read %s: %v", ErrDataDir, s.AdminTokenPath, err)
	}
	fix := fmt.Sprintf("the register itself is intact. Delete the file, then run `linkpass admin-token --data %s` with the register stopped to make a new admin token", s.cfg.DataDir)
	id, _, err := splitBearer(string(b))
	if err != nil {
		return fmt.Errorf("%w: %s is damaged (%v); %s", ErrDataDir, s.AdminTokenPath, err, fix)
	}
	if tok, terr := s.State().Token(id); terr == nil && tok.Revoked {
		s.logger.Warn("the admin token file holds a revoked token; delete it", "path", s.AdminTokenPath)
		return nil
	}
	if _, err := s.Authenticate(string(b)); err != nil {
		return fmt.Errorf("%w: %s does not hold a token of this register (damaged, or copied from another); %s", ErrDataDir, s.AdminTokenPath, fix)
	}
	return nil
}

// NewAdminToken makes a new admin token and writes it to the admin token
// file, which must not exist. It is how an operator who lost the file gets
// back into the register, with the register stopped (so only whoever can
// read the data directory can do it).
func (s *Server) NewAdminToken() error {
	if _, err := os.Lstat(s.AdminTokenPath); err == nil {
		return fmt.Errorf("%w: %s exists; use the token in it, or delete it first if it is damaged", register.ErrConflict, s.AdminTokenPath)
	}
	_, bearer, err := s.CreateToken(register.System, register.RoleAdmin, "admin (made by linkpass admin-token)")
	if err != nil {
		return fmt.Errorf("making an admin token: %w", err)
	}
	if err := datadir.WriteFileAtomic(s.AdminTokenPath, []byte(bearer+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing the admin token: %w", err)
	}
	s.logger.Info("made a new admin token", "path", s.AdminTokenPath)
	return nil
}

func fsmCreateToken(t register.Token) fsm.CreateToken { return fsm.CreateToken{Token: t} }

// State returns the current state store for reads.
func (s *Server) State() *state.Store { return s.fsm.State() }

// Now is the register's clock.
func (s *Server) Now() time.Time { return s.cfg.Clock() }

// Ready reports whether the server has caught up and may serve.
func (s *Server) Ready() bool {
	if !s.ready.Load() || s.watch.Fault() != nil || s.ClockFault() != nil {
		return false
	}
	if s.node != nil {
		return s.node.IsLeader() || s.node.LeaderLost() == 0
	}
	return s.raft.State() == raft.Leader
}

// StorageFault says why the data directory cannot take changes now (gone,
// unwritable, disk full), or is nil.
func (s *Server) StorageFault() error { return s.watch.Fault() }

// Apply writes cmd to the log on behalf of actor and returns once it is
// committed and applied: the change is durable when Apply returns nil.
func (s *Server) Apply(ctx context.Context, actor register.Actor, cmd fsm.Command) (any, error) {
	c, err := s.Commit(ctx, actor, cmd)
	if err != nil {
		return nil, err
	}
	return c.Result, nil
}

// Committed is a change written to the log.
type Committed struct {
	// Result is what the command returned.
	Result any
	// Index is the change's log index.
	Index uint64
	// StatusPublishedAt is when the status lists now served were signed.
	// It is set when the change touched what status lists are built
	// from: the change is then in the lists served.
	StatusPublishedAt time.Time
}

// Commit writes cmd to the log on behalf of actor. It returns once the
// change is committed and applied and, if it touched credentials, status
// lists or keys, once the status lists served carry it.
func (s *Server) Commit(ctx context.Context, actor register.Actor, cmd fsm.Command) (*Committed, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.commitNow(actor, cmd)
}

func (s *Server) apply(actor register.Actor, cmd fsm.Command) (any, error) {
	c, err := s.commitNow(actor, cmd)
	if err != nil {
		return nil, err
	}
	return c.Result, nil
}

// commitNow commits cmd dated now, refusing to when the clock reads
// earlier than the last committed change.
func (s *Server) commitNow(actor register.Actor, cmd fsm.Command) (*Committed, error) {
	if err := s.ClockFault(); err != nil {
		return nil, fmt.Errorf("%w: nothing was changed", err)
	}
	return s.commitAt(actor, cmd, s.cfg.Clock())
}

// applyAt writes cmd dated at. Only the demonstration seed backdates.
func (s *Server) applyAt(actor register.Actor, cmd fsm.Command, at time.Time) (any, error) {
	c, err := s.commitAt(actor, cmd, at)
	if err != nil {
		return nil, err
	}
	return c.Result, nil
}

func (s *Server) commitAt(actor register.Actor, cmd fsm.Command, at time.Time) (*Committed, error) {
	// A log in a deleted directory still takes writes, into a file nobody
	// will ever read again: look before every change.
	if err := s.watch.Check(); err != nil {
		return nil, err
	}
	if s.raft.State() != raft.Leader {
		return nil, fmt.Errorf("%w: this node is not the leader; nothing was changed", register.ErrUnavailable)
	}
	data, err := fsm.Encode(cmd, actor, at)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	f := s.raft.Apply(data, s.cfg.ApplyTimeout)
	err = f.Error()
	s.health.observeApply(time.Since(start))
	if err != nil {
		if ferr := s.watch.Failed(err); ferr != nil {
			return nil, ferr
		}
		return nil, fmt.Errorf("%w: the change was not committed: %v", register.ErrUnavailable, err)
	}
	var res fsm.Applied
	switch r := f.Response().(type) {
	case error:
		return nil, r
	case fsm.Applied:
		res = r
	default:
		return nil, fmt.Errorf("fsm: unexpected response %T", r)
	}
	c := &Committed{Result: res.Result, Index: f.Index()}
	// A change to what the lists are built from is acknowledged only once
	// the lists served carry it. Only such changes wait: under a mix of
	// writes, asking whether any later change touched the lists would make
	// every write wait for a publication. Before the publisher starts,
	// Open publishes afterwards.
	if s.pub != nil && res.StatusChanged {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.PublishTimeout)
		defer cancel()
		if c.StatusPublishedAt, err = s.pub.Wait(ctx, c.Index); err != nil {
			s.logger.Error("a committed change was not published in time", "index", c.Index, "err", err)
			return nil, fmt.Errorf("%w: the change is committed but verifiers cannot see it yet: %v; it will be published as soon as the status list publisher recovers (see the register's log)", register.ErrUnavailable, err)
		}
	}
	return c, nil
}

// Run runs background work (lapsing registrations) until ctx ends. The
// status list publisher runs from Open to Close.
func (s *Server) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.LapseCheckEvery)
	defer t.Stop()
	for {
		// Only the leader sweeps: a follower's sweep could never commit.
		if s.raft.State() != raft.Leader {
		} else if n, err := s.LapseExpired(); err != nil {
			s.logger.Warn("lapsing expired registrations failed; will retry", "err", err)
		} else if n > 0 {
			s.logger.Info("lapsed registrations that were not renewed", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// unsnapshotted is how many applied entries the latest snapshot lacks.
func (s *Server) unsnapshotted() uint64 {
	last, err := strconv.ParseUint(s.raft.Stats()["last_snapshot_index"], 10, 64)
	if err != nil {
		return 0
	}
	applied := s.raft.AppliedIndex()
	if applied < last {
		return 0
	}
	return applied - last
}

// Backup takes a consistent copy of the register as it is now, for
// backup.Write. The register keeps serving: the copy is one read of the
// state store plus the key files.
func (s *Server) Backup() (*backup.Archive, error) {
	return backup.Take(s.State().Snapshot(), datadir.Layout(s.cfg.DataDir), s.marker, s.cfg.Clock())
}

// snapshotWhenBehind takes a snapshot whenever what a start after a
// crash would replay passes SnapshotThreshold entries or SnapshotBytes
// bytes, so that a restart is bounded by the register's size, not by how
// much changed since the last snapshot. Raft itself looks only every two
// minutes, and only at entries: an import of a million applies in about
// 500 entries, which it would leave for the log to replay.
func (s *Server) snapshotWhenBehind() {
	t := time.NewTicker(s.cfg.SnapshotInterval)
	defer t.Stop()
	var notBefore time.Time
	for {
		select {
		case <-s.closing:
			return
		case now := <-t.C:
			if now.Before(notBefore) {
				continue
			}
		}
		entries, bytes := s.fsm.Backlog()
		if entries < s.cfg.SnapshotThreshold && bytes < s.cfg.SnapshotBytes {
			continue
		}
		if !s.snapshotOrWarn() {
			// A full disk fails every time: do not spend a core on
			// retrying each second, nor fill the log with warnings.
			notBefore = time.Now().Add(snapshotRetryAfter)
		}
	}
}

// snapshotRetryAfter is how long snapshotWhenBehind waits after a failed
// snapshot.
const snapshotRetryAfter = 30 * time.Second

// snapshotOrWarn takes a snapshot, and reports whether it did or there
// was nothing to take; nothing is lost if it fails, so it only warns.
func (s *Server) snapshotOrWarn() bool {
	err := s.Snapshot()
	if err != nil && !errors.Is(err, raft.ErrNothingNewToSnapshot) && !errors.Is(err, raft.ErrRaftShutdown) {
		s.logger.Warn("snapshot failed; the next start replays the log", "err", err)
		return false
	}
	return true
}

// SnapshotSoon starts a snapshot in the background, for after a bulk
// change: taking one of a large register can outlast a client's patience,
// and nothing waits on it.
func (s *Server) SnapshotSoon() { go s.snapshotOrWarn() }

// Snapshot asks Raft to take a snapshot now.
func (s *Server) Snapshot() error { return s.raft.Snapshot().Error() }

// snapshotOnCloseAfter is how many log entries since the last snapshot
// make a graceful stop take one. Fewer replay in milliseconds.
const snapshotOnCloseAfter = 128

// Close stops Raft and closes the log. Everything acknowledged is already
// on disk. A stop after many changes first takes a snapshot, so that the
// next start restores it instead of replaying the log.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		wasReady := s.ready.Swap(false)
		if s.stopWatch != nil {
			s.stopWatch()
		}
		if s.stopPub != nil {
			s.stopPub()
			<-s.pubDone
		}
		var errs []error
		if wasReady && s.raft != nil && s.unsnapshotted() >= snapshotOnCloseAfter {
			if err := s.Snapshot(); err != nil && !errors.Is(err, raft.ErrNothingNewToSnapshot) {
				// Nothing is lost: the next start replays the log.
				s.logger.Warn("snapshot at stop failed; the next start replays the log", "err", err)
			}
		}
		if s.raft != nil {
			errs = append(errs, s.raft.Shutdown().Error())
		}
		if nt, ok := s.trans.(*raft.NetworkTransport); ok {
			errs = append(errs, nt.Close())
		}
		if s.logs != nil {
			errs = append(errs, s.logs.Close())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// DefaultIssuerURL derives an issuer URL from a listen address, for local
// use when the operator has not given one.
func DefaultIssuerURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return "http://" + host + ":" + port
}
