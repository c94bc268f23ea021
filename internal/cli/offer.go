package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/oid4vci"
)

// walletCmds are the credential subcommands for link workers' wallets:
// OpenID4VCI offers, the wallets that redeemed them, and their mail.
func (a *app) walletCmds() []*cobra.Command {
	var send bool
	var ttl string
	offer := &cobra.Command{
		Use:   "offer REGNO [--send] [--ttl 72h]",
		Short: "Offer a registrant their credential for their phone's wallet (OpenID4VCI)",
		Long: `Make a single-use credential offer (OpenID4VCI, pre-authorised code flow),
open for 72 hours unless --ttl says otherwise. It prints:
  offer_url             the link that opens the register's web wallet
  credential_offer_uri  the same offer for other wallets (openid-credential-offer://)
  tx_code               6 digits: give them to the link worker another way (phone,
                        in person), never in the same message as the link
With --send the offer_url (never the code) is emailed to the registrant's
private address; delivery is retried in the background, and
'linkpass credential wallets REGNO' shows whether it got out.
Five wrong codes close the offer; 'credential offer withdraw ID' closes it
at once.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := regnoArg(args[0])
			if err != nil {
				return err
			}
			var res oid4vci.CreatedOffer
			if err := a.call(cmd, http.MethodPost, "/v1/registrants/"+n+"/offers", map[string]any{"ttl": ttl, "send": send}, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				fmt.Fprintf(w, "Offer %s for %s, open until %s.\n\n", res.ID, res.Registrant, res.ExpiresAt.Format("2006-01-02 15:04 UTC"))
				fmt.Fprintf(w, "Link for the register's web wallet:\n  %s\n\n", res.OfferURL)
				fmt.Fprintf(w, "For other wallets (OpenID4VCI):\n  %s\n\n", res.CredentialOfferURI)
				fmt.Fprintf(w, "Code: %s  (give it to the link worker another way; it is shown only now)\n", res.TxCode)
				if res.Mail != nil {
					fmt.Fprintf(w, "The link is being emailed (message %s); see 'linkpass credential wallets %s'.\n", res.Mail.ID, res.Registrant)
				}
			})
		},
	}
	offer.Flags().BoolVar(&send, "send", false, "email the offer link to the registrant's private address")
	offer.Flags().StringVar(&ttl, "ttl", "", "how long the offer stays open (default 72h; at most 720h)")

	var reason string
	withdraw := &cobra.Command{
		Use:   "withdraw OFFER_ID --reason R",
		Short: "Withdraw an open offer: its link and code stop working",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var res struct {
				ID    string `json:"id"`
				State string `json:"state"`
			}
			if err := a.call(cmd, http.MethodPost, "/v1/offers/"+url.PathEscape(args[0])+"/withdraw", map[string]string{"reason": reason}, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) { fmt.Fprintf(w, "Offer %s is %s.\n", res.ID, res.State) })
		},
	}
	withdraw.Flags().StringVar(&reason, "reason", "", "why (required; kept in the audit trail)")
	_ = withdraw.MarkFlagRequired("reason")
	offer.AddCommand(withdraw)

	wallets := &cobra.Command{
		Use:   "wallets REGNO",
		Short: "Show a registrant's offers, the wallets that hold their credential, and mail sent to them",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := regnoArg(args[0])
			if err != nil {
				return err
			}
			var res oid4vci.Wallets
			if err := a.call(cmd, http.MethodGet, "/v1/registrants/"+n+"/wallets", nil, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "OFFER\tCREATED\tEXPIRES\tSTATE\tWRONG CODES\tMAIL")
				for _, o := range res.Offers {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", o.ID, o.CreatedAt.Format("2006-01-02 15:04"), o.ExpiresAt.Format("2006-01-02 15:04"), o.State, o.Failures, orDash(o.Message))
				}
				fmt.Fprintln(tw, "\nWALLET\tSINCE\tCREDENTIAL\tREFRESH")
				for _, g := range res.Grants {
					state := "active"
					if g.Revoked {
						state = "revoked: " + g.Reason
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", g.ID, g.CreatedAt.Format("2006-01-02"), orDash(g.Credential), state)
				}
				fmt.Fprintln(tw, "\nMAIL\tPURPOSE\tSTATE\tATTEMPTS\tLAST ERROR")
				for _, m := range res.Messages {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", m.ID, m.Purpose, m.State, m.Attempts, orDash(m.LastError))
				}
				tw.Flush()
			})
		},
	}

	revokeWallet := &cobra.Command{
		Use:   "wallet-revoke WALLET_ID --reason R",
		Short: "Stop a wallet fetching re-issued credentials (revokes its refresh token)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var res oid4vci.GrantView
			if err := a.call(cmd, http.MethodPost, "/v1/grants/"+url.PathEscape(args[0])+"/revoke", map[string]string{"reason": reason}, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				fmt.Fprintf(w, "Wallet %s of %s can no longer refresh its credential.\n", res.ID, res.Registrant)
			})
		},
	}
	revokeWallet.Flags().StringVar(&reason, "reason", "", "why (required; kept in the audit trail)")
	_ = revokeWallet.MarkFlagRequired("reason")
	return []*cobra.Command{offer, wallets, revokeWallet}
}
