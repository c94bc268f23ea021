package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/mux"
	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/internal/verdict"
	"github.com/nalw/linkpass/trustbundle"
	"github.com/nalw/linkpass/verifier"
	"github.com/nalw/linkpass/web"
)

type verifyServeFlags struct {
	bundle, addr, syncFrom, issuer string
	anchor                         string
	syncEvery, maxAge              time.Duration
	allowStale                     bool
	log                            logFlags
}

// loadedBundle is a checked bundle and the verifier built from it.
type loadedBundle struct {
	checked *trustbundle.Checked
	v       *verifier.Verifier
}

func (a *app) verifyServeCmd() *cobra.Command {
	var f verifyServeFlags
	c := &cobra.Command{
		Use:   "serve [--bundle FILE] --addr 127.0.0.1:8090 [--sync-from ISSUER_URL --sync-every 1h]",
		Short: "Run a practice's own verifier: the /verify page and API, from a synced trust bundle",
		Long: `Run the front-desk verifier on the practice's own network, with no register
state: the /verify page (camera, upload, paste) and POST /v1/verify, checking
credentials against a synced trust bundle. With --sync-from it syncs the
bundle itself every --sync-every, and keeps working from the last good
bundle when the register cannot be reached. It keeps no record of whom it
checked.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.verifyServe(cmd.Context(), f) },
	}
	fl := c.Flags()
	fl.StringVar(&f.bundle, "bundle", "", "trust bundle file (default: the one `linkpass verify sync` stored)")
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8090", "address to listen on")
	fl.StringVar(&f.syncFrom, "sync-from", "", "the register's URL to sync the bundle from")
	fl.StringVar(&f.issuer, "issuer", "", "with --sync-from: the issuer URL the register's credentials name, if --sync-from is another address for it")
	fl.StringVar(&f.anchor, "anchor", "", "with --sync-from: the fingerprint of the register's root key, as NALW publishes it (default: pin the root at the first sync)")
	fl.DurationVar(&f.syncEvery, "sync-every", time.Hour, "how often to sync, with --sync-from")
	fl.DurationVar(&f.maxAge, "max-age", verifier.DefaultStatusMaxAge, "status information older than this cannot vouch for a credential")
	fl.BoolVar(&f.allowStale, "allow-stale", false, "answer from status information older than --max-age, saying how old it is")
	f.log.register(fl)
	return c
}

func (a *app) verifyServe(ctx context.Context, f verifyServeFlags) error {
	logger, err := f.log.logger(a.stderr)
	if err != nil {
		return withCode(ExitCannot, err)
	}
	if f.bundle == "" {
		if f.bundle, err = defaultBundlePath(); err != nil {
			return withCode(ExitCannot, err)
		}
	}
	if f.syncEvery < time.Minute {
		return withCode(ExitCannot, errors.New("--sync-every must be at least 1m"))
	}
	statusOpts := []verifier.StatusOption{verifier.WithMaxAge(f.maxAge)}
	if f.allowStale {
		statusOpts = append(statusOpts, verifier.WithAllowStale())
	}
	var current atomic.Pointer[loadedBundle]
	load := func() error {
		b, err := trustbundle.ReadFile(f.bundle)
		if err != nil {
			return err
		}
		checked, err := b.Check(time.Now())
		if err != nil {
			return err
		}
		v, err := checked.Verifier(statusOpts)
		if err != nil {
			return err
		}
		current.Store(&loadedBundle{checked: checked, v: v})
		return nil
	}
	sync := func(ctx context.Context) error {
		s, err := syncBundleFile(ctx, f.bundle, f.syncFrom, f.issuer, f.anchor)
		if err != nil {
			return err
		}
		if s.pinned {
			logger.Warn("first sync: this verifier now trusts the register's root key; confirm its fingerprint is the one NALW publishes",
				"root_fingerprint", s.checked.RootFingerprint())
		}
		return load()
	}
	if f.syncFrom != "" {
		if err := sync(ctx); err != nil {
			logger.Warn("could not sync the trust bundle; using the one on disk", "from", f.syncFrom, "err", err)
		}
	}
	if current.Load() == nil {
		if err := load(); err != nil {
			return withCode(ExitCannot, fmt.Errorf("%w: trust bundle %s: %v; run `linkpass verify sync --from https://REGISTER --bundle %s` or pass --sync-from", errNoTrust, f.bundle, err, f.bundle))
		}
	}

	site, err := web.New(web.Config{
		Mode: web.VerifierMode,
		Verify: func(ctx context.Context, text string) verdict.Verdict {
			cur := current.Load()
			vd := web.VerifyWith(cur.v, nil)(ctx, text)
			vd.CompareQualityMark(cur.checked.QualityMark(), time.Now())
			return vd
		},
		BundleInfo: func() web.BundleInfo { return bundleInfo(current.Load().checked, f.maxAge, time.Now()) },
		Logger:     logger,
	})
	if err != nil {
		return withCode(ExitCannot, err)
	}
	router := mux.NewRouter()
	site.Register(router)
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return withCode(ExitCannot, fmt.Errorf("cannot listen on %s: %w; choose another --addr", f.addr, err))
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.syncFrom != "" {
		go func() {
			t := time.NewTicker(f.syncEvery)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if err := sync(ctx); err != nil {
						logger.Warn("sync failed; still verifying from the last good bundle", "from", f.syncFrom, "err", err)
					} else {
						logger.Info("trust bundle synced", "from", f.syncFrom)
					}
				}
			}
		}()
	}
	info := bundleInfo(current.Load().checked, f.maxAge, time.Now())
	logger.Info("verifier listening", "addr", ln.Addr().String(), "issuer", info.Issuer, "bundle", f.bundle, "bundle_made", info.SyncedAt)
	return serveHTTP(ctx, ln, router, logger, nil)
}

// bundleInfo says how fresh the bundle is, for the page.
func bundleInfo(c *trustbundle.Checked, maxAge time.Duration, now time.Time) web.BundleInfo {
	// Signed times only: created_at is the server's unsigned word.
	info := web.BundleInfo{SyncedAt: c.StatusAsOf(), Issuer: c.Issuer()}
	if age := now.Sub(c.StatusAsOf()); age > maxAge {
		info.Stale = true
		info.StaleReason = fmt.Sprintf("the trust bundle's status information is %s old, more than %s: suspensions since then are not known here; sync it", age.Round(time.Minute), maxAge)
	}
	return info
}
