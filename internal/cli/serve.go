package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gorilla/mux"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nalw/linkpass/account"
	"github.com/nalw/linkpass/applications/applicant"
	"github.com/nalw/linkpass/applications/intake"
	"github.com/nalw/linkpass/confirmations/claims"
	"github.com/nalw/linkpass/console"
	"github.com/nalw/linkpass/courses/catalogue"
	"github.com/nalw/linkpass/cpdaudit"
	"github.com/nalw/linkpass/internal/fairshare"
	"github.com/nalw/linkpass/internal/metrics"
	"github.com/nalw/linkpass/internal/route"
	"github.com/nalw/linkpass/internal/version"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/api"
	"github.com/nalw/linkpass/issuer/cluster"
	"github.com/nalw/linkpass/issuer/publicregister"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/registrants"
	"github.com/nalw/linkpass/issuer/renewals"
	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/mail"
	"github.com/nalw/linkpass/notify"
	"github.com/nalw/linkpass/oid4vci"
	"github.com/nalw/linkpass/reminders"
	"github.com/nalw/linkpass/web"
)

type serveFlags struct {
	data, addr, issuerURL, registerName string
	metricsAddr                         string
	demo, init                          bool
	statusTTL                           time.Duration
	lapseShare                          float64
	log                                 logFlags
	mail                                mailFlags
	fair                                fairFlags
	backups                             backupFlags
	cluster                             clusterFlags
	reminderDays                        []int
	sso                                 ssoFlags
}

// clusterFlags make this node a member of a cluster.
type clusterFlags struct {
	nodeID, raftAddr, advertise, join, tlsDir, kekFile string
	joinTokenFile                                      string
	bootstrap, faultInjection                          bool
	leaderLostAfter                                    time.Duration
	// Snapshot tuning, hidden from --help: the defaults bound a restart
	// (operator guide, section 17), and tests make a leader truncate its
	// log so that a new node must be sent a snapshot.
	snapThreshold, snapBytes, trailingLogs uint64
	snapInterval                           time.Duration
}

func (c *clusterFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&c.nodeID, "node-id", "", "this node's id in a cluster (its certificate must name it); with --raft-addr, runs the register as a cluster member")
	fl.StringVar(&c.raftAddr, "raft-addr", "", "address the cluster listener (mutual TLS) binds, e.g. 10.0.0.1:7000")
	fl.StringVar(&c.advertise, "advertise", "", "cluster address other nodes reach this one at (default: --raft-addr)")
	fl.BoolVar(&c.bootstrap, "bootstrap", false, "make this new node the first voter of a new cluster (the first node only, once)")
	fl.StringVar(&c.join, "join", "", "cluster address (host:port) of a member to ask to add this new node (with --join-token-file)")
	fl.StringVar(&c.joinTokenFile, "join-token-file", "", "file holding an admin API token, which authorizes --join (e.g. a copy of the first node's admin.token)")
	fl.StringVar(&c.tlsDir, "cluster-tls", "", "folder with node.crt, node.key and ca.crt (see `linkpass cluster cert`)")
	fl.StringVar(&c.kekFile, "kek-file", "", "the cluster's key-encryption key (see `linkpass cluster kek`); the same file on every node")
	fl.DurationVar(&c.leaderLostAfter, "leader-lost-after", 5*time.Second, "how long a follower may be without a leader before readyz and every response say it may be behind")
	fl.BoolVar(&c.faultInjection, "fault-injection", false, "tests only: SIGUSR1 cuts this node off from the cluster, SIGUSR2 reconnects it")
	_ = fl.MarkHidden("fault-injection")
	fl.Uint64Var(&c.snapThreshold, "raft-snapshot-threshold", 0, "log entries since the last snapshot that trigger one (default 16384)")
	fl.Uint64Var(&c.snapBytes, "raft-snapshot-bytes", 0, "bytes of log entries since the last snapshot that trigger one (default 8 MiB)")
	fl.Uint64Var(&c.trailingLogs, "raft-trailing-logs", 0, "log entries a snapshot leaves in the log (default 1024)")
	fl.DurationVar(&c.snapInterval, "raft-snapshot-interval", 0, "how often to check whether to snapshot (default 1s)")
	for _, n := range []string{"raft-snapshot-threshold", "raft-snapshot-bytes", "raft-trailing-logs", "raft-snapshot-interval"} {
		_ = fl.MarkHidden(n)
	}
}

// open validates the cluster flags and opens the cluster listener, or
// returns nil for a register of one.
func (c *clusterFlags) open(logger *slog.Logger) (*cluster.Config, *keys.KEK, error) {
	if c.nodeID == "" && c.raftAddr == "" {
		if c.bootstrap || c.join != "" || c.tlsDir != "" || c.kekFile != "" {
			return nil, nil, errors.New("--bootstrap, --join, --cluster-tls and --kek-file are for cluster members: pass --node-id and --raft-addr too")
		}
		return nil, nil, nil
	}
	switch {
	case c.nodeID == "" || c.raftAddr == "":
		return nil, nil, errors.New("a cluster member needs both --node-id and --raft-addr")
	case c.tlsDir == "":
		return nil, nil, errors.New("a cluster member needs --cluster-tls DIR: nodes speak only mutual TLS (make the files with `linkpass cluster ca` and `linkpass cluster cert`)")
	case c.kekFile == "":
		return nil, nil, errors.New("a cluster member needs --kek-file FILE, the cluster's key-encryption key (make it once with `linkpass cluster kek`)")
	case c.bootstrap && c.join != "":
		return nil, nil, errors.New("--bootstrap starts a new cluster and --join enters one: pass one of them")
	case c.join != "" && c.joinTokenFile == "":
		return nil, nil, errors.New("--join needs --join-token-file FILE, an admin API token that authorizes adding this node (or start without --join and run `linkpass cluster add` against a member)")
	}
	var joinToken string
	if c.joinTokenFile != "" {
		b, err := os.ReadFile(c.joinTokenFile)
		if err != nil {
			return nil, nil, fmt.Errorf("--join-token-file: %w", err)
		}
		joinToken = strings.TrimSpace(string(b))
	}
	if err := cluster.CheckNodeID(c.nodeID); err != nil {
		return nil, nil, err
	}
	id, err := cluster.LoadIdentity(c.tlsDir, c.nodeID, time.Now())
	if err != nil {
		return nil, nil, err
	}
	kek, err := readKEK(c.kekFile)
	if err != nil {
		return nil, nil, err
	}
	t, err := cluster.Listen(c.raftAddr, id, logger)
	if err != nil {
		return nil, nil, err
	}
	adv := c.advertise
	if adv == "" {
		adv = t.Addr().String()
	}
	if c.faultInjection {
		go faultSwitch(t)
	}
	return &cluster.Config{NodeID: c.nodeID, Advertise: adv, Bootstrap: c.bootstrap, Join: c.join, JoinToken: joinToken, LeaderLostAfter: c.leaderLostAfter, Identity: id, Transport: t}, kek, nil
}

// faultSwitch isolates the node on SIGUSR1 and reconnects it on SIGUSR2,
// for the partition tests.
func faultSwitch(t *cluster.Transport) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1, syscall.SIGUSR2)
	for sig := range ch {
		t.Isolate(sig == syscall.SIGUSR1)
	}
}

// adminToken authorizes a node's join request: an admin's API token.
func adminToken(srv *issuer.Server) func(string) error {
	return func(tok string) error {
		actor, err := srv.Authenticate(tok)
		if err != nil {
			return err
		}
		if actor.Role != register.RoleAdmin {
			return fmt.Errorf("a %s token may not add nodes; an admin token is needed", actor.Role)
		}
		return nil
	}
}

// consoleRequest says which requests belong to the console, to a
// registrant's account or to an applicant's page: their sessions live in
// the memory of the node that serves them (packages staff, account and
// applications/applicant), so in a cluster the leader serves them all.
// (An applicant's codes are in the log and work on any node.)
func consoleRequest(r *http.Request) bool {
	for _, p := range []string{"/console", "/login", "/logout", "/setup", "/admin", "/account", "/apply/status"} {
		if r.URL.Path == p || strings.HasPrefix(r.URL.Path, p+"/") {
			return true
		}
	}
	return false
}

// localRead says which non-GET requests a follower answers itself: the
// checker's verification, which reads and changes nothing.
func localRead(r *http.Request) bool {
	return r.Method == http.MethodPost && (r.URL.Path == "/v1/verify" || r.URL.Path == "/v1/verify/image")
}

// mailFlags configure the register's mail sender.
type mailFlags struct{ url, passwordFile, from string }

func (m *mailFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&m.url, "smtp-url", "", "SMTP relay, smtp://user@host:587 (STARTTLS) or smtps://user@host:465; empty writes mail to DATA/outbox/ as .eml files")
	fl.StringVar(&m.passwordFile, "smtp-password-file", "", "file holding the SMTP password (or set LINKPASS_SMTP_PASSWORD)")
	fl.StringVar(&m.from, "mail-from", "NALW Register <register@localhost>", "From address of the register's mail")
}

// mailer builds the mail sender: the relay if one is given, else the outbox.
func (m *mailFlags) mailer(dataDir string, logger *slog.Logger) (*mail.Mailer, error) {
	pw := os.Getenv("LINKPASS_SMTP_PASSWORD")
	if m.passwordFile != "" {
		b, err := os.ReadFile(m.passwordFile)
		if err != nil {
			return nil, fmt.Errorf("reading --smtp-password-file: %w", err)
		}
		pw = strings.TrimRight(string(b), "\r\n")
	}
	return mail.New(mail.Config{URL: m.url, Password: pw, From: m.from, OutboxDir: filepath.Join(dataDir, "outbox"), Logger: logger})
}

// fairFlags set the public endpoints' fair share (see internal/fairshare).
type fairFlags struct {
	proxyHeader, trustedProxies        string
	searchRate, verifyRate, publicRate float64
	searchBurst, searchConcurrent      int
}

func (f *fairFlags) register(fl *pflag.FlagSet) {
	d := fairshare.DefaultConfig()
	fl.StringVar(&f.proxyHeader, "proxy-header", "", "header your reverse proxy sets to name the client: X-Forwarded-For, X-Real-IP or Forwarded (default: none; never trusted unless named)")
	fl.StringVar(&f.trustedProxies, "trusted-proxies", "", "comma-separated addresses or CIDR prefixes of the proxies whose --proxy-header is believed")
	fl.Float64Var(&f.searchRate, "search-rate", d.Search.Rate, "public searches a second one client may make (0: no per-client limit)")
	fl.IntVar(&f.searchBurst, "search-burst", d.Search.Burst, "public searches one client may make at once above --search-rate")
	fl.IntVar(&f.searchConcurrent, "search-concurrency", d.Search.Concurrent, "most public searches served at once, so that search cannot starve verifiers (0: no limit)")
	fl.Float64Var(&f.verifyRate, "verify-rate", d.Verify.Rate, "requests a second one client may make of status lists, trust bundle, keys and /v1/verify (0: no limit)")
	fl.Float64Var(&f.publicRate, "public-rate", d.Public.Rate, "other anonymous requests a second one client may make: pages, entries (0: no limit)")
}

func (f *fairFlags) config(logger *slog.Logger) (fairshare.Config, error) {
	p, err := fairshare.ParseProxies(f.proxyHeader, f.trustedProxies)
	if err != nil {
		return fairshare.Config{}, err
	}
	c := fairshare.DefaultConfig()
	c.Proxies, c.Logger = p, logger
	c.Search.Rate, c.Search.Burst, c.Search.Concurrent = f.searchRate, f.searchBurst, f.searchConcurrent
	c.Verify.Rate, c.Verify.Burst = f.verifyRate, int(2*f.verifyRate)
	c.Public.Rate, c.Public.Burst = f.publicRate, int(2*f.publicRate)
	return c, nil
}

// logFlags choose the operational log's format and level.
type logFlags struct{ format, level string }

func (l *logFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&l.format, "log-format", "text", "text or json")
	fl.StringVar(&l.level, "log-level", "info", "debug, info, warn or error")
}

func (l *logFlags) logger(w io.Writer) (*slog.Logger, error) { return newLogger(w, l.format, l.level) }

func (a *app) serveCmd() *cobra.Command {
	var f serveFlags
	c := &cobra.Command{
		Use:   "serve --data DIR --addr 127.0.0.1:8080 [--init --issuer-url URL] [--demo]",
		Short: "Run the register",
		Long: `Run the register kept in DIR.

A new register is made only when asked: by ` + "`linkpass init`" + ` beforehand, or by
--init here, which creates it in DIR if DIR is missing or empty and writes an
admin API token to DIR/admin.token (mode 0600). Without --init a missing or
empty DIR is refused, so a mistyped path never starts an empty register.
--demo seeds about 20 registrants into an empty register (creating it if
needed); with no --data it uses a new temporary directory.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.serve(cmd.Context(), f) },
	}
	fl := c.Flags()
	fl.StringVar(&f.data, "data", "", "data directory of the register")
	fl.BoolVar(&f.init, "init", false, "create a new register in --data if it is missing or empty")
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fl.StringVar(&f.metricsAddr, "metrics-addr", "", "address of a separate listener serving Prometheus metrics on /metrics (e.g. 127.0.0.1:9090); empty serves none. Keep it off the public network")
	fl.StringVar(&f.issuerURL, "issuer-url", "", "public base URL of the register, named in credentials (default on first start: from --addr; later starts keep the recorded one)")
	fl.StringVar(&f.registerName, "register-name", "", "name of the register (default: NALW Register of Social Prescribing Link Workers)")
	fl.BoolVar(&f.demo, "demo", false, "seed an empty register with demonstration registrants")
	fl.DurationVar(&f.statusTTL, "status-ttl", 5*time.Minute, "how long verifiers may cache a status list (its ttl); a suspension reaches online verifiers within this")
	fl.Float64Var(&f.lapseShare, "lapse-confirm-share", 0.05, "largest share (0 to 1) of registered registrants the automatic lapse sweep lapses by itself; a sweep of more waits for `linkpass registrant lapse-sweep --confirm`")
	f.log.register(fl)
	f.mail.register(fl)
	f.fair.register(fl)
	f.backups.register(fl)
	f.cluster.register(fl)
	f.sso.register(fl)
	fl.IntSliceVar(&f.reminderDays, "renewal-reminders", reminders.DefaultDays, "days before registered-until on which registrants are emailed a renewal reminder (empty: none; lapse notices are still sent)")
	return c
}

func (a *app) serve(ctx context.Context, f serveFlags) error {
	logger, err := f.log.logger(a.stderr)
	if err != nil {
		return withCode(ExitCannot, err)
	}
	fair, err := f.fair.config(logger)
	if err != nil {
		return withCode(ExitCannot, err)
	}
	if f.data == "" {
		if !f.demo {
			return withCode(ExitCannot, errors.New("pass --data DIR: the directory that holds the register (make a new one with `linkpass init --data DIR --issuer-url URL`)"))
		}
		if f.data, err = os.MkdirTemp("", "linkpass-demo-"); err != nil {
			return withCode(ExitCannot, err)
		}
		// A throwaway demo leaves nothing behind, its admin token least of all.
		defer os.RemoveAll(f.data)
	}
	if f.lapseShare <= 0 || f.lapseShare > 1 {
		return withCode(ExitCannot, fmt.Errorf("--lapse-confirm-share %g: give a share between 0 and 1, e.g. 0.05 for 5%%", f.lapseShare))
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return withCode(ExitCannot, fmt.Errorf("cannot listen on %s: %w; choose another --addr", f.addr, err))
	}
	defer ln.Close()
	var mln net.Listener
	if f.metricsAddr != "" {
		if mln, err = net.Listen("tcp", f.metricsAddr); err != nil {
			return withCode(ExitCannot, fmt.Errorf("cannot listen on --metrics-addr %s: %w; choose another address", f.metricsAddr, err))
		}
		defer mln.Close()
	}
	cl, kek, err := f.cluster.open(logger)
	if err != nil {
		return withCode(ExitCannot, err)
	}
	if cl != nil {
		defer cl.Transport.Close()
	}
	reg := metrics.New()
	// A demonstration on a new directory is a request for a new register.
	srv, err := issuer.Open(issuer.Config{DataDir: f.data, Create: f.init || f.demo, IssuerURL: f.issuerURL, DefaultIssuerURL: issuer.DefaultIssuerURL(ln.Addr().String()),
		RegisterName: f.registerName, Logger: logger, ObserveApply: reg.ObserveApply, StatusListTTL: f.statusTTL, LapseConfirmShare: f.lapseShare,
		Cluster: cl, KEK: kek, SnapshotThreshold: f.cluster.snapThreshold, SnapshotBytes: f.cluster.snapBytes, TrailingLogs: f.cluster.trailingLogs, SnapshotInterval: f.cluster.snapInterval})
	if err != nil {
		return withCode(ExitCannot, err)
	}
	defer srv.Close()
	reg.Watch(srv)
	fair.OnRefuse = func(k fairshare.Kind, reason string) { reg.ObserveRefusal(k.String(), reason) }
	backups, err := f.backups.scheduler(srv, logger)
	if err != nil {
		return withCode(ExitCannot, err)
	}
	if f.demo {
		n, err := srv.SeedDemo()
		if err != nil {
			return withCode(ExitCannot, err)
		}
		example := ""
		if regs, err := srv.State().Registrants("registered"); err == nil && len(regs) > 0 {
			example = regs[0].Number
		}
		a.printDemoHelp(n, f, ln.Addr().String(), srv.AdminTokenPath, example)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if backups != nil {
		go backups.Run(ctx)
	}

	mailer, err := f.mail.mailer(f.data, logger)
	if err != nil {
		return withCode(ExitCannot, err)
	}
	defer mailer.Close()
	rem, err := reminders.New(srv, notify.New(srv, mailer, logger), reminders.Config{Days: f.reminderDays, Logger: logger})
	if err != nil {
		return withCode(ExitCannot, fmt.Errorf("--renewal-reminders: %w", err))
	}
	go rem.Run(ctx, time.Hour, func() bool { return srv.Health().RaftState == "Leader" })
	// The public form, /apply/status, the API and the console share one
	// intake (its codes live in the log, its send limits in it).
	apps := intake.New(srv, intake.Config{Mailer: mailer, Logger: logger})
	site, err := web.New(web.Config{Mode: web.RegisterMode, RegisterName: srv.State().Settings().RegisterName,
		Verify: (&registerVerifier{srv: srv}).Verify, Register: publicregister.New(srv.State, srv.Now), Catalogue: web.CatalogueFrom(srv.State),
		Applying: apps, Client: fair.Proxies.Client, Logger: logger})
	if err != nil {
		return withCode(ExitCannot, err)
	}
	issuance := oid4vci.New(srv, oid4vci.Config{Mailer: mailer, Logger: logger})
	// The API and the console share one staff service: sessions and
	// sign-in counters live in it.
	staffSvc, err := api.NewStaff(srv)
	if err != nil {
		return withCode(ExitCannot, err)
	}
	set := srv.State().Settings()
	// The API and the console share one set of registrant operations.
	regs := registrants.New(srv)
	go srv.Run(ctx)
	// Suspensions with an end date end by themselves, checked as often
	// as registrations are lapsed.
	go regs.Run(ctx, 10*time.Minute, logger)
	audits := cpdaudit.New(srv, notify.New(srv, mailer, logger), logger)
	signOn, err := f.sso.provider(ctx, set.IssuerURL, srv.Now)
	if err != nil {
		return withCode(ExitCannot, fmt.Errorf("single sign-on: %w", err))
	}
	renew := renewals.New(srv)
	answers := claims.New(srv)
	con, err := console.New(console.Config{Staff: staffSvc, State: srv.State, IssuerURL: set.IssuerURL, RegisterName: set.RegisterName, Logger: logger,
		Registrants: regs, Offers: issuance, Now: srv.Now, Admin: srv, SSO: signOn, SSOLabel: f.sso.label,
		Applications: apps, Catalogue: catalogue.New(srv), CPDAudit: audits, Renewals: renew, Claims: answers})
	if err != nil {
		return withCode(ExitCannot, err)
	}
	acct, err := account.New(account.Config{State: srv.State, Register: srv, Notify: notify.New(srv, mailer, logger), Renewals: renew,
		Public: publicregister.New(srv.State, srv.Now), Offers: issuance, IssuerURL: set.IssuerURL, RegisterName: set.RegisterName,
		Client: fair.Proxies.Client, Logger: logger, Now: srv.Now})
	if err != nil {
		return withCode(ExitCannot, err)
	}
	status, err := applicant.New(applicant.Config{Intake: apps, IssuerURL: set.IssuerURL, RegisterName: set.RegisterName,
		Client: fair.Proxies.Client, Logger: logger, Now: srv.Now})
	if err != nil {
		return withCode(ExitCannot, err)
	}
	router := mux.NewRouter()
	router.Use(route.Record)
	site.Register(router)
	con.Register(router)
	acct.Register(router)
	status.Register(router)
	apiHandler := api.New(srv, logger, api.WithIssuance(issuance), api.WithCPDAudit(audits), api.WithStaff(staffSvc), api.WithRegistrants(regs), api.WithIntake(apps), api.WithRenewals(renew), api.WithClaims(answers))
	router.NotFoundHandler = apiHandler
	// The API's busiest paths (registrants' writes, the public register,
	// status lists) skip the pages' routes.
	handler, err := route.Direct(router, apiHandler, "/v1/registrants", "/v1/register", "/v1/credentials", "/status")
	if err != nil {
		return withCode(ExitCannot, err)
	}

	if mln != nil {
		go serveMetrics(ctx, mln, reg, logger)
	}
	if cl != nil {
		// Writes reaching a follower go to the leader; other nodes reach
		// this one's handler over the cluster listener.
		handler = cluster.NewForwarder(cl.Transport, srv.ClusterNode()).Wrap(handler, localRead, consoleRequest)
		go cluster.Serve(ctx, cl.Transport, srv.Cluster(), handler, adminToken(srv), logger)
		logger.Info("cluster member", "node_id", cl.NodeID, "raft_addr", cl.Advertise)
	}
	v := version.Get()
	logger.Info("register listening", "addr", ln.Addr().String(), "version", v.Version, "commit", v.Commit, "issuer_url", srv.State().Settings().IssuerURL, "data", f.data, "admin_token_file", srv.AdminTokenPath, "mail", mailer.Transport())
	if err := serveHTTP(ctx, ln, api.HSTS(fairshare.New(fair).Wrap(handler), srv.State().Settings().IssuerURL), logger, reg); err != nil {
		return err
	}
	// Mail still being retried is recorded as failed while the register
	// can still record it.
	mailer.Close()
	if err := srv.Close(); err != nil {
		return withCode(ExitCannot, fmt.Errorf("closing the register: %w", err))
	}
	logger.Info("stopped")
	return nil
}

// serveHTTP serves handler on ln until ctx ends, then lets requests in
// flight finish (at most 15 seconds) before returning.
func serveHTTP(ctx context.Context, ln net.Listener, handler http.Handler, logger *slog.Logger, m *metrics.Metrics) error {
	hs := &http.Server{
		Handler:           accessLog(handler, logger, m),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return withCode(ExitCannot, err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		logger.Warn("requests still in flight at shutdown", "err", err)
	}
	return nil
}

// serveMetrics serves /metrics on its own listener until ctx ends, so
// scraping needs no token and the metrics never reach the public address.
func serveMetrics(ctx context.Context, ln net.Listener, m *metrics.Metrics, logger *slog.Logger) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	logger.Info("metrics listening", "addr", ln.Addr().String(), "path", "/metrics")
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("metrics listener stopped", "err", err)
	}
}

func newLogger(w interface{ Write([]byte) (int, error) }, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q must be debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(withRequestID(slog.NewTextHandler(w, opts))), nil
	case "json":
		return slog.New(withRequestID(slog.NewJSONHandler(w, opts))), nil
	}
	return nil, fmt.Errorf("--log-format %q must be text or json", format)
}

func (a *app) printDemoHelp(n int, f serveFlags, addr, tokenPath, example string) {
	w := a.stdout
	if n == 0 {
		fmt.Fprintf(w, "Demo: the register in %s already has registrants; nothing seeded.\n", f.data)
		return
	}
	self, _ := os.Executable()
	bin := "linkpass"
	if filepath.Base(self) == "linkpass" {
		bin = self
	}
	fmt.Fprintf(w, `
Demo register seeded with %[1]d registrants (registered, restricted, suspended,
lapsed and removed) and the PSA Quality Mark, in %[2]s.

Try, in another terminal:
  export LINKPASS_SERVER=http://%[3]s LINKPASS_TOKEN=$(cat %[4]s)
  go run ./cmd/linkpass registrant list
  go run ./cmd/linkpass registrant add --given Ada --family Lovelace --nation england
  go run ./cmd/linkpass registrant show %[6]s
  go run ./cmd/linkpass registrant suspend %[6]s --reason "Interim order"
  go run ./cmd/linkpass audit list
  curl 'http://%[3]s/v1/register?q=okonkwo'
  go run ./cmd/linkpass credential offer %[6]s

Or open http://%[3]s/ in a browser: the public register and the
front-desk checker (/verify). The credential offer prints a link to the web
wallet (/wallet) and a 6-digit code: open the link and type the code.

(%[5]s is the binary; "go run ./cmd/linkpass" works from the source tree.)
Stop with Ctrl-C.

`, n, f.data, addr, tokenPath, bin, example)
}
