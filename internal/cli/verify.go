package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/internal/verdict"
	"github.com/nalw/linkpass/qrtext"
	"github.com/nalw/linkpass/verifier"
)

// maxInput bounds what verify reads from a file or stdin: a credential is a
// few kilobytes.
const maxInput = 64 << 10

type verifyFlags struct {
	file, jwks, issuer string
	skew               time.Duration
}

func (a *app) verifyCmd() *cobra.Command {
	var f verifyFlags
	c := &cobra.Command{
		Use:   "verify [TOKEN | --file FILE | -] [--jwks FILE --issuer URL]",
		Short: "Check a link worker's credential",
		Long: `Check a link worker's credential: a signed token (vc+jwt) or the text of its QR
code, given as an argument, in a file, or on standard input ("-").

Exit codes: 0 valid; 1 not valid (for any reason); 2 could not check (no
trust material, unreadable input).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return a.verify(cmd.Context(), f, args) },
	}
	fl := c.Flags()
	fl.StringVar(&f.file, "file", "", "read the credential from this file")
	fl.StringVar(&f.jwks, "jwks", "", "trusted public keys (a JWKS file), with --issuer")
	fl.StringVar(&f.issuer, "issuer", "", "the issuer URL the --jwks keys belong to")
	fl.DurationVar(&f.skew, "clock-skew", 60*time.Second, "tolerance for clocks that disagree")
	return c
}

func (a *app) verify(ctx context.Context, f verifyFlags, args []string) error {
	input, err := a.readCredential(f, args)
	if err != nil {
		return withCode(ExitCannot, err)
	}
	trust, err := loadTrust(f)
	if err != nil {
		return withCode(ExitCannot, err)
	}
	v, err := verifier.New(trust, verifier.WithClockSkew(f.skew))
	if err != nil {
		return withCode(ExitCannot, err)
	}
	now := time.Now()
	var res *verifier.Result
	token, err := qrtext.Decode(input)
	if err != nil {
		res = &verifier.Result{Outcome: verifier.OutcomeMalformed, Reason: "this is not a linkpass credential or its QR text: " + err.Error()}
	} else {
		res = v.Verify(ctx, token)
	}
	vd := verdict.From(res, now)
	if a.json {
		if err := writeJSON(a.stdout, vd); err != nil {
			return withCode(ExitCannot, err)
		}
	} else {
		vd.WriteText(a.stdout)
	}
	if res.Valid {
		return nil
	}
	return &reportedError{code: ExitRefused}
}

// readCredential returns the credential text from the argument, --file or
// standard input.
func (a *app) readCredential(f verifyFlags, args []string) (string, error) {
	var r io.Reader
	switch {
	case f.file != "" && len(args) > 0:
		return "", errors.New("give the credential either as an argument or with --file, not both")
	case f.file != "":
		fh, err := os.Open(f.file)
		if err != nil {
			return "", fmt.Errorf("reading the credential: %w", err)
		}
		defer fh.Close()
		r = fh
	case len(args) == 1 && args[0] == "-":
		r = a.stdin
	case len(args) == 1:
		return strings.TrimSpace(args[0]), nil
	default:
		return "", errors.New("no credential given: pass it as an argument, with --file FILE, or '-' to read standard input")
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return "", fmt.Errorf("reading the credential: %w", err)
	}
	if len(b) > maxInput {
		return "", fmt.Errorf("the input is larger than %d bytes; a credential is a few kilobytes", maxInput)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", errors.New("the input is empty")
	}
	return s, nil
}

// loadTrust builds the trusted issuers from the flags.
func loadTrust(f verifyFlags) (*verifier.Trust, error) {
	if f.jwks == "" && f.issuer == "" {
		return nil, errors.New("no trust material: pass --jwks FILE --issuer URL with the register's public keys (GET <issuer>/.well-known/jwks.json)")
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
		return nil, fmt.Errorf("--jwks %s: %w", f.jwks, err)
	}
	return t, nil
}
