package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/datadir"
)

// initCmd creates a new register: the one way, with `serve --init`, that a
// data directory comes to exist.
func (a *app) initCmd() *cobra.Command {
	var data, issuerURL, registerName, alg string
	var log logFlags
	c := &cobra.Command{
		Use:   "init --data DIR --issuer-url URL",
		Short: "Create a new, empty register in DIR",
		Long: `Create a new register in DIR, which must be missing or empty: its Raft log,
its first signing key and an admin API token in DIR/admin.token (mode 0600).
Then start it with ` + "`linkpass serve --data DIR`" + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if data == "" || issuerURL == "" {
				return withCode(ExitCannot, fmt.Errorf("pass --data DIR and --issuer-url URL (the register's public base URL, e.g. https://register.nalw.org.uk)"))
			}
			logger, err := log.logger(a.stderr)
			if err != nil {
				return withCode(ExitCannot, err)
			}
			if datadir.Holds(data) {
				return withCode(ExitRefused, fmt.Errorf("%s already holds a register; start it with `linkpass serve --data %s`", data, data))
			}
			srv, err := issuer.Open(issuer.Config{DataDir: data, Create: true, IssuerURL: issuerURL, RegisterName: registerName, KeyAlgorithm: alg, Logger: logger})
			if err != nil {
				return withCode(ExitCannot, err)
			}
			if err := srv.Close(); err != nil {
				return withCode(ExitCannot, err)
			}
			return a.render(map[string]string{"data": data, "issuer_url": issuerURL, "admin_token_file": srv.AdminTokenPath}, func(w io.Writer) {
				fmt.Fprintf(w, "Created a new register in %s for %s.\nIts admin token is in %s.\nStart it with: linkpass serve --data %s\n", data, issuerURL, srv.AdminTokenPath, data)
			})
		},
	}
	fl := c.Flags()
	fl.StringVar(&data, "data", "", "data directory to create (must be missing or empty)")
	fl.StringVar(&issuerURL, "issuer-url", "", "public base URL of the register, named in credentials")
	fl.StringVar(&registerName, "register-name", "", "name of the register (default: NALW Register of Social Prescribing Link Workers)")
	fl.StringVar(&alg, "key-alg", "EdDSA", "algorithm of the first signing key: EdDSA or ES256")
	log.register(fl)
	return c
}

// adminTokenCmd makes a new admin token offline, for an operator who lost
// the admin token file.
func (a *app) adminTokenCmd() *cobra.Command {
	var data string
	var log logFlags
	c := &cobra.Command{
		Use:   "admin-token --data DIR",
		Short: "Make a new admin token in DIR/admin.token (with the register stopped)",
		Long: `Make a new admin API token and write it to DIR/admin.token (mode 0600), for
when that file was lost or damaged. Run it with the register stopped: it
opens the data directory itself. Revoke tokens you no longer trust with
` + "`linkpass token revoke`" + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if data == "" {
				return withCode(ExitCannot, fmt.Errorf("pass --data DIR"))
			}
			logger, err := log.logger(a.stderr)
			if err != nil {
				return withCode(ExitCannot, err)
			}
			srv, err := issuer.Open(issuer.Config{DataDir: data, Logger: logger})
			if err != nil {
				return withCode(ExitCannot, err)
			}
			defer srv.Close()
			if err := srv.NewAdminToken(); err != nil {
				return withCode(ExitRefused, err)
			}
			if err := srv.Close(); err != nil {
				return withCode(ExitCannot, err)
			}
			return a.render(map[string]string{"admin_token_file": srv.AdminTokenPath}, func(w io.Writer) {
				fmt.Fprintf(w, "A new admin token is in %s.\n", srv.AdminTokenPath)
			})
		},
	}
	c.Flags().StringVar(&data, "data", "", "data directory of the register")
	log.register(c.Flags())
	return c
}
