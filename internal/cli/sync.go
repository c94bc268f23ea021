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
	// StatusAsOf is when the oldest status list in the bundle was signed.
	StatusAsOf time.Time `json:"status_as_of"`
	Lists      int       `json:"status_lists"`
	Keys       int       `json:"keys"`
	// RootFingerprint is the register's root key, which signs its keys
	// and metadata; Pinned says this sync pinned it (no bundle was held).
	RootFingerprint string `json:"root_fingerprint"`
	Pinned          bool   `json:"pinned"`
	Sequence        uint64 `json:"sequence"`
	Retired         int    `json:"retired_keys"`
}

func (a *app) syncCmd() *cobra.Command {
	var from, bundle, issuer, anchor string
	c := &cobra.Command{
		Use:   "sync --from ISSUER_URL [--bundle FILE] [--anchor FINGERPRINT]",
		Short: "Fetch, check and store the register's trust bundle for offline verification",
		Long: `Fetch the register's trust bundle (its public keys and every signed status
list), check every signature in it, and store it (by default in your
configuration directory). Later "linkpass verify" checks credentials with no
network at all. Sync at least daily: status older than --max-age (24h) cannot
vouch for a credential.

The register's keys and metadata are signed by its root key. The first sync
pins that key and shows its fingerprint: confirm it against the one NALW
publishes (or pass --anchor FINGERPRINT to require it). Later syncs accept
only bundles signed by that root and never older than the one held, in any
part, whoever serves them: otherwise the bundle held is kept.`,
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
			s, err := syncBundleFile(cmd.Context(), path, from, issuer, anchor)
			if err != nil {
				return withCode(ExitCannot, err)
			}
			checked := s.checked
			rep := syncReport{Issuer: checked.Issuer(), Bundle: path, CreatedAt: checked.CreatedAt(), StatusAsOf: checked.StatusAsOf(),
				Lists: len(checked.Lists()), Keys: len(checked.Trust.KeyIDs(checked.Issuer())),
				RootFingerprint: checked.RootFingerprint(), Pinned: s.pinned, Sequence: checked.Sequence(), Retired: len(checked.Retired())}
			return a.render(rep, func(w io.Writer) {
				fmt.Fprintf(w, "Synced the trust bundle of %s (status as of %s): %d key(s), %d status list(s), stored in %s.\n",
					rep.Issuer, rep.StatusAsOf.UTC().Format("2006-01-02 15:04 UTC"), rep.Keys, rep.Lists, rep.Bundle)
				if rep.Pinned {
					fmt.Fprintf(w, "First sync: this verifier now trusts the register's root key\n    %s\nConfirm that this fingerprint is the one NALW publishes on its website. If it is not, delete %s and do not use it.\n",
						rep.RootFingerprint, rep.Bundle)
				}
			})
		},
	}
	c.Flags().StringVar(&from, "from", "", "the register's URL")
	c.Flags().StringVar(&issuer, "issuer", "", "the issuer URL the register's credentials name, when --from is another address for it (default: --from)")
	c.Flags().StringVar(&bundle, "bundle", "", "where to store the bundle (default: your configuration directory)")
	c.Flags().StringVar(&anchor, "anchor", "", "the fingerprint of the register's root key, as NALW publishes it: accept only bundles it signed (default: pin the root at the first sync)")
	return c
}
