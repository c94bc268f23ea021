package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/register"
)

type issueResponse struct {
	JWT        string    `json:"jwt"`
	JTI        string    `json:"jti"`
	KID        string    `json:"kid"`
	Registrant string    `json:"registration_number"`
	IssuedAt   time.Time `json:"issued_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	StatusList struct {
		URI string `json:"uri"`
		Idx uint64 `json:"idx"`
	} `json:"status_list"`
	Status            string    `json:"status"`
	StatusPublishedAt time.Time `json:"status_published_at"`
	// QR is set when --qr wrote the credential's QR code.
	QR *qrReport `json:"qr,omitempty"`
}

func (a *app) credentialCmd() *cobra.Command {
	c := &cobra.Command{Use: "credential", Short: "Issue, list and revoke registrants' credentials"}
	var out, qrOut string
	issue := &cobra.Command{
		Use:   "issue REGNO [--out FILE] [--qr FILE.png]",
		Short: "Issue a signed credential to a registered registrant",
		Long: `Issue a signed credential (a vc+jwt) to a registrant in good standing. The
token is printed, or written to --out (mode 0600). Issuing supersedes the
registrant's older credentials: they become revoked.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := regnoArg(args[0])
			if err != nil {
				return err
			}
			var res issueResponse
			if err := a.call(cmd, http.MethodPost, "/v1/registrants/"+n+"/credentials", nil, &res); err != nil {
				return err
			}
			if out != "" {
				if err := os.WriteFile(out, []byte(res.JWT+"\n"), 0o600); err != nil {
					return withCode(ExitCannot, fmt.Errorf("writing --out: %w (the credential %s was issued; issue again to get a new one)", err, res.JTI))
				}
			}
			if qrOut != "" {
				rep, err := a.drawQR(res.JWT, qrFlags{out: qrOut})
				if err != nil {
					return err
				}
				res.QR = &rep
			}
			return a.render(res, func(w io.Writer) {
				if out == "" {
					fmt.Fprintln(w, res.JWT)
				}
				fmt.Fprintf(a.stderr, "Issued credential %s to %s, valid until %s.\n", res.JTI, res.Registrant, res.ExpiresAt.Format("2006-01-02 15:04 UTC"))
				printPublished(a.stderr, res.StatusPublishedAt)
				if out != "" {
					fmt.Fprintf(a.stderr, "Written to %s.\n", out)
				}
				if res.QR != nil {
					fmt.Fprintf(a.stderr, "QR code written to %s (version %d, error correction %s).\n", qrOut, res.QR.Version, res.QR.ECC)
				}
			})
		},
	}
	issue.Flags().StringVar(&out, "out", "", "write the credential to this file")
	issue.Flags().StringVar(&qrOut, "qr", "", "also write the credential's QR code to this PNG file")

	list := &cobra.Command{
		Use:   "list REGNO",
		Short: "List the credentials issued to a registrant and their status",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := regnoArg(args[0])
			if err != nil {
				return err
			}
			var res struct {
				Credentials []register.IssuedCredential `json:"credentials"`
			}
			if err := a.call(cmd, http.MethodGet, "/v1/registrants/"+n+"/credentials", nil, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "JTI\tISSUED\tEXPIRES\tSTATUS\tREASON")
				for _, c := range res.Credentials {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.JTI, c.IssuedAt.Format("2006-01-02"), c.ExpiresAt.Format("2006-01-02"), c.Status, orDash(c.StatusReason))
				}
				tw.Flush()
			})
		},
	}
	var reason string
	revoke := &cobra.Command{
		Use:   "revoke JTI --reason R",
		Short: "Revoke one credential for good",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var res struct {
				register.IssuedCredential
				StatusPublishedAt time.Time `json:"status_published_at"`
			}
			if err := a.call(cmd, http.MethodPost, "/v1/credentials/"+url.PathEscape(args[0])+"/revoke", map[string]string{"reason": reason}, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				fmt.Fprintf(w, "Revoked credential %s of %s.\n", res.JTI, res.Registrant)
				printPublished(w, res.StatusPublishedAt)
			})
		},
	}
	revoke.Flags().StringVar(&reason, "reason", "", "why (required; kept in the audit trail)")
	_ = revoke.MarkFlagRequired("reason")
	c.AddCommand(issue, list, revoke)
	c.AddCommand(a.walletCmds()...)
	return c
}

type keyView struct {
	KID       string    `json:"kid"`
	Alg       string    `json:"alg"`
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	RetiredAt time.Time `json:"retired_at,omitzero"`
}

func (a *app) keysCmd() *cobra.Command {
	c := &cobra.Command{Use: "keys", Short: "Manage the register's signing keys (admin)"}
	list := &cobra.Command{
		Use:   "list",
		Short: "List signing keys and their state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res struct {
				Keys []keyView `json:"keys"`
			}
			if err := a.call(cmd, http.MethodGet, "/v1/keys", nil, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "KID\tALG\tSTATE\tCREATED")
				for _, k := range res.Keys {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.KID, k.Alg, k.State, k.CreatedAt.Format("2006-01-02 15:04"))
				}
				tw.Flush()
			})
		},
	}
	var alg string
	rotate := &cobra.Command{
		Use:   "rotate [--alg EdDSA|ES256]",
		Short: issuer.RotateAdvice,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var k keyView
			if err := a.call(cmd, http.MethodPost, "/v1/keys/rotate", map[string]string{"alg": alg}, &k); err != nil {
				return err
			}
			return a.render(k, func(w io.Writer) { fmt.Fprintf(w, "New signing key %s (%s) is active.\n", k.KID, k.Alg) })
		},
	}
	rotate.Flags().StringVar(&alg, "alg", "EdDSA", "EdDSA (Ed25519) or ES256 (P-256)")
	var force bool
	retire := &cobra.Command{
		Use:   "retire [--force] [--] KID",
		Short: issuer.RetireAdvice + " (--force)",
		// A key id is base64url and may begin with '-', which would read
		// as a flag.
		Long: issuer.RetireAdvice + " (--force).\n\nA key id that begins with '-' goes after --: linkpass keys retire --force -- -AbC…",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var k keyView
			if err := a.call(cmd, http.MethodPost, "/v1/keys/"+url.PathEscape(args[0])+"/retire", map[string]bool{"force": force}, &k); err != nil {
				return err
			}
			return a.render(k, func(w io.Writer) {
				fmt.Fprintf(w, "Retired key %s: %s.\n", k.KID, issuer.RetiredEffect)
			})
		},
	}
	retire.Flags().BoolVar(&force, "force", false, "retire even though credentials it signed have not expired")
	c.AddCommand(list, rotate, retire)
	return c
}
