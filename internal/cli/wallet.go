package cli

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/internal/verdict"
	"github.com/nalw/linkpass/qrimage"
	"github.com/nalw/linkpass/qrtext"
	"github.com/nalw/linkpass/verifier"
	"github.com/nalw/linkpass/wallet"
)

type walletFlags struct {
	dir   string
	trust trustFlags
}

func (f *walletFlags) open() (*wallet.Wallet, error) {
	dir := f.dir
	if dir == "" {
		var err error
		if dir, err = wallet.DefaultDir(); err != nil {
			return nil, withCode(ExitCannot, err)
		}
	}
	w, err := wallet.Open(dir)
	return w, withCode(ExitCannot, err)
}

// find opens the wallet and returns the credential args name (the
// registration number, or the only person's newest credential).
func (f *walletFlags) find(args []string) (*wallet.Entry, error) {
	w, err := f.open()
	if err != nil {
		return nil, err
	}
	e, err := w.Find(firstArg(args))
	return e, withCode(ExitRefused, err)
}

func (a *app) walletCmd() *cobra.Command {
	var f walletFlags
	c := &cobra.Command{Use: "wallet", Short: "Hold your credentials and show them as a QR code"}
	c.PersistentFlags().StringVar(&f.dir, "wallet", "", "wallet directory (default: your data directory, e.g. ~/.local/share/linkpass/wallet)")
	c.AddCommand(a.walletAddCmd(&f), a.walletListCmd(&f), a.walletShowCmd(&f), a.walletQRCmd(&f))
	return c
}

func (a *app) walletAddCmd(f *walletFlags) *cobra.Command {
	c := &cobra.Command{
		Use:   "add FILE|-",
		Short: "Check a credential and keep it in the wallet",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w, err := f.open()
			if err != nil {
				return err
			}
			text, err := a.readCredential(verifyFlags{file: fileArg(args[0])}, stdinArg(args[0]))
			if err != nil {
				return withCode(ExitCannot, err)
			}
			v, err := f.trust.verifier(cmd.Context())
			if err != nil && !errors.Is(err, errNoTrust) {
				return withCode(ExitCannot, err)
			}
			e, res, err := w.Add(cmd.Context(), text, v)
			if err != nil {
				if res != nil {
					_ = a.render(verdict.From(res, time.Now()), func(w io.Writer) { verdict.From(res, time.Now()).WriteText(w) })
					return &reportedError{code: ExitRefused}
				}
				return withCode(ExitRefused, err)
			}
			out := map[string]any{"added": e, "verified": res != nil && res.Valid, "signature_checked": res != nil}
			return a.render(out, func(w io.Writer) {
				fmt.Fprintf(w, "Added the credential of %s (%s), valid until %s, to %s.\n", e.Name, e.RegistrationNumber, lastValidDay(e.ExpiresAt), e.File)
				switch {
				case res == nil:
					fmt.Fprintln(w, "It was NOT verified: no trust material. Run `linkpass verify sync --from https://REGISTER` once, then add it again to check it.")
				case !res.Valid:
					fmt.Fprintf(w, "Its signature was checked, but NOT its status: %s.\n", res.Reason)
				}
				warnExpiry(w, e)
			})
		},
	}
	f.trust.register(c.Flags())
	return c
}

func fileArg(arg string) string {
	if arg == "-" {
		return ""
	}
	return arg
}

func stdinArg(arg string) []string {
	if arg == "-" {
		return []string{"-"}
	}
	return nil
}

func warnExpiry(w io.Writer, e *wallet.Entry) {
	now := time.Now()
	switch {
	case e.Expired(now):
		fmt.Fprintf(w, "WARNING: this credential expired after %s. Ask NALW for a new one.\n", lastValidDay(e.ExpiresAt))
	case e.ExpiresSoon(now):
		fmt.Fprintf(w, "WARNING: this credential expires in %d days (%s). Renew your registration and ask NALW for a new one.\n",
			int(e.ExpiresAt.Sub(now).Hours()/24), lastValidDay(e.ExpiresAt))
	}
}

func (a *app) walletListCmd(f *walletFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the credentials in the wallet",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w, err := f.open()
			if err != nil {
				return err
			}
			all, bad := w.List()
			for _, e := range bad {
				fmt.Fprintf(a.stderr, "warning: %v\n", e)
			}
			if all == nil {
				all = []*wallet.Entry{}
			}
			return a.render(map[string]any{"credentials": all}, func(out io.Writer) {
				if len(all) == 0 {
					fmt.Fprintf(out, "The wallet in %s is empty. Add a credential with `linkpass wallet add FILE`.\n", w.Dir())
					return
				}
				tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NUMBER\tNAME\tISSUED\tVALID UNTIL\tNOTE")
				now := time.Now()
				for _, e := range all {
					note := ""
					if e.Expired(now) {
						note = "EXPIRED"
					} else if e.ExpiresSoon(now) {
						note = "expires soon"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.RegistrationNumber, e.Name, e.IssuedAt.Format("2006-01-02"), lastValidDay(e.ExpiresAt), note)
				}
				tw.Flush()
			})
		},
	}
}

func (a *app) walletShowCmd(f *walletFlags) *cobra.Command {
	c := &cobra.Command{
		Use:   "show [REGNO]",
		Short: "Show a credential, and whether it still verifies",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := f.find(args)
			if err != nil {
				return err
			}
			v, err := f.trust.verifier(cmd.Context())
			if err != nil && !errors.Is(err, errNoTrust) {
				return withCode(ExitCannot, err)
			}
			if v == nil {
				return a.render(map[string]any{"credential": e, "claims": e.Claims, "verified": false}, func(out io.Writer) {
					fmt.Fprintf(out, "%s (%s)\n  issued %s, valid until %s\n  file %s\n", e.Name, e.RegistrationNumber, e.IssuedAt.Format("2006-01-02"), lastValidDay(e.ExpiresAt), e.File)
					fmt.Fprintln(out, "  Not checked now: run `linkpass verify sync --from https://REGISTER` once to check it still verifies.")
					warnExpiry(out, e)
				})
			}
			res := v.Verify(cmd.Context(), e.Token)
			vd := verdict.From(res, time.Now())
			vd.CompareQualityMark(f.trust.standing(), time.Now())
			err = a.render(vd, func(out io.Writer) {
				vd.WriteText(out)
				if !res.Valid && res.Outcome != verifier.OutcomeStatusNotChecked {
					fmt.Fprintln(out, "This credential no longer verifies: do not show it. Ask NALW for a new one.")
				}
				warnExpiry(out, e)
			})
			if err != nil {
				return err
			}
			return verdictExit(res)
		},
	}
	f.trust.register(c.Flags())
	return c
}

func firstArg(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return ""
}

type qrFlags struct {
	out      string
	size     int
	terminal bool
	light    bool
	card     bool
}

func (a *app) walletQRCmd(f *walletFlags) *cobra.Command {
	var q qrFlags
	c := &cobra.Command{
		Use:   "qr [REGNO] (--out card.png [--size PX] [--card] | --terminal)",
		Short: "Show a credential as a QR code: a PNG, a printable card, or in the terminal",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := f.find(args)
			if err != nil {
				return err
			}
			warnExpiry(a.stderr, e)
			rep, err := a.drawQR(e.Token, q)
			if err != nil {
				return err
			}
			return a.render(rep, func(w io.Writer) {
				if q.out != "" {
					fmt.Fprintf(w, "Wrote %s: QR version %d, error correction %s.\n", q.out, rep.Version, rep.ECC)
				}
			})
		},
	}
	fl := c.Flags()
	fl.StringVar(&q.out, "out", "", "write a PNG here")
	fl.IntVar(&q.size, "size", 0, "image size in pixels (whole pixels per module; default 8 px a module, or a 300 dpi card)")
	fl.BoolVar(&q.terminal, "terminal", false, "print the QR code in the terminal (for a dark terminal; add --light for dark text on a light background)")
	fl.BoolVar(&q.light, "light", false, "with --terminal: the terminal shows dark text on a light background")
	fl.BoolVar(&q.card, "card", false, "render a printable card with name, number, the QR code, issuer and expiry")
	return c
}

// qrReport is what --json prints about a rendered QR code.
type qrReport struct {
	Version int    `json:"version"`
	ECC     string `json:"ecc"`
	Chars   int    `json:"chars"`
	Out     string `json:"out,omitempty"`
	Text    string `json:"text"`
}

// drawQR draws token as a QR code (compact form, error correction M) to
// q.out and/or the terminal, and reports what it drew.
func (a *app) drawQR(token string, q qrFlags) (rep qrReport, err error) {
	if q.out == "" && !q.terminal {
		return rep, withCode(ExitCannot, errors.New("say where the QR code goes: --out FILE.png or --terminal"))
	}
	claims, err := verifier.ParseUnverifiedClaims(token)
	if err != nil {
		return rep, withCode(ExitCannot, fmt.Errorf("reading the credential: %w", err))
	}
	text, err := qrLink(token, claims)
	if err != nil {
		return rep, withCode(ExitCannot, err)
	}
	info := cardInfo(claims, time.Now())
	sym, err := qrimage.Encode(text, qrimage.LevelM)
	if err != nil {
		return rep, withCode(ExitCannot, err)
	}
	rep = qrReport{Version: sym.Version, ECC: "M", Chars: len(text), Out: q.out, Text: text}
	var opts []qrimage.Option
	if q.size > 0 {
		opts = append(opts, qrimage.WithSize(q.size))
	}
	if q.out != "" {
		var img image.Image
		if q.card {
			img, err = qrimage.Card(info, text, opts...)
		} else {
			img, err = qrimage.Render(text, opts...)
		}
		if err != nil {
			return rep, withCode(ExitCannot, fmt.Errorf("drawing the QR code: %w", err))
		}
		fh, err := os.OpenFile(q.out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return rep, withCode(ExitCannot, fmt.Errorf("writing the QR code: %w", err))
		}
		if err := png.Encode(fh, img); err != nil {
			fh.Close()
			return rep, withCode(ExitCannot, fmt.Errorf("writing the QR code: %w", err))
		}
		if err := fh.Close(); err != nil {
			return rep, withCode(ExitCannot, fmt.Errorf("writing the QR code: %w", err))
		}
	}
	if q.terminal && !a.json {
		bg := qrimage.DarkBackground
		if q.light {
			bg = qrimage.LightBackground
		}
		s, err := qrimage.Terminal(text, bg)
		if err != nil {
			return rep, withCode(ExitCannot, err)
		}
		fmt.Fprint(a.stdout, s)
	}
	return rep, nil
}

// qrLink is what the QR code carries: the issuing register's /verify page
// with the compact credential in the fragment, so that a phone camera
// opens a page that checks it (docs/qr-format.md, "The link").
func qrLink(token string, claims *credential.Claims) (string, error) {
	return qrtext.Link(token, claims.Issuer)
}

// cardInfo is what the printable card says, all from the credential. The
// Quality Mark line is printed only if the credential carries the mark and
// it is still current on the day the card is drawn.
func cardInfo(c *credential.Claims, now time.Time) qrimage.CardInfo {
	sub := c.CredentialSubject
	info := qrimage.CardInfo{
		RegisterName:       strings.TrimPrefix(strings.TrimPrefix(c.Issuer, "https://"), "http://"),
		Name:               sub.Name,
		Role:               sub.Role,
		RegistrationNumber: sub.RegistrationNumber,
		ValidUntil:         lastValidDay(time.Unix(c.Exp, 0)),
		CheckURL:           strings.TrimRight(c.Issuer, "/") + qrtext.VerifyPath,
	}
	if qm := sub.QualityMark; qm != nil {
		if qm.Register != "" {
			info.RegisterName = qm.Register
		}
		if qm.ValidUntil >= now.UTC().Format(time.DateOnly) {
			info.QualityMark = "Quality Mark: " + qm.Scheme
		}
	}
	return info
}

// lastValidDay is the date a person reads as "valid until": a credential
// expires at the first instant after its last valid day.
func lastValidDay(exp time.Time) string { return exp.Add(-time.Second).UTC().Format("2006-01-02") }
