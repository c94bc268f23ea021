package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/issuer/register"
)

// proposed is the API's answer to a removal or restriction that waits for
// a second registrar under the two-person rule.
type proposed struct {
	PendingApproval bool               `json:"pending_approval"`
	Message         string             `json:"message"`
	Proposal        *register.Proposal `json:"proposal"`
}

// changeOrPropose posts a removal or restriction and renders what came of
// it: the change made, or the proposal that waits for approval.
func (a *app) changeOrPropose(cmd *cobra.Command, path string, body any, done string) error {
	var raw json.RawMessage
	if err := a.call(cmd, http.MethodPost, path, body, &raw); err != nil {
		return err
	}
	var p proposed
	if err := json.Unmarshal(raw, &p); err == nil && p.PendingApproval {
		return a.render(p, func(w io.Writer) {
			fmt.Fprintf(w, "Proposed, not yet done: %s\n", p.Message)
			fmt.Fprintf(w, "A second registrar approves it with: linkpass proposal approve %s\n", p.Proposal.ID)
		})
	}
	var r changedRegistrant
	if err := json.Unmarshal(raw, &r); err != nil {
		return withCode(ExitCannot, fmt.Errorf("reading the register's answer: %w", err))
	}
	return a.render(r, func(w io.Writer) {
		fmt.Fprintln(w, done)
		printPublished(w, r.StatusPublishedAt)
		printRegistrant(w, &r.Registrant)
	})
}

func (a *app) proposalCmd() *cobra.Command {
	c := &cobra.Command{Use: "proposal", Short: "Removals and restrictions waiting for a second registrar (the two-person rule)"}
	var state string
	list := &cobra.Command{
		Use:   "list [--state pending|approved|rejected]",
		Short: "List proposals, oldest first (all states unless --state)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/v1/proposals"
			if state != "" {
				path += "?state=" + url.QueryEscape(state)
			}
			var out struct {
				Proposals []*register.Proposal `json:"proposals"`
			}
			if err := a.call(cmd, http.MethodGet, path, nil, &out); err != nil {
				return err
			}
			return a.render(out, func(w io.Writer) {
				if len(out.Proposals) == 0 {
					fmt.Fprintln(w, "No proposals.")
					return
				}
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tREGISTRANT\tCHANGE\tSTATE\tPROPOSED\tREASON")
				for _, p := range out.Proposals {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Registrant, p.Change, p.State, p.ProposedAt.UTC().Format(time.RFC3339), p.Reason)
				}
				tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&state, "state", "", "pending, approved or rejected")
	approve := &cobra.Command{
		Use:   "approve ID",
		Short: "Approve a proposal, which makes its change (not your own proposal)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				Proposal   *register.Proposal `json:"proposal"`
				Registrant changedRegistrant  `json:"registrant"`
			}
			if err := a.call(cmd, http.MethodPost, "/v1/proposals/"+url.PathEscape(args[0])+"/approve", nil, &out); err != nil {
				return err
			}
			return a.render(out, func(w io.Writer) {
				fmt.Fprintf(w, "Approved %s: the %s of %s is done.\n", out.Proposal.ID, out.Proposal.Change, out.Proposal.Registrant)
				printPublished(w, out.Registrant.StatusPublishedAt)
				printRegistrant(w, &out.Registrant.Registrant)
			})
		},
	}
	var reason string
	reject := &cobra.Command{
		Use:   "reject ID --reason R",
		Short: "Reject a proposal (or withdraw your own), with a reason",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var p register.Proposal
			if err := a.call(cmd, http.MethodPost, "/v1/proposals/"+url.PathEscape(args[0])+"/reject", map[string]string{"reason": reason}, &p); err != nil {
				return err
			}
			return a.render(p, func(w io.Writer) {
				fmt.Fprintf(w, "Rejected %s: the %s of %s will not be made.\n", p.ID, p.Change, p.Registrant)
			})
		},
	}
	reject.Flags().StringVar(&reason, "reason", "", "why (required; kept in the audit trail)")
	_ = reject.MarkFlagRequired("reason")
	c.AddCommand(list, approve, reject)
	return c
}
