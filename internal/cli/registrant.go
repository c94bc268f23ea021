package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/regno"
)

func (a *app) registrantCmd() *cobra.Command {
	c := &cobra.Command{Use: "registrant", Short: "Add registrants and manage their status on the register"}
	c.AddCommand(a.registrantAddCmd(), a.registrantImportCmd(), a.registrantShowCmd(), a.registrantListCmd(),
		a.statusCmd("suspend", "Suspend a registrant (optionally until a date)", true, true),
		a.statusCmd("reinstate", "End a suspension", true, false),
		a.removeCmd(), a.correctCmd(),
		a.statusCmd("renew", "Renew a registration for a year, or until a date", false, true),
		a.restrictCmd(), a.statusCmd("unrestrict", "Lift all restrictions on practice", true, false),
		a.reviewCmd(), a.cpdCmd(), a.lapseSweepCmd())
	return c
}

// regnoArg parses a registration number argument locally, so a typo is
// caught before anything is sent.
func regnoArg(s string) (string, error) {
	n, err := regno.Parse(s)
	return n, withCode(ExitCannot, err)
}

func (a *app) registrantAddCmd() *cobra.Command {
	var req struct {
		register.NewRegistrant
		AllowDuplicate bool `json:"allow_duplicate,omitempty"`
	}
	var until string
	var entry entryFlags
	c := &cobra.Command{
		Use:   "add --given G --family F --nation N [--email E] [--registered-until DATE] [--course ID@DATE]... [--route KIND --route-reason TEXT] [--allow-duplicate]",
		Short: "Add a registrant; prints the registration number",
		Long: `Adds a registrant. When the register's registration criteria are on
(linkpass criteria show), the registrant must come with a qualification
from a catalogue course that counts (--course C1@2024-06-30, repeatable;
the catalogue supplies the title, provider and level), or an alternative
route with a reason (--route experience --route-reason "..."). They are
checked in the same change that adds the registrant: a refusal adds
nobody.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req.RegisteredUntil = register.Date(until)
			var err error
			if req.Qualifications, req.EntryRoute, err = entry.parse(); err != nil {
				return withCode(ExitCannot, err)
			}
			var r register.Registrant
			if err := a.call(cmd, http.MethodPost, "/v1/registrants", req, &r); err != nil {
				return err
			}
			return a.render(r, func(w io.Writer) {
				fmt.Fprintln(w, r.Number)
			})
		},
	}
	f := c.Flags()
	f.StringVar(&req.Given, "given", "", "given name (required)")
	f.StringVar(&req.Family, "family", "", "family name (required)")
	f.StringVar(&req.Nation, "nation", "", "england, wales, scotland or northern-ireland (required)")
	f.StringVar(&req.Email, "email", "", "private contact email (never published)")
	f.StringVar(&until, "registered-until", "", "end of registration, YYYY-MM-DD (default: a year from today)")
	f.BoolVar(&req.AllowDuplicate, "allow-duplicate", false, "add even though someone with the same name and email is on the register")
	entry.add(c)
	for _, n := range []string{"given", "family", "nation"} {
		_ = c.MarkFlagRequired(n)
	}
	return c
}

func (a *app) registrantShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show REGNO",
		Short: "Show a registrant's full entry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := regnoArg(args[0])
			if err != nil {
				return err
			}
			var r register.Registrant
			if err := a.call(cmd, http.MethodGet, "/v1/registrants/"+n, nil, &r); err != nil {
				return err
			}
			return a.render(r, func(w io.Writer) { printRegistrant(w, &r) })
		},
	}
}

func printRegistrant(w io.Writer, r *register.Registrant) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\t%s\n", r.Number, r.FullName())
	st := string(r.Status)
	if r.SuspendedUntil != "" {
		st += " until " + string(r.SuspendedUntil)
	}
	fmt.Fprintf(tw, "  status:\t%s since %s (%s)\n", st, register.DateOf(r.StatusChangedAt), r.StatusReason)
	if r.Restricted() {
		for _, x := range r.Restrictions {
			fmt.Fprintf(tw, "  RESTRICTION:\t%s (since %s)\n", x.Text, register.DateOf(x.Since))
		}
	} else {
		fmt.Fprintf(tw, "  restrictions:\tnone\n")
	}
	fmt.Fprintf(tw, "  nation:\t%s\n", r.Nation)
	fmt.Fprintf(tw, "  registered:\t%s to %s\n", r.RegisteredFrom, r.RegisteredUntil)
	if r.Email != "" {
		fmt.Fprintf(tw, "  email (private):\t%s\n", r.Email)
	}
	if len(r.Qualifications) == 0 {
		fmt.Fprintf(tw, "  qualifications:\tnone recorded\n")
	}
	for _, q := range r.Qualifications {
		fmt.Fprintf(tw, "  qualification:\t%s (level %d, %s, %s, %s)\n", q.Title, q.Level, q.Provider, q.Accreditation, q.Awarded)
	}
	for _, p := range r.CPD {
		fmt.Fprintf(tw, "  CPD %d:\t%g hours (%g formal)\n", p.Year, p.Hours, p.FormalHours)
	}
	tw.Flush()
}

func (a *app) registrantListCmd() *cobra.Command {
	var status string
	c := &cobra.Command{
		Use:   "list [--status S]",
		Short: "List registrants, optionally by status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/v1/registrants"
			if status != "" {
				path += "?status=" + url.QueryEscape(status)
			}
			var res struct {
				Registrants []register.Registrant `json:"registrants"`
			}
			if err := a.call(cmd, http.MethodGet, path, nil, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NUMBER\tNAME\tSTATUS\tRESTRICTED\tNATION\tREGISTERED UNTIL")
				for _, r := range res.Registrants {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Number, r.FullName(), r.Status, yesNo(r.Restricted()), r.Nation, r.RegisteredUntil)
				}
				tw.Flush()
				fmt.Fprintf(w, "%d registrant(s)\n", len(res.Registrants))
			})
		},
	}
	c.Flags().StringVar(&status, "status", "", "registered, suspended, lapsed or removed")
	return c
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "no"
}

// changedRegistrant is what a registrant operation returns.
type changedRegistrant struct {
	register.Registrant
	StatusPublishedAt time.Time `json:"status_published_at,omitzero"`
}

// printPublished says that the status lists verifiers fetch now carry the
// change, when the register said so.
func printPublished(w io.Writer, at time.Time) {
	if !at.IsZero() {
		fmt.Fprintf(w, "Status list published at %s: it carries this change; verifiers see it at their next sync.\n", at.UTC().Format(time.RFC3339))
	}
}

// statusCmd builds suspend, reinstate, remove, renew and unrestrict: they
// share a shape (REGNO, a reason and/or a date).
func (a *app) statusCmd(op, short string, reason, until bool) *cobra.Command {
	var body struct {
		Reason    string `json:"reason,omitempty"`
		Until     string `json:"until,omitempty"`
		DecidedOn string `json:"decided_on,omitempty"`
		Review    string `json:"review,omitempty"`
	}
	use := op + " REGNO"
	if reason {
		use += " --reason R"
	}
	if until {
		use += " [--until DATE]"
	}
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := regnoArg(args[0])
			if err != nil {
				return err
			}
			var r changedRegistrant
			if err := a.call(cmd, http.MethodPost, "/v1/registrants/"+n+"/"+op, body, &r); err != nil {
				return err
			}
			return a.render(r, func(w io.Writer) {
				fmt.Fprintf(w, "%s: done.\n", strings.ToUpper(op[:1])+op[1:])
				printPublished(w, r.StatusPublishedAt)
				printRegistrant(w, &r.Registrant)
			})
		},
	}
	if reason {
		c.Flags().StringVar(&body.Reason, "reason", "", "why (required; kept in the audit trail)")
		_ = c.MarkFlagRequired("reason")
	}
	if until {
		c.Flags().StringVar(&body.Until, "until", "", "date, YYYY-MM-DD")
	}
	if op == "suspend" {
		decidedOnFlag(c, &body.DecidedOn)
		c.Flags().StringVar(&body.Review, "review", "", "date the suspension is due for review, YYYY-MM-DD")
		c.Flags().Lookup("until").Usage = "date the suspension ends by itself, YYYY-MM-DD"
	}
	return c
}

// decidedOnFlag adds --decided-on to the changes a decision makes.
func decidedOnFlag(c *cobra.Command, to *string) {
	c.Flags().StringVar(to, "decided-on", "", "date the decision was made (a panel's, an interim order's), YYYY-MM-DD, if before today; reported as the time from decision to publication")
}

// reviewCmd moves the review date of a suspension or of one restriction.
func (a *app) reviewCmd() *cobra.Command {
	var body struct {
		Review      string `json:"review"`
		Restriction *int   `json:"restriction,omitempty"`
		Reason      string `json:"reason"`
	}
	restriction := -1
	c := &cobra.Command{
		Use:   "review REGNO --date DATE --reason R [--restriction INDEX]",
		Short: "Move the review date of a suspension, or of a restriction (INDEX from 0, as `registrant show --json` lists them)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := regnoArg(args[0])
			if err != nil {
				return err
			}
			if restriction >= 0 {
				body.Restriction = &restriction
			}
			var r changedRegistrant
			if err := a.call(cmd, http.MethodPost, "/v1/registrants/"+n+"/review", body, &r); err != nil {
				return err
			}
			return a.render(r, func(w io.Writer) {
				fmt.Fprintf(w, "Review date moved to %s.\n", body.Review)
				printRegistrant(w, &r.Registrant)
			})
		},
	}
	c.Flags().StringVar(&body.Review, "date", "", "the new review date, YYYY-MM-DD (required)")
	c.Flags().IntVar(&restriction, "restriction", -1, "the restriction whose review to move, from 0; without it, the suspension's")
	c.Flags().StringVar(&body.Reason, "reason", "", "why (required; kept in the audit trail)")
	_ = c.MarkFlagRequired("date")
	_ = c.MarkFlagRequired("reason")
	return c
}

func (a *app) restrictCmd() *cobra.Command {
	var body struct {
		Text      string `json:"text"`
		Reason    string `json:"reason"`
		DecidedOn string `json:"decided_on,omitempty"`
		Review    string `json:"review,omitempty"`
	}
	c := &cobra.Command{
		Use:   "restrict REGNO --text T --reason R",
		Short: "Add a restriction on practice, with its public wording",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := regnoArg(args[0])
			if err != nil {
				return err
			}
			return a.changeOrPropose(cmd, "/v1/registrants/"+n+"/restrict", body, "Restrict: done.")
		},
	}
	c.Flags().StringVar(&body.Review, "review", "", "date the restriction is due for review, YYYY-MM-DD")
	c.Flags().StringVar(&body.Text, "text", "", "public wording of the restriction (required; shown on the public register)")
	c.Flags().StringVar(&body.Reason, "reason", "", "why (required; kept in the audit trail)")
	decidedOnFlag(c, &body.DecidedOn)
	_ = c.MarkFlagRequired("text")
	_ = c.MarkFlagRequired("reason")
	return c
}

func (a *app) cpdCmd() *cobra.Command {
	var body register.CPD
	c := &cobra.Command{
		Use:   "cpd REGNO --year Y --hours H [--formal F]",
		Short: "Record CPD hours for a registration year",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := regnoArg(args[0])
			if err != nil {
				return err
			}
			var r register.Registrant
			if err := a.call(cmd, http.MethodPost, "/v1/registrants/"+n+"/cpd", body, &r); err != nil {
				return err
			}
			return a.render(r, func(w io.Writer) { printRegistrant(w, &r) })
		},
	}
	c.Flags().IntVar(&body.Year, "year", 0, "registration year, e.g. 2026 (required)")
	c.Flags().Float64Var(&body.Hours, "hours", 0, "total CPD hours (required)")
	c.Flags().Float64Var(&body.FormalHours, "formal", 0, "of which formal")
	_ = c.MarkFlagRequired("year")
	_ = c.MarkFlagRequired("hours")
	return c
}

func (a *app) qualificationCmd() *cobra.Command {
	c := &cobra.Command{Use: "qualification", Short: "Record registrants' qualifications; training providers confirm or dispute them"}
	var q register.Qualification
	var awarded string
	add := &cobra.Command{
		Use:   "add REGNO (--course ID | --title T --level N --provider P --accreditation A [--assessment TEXT]) --awarded DATE",
		Short: "Record a qualification: from the catalogue, or typed in with your assessment",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := regnoArg(args[0])
			if err != nil {
				return err
			}
			q.Awarded = register.Date(awarded)
			var r register.Registrant
			if err := a.call(cmd, http.MethodPost, "/v1/registrants/"+n+"/qualifications", q, &r); err != nil {
				return err
			}
			return a.render(r, func(w io.Writer) { printRegistrant(w, &r) })
		},
	}
	qualificationFlags(add, &q, &awarded)
	add.Flags().StringVar(&q.Course, "course", "", "a catalogue course (`linkpass course list`): the catalogue supplies the title, level, provider and accreditation")
	add.Flags().StringVar(&q.Assessment, "assessment", "", "your assessment of a qualification that is not in the catalogue")
	add.MarkFlagsOneRequired("course", "title")
	add.MarkFlagsMutuallyExclusive("course", "title")
	add.MarkFlagsMutuallyExclusive("course", "level")
	add.MarkFlagsMutuallyExclusive("course", "provider")
	add.MarkFlagsMutuallyExclusive("course", "accreditation")
	for _, n := range []string{"title", "level", "provider", "accreditation"} {
		delete(add.Flags().Lookup(n).Annotations, cobra.BashCompOneRequiredFlag)
	}
	c.AddCommand(add, a.qualificationEditCmd(), a.qualificationWithdrawCmd())
	c.AddCommand(a.qualificationAnswerCmds()...)
	return c
}

// qualificationFlags are the fields of a qualification, all required.
func qualificationFlags(c *cobra.Command, q *register.Qualification, awarded *string) {
	f := c.Flags()
	f.StringVar(&q.Title, "title", "", "title of the course or award")
	f.IntVar(&q.Level, "level", 0, "RQF/SCQF level number, e.g. 4")
	f.StringVar(&q.Provider, "provider", "", "awarding body or training provider")
	f.StringVar(&q.Accreditation, "accreditation", "", "nalw-accredited, nalw-aligned or other")
	f.StringVar(awarded, "awarded", "", "date awarded, YYYY-MM-DD (not in the future)")
	for _, n := range []string{"title", "level", "provider", "accreditation", "awarded"} {
		_ = c.MarkFlagRequired(n)
	}
}

// lapseSweepCmd shows, and on --confirm runs, the lapse sweep that the
// register holds when it would lapse more than its configured share.
func (a *app) lapseSweepCmd() *cobra.Command {
	var confirm bool
	c := &cobra.Command{
		Use:   "lapse-sweep [--confirm]",
		Short: "Show how many registrations would lapse now; --confirm lapses them (admin)",
		Long: `The register lapses registrations past their end date by itself, but not
more than serve --lapse-confirm-share of the register at once (5% by
default): a sweep that large is more likely a clock set wrong than real
lapses. It then waits for this command. Without --confirm it says how many
would lapse; with --confirm it lapses them, each lapse audited with your
token. Check the register's clock first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var p struct {
				Due        int  `json:"due"`
				Registered int  `json:"registered"`
				Limit      int  `json:"limit"`
				Held       bool `json:"held"`
				Lapsed     int  `json:"lapsed"`
			}
			if !confirm {
				if err := a.call(cmd, http.MethodGet, "/v1/lapse-sweep", nil, &p); err != nil {
					return err
				}
				return a.render(p, func(w io.Writer) {
					fmt.Fprintf(w, "%d of %d registered registrants are past their end date and would lapse.\n", p.Due, p.Registered)
					switch {
					case p.Held:
						fmt.Fprintf(w, "That is more than the automatic sweep lapses by itself (%d), so it is waiting.\nCheck the register's clock; if they really ran out, run: linkpass registrant lapse-sweep --confirm\n", p.Limit)
					case p.Due > 0:
						fmt.Fprintln(w, "The automatic sweep lapses them at its next run.")
					}
				})
			}
			if err := a.call(cmd, http.MethodPost, "/v1/lapse-sweep", map[string]bool{"confirm": true}, &p); err != nil {
				return err
			}
			return a.render(p, func(w io.Writer) { fmt.Fprintf(w, "Lapsed %d registration(s).\n", p.Lapsed) })
		},
	}
	c.Flags().BoolVar(&confirm, "confirm", false, "lapse every registration past its end date now, however many")
	return c
}
