package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/issuer/backup"
	"github.com/nalw/linkpass/issuer/datadir"
)

func (a *app) backupCmd() *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Take a consistent copy of the running register (admin)",
		Long: `Take a consistent copy of the whole running register through the admin API
and write it to FILE with mode 0600. The register keeps serving. FILE holds
the private signing keys: store it encrypted, where only administrators can
reach it. Restore it with ` + "`linkpass restore --from FILE --data DIR`" + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return withCode(ExitCannot, errors.New("pass --out FILE"))
			}
			if _, err := os.Lstat(out); err == nil {
				return withCode(ExitRefused, fmt.Errorf("%s exists; choose a new file name (a backup never overwrites one)", out))
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := classify(c.Stream(cmd.Context(), "/v1/backup", &buf)); err != nil {
				return err
			}
			// Check the archive whole before keeping it: a backup that
			// cannot be restored must never be mistaken for one.
			arc, err := backup.Read(bytes.NewReader(buf.Bytes()))
			if err != nil {
				return withCode(ExitCannot, fmt.Errorf("the register sent a backup that does not check: %w", err))
			}
			if err := datadir.WriteFileNew(out, buf.Bytes(), 0o600); err != nil {
				if errors.Is(err, fs.ErrExist) {
					return withCode(ExitRefused, fmt.Errorf("%s exists; choose a new file name (a backup never overwrites one)", out))
				}
				return withCode(ExitCannot, err)
			}
			m := arc.Manifest
			return a.render(map[string]any{"file": out, "index": m.Index, "issuer_url": m.IssuerURL, "keys": len(arc.Keys), "bytes": buf.Len()}, func(w io.Writer) {
				fmt.Fprintf(w, "Backup of %s at log index %d written to %s (%d bytes, mode 0600, %d signing key(s)).\nIt holds the private signing keys: store it encrypted.\n", m.IssuerURL, m.Index, out, buf.Len(), len(arc.Keys))
			})
		},
	}
	c.Flags().StringVar(&out, "out", "", "file to write (must not exist)")
	c.AddCommand(a.backupKeygenCmd(), a.backupVerifyCmd())
	return c
}

func (a *app) restoreCmd() *cobra.Command {
	var from, data, keyFile string
	c := &cobra.Command{
		Use:   "restore --from FILE --data DIR",
		Short: "Restore a backup into a new data directory",
		Long: `Restore a backup taken with ` + "`linkpass backup`" + ` or by ` + "`serve --backup-dir`" + ` into DIR, which must be missing
or empty. Then start the register with ` + "`linkpass serve --data DIR`" + `. Tokens are
as they were when the backup was taken; if you hold none of them, make an
admin token with ` + "`linkpass admin-token --data DIR`" + ` before starting.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if from == "" || data == "" {
				return withCode(ExitCannot, errors.New("pass --from FILE and --data DIR"))
			}
			var key *backup.Key
			if keyFile != "" {
				if key, err = backup.LoadKey(keyFile); err != nil {
					return withCode(ExitCannot, err)
				}
			}
			arc, err := readBackupFile(from, key)
			if err != nil {
				return err
			}
			if err := backup.Restore(arc, data); err != nil {
				return withCode(ExitRefused, err)
			}
			m := arc.Manifest
			return a.render(map[string]any{"data": data, "index": m.Index, "issuer_url": m.IssuerURL, "taken": m.Created}, func(w io.Writer) {
				fmt.Fprintf(w, "Restored the register of %s as it was at log index %d (taken %s) into %s.\nStart it with: linkpass serve --data %s\n",
					m.IssuerURL, m.Index, m.Created.Format("2006-01-02 15:04 MST"), data, data)
			})
		},
	}
	c.Flags().StringVar(&from, "from", "", "backup file made by `linkpass backup`")
	c.Flags().StringVar(&data, "data", "", "data directory to restore into (must be missing or empty)")
	c.Flags().StringVar(&keyFile, "key-file", "", "backup key, for an encrypted backup (from `serve --backup-dir` with --backup-key-file)")
	return c
}
