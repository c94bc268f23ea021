package cli

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
)

// syncReport is what `verify sync --json` prints.
type syncReport struct {
	Issuer    string    `json:"issuer"`
	Bundle    string    `json:"bundle"`
	CreatedAt time.Time `json:"created_at"`
	Lists     int       `json:"status_lists"`
	Keys      int       `json:"keys"`
}

func (a *app) syncCmd() *cobra.Command {
	var from, bundle, issuer string
	c := &cobra.Command{
		Use:   "sync --from ISSUER_URL [--bundle FILE]",
		Short: "Fetch, check and store the register's trust bundle for offline verification",
		Long: `Fetch the register's trust bundle (its public keys and every signed status
list), check every signature in it, and store it (by default in your
configuration directory). Later "linkpass verify" checks credentials with no
network at all. Sync at least daily: status older than --max-age (24h) cannot
vouch for a credential.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return withCode(ExitCannot, errors.New("--from ISSUER_URL is required, e.g. --from https://register.nalw.org.uk"))
			}
			path := bundle
			if path == "" {
				var err error
				if path, err = defaultBundlePath(); err != nil {
					return withCode(ExitCannot, err)
				}
			}
			b, raw, err := fetchBundle(cmd.Context(), from, issuer)
			if err != nil {
				return withCode(ExitCannot, fmt.Errorf("fetching the trust bundle from %s: %w", from, err))
			}
			checked, err := b.Check(time.Now())
			if err != nil {
				return withCode(ExitCannot, fmt.Errorf("the trust bundle from %s does not check out, so it was not stored: %w", from, err))
			}
			if err := storeBundle(path, raw); err != nil {
				return withCode(ExitCannot, fmt.Errorf("storing the trust bundle: %w", err))
			}
			rep := syncReport{Issuer: checked.Issuer(), Bundle: path, CreatedAt: checked.CreatedAt(), Lists: len(checked.Lists()), Keys: len(checked.Trust.KeyIDs(checked.Issuer()))}
			return a.render(rep, func(w io.Writer) {
				fmt.Fprintf(w, "Synced the trust bundle of %s (made %s): %d key(s), %d status list(s), stored in %s.\n",
					rep.Issuer, rep.CreatedAt.Format("2006-01-02 15:04 UTC"), rep.Keys, rep.Lists, rep.Bundle)
			})
		},
	}
	c.Flags().StringVar(&from, "from", "", "the register's URL")
	c.Flags().StringVar(&issuer, "issuer", "", "the issuer URL the register's credentials name, when --from is another address for it (default: --from)")
	c.Flags().StringVar(&bundle, "bundle", "", "where to store the bundle (default: your configuration directory)")
	return c
}
