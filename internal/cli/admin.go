package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/issuer/audit"
	"github.com/nalw/linkpass/issuer/register"
)

func (a *app) qualityMarkCmd() *cobra.Command {
	c := &cobra.Command{Use: "quality-mark", Short: "Record the register's PSA Quality Mark standing"}
	var q register.QualityMark
	var since, until string
	set := &cobra.Command{
		Use:   "set --accredited=true|false --since DATE --until DATE [--reference REF]",
		Short: "Set whether the register holds the PSA Quality Mark",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q.Since, q.Until = register.Date(since), register.Date(until)
			var s register.Settings
			if err := a.call(cmd, http.MethodPost, "/v1/settings/quality-mark", q, &s); err != nil {
				return err
			}
			return a.render(s, func(w io.Writer) { printSettings(w, s) })
		},
	}
	f := set.Flags()
	f.BoolVar(&q.Accredited, "accredited", false, "whether the register is accredited (required)")
	f.StringVar(&since, "since", "", "accredited since, YYYY-MM-DD")
	f.StringVar(&until, "until", "", "accreditation valid until, YYYY-MM-DD")
	f.StringVar(&q.Reference, "reference", "", "PSA reference")
	_ = set.MarkFlagRequired("accredited")
	c.AddCommand(set)
	return c
}

func printSettings(w io.Writer, s register.Settings) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "register:\t%s\n", s.RegisterName)
	fmt.Fprintf(tw, "issuer URL:\t%s\n", s.IssuerURL)
	if s.QualityMark.Accredited {
		fmt.Fprintf(tw, "PSA Quality Mark:\taccredited %s to %s (ref %s)\n", s.QualityMark.Since, s.QualityMark.Until, orDash(s.QualityMark.Reference))
	} else {
		fmt.Fprintf(tw, "PSA Quality Mark:\tnot held\n")
	}
	fmt.Fprintf(tw, "removed entries shown for:\t%d days\n", s.RemovedVisibleDays)
	onOff := func(on bool) string {
		if on {
			return "a second registrar approves"
		}
		return "one registrar alone"
	}
	fmt.Fprintf(tw, "removal:\t%s\n", onOff(s.TwoPerson.Applies(register.ProposeRemove)))
	fmt.Fprintf(tw, "new restrictions:\t%s\n", onOff(s.TwoPerson.Applies(register.ProposeRestrict)))
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (a *app) settingsCmd() *cobra.Command {
	c := &cobra.Command{Use: "settings", Short: "Show the register's settings"}
	var name string
	var days int
	var twoRemove, twoRestrict bool
	set := &cobra.Command{
		Use:   "set [--register-name N] [--removed-visible-days D] [--two-person-remove=BOOL] [--two-person-restrict=BOOL]",
		Short: "Change the register's name, how long removed entries stay on the public register, or the two-person rule",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			body := map[string]any{}
			if cmd.Flags().Changed("register-name") {
				body["register_name"] = name
			}
			if cmd.Flags().Changed("removed-visible-days") {
				body["removed_visible_days"] = days
			}
			two := map[string]bool{}
			if cmd.Flags().Changed("two-person-remove") {
				two["remove"] = twoRemove
			}
			if cmd.Flags().Changed("two-person-restrict") {
				two["restrict"] = twoRestrict
			}
			if len(two) > 0 {
				body["two_person_rule"] = two
			}
			var s register.Settings
			if err := a.call(cmd, http.MethodPost, "/v1/settings", body, &s); err != nil {
				return err
			}
			return a.render(s, func(w io.Writer) { printSettings(w, s) })
		},
	}
	set.Flags().StringVar(&name, "register-name", "", "the register's name, as credentials and the public register show it")
	set.Flags().IntVar(&days, "removed-visible-days", 0, "days a removed registrant stays visible on the public register, marked removed")
	set.Flags().BoolVar(&twoRemove, "two-person-remove", true, "removal needs a second registrar's approval (on by default)")
	set.Flags().BoolVar(&twoRestrict, "two-person-restrict", true, "a new restriction needs a second registrar's approval (on by default)")
	c.AddCommand(set)
	c.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Show the register's name, issuer URL and Quality Mark standing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var s register.Settings
			if err := a.call(cmd, http.MethodGet, "/v1/settings", nil, &s); err != nil {
				return err
			}
			return a.render(s, func(w io.Writer) { printSettings(w, s) })
		},
	})
	return c
}

type tokenView struct {
	ID        string `json:"id"`
	Role      string `json:"role"`
	Name      string `json:"name,omitempty"`
	Staff     string `json:"staff,omitempty"`
	CreatedAt string `json:"created_at"`
	CreatedBy string `json:"created_by"`
	Revoked   bool   `json:"revoked"`
	Token     string `json:"token,omitempty"`
}

func (a *app) tokenCmd() *cobra.Command {
	c := &cobra.Command{Use: "token", Short: "Manage API tokens (admin)"}
	var body struct {
		Role  string `json:"role"`
		Name  string `json:"name,omitempty"`
		Staff string `json:"staff,omitempty"`
	}
	create := &cobra.Command{
		Use:   "create --role ROLE (--name INTEGRATION | --staff ACCOUNT_ID)",
		Short: "Create an API token; the secret is shown once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var t tokenView
			if err := a.call(cmd, http.MethodPost, "/v1/tokens", body, &t); err != nil {
				return err
			}
			return a.render(t, func(w io.Writer) {
				fmt.Fprintln(w, t.Token)
				fmt.Fprintf(a.stderr, "Created %s token %s. The secret above is shown only once: store it now.\n", t.Role, t.ID)
			})
		},
	}
	create.Flags().StringVar(&body.Role, "role", "", "admin, registrar, auditor, or provider for a provider staff account's token (required)")
	create.Flags().StringVar(&body.Name, "name", "", "the integration the token is for, as the audit trail will name it")
	create.Flags().StringVar(&body.Staff, "staff", "", "the staff account (st_..., see 'linkpass staff list') the token belongs to")
	_ = create.MarkFlagRequired("role")

	list := &cobra.Command{
		Use:   "list",
		Short: "List API tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res struct {
				Tokens []tokenView `json:"tokens"`
			}
			if err := a.call(cmd, http.MethodGet, "/v1/tokens", nil, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tROLE\tNAME\tSTAFF\tCREATED\tREVOKED")
				for _, t := range res.Tokens {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Role, orDash(t.Name), orDash(t.Staff), t.CreatedAt, yesNo(t.Revoked))
				}
				tw.Flush()
			})
		},
	}
	var reason string
	revoke := &cobra.Command{
		Use:   "revoke ID [--reason R]",
		Short: "Revoke an API token",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var t tokenView
			if err := a.call(cmd, http.MethodPost, "/v1/tokens/"+url.PathEscape(args[0])+"/revoke", map[string]string{"reason": reason}, &t); err != nil {
				return err
			}
			return a.render(t, func(w io.Writer) { fmt.Fprintf(w, "Revoked token %s.\n", t.ID) })
		},
	}
	revoke.Flags().StringVar(&reason, "reason", "", "why")
	c.AddCommand(create, list, revoke)
	return c
}

func (a *app) auditCmd() *cobra.Command {
	c := &cobra.Command{Use: "audit", Short: "Read the audit trail"}
	var q audit.Query
	var format string
	query := func() (string, error) {
		if q.Registrant != "" {
			n, err := regnoArg(q.Registrant)
			if err != nil {
				return "", err
			}
			q.Registrant = n
		}
		// Bad dates and actions are bad input (exit 2), found before any
		// call; the actor's name is resolved by the register.
		local := q
		local.Actor = ""
		if _, err := local.Filter(nil); err != nil {
			return "", withCode(ExitCannot, err)
		}
		v := q.Values()
		if format != "" {
			f, err := audit.ParseFormat(format)
			if err != nil {
				return "", withCode(ExitCannot, err)
			}
			v.Set("format", f)
		}
		if len(v) == 0 {
			return "", nil
		}
		return "?" + v.Encode(), nil
	}
	list := &cobra.Command{
		Use:   "list [--registrant REGNO] [--actor NAME] [--action A] [--from DATE] [--to DATE] [--after INDEX] [--limit N]",
		Short: "List audit events, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := query()
			if err != nil {
				return err
			}
			var res struct {
				Events []struct {
					register.AuditEvent
					ActorName string `json:"actor_name"`
				} `json:"events"`
				NextAfter uint64 `json:"next_after,omitempty"`
			}
			if err := a.call(cmd, http.MethodGet, "/v1/audit"+q, nil, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "INDEX\tWHEN\tWHO\tACTION\tREGISTRANT\tREASON")
				for _, ev := range res.Events {
					who := ev.ActorName
					if who == "" {
						who = ev.Actor.TokenID
					}
					if ev.Actor.Role != "" && ev.Actor.Role != "system" {
						who += " (" + string(ev.Actor.Role) + ")"
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", ev.Index, ev.At.UTC().Format("2006-01-02 15:04:05"), who, ev.Action, orDash(ev.Registrant), strings.ReplaceAll(ev.Reason, "\n", " "))
				}
				tw.Flush()
				if res.NextAfter > 0 {
					fmt.Fprintf(w, "more: linkpass audit list --after %d\n", res.NextAfter)
				}
			})
		},
	}
	export := &cobra.Command{
		Use:   "export [--format jsonl|csv] [--registrant REGNO] [--actor NAME] [--action A] [--from DATE] [--to DATE]",
		Short: "Write the audit trail, or the part the filters select, to stdout as JSON lines or CSV",
		Long: `Write the audit trail, or the part the filters select, to stdout as JSON
lines (the default) or, with --format csv, as CSV with a header row. CSV
cells that a spreadsheet would read as a formula (beginning with =, +, -,
@, a tab or a line break) start with an apostrophe, so they open as text.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := query()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			return classify(c.Stream(cmd.Context(), "/v1/audit/export"+q, a.stdout))
		},
	}
	for _, cmd := range []*cobra.Command{list, export} {
		f := cmd.Flags()
		f.StringVar(&q.Registrant, "registrant", "", "only events about this registrant")
		f.StringVar(&q.Actor, "actor", "", `only events by this staff member or integration: a name or part of one ("grace"), or an id`)
		f.StringVar(&q.Action, "action", "", "only events of this action, such as registrant.suspend")
		f.StringVar(&q.From, "from", "", "only events on or after this date (YYYY-MM-DD, UTC) or time (RFC 3339)")
		f.StringVar(&q.To, "to", "", "only events on or before this date (YYYY-MM-DD, UTC, the whole day) or time")
		f.Uint64Var(&q.After, "after", 0, "only events after this log index")
	}
	list.Flags().IntVar(&q.Limit, "limit", 0, "at most this many events (default 1000)")
	export.Flags().StringVar(&format, "format", "jsonl", "jsonl (one JSON object a line) or csv")
	c.AddCommand(list, export)
	return c
}
