// Package cli is the linkpass command line: the register server, the admin
// client commands, and (from other files) the verifier and wallet.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/internal/apiclient"
	"github.com/nalw/linkpass/internal/version"
)

// Exit codes shared by every command.
const (
	ExitOK      = 0
	ExitRefused = 1 // the request was understood and refused, or "not valid"
	ExitCannot  = 2 // could not do or check it at all (usage, unreachable, no trust material)
	// ExitNotChecked: a credential is genuine and current but its status
	// was not checked (--no-status, or it has no status entry). Not
	// valid: a suspended credential looks the same.
	ExitNotChecked = 3
)

// exitError carries an exit code with an error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// reportedError means the command already printed its outcome (verify
// prints a verdict even when the verdict is "not valid"); only the exit code
// remains to be set.
type reportedError struct{ code int }

func (e *reportedError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func alreadyReported(err error) bool {
	var r *reportedError
	return errors.As(err, &r)
}

// app holds what every command shares.
type app struct {
	server    string
	token     string
	tokenFile string
	json      bool
	stdout    io.Writer
	stderr    io.Writer
	stdin     io.Reader
}

// Main runs the command line with args and returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr, stdin: stdin}
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetIn(stdin)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code := ExitCannot // usage errors from cobra
	var ee *exitError
	var re *reportedError
	if errors.As(err, &ee) {
		code = ee.code
	} else if errors.As(err, &re) {
		code = re.code
	}
	var apiErr *apiclient.Error
	if a.json {
		body := map[string]any{"error": map[string]string{"code": errCode(err, apiErr), "message": err.Error()}}
		if alreadyReported(err) {
			return code // the command printed its own JSON document
		}
		_ = writeJSON(stdout, body)
	} else if !alreadyReported(err) {
		fmt.Fprintf(stderr, "linkpass: %v\n", err)
	}
	return code
}

func errCode(err error, apiErr *apiclient.Error) string {
	if errors.As(err, &apiErr) {
		return apiErr.Code
	}
	if errors.Is(err, apiclient.ErrUnreachable) {
		return "unreachable"
	}
	return "error"
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "linkpass",
		Short:         "The NALW register of social prescribing link workers: register, credentials, verifier and wallet",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.Get().String(),
	}
	root.SetVersionTemplate("linkpass {{.Version}}\n")
	pf := root.PersistentFlags()
	pf.StringVar(&a.server, "server", envOr("LINKPASS_SERVER", "http://127.0.0.1:8080"), "register URL (env LINKPASS_SERVER)")
	pf.StringVar(&a.token, "token", "", "API token (env LINKPASS_TOKEN)")
	pf.StringVar(&a.tokenFile, "token-file", "", "file holding the API token, e.g. DATA/admin.token")
	pf.BoolVar(&a.json, "json", false, "print exactly one JSON document")
	root.AddCommand(
		a.serveCmd(),
		a.initCmd(),
		a.adminTokenCmd(),
		a.backupCmd(),
		a.restoreCmd(),
		a.registrantCmd(),
		a.qualificationCmd(),
		a.providerCmd(),
		a.courseCmd(),
		a.renewalCmd(),
		a.criteriaCmd(),
		a.applicationCmd(),
		a.qualityMarkCmd(),
		a.tokenCmd(),
		a.staffCmd(),
		a.auditCmd(),
		a.reportCmd(),
		a.cpdAuditCmd(),
		a.settingsCmd(),
		a.proposalCmd(),
		a.credentialCmd(),
		a.keysCmd(),
		a.clusterCmd(),
		a.verifyCmd(),
		a.walletCmd(),
	)
	return root
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// client returns an API client with the token from --token, --token-file
// or LINKPASS_TOKEN, in that order.
func (a *app) client() (*apiclient.Client, error) {
	tok := a.token
	if tok == "" && a.tokenFile != "" {
		b, err := os.ReadFile(a.tokenFile)
		if err != nil {
			return nil, withCode(ExitCannot, fmt.Errorf("reading --token-file: %w", err))
		}
		tok = strings.TrimSpace(string(b))
	}
	if tok == "" {
		tok = os.Getenv("LINKPASS_TOKEN")
	}
	c, err := apiclient.New(a.server, tok)
	return c, withCode(ExitCannot, err)
}

// call performs one API request and maps failures to exit codes.
func (a *app) call(cmd *cobra.Command, method, path string, in, out any) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	return classify(c.Do(cmd.Context(), method, path, in, out))
}

// classify gives an API error its exit code: refused (4xx) or could not
// do it (unreachable, 5xx).
func classify(err error) error {
	var apiErr *apiclient.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &apiErr) && apiErr.Status < 500:
		return withCode(ExitRefused, err)
	default:
		return withCode(ExitCannot, err)
	}
}

// render prints v as JSON with --json, or with human otherwise.
func (a *app) render(v any, human func(w io.Writer)) error {
	if a.json {
		return writeJSON(a.stdout, v)
	}
	human(a.stdout)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
