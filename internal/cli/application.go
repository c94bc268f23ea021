package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/issuer/register"
)

func (a *app) applicationCmd() *cobra.Command {
	c := &cobra.Command{Use: "application", Short: "Applications to join the register, and the registrars' decisions"}
	c.AddCommand(a.applicationListCmd(), a.applicationShowCmd(), a.applicationApproveCmd(),
		a.applicationStepCmd("request-info", "request-information", "Ask the applicant for more information (MESSAGE is emailed to them)", "MESSAGE"),
		a.applicationStepCmd("refuse", "refuse", "Refuse an application; REASONS are emailed with the date to appeal by", "REASONS"),
		a.applicationStepCmd("appeal", "appeal", "Record the applicant's appeal against a refusal, with their GROUNDS", "GROUNDS"),
		a.applicationDecideCmd())
	return c
}

func (a *app) applicationListCmd() *cobra.Command {
	var state string
	c := &cobra.Command{
		Use:   "list [--state S]",
		Short: "List applications, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/v1/applications"
			if state != "" {
				if _, err := applications.ParseState(state); err != nil {
					return withCode(ExitCannot, err)
				}
				path += "?state=" + url.QueryEscape(state)
			}
			var res struct {
				Applications []applications.Application `json:"applications"`
			}
			if err := a.call(cmd, http.MethodGet, path, nil, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "REFERENCE\tSTATE\tSUBMITTED\tNAME\tFLAG")
				for _, x := range res.Applications {
					flag := ""
					if len(x.Removed) > 0 {
						flag = "PREVIOUSLY REMOVED"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%s\n", x.Ref, x.State, register.DateOf(x.SubmittedAt), x.Given, x.Family, flag)
				}
				tw.Flush()
			})
		},
	}
	c.Flags().StringVar(&state, "state", "", "only applications in this state: submitted, more-information, appealed, refused, approved, appeal-dismissed")
	return c
}

func (a *app) applicationShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show REF",
		Short: "Show an application with its history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var x applications.Application
			if err := a.call(cmd, http.MethodGet, "/v1/applications/"+url.PathEscape(args[0]), nil, &x); err != nil {
				return err
			}
			return a.render(x, func(w io.Writer) { printApplication(w, &x) })
		},
	}
}

func printApplication(w io.Writer, x *applications.Application) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\t%s %s (%s)\n", x.Ref, x.Given, x.Family, x.State)
	for _, m := range x.Removed {
		fmt.Fprintf(tw, "  PREVIOUSLY REMOVED:\t%s %s, removed %s (%s); matched on %s\n", m.Registrant, m.Name, register.DateOf(m.RemovedAt), m.Reason, m.On)
	}
	fmt.Fprintf(tw, "  nation:\t%s\n  email (private):\t%s\n  date of birth (private):\t%s\n", x.Nation, x.Email, x.DateOfBirth)
	if x.Employer != "" {
		fmt.Fprintf(tw, "  employer:\t%s\n", x.Employer)
	}
	for _, q := range x.Qualifications {
		if q.Course != "" {
			fmt.Fprintf(tw, "  qualification:\tcatalogue course %s, awarded %s\n", q.Course, q.Awarded)
		} else {
			fmt.Fprintf(tw, "  qualification:\t%s (level %d, %s, other), awarded %s\n", q.Title, q.Level, q.Provider, q.Awarded)
		}
	}
	d := x.Declarations
	fmt.Fprintf(tw, "  declarations:\tproceedings %s, convictions %s, health %s\n", yesNo(d.FitnessToPractise), yesNo(d.Convictions), yesNo(d.Health))
	if d.Details != "" {
		fmt.Fprintf(tw, "  details:\t%s\n", d.Details)
	}
	for _, h := range x.History {
		fmt.Fprintf(tw, "  %s:\t%s by %s%s\n", h.At.UTC().Format("2006-01-02 15:04"), h.Action, h.By, reasonNote(h.Note))
	}
	if x.Registrant != "" {
		fmt.Fprintf(tw, "  registrant:\t%s\n", x.Registrant)
	}
	if x.AppealBy != "" {
		fmt.Fprintf(tw, "  appeal by:\t%s\n", x.AppealBy)
	}
	tw.Flush()
}

func (a *app) applicationApproveCmd() *cobra.Command {
	var route, reason, note string
	c := &cobra.Command{
		Use:   "approve REF [--route KIND --route-reason TEXT] [--note TEXT]",
		Short: "Approve an application: the registrant is added (criteria checked) and welcomed by email",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := struct {
				Route *register.EntryRoute `json:"entry_route,omitempty"`
				Note  string               `json:"note,omitempty"`
			}{Note: note}
			if route != "" {
				req.Route = &register.EntryRoute{Kind: route, Reason: reason}
				if err := req.Route.Validate(); err != nil {
					return withCode(ExitCannot, err)
				}
			}
			var res struct {
				Application applications.Application `json:"application"`
				Registrant  register.Registrant      `json:"registrant"`
			}
			if err := a.call(cmd, http.MethodPost, "/v1/applications/"+url.PathEscape(args[0])+"/approve", req, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) { fmt.Fprintln(w, res.Registrant.Number) })
		},
	}
	c.Flags().StringVar(&route, "route", "", "an alternative route the applicant meets the criteria by")
	c.Flags().StringVar(&reason, "route-reason", "", "your reason for the route")
	c.Flags().StringVar(&note, "note", "", "a note kept with the decision")
	return c
}

func (a *app) applicationStepCmd(name, path, short, arg string) *cobra.Command {
	return &cobra.Command{
		Use:   name + " REF " + arg,
		Short: short,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var x applications.Application
			if err := a.call(cmd, http.MethodPost, "/v1/applications/"+url.PathEscape(args[0])+"/"+path, map[string]string{"note": args[1]}, &x); err != nil {
				return err
			}
			return a.render(x, func(w io.Writer) { fmt.Fprintf(w, "%s is %s\n", x.Ref, x.State) })
		},
	}
}

func (a *app) applicationDecideCmd() *cobra.Command {
	var upheld, dismissed bool
	c := &cobra.Command{
		Use:   "decide-appeal REF (--upheld | --dismissed) REASON",
		Short: "Decide an appeal: upheld reopens the application, dismissed lets the refusal stand",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := map[string]any{"upheld": upheld, "note": args[1]}
			var x applications.Application
			if err := a.call(cmd, http.MethodPost, "/v1/applications/"+url.PathEscape(args[0])+"/appeal-decision", req, &x); err != nil {
				return err
			}
			return a.render(x, func(w io.Writer) { fmt.Fprintf(w, "%s is %s\n", x.Ref, x.State) })
		},
	}
	c.Flags().BoolVar(&upheld, "upheld", false, "the appeal is upheld")
	c.Flags().BoolVar(&dismissed, "dismissed", false, "the appeal is dismissed")
	c.MarkFlagsOneRequired("upheld", "dismissed")
	c.MarkFlagsMutuallyExclusive("upheld", "dismissed")
	return c
}
