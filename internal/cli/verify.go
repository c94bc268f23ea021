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
	"github.com/nalw/linkpass/qrimage"
	"github.com/nalw/linkpass/qrtext"
	"github.com/nalw/linkpass/verifier"
)

// maxInput bounds what verify reads from a file or stdin: a credential is a
// few kilobytes.
const maxInput = 64 << 10

type verifyFlags struct {
	file, qrImage string
	trust         trustFlags
}

func (a *app) verifyCmd() *cobra.Command {
	var f verifyFlags
	c := &cobra.Command{
		Use:   "verify [TOKEN | --file FILE | --qr-image IMG | -] [--bundle FILE | --online | --jwks FILE --issuer URL --no-status]",
		Short: "Check a link worker's credential",
		Long: `Check a link worker's credential: a signed token (vc+jwt) or the text of its QR
code, given as an argument, in a file, or on standard input ("-").

Trust comes from a synced trust bundle (offline; see "linkpass verify sync"),
or from the register itself (--online). A credential is VALID only when its
status (suspended? revoked?) was checked. --jwks FILE --issuer URL --no-status
checks the signature and dates alone, and never answers VALID.

Exit codes: 0 valid; 1 not valid (for any reason); 2 could not check (no
trust material, unreadable input, status information unavailable or too old);
3 genuine and current but its status was not checked (--no-status, or a
credential with no status entry): do not rely on it.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return a.verify(cmd.Context(), f, args) },
	}
	c.AddCommand(a.syncCmd(), a.verifyServeCmd())
	fl := c.Flags()
	fl.StringVar(&f.file, "file", "", "read the credential from this file")
	fl.StringVar(&f.qrImage, "qr-image", "", "read the credential's QR code from this image (PNG or JPEG): a photo, scan or screenshot")
	f.trust.register(fl)
	return c
}

func (a *app) verify(ctx context.Context, f verifyFlags, args []string) error {
	input, err := a.readCredential(f, args)
	if err != nil {
		return withCode(ExitCannot, err)
	}
	v, err := f.trust.verifier(ctx)
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
	vd.CompareQualityMark(f.trust.standing(), now)
	if a.json {
		if err := writeJSON(a.stdout, vd); err != nil {
			return withCode(ExitCannot, err)
		}
	} else {
		vd.WriteText(a.stdout)
	}
	return verdictExit(res)
}

// verdictExit is the exit code of a verification, once its verdict has
// been printed: nil only for a valid credential.
func verdictExit(res *verifier.Result) error {
	switch {
	case res.Valid:
		return nil
	case res.Outcome == verifier.OutcomeStatusUnknown:
		// The credential may be fine; this verifier cannot tell.
		return &reportedError{code: ExitCannot}
	case res.Outcome == verifier.OutcomeStatusNotChecked:
		return &reportedError{code: ExitNotChecked}
	}
	return &reportedError{code: ExitRefused}
}

// readCredential returns the credential text from the argument, --file or
// standard input.
func (a *app) readCredential(f verifyFlags, args []string) (string, error) {
	var r io.Reader
	given := len(args)
	if f.file != "" {
		given++
	}
	if f.qrImage != "" {
		given++
	}
	switch {
	case given > 1:
		return "", errors.New("give the credential one way only: an argument, --file or --qr-image")
	case f.qrImage != "":
		text, err := qrimage.ReadFile(f.qrImage)
		if err != nil {
			return "", fmt.Errorf("reading the QR code in %s: %w", f.qrImage, err)
		}
		return strings.TrimSpace(text), nil
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
		return "", errors.New("no credential given: pass it as an argument, with --file FILE, --qr-image FILE, or '-' to read standard input")
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
