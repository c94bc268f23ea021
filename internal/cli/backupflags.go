package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/backup"
	"github.com/nalw/linkpass/issuer/backup/offsite"
	"github.com/nalw/linkpass/issuer/backup/schedule"
	"github.com/nalw/linkpass/issuer/datadir"
)

// backupFlags configure serve's scheduled backups.
type backupFlags struct {
	dir, keyFile                     string
	every                            time.Duration
	keep                             int
	s3URL, s3Bucket, s3Prefix, s3Reg string
	s3AccessKey, s3SecretFile        string
}

func (b *backupFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&b.dir, "backup-dir", "", "take scheduled backups into this directory (0700; files 0600); empty takes none")
	fl.DurationVar(&b.every, "backup-every", time.Hour, "time between scheduled backups (the first is taken at start)")
	fl.IntVar(&b.keep, "backup-keep", 48, "how many verified backups to keep, here and off-site")
	fl.StringVar(&b.keyFile, "backup-key-file", "", "backup key (from `linkpass backup keygen`): backups are encrypted with it; needed for off-site copies")
	fl.StringVar(&b.s3URL, "backup-s3-url", "", "S3-compatible endpoint for off-site copies, https://host[:port]; empty makes none")
	fl.StringVar(&b.s3Bucket, "backup-s3-bucket", "", "bucket for off-site copies (must exist)")
	fl.StringVar(&b.s3Prefix, "backup-s3-prefix", "linkpass/", "object name prefix in the bucket")
	fl.StringVar(&b.s3Reg, "backup-s3-region", "", "bucket region, if the provider needs one")
	fl.StringVar(&b.s3AccessKey, "backup-s3-access-key", "", "access key id (or set LINKPASS_S3_ACCESS_KEY)")
	fl.StringVar(&b.s3SecretFile, "backup-s3-secret-key-file", "", "file holding the secret key, mode 0600 (or set LINKPASS_S3_SECRET_KEY)")
}

// scheduler builds the backup scheduler, or nil when --backup-dir is not
// given. Off-site flags without --backup-dir are refused, not ignored.
func (b *backupFlags) scheduler(srv *issuer.Server, logger *slog.Logger) (*schedule.Scheduler, error) {
	if b.dir == "" {
		if b.s3URL != "" || b.keyFile != "" {
			return nil, errors.New("--backup-key-file and --backup-s3-url need --backup-dir: scheduled backups are written there first")
		}
		return nil, nil
	}
	cfg := schedule.Config{Dir: b.dir, Every: b.every, Keep: b.keep, Take: srv.Backup, Logger: logger, Clock: srv.Now,
		Record: func(o schedule.Outcome) {
			srv.RecordBackup(o.Err)
			if o.Offsite {
				srv.RecordOffsite(o.OffsiteErr)
			}
		}}
	if b.keyFile != "" {
		k, err := backup.LoadKey(b.keyFile)
		if err != nil {
			return nil, err
		}
		cfg.Key = k
	}
	if b.s3URL != "" {
		access := b.s3AccessKey
		if access == "" {
			access = os.Getenv("LINKPASS_S3_ACCESS_KEY")
		}
		secret := os.Getenv("LINKPASS_S3_SECRET_KEY")
		if b.s3SecretFile != "" {
			s, err := offsite.SecretFromFile(b.s3SecretFile)
			if err != nil {
				return nil, fmt.Errorf("--backup-s3-secret-key-file: %w", err)
			}
			secret = s
		}
		bucket, err := offsite.New(offsite.Config{URL: b.s3URL, Bucket: b.s3Bucket, Prefix: b.s3Prefix, Region: b.s3Reg, AccessKey: access, SecretKey: secret})
		if err != nil {
			return nil, err
		}
		cfg.Offsite = bucket
	}
	return schedule.New(cfg)
}

func (a *app) backupKeygenCmd() *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "keygen --out FILE",
		Short: "Make a backup key, for encrypted scheduled backups",
		Long: `Make a random backup key and write it to FILE (mode 0600, never
overwritten). Give it to ` + "`serve --backup-key-file`" + `. Keep a copy somewhere other than
the register's machine and its backups: without it, no encrypted backup can
be restored.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return withCode(ExitCannot, errors.New("pass --out FILE"))
			}
			k, err := backup.NewKey()
			if err != nil {
				return withCode(ExitCannot, err)
			}
			if err := datadir.WriteFileNew(out, k.Encode(), 0o600); err != nil {
				return withCode(ExitRefused, fmt.Errorf("%s: %w (a key file is never overwritten)", out, err))
			}
			return a.render(map[string]any{"file": out, "key_id": k.ID()}, func(w io.Writer) {
				fmt.Fprintf(w, "Backup key %s written to %s (mode 0600).\nKeep a copy off this machine: encrypted backups cannot be restored without it.\n", k.ID(), out)
			})
		},
	}
	c.Flags().StringVar(&out, "out", "", "file to write (must not exist)")
	return c
}

func (a *app) backupVerifyCmd() *cobra.Command {
	var keyFile string
	c := &cobra.Command{
		Use:   "verify FILE [--key-file KEY]",
		Short: "Check that a backup file restores",
		Long: `Read a backup file, decrypt it with --key-file if it is encrypted, check
every member against its manifest, and restore its state into a scratch
store in memory. Nothing is written. Exit 0 when it would restore.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var key *backup.Key
			if keyFile != "" {
				k, err := backup.LoadKey(keyFile)
				if err != nil {
					return withCode(ExitCannot, err)
				}
				key = k
			}
			arc, err := readBackupFile(args[0], key)
			if err != nil {
				return err
			}
			if err := schedule.Verify(args[0], key, ""); err != nil {
				return withCode(ExitRefused, err)
			}
			m := arc.Manifest
			return a.render(map[string]any{"file": args[0], "ok": true, "index": m.Index, "issuer_url": m.IssuerURL, "taken": m.Created}, func(w io.Writer) {
				fmt.Fprintf(w, "%s restores: the register of %s at log index %d, taken %s.\n", args[0], m.IssuerURL, m.Index, m.Created.Format("2006-01-02 15:04 MST"))
			})
		},
	}
	c.Flags().StringVar(&keyFile, "key-file", "", "backup key, for an encrypted backup")
	return c
}

// readBackupFile reads a backup, plain or sealed, and checks it whole.
func readBackupFile(path string, key *backup.Key) (*backup.Archive, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, withCode(ExitCannot, fmt.Errorf("reading the backup: %w", err))
	}
	if backup.IsSealed(data) {
		if key == nil {
			id, _ := backup.SealedKeyID(data)
			return nil, withCode(ExitCannot, fmt.Errorf("%s is encrypted with backup key %s; pass --key-file", path, id))
		}
		if data, err = backup.Open(key, data); err != nil {
			return nil, withCode(ExitRefused, fmt.Errorf("%s: %w", path, err))
		}
	}
	arc, err := backup.Read(bytes.NewReader(data))
	if err != nil {
		return nil, withCode(ExitRefused, fmt.Errorf("%s: %w", path, err))
	}
	return arc, nil
}
