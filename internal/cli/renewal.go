package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/issuer/register"
)

// renewalCmd is the registrars' side of yearly renewals: registrants
// renew in their account (/account); the pending ones wait here when the
// register's policy has registrars approve them.
func (a *app) renewalCmd() *cobra.Command {
	c := &cobra.Command{Use: "renewal", Short: "Yearly renewals: list them, approve or refuse the pending ones"}
	var state string
	list := &cobra.Command{
		Use:   "list [--state pending|approved|refused]",
		Short: "List renewals, oldest first (pending by default)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res struct {
				Renewals []register.Renewal `json:"renewals"`
			}
			path := "/v1/renewals"
			if state != "all" {
				path += "?state=" + url.QueryEscape(state)
			}
			if err := a.call(cmd, http.MethodGet, path, nil, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				if len(res.Renewals) == 0 {
					fmt.Fprintln(w, "No renewals.")
					return
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tREGISTRANT\tSUBMITTED\tPOINTS\tFORMAL\tSTATE\tUNTIL")
				for _, r := range res.Renewals {
					until := string(r.Until)
					if r.NewUntil != "" {
						until += " -> " + string(r.NewUntil)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%g\t%g\t%s\t%s\n", r.ID, r.Registrant, r.SubmittedAt.UTC().Format("2006-01-02"), r.CPD.Points, r.CPD.FormalPoints, r.State, until)
				}
				tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&state, "state", register.RenewalPending, "pending, approved, refused or all")
	decide := func(approve bool) *cobra.Command {
		var reason string
		use, short, verb := "approve ID [--reason R]", "Approve a pending renewal: registered-until moves on a year and the credential is re-issued", "approve"
		if !approve {
			use, short, verb = "refuse ID --reason R", "Refuse a pending renewal, with the reason the registrant will read", "refuse"
		}
		c := &cobra.Command{
			Use:   use,
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if !approve || reason != "" {
					if err := register.CheckReason(reason); err != nil {
						return withCode(ExitCannot, err)
					}
				}
				var out struct {
					Renewal register.Renewal `json:"renewal"`
				}
				body := map[string]string{}
				if reason != "" {
					body["reason"] = reason
				}
				if err := a.call(cmd, http.MethodPost, "/v1/renewals/"+url.PathEscape(args[0])+"/"+verb, body, &out); err != nil {
					return err
				}
				return a.render(out, func(w io.Writer) {
					if out.Renewal.State == register.RenewalApproved {
						fmt.Fprintf(w, "Approved: %s is registered until %s.\n", out.Renewal.Registrant, out.Renewal.NewUntil)
						return
					}
					fmt.Fprintf(w, "Refused: %s stays registered until %s.\n", out.Renewal.Registrant, out.Renewal.Until)
				})
			},
		}
		help := "a note kept with the decision"
		if !approve {
			help = "why it is refused (required; the registrant reads it)"
		}
		c.Flags().StringVar(&reason, "reason", "", help)
		return c
	}
	c.AddCommand(list, decide(true), decide(false), a.gracePeriodCmd())
	return c
}

// gracePeriodCmd shows or sets the grace period after registered-until.
func (a *app) gracePeriodCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "grace-period [DAYS]",
		Short: "Show, or set (admins), how many days after registered-until an unrenewed registration lapses (0: at registered-until)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				Days int `json:"days"`
			}
			if len(args) == 0 {
				if err := a.call(cmd, http.MethodGet, "/v1/settings/grace-period", nil, &out); err != nil {
					return err
				}
			} else {
				days, err := strconv.Atoi(args[0])
				if err != nil {
					return withCode(ExitCannot, fmt.Errorf("grace period %q: give a whole number of days from 0 to %d", args[0], register.MaxGraceDays))
				}
				if err := register.CheckGraceDays(days); err != nil {
					return withCode(ExitCannot, err)
				}
				if err := a.call(cmd, http.MethodPost, "/v1/settings/grace-period", map[string]int{"days": days}, &out); err != nil {
					return err
				}
			}
			return a.render(out, func(w io.Writer) {
				if out.Days == 0 {
					fmt.Fprintln(w, "No grace period: a registration that is not renewed lapses at registered-until.")
					return
				}
				fmt.Fprintf(w, "Grace period: %d days. A registration that is not renewed lapses %d days after registered-until; until then it stays registered, and its credentials have expired.\n", out.Days, out.Days)
			})
		},
	}
}
