package cli

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/nalw/linkpass/verifier"
)

// errNoTrust means no trust material was given or found.
var errNoTrust = errors.New("no trust material")

// trustFlags are how a command learns which register to trust.
type trustFlags struct {
	jwks, issuer string
	skew         time.Duration
}

func (f *trustFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.jwks, "jwks", "", "trusted public keys (a JWKS file), with --issuer")
	fl.StringVar(&f.issuer, "issuer", "", "the issuer URL the --jwks keys belong to")
	fl.DurationVar(&f.skew, "clock-skew", 60*time.Second, "tolerance for clocks that disagree")
}

// verifier builds a verifier from the flags. It returns an error wrapping
// errNoTrust when there is nothing to trust.
func (f *trustFlags) verifier() (*verifier.Verifier, error) {
	if f.jwks == "" && f.issuer == "" {
		return nil, fmt.Errorf("%w: pass --jwks FILE --issuer URL with the register's public keys (GET <issuer>/.well-known/jwks.json)", errNoTrust)
	}
	if f.jwks == "" || f.issuer == "" {
		return nil, errors.New("--jwks and --issuer go together: the keys and the issuer they belong to")
	}
	b, err := os.ReadFile(f.jwks)
	if err != nil {
		return nil, fmt.Errorf("reading --jwks: %w", err)
	}
	t := verifier.NewTrust()
	if err := t.AddIssuer(f.issuer, b); err != nil {
		return nil, fmt.Errorf("%w: --jwks %s: %v", errNoTrust, f.jwks, err)
	}
	return verifier.New(t, verifier.WithClockSkew(f.skew))
}
