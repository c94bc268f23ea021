package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// staffView is a staff account as the API returns it.
type staffView struct {
	ID                string    `json:"id"`
	Name              string    `json:"name"`
	Email             string    `json:"email"`
	Role              string    `json:"role"`
	Provider          string    `json:"provider,omitempty"`
	Status            string    `json:"status"`
	SecondFactor      string    `json:"second_factor,omitempty"`
	RecoveryCodesLeft int       `json:"recovery_codes_left"`
	CreatedAt         time.Time `json:"created_at"`
	CreatedBy         string    `json:"created_by"`
	SetupExpires      time.Time `json:"setup_expires,omitzero"`
	LastSignInAt      time.Time `json:"last_sign_in_at,omitzero"`
	LockedUntil       time.Time `json:"locked_until,omitzero"`
	SetupURL          string    `json:"setup_url,omitempty"`
}

func (a *app) staffCmd() *cobra.Command {
	c := &cobra.Command{Use: "staff", Short: "Manage staff accounts: the people who sign in to the console (admin)"}
	var body struct {
		Name  string `json:"name"`
		Email string `json:"email"`
		Role  string `json:"role"`
		// Provider ties a provider account to its training provider.
		Provider string `json:"provider,omitempty"`
	}
	printSetup := func(v staffView, what string) func(io.Writer) {
		return func(w io.Writer) {
			fmt.Fprintln(w, v.SetupURL)
			fmt.Fprintf(a.stderr, "%s %s (%s, %s). Give them the link above: it works once, until %s, and is not shown again.\n",
				what, v.Name, v.Email, v.Role, v.SetupExpires.UTC().Format("2 January 2006 15:04 UTC"))
		}
	}
	add := &cobra.Command{
		Use:   "add --name N --email E --role admin|registrar|auditor|provider [--provider ID]",
		Short: "Create a staff account and print its one-time setup link",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var v staffView
			if err := a.call(cmd, http.MethodPost, "/v1/staff", body, &v); err != nil {
				return err
			}
			return a.render(v, printSetup(v, "Created an account for"))
		},
	}
	add.Flags().StringVar(&body.Name, "name", "", "the person's name, as the audit trail will show it (required)")
	add.Flags().StringVar(&body.Email, "email", "", "their work email, which they sign in with (required)")
	add.Flags().StringVar(&body.Role, "role", "", "admin, registrar, auditor, or provider for a training provider's staff (required)")
	add.Flags().StringVar(&body.Provider, "provider", "", "for --role provider: the catalogue provider the account belongs to (`linkpass provider list`), e.g. P1")
	for _, f := range []string{"name", "email", "role"} {
		_ = add.MarkFlagRequired(f)
	}

	list := &cobra.Command{
		Use:   "list",
		Short: "List staff accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res struct {
				Staff []staffView `json:"staff"`
			}
			if err := a.call(cmd, http.MethodGet, "/v1/staff", nil, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tEMAIL\tROLE\tSTATUS\tSECOND FACTOR\tRECOVERY CODES\tLAST SIGN-IN")
				for _, s := range res.Staff {
					status := s.Status
					if !s.LockedUntil.IsZero() {
						status += " (locked until " + s.LockedUntil.UTC().Format("15:04 UTC") + ")"
					}
					last := "-"
					if !s.LastSignInAt.IsZero() {
						last = s.LastSignInAt.UTC().Format("2006-01-02 15:04")
					}
					role := s.Role
					if s.Provider != "" {
						role += " of " + s.Provider
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", s.ID, s.Name, s.Email, role, status, orDash(s.SecondFactor), s.RecoveryCodesLeft, last)
				}
				tw.Flush()
			})
		},
	}

	var reason string
	disable := &cobra.Command{
		Use:   "disable ID --reason R",
		Short: "Disable a staff account: its sessions and tokens stop working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var v staffView
			if err := a.call(cmd, http.MethodPost, "/v1/staff/"+url.PathEscape(args[0])+"/disable", map[string]string{"reason": reason}, &v); err != nil {
				return err
			}
			return a.render(v, func(w io.Writer) { fmt.Fprintf(w, "Disabled %s (%s).\n", v.Name, v.Email) })
		},
	}
	reset := &cobra.Command{
		Use:   "reset-2fa ID --reason R",
		Short: "Reset a staff member's password and second factor and print a new setup link",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var v staffView
			if err := a.call(cmd, http.MethodPost, "/v1/staff/"+url.PathEscape(args[0])+"/reset-2fa", map[string]string{"reason": reason}, &v); err != nil {
				return err
			}
			return a.render(v, printSetup(v, "Reset the second factor of"))
		},
	}
	for _, cmd := range []*cobra.Command{disable, reset} {
		cmd.Flags().StringVar(&reason, "reason", "", "why, kept in the audit trail (required)")
		_ = cmd.MarkFlagRequired("reason")
	}
	c.AddCommand(add, list, disable, reset)
	return c
}
