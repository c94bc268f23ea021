package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/confirmations"
	"github.com/nalw/linkpass/confirmations/claims"
)

// Training providers' confirmations: a provider's staff list the claims to
// their courses and confirm or dispute one; registrars read the answers.

var applicationRef = regexp.MustCompile(`^A[0-9]+$`)

// subjectPath is the API path of an application (A1001) or a registrant
// (a registration number).
func subjectPath(s string) (string, error) {
	if applicationRef.MatchString(s) {
		return "/v1/applications/" + s, nil
	}
	n, err := regnoArg(s)
	if err != nil {
		return "", withCode(ExitCannot, fmt.Errorf("%q is neither an application reference (like A1001) nor a registration number: %w", s, err))
	}
	return "/v1/registrants/" + n, nil
}

func (a *app) qualificationAnswerCmds() []*cobra.Command {
	var course, reason string
	answer := func(outcome confirmations.Outcome) func(cmd *cobra.Command, args []string) error {
		return func(cmd *cobra.Command, args []string) error {
			p, err := subjectPath(args[0])
			if err != nil {
				return err
			}
			if _, err := strconv.Atoi(args[1]); err != nil {
				return withCode(ExitCannot, fmt.Errorf("INDEX %q must be the qualification's number from 0, as `linkpass qualification claims` shows it", args[1]))
			}
			body := struct {
				Course string `json:"course,omitempty"`
				Reason string `json:"reason,omitempty"`
			}{course, reason}
			verb := "confirm"
			if outcome == confirmations.Disputed {
				verb = "dispute"
			}
			var res struct {
				Confirmation confirmations.Confirmation `json:"confirmation"`
				Changed      bool                       `json:"changed"`
			}
			if err := a.call(cmd, http.MethodPost, p+"/qualifications/"+args[1]+"/"+verb, body, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				c := res.Confirmation
				if !res.Changed {
					fmt.Fprintf(w, "Already %s: nothing changed.\n", c.Outcome)
				}
				fmt.Fprintf(w, "%s on %s: course %s awarded %s, %s by %s.\n", capital(string(c.Outcome)), c.Date(), c.Course, c.Awarded, c.Outcome, c.ProviderName)
				if c.Reason != "" {
					fmt.Fprintf(w, "Reason: %s\n", c.Reason)
				}
			})
		}
	}
	confirm := &cobra.Command{
		Use:   "confirm (APPLICATION|REGNO) INDEX [--course ID]",
		Short: "Confirm a qualification claimed from one of your provider's courses (provider staff)",
		Long: `Confirm that the person completed your course on the date awarded. INDEX
is the qualification's number from 0, as ` + "`linkpass qualification claims`" + ` lists it.
--course, if given, must be that line's course: a guard against a record
that changed since you looked. Confirming again changes nothing.`,
		Args: cobra.ExactArgs(2),
		RunE: answer(confirmations.Confirmed),
	}
	confirm.Flags().StringVar(&course, "course", "", "the course the line must be from, e.g. C1")
	dispute := &cobra.Command{
		Use:   "dispute (APPLICATION|REGNO) INDEX --reason TEXT [--course ID]",
		Short: "Dispute a qualification claimed from one of your provider's courses, with a reason (provider staff)",
		Args:  cobra.ExactArgs(2),
		RunE:  answer(confirmations.Disputed),
	}
	dispute.Flags().StringVar(&course, "course", "", "the course the line must be from, e.g. C1")
	dispute.Flags().StringVar(&reason, "reason", "", "why you dispute it, which the registrar reads (required)")
	_ = dispute.MarkFlagRequired("reason")

	var filter string
	queue := &cobra.Command{
		Use:   "claims [--filter awaiting|answered|all]",
		Short: "List the qualifications claimed from your provider's courses (provider staff)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res struct {
				Provider string         `json:"provider"`
				Claims   []claims.Claim `json:"claims"`
			}
			if err := a.call(cmd, http.MethodGet, "/v1/provider/claims?filter="+url.QueryEscape(filter), nil, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				if len(res.Claims) == 0 {
					fmt.Fprintf(w, "No claims (%s) to the courses of %s.\n", filter, res.Provider)
					return
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CLAIMED BY\tINDEX\tNAME\tCOURSE\tAWARDED\tANSWER")
				for _, c := range res.Claims {
					fmt.Fprintf(tw, "%s\t%d\t%s\t%s %s\t%s\t%s\n", c.Subject, c.Index, c.Name, c.Course, c.CourseTitle, c.Awarded, answerText(c.Answer))
				}
				tw.Flush()
			})
		},
	}
	queue.Flags().StringVar(&filter, "filter", claims.FilterAwaiting, "awaiting (not answered yet), answered or all")

	show := &cobra.Command{
		Use:   "confirmations (APPLICATION|REGNO)",
		Short: "Show each qualification of an application or a record with its provider's answer",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := subjectPath(args[0])
			if err != nil {
				return err
			}
			var res struct {
				Lines []confirmations.Line `json:"qualifications"`
			}
			if err := a.call(cmd, http.MethodGet, p+"/confirmations", nil, &res); err != nil {
				return err
			}
			return a.render(res, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "INDEX\tQUALIFICATION\tAWARDED\tPROVIDER'S ANSWER")
				for i, l := range res.Lines {
					ans := answerText(l.Confirmation)
					if l.Course == "" {
						ans = "(not a catalogue course)"
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", i, l.Title, l.Awarded, ans)
				}
				tw.Flush()
			})
		},
	}
	return []*cobra.Command{confirm, dispute, queue, show}
}

// answerText says a provider's answer in a few words.
func answerText(c *confirmations.Confirmation) string {
	switch {
	case c == nil:
		return "awaiting"
	case c.Outcome == confirmations.Disputed:
		return "disputed by " + c.ProviderName + " on " + string(c.Date()) + ": " + c.Reason
	}
	return "confirmed by " + c.ProviderName + " on " + string(c.Date())
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
