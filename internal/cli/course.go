package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer/register"
)

func (a *app) providerCmd() *cobra.Command {
	c := &cobra.Command{Use: "provider", Short: "Training providers in the course catalogue"}
	var req courses.NewProvider
	add := &cobra.Command{
		Use:   "add --name NAME [--ukprn 8-DIGITS]",
		Short: "Add a training provider; prints its id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := req.Validate(); err != nil {
				return withCode(ExitCannot, err)
			}
			var p courses.Provider
			if err := a.call(cmd, http.MethodPost, "/v1/providers", req, &p); err != nil {
				return err
			}
			return a.render(p, func(w io.Writer) { fmt.Fprintln(w, p.ID) })
		},
	}
	add.Flags().StringVar(&req.Name, "name", "", "the provider's name (required)")
	add.Flags().StringVar(&req.UKPRN, "ukprn", "", "UK Provider Reference Number, if it has one (eight digits starting with 1)")
	_ = add.MarkFlagRequired("name")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the training providers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res struct {
				Providers []courses.Provider `json:"providers"`
			}
			if err := a.call(cmd, http.MethodGet, "/v1/providers", nil, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tUKPRN\tNAME")
				for _, p := range res.Providers {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", p.ID, orDash(p.UKPRN), p.Name)
				}
				tw.Flush()
			})
		},
	}
	c.AddCommand(add, list)
	return c
}

// standingFlags are the flags that describe a standing.
type standingFlags struct {
	standing, reference, from, until, reason string
}

func (s *standingFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.standing, "standing", "", "accredited, aligned or withdrawn (required)")
	f.StringVar(&s.reference, "reference", "", "the accreditation's reference (accredited only)")
	f.StringVar(&s.from, "from", "", "accredited from, YYYY-MM-DD (accredited only)")
	f.StringVar(&s.until, "until", "", "accredited until, YYYY-MM-DD, inclusive (accredited only)")
	f.StringVar(&s.reason, "reason", "", "why the standing changes (required to withdraw)")
	_ = cmd.MarkFlagRequired("standing")
}

func (s *standingFlags) change() courses.StandingChange {
	return courses.StandingChange{Standing: courses.Standing(s.standing), Reference: s.reference,
		From: register.Date(s.from), Until: register.Date(s.until), Reason: s.reason}
}

func (a *app) courseCmd() *cobra.Command {
	c := &cobra.Command{Use: "course", Short: "The course catalogue and each course's NALW standing"}
	c.AddCommand(a.courseAddCmd(), a.courseListCmd(), a.courseShowCmd(), a.courseStandingCmd())
	return c
}

func (a *app) courseAddCmd() *cobra.Command {
	var req courses.NewCourse
	var level string
	var st standingFlags
	c := &cobra.Command{
		Use:   "add --provider ID --title T --level FRAMEWORK:N --mode M --standing S [--reference R --from D --until D]",
		Short: "Add a course with its first standing; prints its id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := courses.ParseLevel(level)
			if err != nil {
				return withCode(ExitCannot, err)
			}
			req.Level, req.Standing = l, st.change()
			if err := req.Validate(); err != nil {
				return withCode(ExitCannot, err)
			}
			var out courses.Course
			if err := a.call(cmd, http.MethodPost, "/v1/courses", req, &out); err != nil {
				return err
			}
			return a.render(out, func(w io.Writer) { fmt.Fprintln(w, out.ID) })
		},
	}
	f := c.Flags()
	f.StringVar(&req.Provider, "provider", "", "the provider's id, from `linkpass provider list` (required)")
	f.StringVar(&req.Title, "title", "", "the course's title (required)")
	f.StringVar(&level, "level", "", "framework and level: rqf:4, cqfw:5, scqf:7 (required)")
	f.StringVar(&req.Mode, "mode", "", "full-time, part-time, distance, blended or work-based (required)")
	st.add(c)
	for _, n := range []string{"provider", "title", "level", "mode"} {
		_ = c.MarkFlagRequired(n)
	}
	return c
}

func (a *app) courseListCmd() *cobra.Command {
	var standing string
	var minLevel int
	c := &cobra.Command{
		Use:   "list [--standing S] [--min-level N]",
		Short: "List the catalogue, accredited first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			if standing != "" {
				q.Set("standing", standing)
			}
			if minLevel > 0 {
				q.Set("min_level", strconv.Itoa(minLevel))
			}
			if _, err := courses.ParseFilter(standing, q.Get("min_level")); err != nil {
				return withCode(ExitCannot, err)
			}
			path := "/v1/courses"
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			var res struct {
				Courses []courses.Entry `json:"courses"`
			}
			if err := a.call(cmd, http.MethodGet, path, nil, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSTANDING\tLEVEL\tRQF\tMODE\tTITLE\tPROVIDER")
				for _, e := range res.Courses {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", e.ID, e.Standing.Standing, e.Level, e.RQFLevel, e.Mode, e.Title, e.ProviderName)
				}
				tw.Flush()
			})
		},
	}
	c.Flags().StringVar(&standing, "standing", "", "only courses with this standing: accredited, aligned or withdrawn")
	c.Flags().IntVar(&minLevel, "min-level", 0, "only courses at this RQF-equivalent level or above (SCQF 7 counts as 4)")
	return c
}

func (a *app) courseShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a course with its standing history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var e courses.Entry
			if err := a.call(cmd, http.MethodGet, "/v1/courses/"+url.PathEscape(args[0]), nil, &e); err != nil {
				return err
			}
			return a.render(e, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintf(tw, "%s\t%s\n", e.ID, e.Title)
				fmt.Fprintf(tw, "  provider:\t%s (%s%s)\n", e.ProviderName, e.Provider, ukprnNote(e.UKPRN))
				fmt.Fprintf(tw, "  level:\t%s%s\n", e.Level, equivalentNote(e.Level))
				fmt.Fprintf(tw, "  mode:\t%s\n", e.Mode)
				for _, h := range e.History {
					fmt.Fprintf(tw, "  standing:\t%s%s since %s by %s%s\n", h.Standing, accreditation(h), register.DateOf(h.At), h.By, reasonNote(h.Reason))
				}
				tw.Flush()
			})
		},
	}
}

func ukprnNote(u string) string {
	if u == "" {
		return ""
	}
	return ", UKPRN " + u
}

func accreditation(h courses.StandingChange) string {
	if h.Standing != courses.Accredited {
		return ""
	}
	return fmt.Sprintf(" (%s, %s to %s)", h.Reference, h.From, h.Until)
}

func reasonNote(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

func (a *app) courseStandingCmd() *cobra.Command {
	var st standingFlags
	c := &cobra.Command{
		Use:   "set-standing ID --standing S [--reference R --from D --until D] [--reason TEXT]",
		Short: "Record a course's new standing (its history is kept)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s := st.change()
			if err := s.Validate(); err != nil {
				return withCode(ExitCannot, err)
			}
			var out courses.Course
			if err := a.call(cmd, http.MethodPost, "/v1/courses/"+url.PathEscape(args[0])+"/standing", s, &out); err != nil {
				return err
			}
			return a.render(out, func(w io.Writer) {
				fmt.Fprintf(w, "%s is now %s\n", out.ID, out.Current().Standing)
			})
		},
	}
	st.add(c)
	return c
}

func (a *app) criteriaCmd() *cobra.Command {
	c := &cobra.Command{Use: "criteria", Short: "The registration criteria a person joining the register must meet"}
	var cr register.Criteria
	var off bool
	set := &cobra.Command{
		Use:   "set [--min-level N] [--no-alternative-route] [--off]",
		Short: "Set the registration criteria (admin)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cr.Required = !off
			if err := cr.Validate(); err != nil {
				return withCode(ExitCannot, err)
			}
			var s register.Settings
			if err := a.call(cmd, http.MethodPost, "/v1/settings/registration-criteria", cr, &s); err != nil {
				return err
			}
			return a.render(s.Criteria, func(w io.Writer) { printCriteria(w, s.Criteria) })
		},
	}
	var noRoute bool
	set.Flags().IntVar(&cr.MinRQFLevel, "min-level", 4, "lowest RQF-equivalent level that counts")
	set.Flags().BoolVar(&noRoute, "no-alternative-route", false, "refuse alternative routes (experience-based entry)")
	set.Flags().BoolVar(&off, "off", false, "do not check the criteria")
	set.PreRun = func(*cobra.Command, []string) { cr.AllowRoute = !noRoute }
	show := &cobra.Command{
		Use:   "show",
		Short: "Show the registration criteria",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var s register.Settings
			if err := a.call(cmd, http.MethodGet, "/v1/settings", nil, &s); err != nil {
				return err
			}
			return a.render(s.Criteria, func(w io.Writer) { printCriteria(w, s.Criteria) })
		},
	}
	c.AddCommand(set, show)
	return c
}

func printCriteria(w io.Writer, c register.Criteria) {
	if !c.Required {
		fmt.Fprintln(w, "Registration criteria: not checked")
		return
	}
	fmt.Fprintf(w, "Registration criteria: a qualification at RQF Level %d or above from an accredited or aligned catalogue course", c.MinRQFLevel)
	if c.AllowRoute {
		fmt.Fprint(w, ", or an alternative route with a reason")
	}
	fmt.Fprintln(w)
}

// entryFlags are how `registrant add` says how the registrant meets the
// registration criteria.
type entryFlags struct {
	courses            []string
	route, routeReason string
}

func (e *entryFlags) add(c *cobra.Command) {
	f := c.Flags()
	f.StringArrayVar(&e.courses, "course", nil, "a qualification from a catalogue course, as COURSE@AWARDED (e.g. C1@2024-06-30); repeatable")
	f.StringVar(&e.route, "route", "", "an alternative route instead: "+strings.Join(register.EntryRoutes, ", "))
	f.StringVar(&e.routeReason, "route-reason", "", "why the alternative route is accepted (required with --route)")
}

func (e *entryFlags) parse() ([]register.Qualification, *register.EntryRoute, error) {
	var qs []register.Qualification
	for _, s := range e.courses {
		id, awarded, ok := strings.Cut(s, "@")
		if !ok || id == "" {
			return nil, nil, fmt.Errorf("%w: --course %q must be COURSE@AWARDED, e.g. C1@2024-06-30", register.ErrInvalid, s)
		}
		qs = append(qs, register.Qualification{Course: id, Awarded: register.Date(awarded)})
	}
	if e.route == "" {
		if e.routeReason != "" {
			return nil, nil, fmt.Errorf("%w: --route-reason needs --route", register.ErrInvalid)
		}
		return qs, nil, nil
	}
	r := &register.EntryRoute{Kind: e.route, Reason: e.routeReason}
	return qs, r, r.Validate()
}

func equivalentNote(l courses.Level) string {
	if eq := l.Equivalent(); eq != "" {
		return " (compares with " + eq + ")"
	}
	return ""
}
