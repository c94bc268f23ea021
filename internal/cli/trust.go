package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/nalw/linkpass/trustbundle"
	"github.com/nalw/linkpass/verifier"
)

// errNoTrust means no trust material was given or found.
var errNoTrust = errors.New("no trust material")

// trustFlags are how a command learns which register to trust and how it
// learns credentials' status: a JWKS file, a synced trust bundle (offline),
// or the register itself (--online).
type trustFlags struct {
	jwks, issuer, bundle string
	online, allowStale   bool
	noStatus             bool
	maxAge, skew         time.Duration

	// bundleInfo is set when a bundle was loaded.
	bundleInfo *trustbundle.Checked
}

func (f *trustFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.bundle, "bundle", "", "verify offline from this trust bundle (default: the one `linkpass verify sync` stored, if any)")
	fl.BoolVar(&f.online, "online", false, "fetch keys and status lists from the register named by --issuer (or the synced bundle's issuer)")
	fl.StringVar(&f.jwks, "jwks", "", "trusted public keys (a JWKS file), with --issuer and --no-status: a signature-only check, never VALID")
	fl.BoolVar(&f.noStatus, "no-status", false, "check the signature and dates only, not whether the credential is suspended or revoked (the answer is then never VALID)")
	fl.StringVar(&f.issuer, "issuer", "", "the register's issuer URL (for --jwks or --online)")
	fl.DurationVar(&f.maxAge, "max-age", verifier.DefaultStatusMaxAge, "status information older than this cannot vouch for a credential")
	fl.BoolVar(&f.allowStale, "allow-stale", false, "answer from status information older than --max-age or past its expiry, saying how old it is")
	fl.DurationVar(&f.skew, "clock-skew", 60*time.Second, "tolerance for clocks that disagree")
}

// fetchBundle downloads the bundle from `from`, expecting it to be the
// bundle of issuer (by default the register at `from` itself).
func fetchBundle(ctx context.Context, from, issuer string) (*trustbundle.Bundle, []byte, error) {
	from = strings.TrimRight(from, "/")
	if issuer == "" {
		issuer = from
	}
	opts := []trustbundle.FetchOption{trustbundle.WithSource(from)}
	if isLoopback(from) {
		// Plain HTTP only to this machine, where nobody sits on the path.
		opts = append(opts, trustbundle.WithInsecurePlainHTTP())
	}
	return trustbundle.Fetch(ctx, issuer, opts...)
}

// synced is what a sync did.
type synced struct {
	checked *trustbundle.Checked
	// pinned is true when no bundle was held, so the register's root key
	// was pinned by this sync (or by --anchor).
	pinned bool
}

// syncBundleFile fetches the bundle of issuer from `from` and stores it at
// path, only if it is at least as new as the bundle held there, in every
// part (trustbundle.Checked.Follows), signed by the root pinned by that
// bundle or by anchor (a fingerprint), and fit to use (Usable). Whatever
// fails, the bundle held is kept. A bundle held that cannot be read is an
// error too: it is the verifier's memory of the register, so it is never
// silently replaced.
func syncBundleFile(ctx context.Context, path, from, issuer, anchor string) (*synced, error) {
	var held *trustbundle.Checked
	if _, err := os.Lstat(path); err == nil {
		b, err := trustbundle.ReadFile(path)
		if err == nil {
			held, err = b.Check(time.Now())
		}
		if errors.Is(err, trustbundle.ErrUnsignedFormat) {
			// A bundle of an older release pins nothing: this sync is a
			// first sync, and shows the root to confirm.
			held, err = nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("the trust bundle held in %s cannot be used (%w), so it cannot vouch for a newer one; fix or move it aside, then sync again (you will be shown the register's root key to confirm, or pass --anchor FINGERPRINT)", path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("the trust bundle held in %s: %w", path, err)
	}
	b, raw, err := fetchBundle(ctx, from, issuer)
	if err != nil {
		return nil, fmt.Errorf("fetching the trust bundle from %s: %w", from, err)
	}
	now := time.Now()
	var opts []trustbundle.CheckOption
	if anchor != "" {
		opts = append(opts, trustbundle.WithAnchor(anchor))
	}
	next, err := b.Check(now, opts...)
	if err != nil {
		return nil, fmt.Errorf("the trust bundle from %s does not check out, so it was not stored: %w", from, err)
	}
	if err := next.Follows(held, anchor); err != nil {
		return nil, fmt.Errorf("the trust bundle from %s was refused and the one held kept: %w", from, err)
	}
	if err := next.Usable(now); err != nil {
		return nil, fmt.Errorf("the trust bundle from %s was refused and the one held kept: %w", from, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the folder for the trust bundle: %w", err)
	}
	if err := trustbundle.WriteFile(path, raw); err != nil {
		return nil, fmt.Errorf("storing the trust bundle: %w", err)
	}
	return &synced{checked: next, pinned: held == nil}, nil
}

// defaultBundlePath is where `verify sync` stores the bundle by default.
func defaultBundlePath() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding your configuration directory: %w; pass --bundle FILE", err)
	}
	return filepath.Join(d, "linkpass", "trust-bundle.json"), nil
}

// verifier builds a verifier from the flags. It returns an error wrapping
// errNoTrust when there is nothing to trust.
func (f *trustFlags) verifier(ctx context.Context) (*verifier.Verifier, error) {
	statusOpts := []verifier.StatusOption{verifier.WithMaxAge(f.maxAge)}
	if f.allowStale {
		statusOpts = append(statusOpts, verifier.WithAllowStale())
	}
	opts := []verifier.Option{verifier.WithClockSkew(f.skew)}
	if f.noStatus {
		opts = append(opts, verifier.WithoutStatusCheck())
	}
	switch {
	case f.jwks != "":
		if f.issuer == "" {
			return nil, errors.New("--jwks needs --issuer: the issuer URL the keys belong to")
		}
		if !f.noStatus {
			return nil, errors.New("--jwks cannot check whether a credential is suspended or revoked: verify from a synced bundle (`linkpass verify sync --from https://REGISTER` once) or --online, or add --no-status to check the signature alone (never VALID)")
		}
		if f.online || f.bundle != "" {
			return nil, errors.New("use one source of trust: --jwks, --bundle or --online")
		}
		b, err := os.ReadFile(f.jwks)
		if err != nil {
			return nil, fmt.Errorf("reading --jwks: %w", err)
		}
		t := verifier.NewTrust()
		if err := t.AddIssuer(f.issuer, b); err != nil {
			return nil, fmt.Errorf("%w: --jwks %s: %v", errNoTrust, f.jwks, err)
		}
		return verifier.New(t, opts...)
	case f.online:
		issuer := f.issuer
		if issuer == "" {
			if c, err := f.loadBundle(); err == nil {
				issuer = c.Issuer()
			}
		}
		if issuer == "" {
			return nil, fmt.Errorf("%w: --online needs --issuer URL (or a synced bundle naming the register)", errNoTrust)
		}
		t := verifier.NewTrust()
		onlineOpts := []verifier.OnlineOption{}
		for _, o := range statusOpts {
			onlineOpts = append(onlineOpts, o)
		}
		if isLoopback(issuer) {
			// Plain HTTP only to this machine, where nobody sits on the path.
			onlineOpts = append(onlineOpts, verifier.WithInsecurePlainHTTP())
		}
		if c := newFileListCache(); c != nil {
			onlineOpts = append(onlineOpts, verifier.WithListCache(c))
		}
		on, err := verifier.NewOnline(t, onlineOpts...)
		if err != nil {
			return nil, err
		}
		if err := on.FetchKeys(ctx, issuer); err != nil {
			return nil, fmt.Errorf("fetching the register's keys from %s: %w", issuer, err)
		}
		if f.noStatus {
			return verifier.New(t, opts...)
		}
		return verifier.New(t, append(opts, verifier.WithStatusChecker(on))...)
	default:
		c, err := f.loadBundle()
		if err != nil {
			return nil, err
		}
		if f.noStatus {
			return verifier.New(c.Trust, opts...)
		}
		return c.Verifier(statusOpts, opts...)
	}
}

// standing is the register's Quality Mark standing, when the trust came
// from a bundle that states it.
func (f *trustFlags) standing() *trustbundle.QualityMarkStanding {
	if f.bundleInfo == nil {
		return nil
	}
	return f.bundleInfo.QualityMark()
}

// loadBundle reads and checks the bundle named by --bundle, or the default
// one.
func (f *trustFlags) loadBundle() (*trustbundle.Checked, error) {
	if f.bundleInfo != nil {
		return f.bundleInfo, nil
	}
	path := f.bundle
	if path == "" {
		var err error
		if path, err = defaultBundlePath(); err != nil {
			return nil, err
		}
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("%w: run `linkpass verify sync --from https://REGISTER` first (it stores a trust bundle in %s), or pass --bundle FILE, --online --issuer URL, or --jwks FILE --issuer URL", errNoTrust, path)
		}
	}
	b, err := trustbundle.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: trust bundle %s: %v", errNoTrust, path, err)
	}
	c, err := b.Check(time.Now())
	if err != nil {
		return nil, fmt.Errorf("%w: trust bundle %s does not check out: %v; sync it again", errNoTrust, path, err)
	}
	f.bundleInfo = c
	return c, nil
}

// isLoopback reports whether a URL names this machine.
func isLoopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
