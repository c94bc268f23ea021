package cli

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/regno"
)

// removeCmd removes a registrant for good, after the number is typed again
// (or --yes): a valid but wrong number passes the check digit.
func (a *app) removeCmd() *cobra.Command {
	var body struct {
		Reason    string `json:"reason"`
		Number    string `json:"registration_number"`
		DecidedOn string `json:"decided_on,omitempty"`
	}
	var yes bool
	c := &cobra.Command{
		Use:   "remove REGNO --reason R [--yes]",
		Short: "Remove a registrant from the register (final; asks you to type the number again)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := regnoArg(args[0])
			if err != nil {
				return err
			}
			if !yes {
				fmt.Fprintf(cmd.ErrOrStderr(), "Removal of %s is final: the entry stays on the register as removed, and their credentials are revoked.\nType the registration number again to remove them: ", n)
				line, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if m, err := regno.Parse(strings.TrimSpace(line)); err != nil || m != n {
					return withCode(ExitCannot, fmt.Errorf("the number typed is not %s; nothing was changed", n))
				}
			}
			body.Number = n
			return a.changeOrPropose(cmd, "/v1/registrants/"+n+"/remove", body, "Remove: done.")
		},
	}
	c.Flags().StringVar(&body.Reason, "reason", "", "why (required; kept in the audit trail)")
	c.Flags().BoolVar(&yes, "yes", false, "do not ask for the number again (for scripts)")
	decidedOnFlag(c, &body.DecidedOn)
	_ = c.MarkFlagRequired("reason")
	return c
}

// corrected is what a correction returns.
type corrected struct {
	changedRegistrant
	Changed    []register.Changed `json:"changed"`
	Superseded []string           `json:"superseded_credentials"`
	Reissued   *struct {
		JWT string `json:"jwt"`
		JTI string `json:"jti"`
	} `json:"reissued_credential,omitempty"`
}

func (a *app) printCorrected(r corrected) error {
	return a.render(r, func(w io.Writer) {
		for _, c := range r.Changed {
			fmt.Fprintf(w, "%s: %q -> %q\n", c.Field, c.From, c.To)
		}
		for _, j := range r.Superseded {
			fmt.Fprintf(w, "Credential %s revoked: it stated what was corrected.\n", j)
		}
		if r.Reissued != nil {
			fmt.Fprintf(w, "Credential %s issued in its place.\n", r.Reissued.JTI)
		}
		printPublished(w, r.StatusPublishedAt)
		printRegistrant(w, &r.Registrant)
	})
}

func (a *app) correctCmd() *cobra.Command {
	var given, family, email, nation, reason string
	c := &cobra.Command{
		Use:   "correct REGNO [--given G] [--family F] [--email E] [--nation N] --reason R",
		Short: "Correct a registrant's name, email or nation (credentials stating the old value are re-issued)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := regnoArg(args[0])
			if err != nil {
				return err
			}
			body := struct {
				register.Correction
				Reason string `json:"reason"`
			}{Reason: reason}
			f := cmd.Flags()
			for name, dst := range map[string]**string{"given": &body.Given, "family": &body.Family, "email": &body.Email, "nation": &body.Nation} {
				if f.Changed(name) {
					v, _ := f.GetString(name)
					*dst = &v
				}
			}
			var r corrected
			if err := a.call(cmd, http.MethodPost, "/v1/registrants/"+n+"/correct", body, &r); err != nil {
				return err
			}
			return a.printCorrected(r)
		},
	}
	f := c.Flags()
	f.StringVar(&given, "given", "", "corrected given name")
	f.StringVar(&family, "family", "", "corrected family name")
	f.StringVar(&email, "email", "", "corrected private email")
	f.StringVar(&nation, "nation", "", "corrected nation")
	f.StringVar(&reason, "reason", "", "why (required; kept in the audit trail with the old value)")
	_ = c.MarkFlagRequired("reason")
	return c
}

func qualificationArgs(args []string) (string, string, error) {
	n, err := regnoArg(args[0])
	if err != nil {
		return "", "", err
	}
	if i, err := strconv.Atoi(args[1]); err != nil || i < 0 {
		return "", "", withCode(ExitCannot, fmt.Errorf("qualification %q must be its number as `registrant show --json` lists them, from 0", args[1]))
	}
	return n, args[1], nil
}

func (a *app) qualificationEditCmd() *cobra.Command {
	var body struct {
		register.Qualification
		Reason string `json:"reason"`
	}
	var awarded string
	c := &cobra.Command{
		Use:   "edit REGNO INDEX --title T --level N --provider P --accreditation A --awarded DATE --reason R",
		Short: "Correct a recorded qualification (INDEX from 0, in the order recorded)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, i, err := qualificationArgs(args)
			if err != nil {
				return err
			}
			body.Awarded = register.Date(awarded)
			var r corrected
			if err := a.call(cmd, http.MethodPut, "/v1/registrants/"+n+"/qualifications/"+i, body, &r); err != nil {
				return err
			}
			return a.printCorrected(r)
		},
	}
	qualificationFlags(c, &body.Qualification, &awarded)
	c.Flags().StringVar(&body.Reason, "reason", "", "why (required; kept in the audit trail with the old values)")
	_ = c.MarkFlagRequired("reason")
	return c
}

func (a *app) qualificationWithdrawCmd() *cobra.Command {
	var body struct {
		Reason string `json:"reason"`
	}
	c := &cobra.Command{
		Use:   "withdraw REGNO INDEX --reason R",
		Short: "Withdraw a qualification recorded in error or withdrawn by its awarding body",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, i, err := qualificationArgs(args)
			if err != nil {
				return err
			}
			var r corrected
			if err := a.call(cmd, http.MethodPost, "/v1/registrants/"+n+"/qualifications/"+i+"/withdraw", body, &r); err != nil {
				return err
			}
			return a.printCorrected(r)
		},
	}
	c.Flags().StringVar(&body.Reason, "reason", "", "why (required; kept in the audit trail)")
	_ = c.MarkFlagRequired("reason")
	return c
}
