package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nalw/linkpass/issuer/cluster"
	"github.com/nalw/linkpass/issuer/datadir"
	"github.com/nalw/linkpass/keys"
)

// membersView is what `cluster members` prints.
type membersView struct {
	Members []cluster.Member `json:"members"`
}

func (a *app) clusterCmd() *cobra.Command {
	c := &cobra.Command{Use: "cluster", Short: "Run the register on three or five nodes: certificates, members, leadership"}

	members := &cobra.Command{
		Use:   "members",
		Short: "List the cluster's members and which one leads",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var v membersView
			if err := a.call(cmd, http.MethodGet, "/v1/cluster/members", nil, &v); err != nil {
				return err
			}
			return a.render(v, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NODE\tADDRESS\tSUFFRAGE\tROLE")
				for _, m := range v.Members {
					role := "follower"
					if m.Leader {
						role = "leader"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.ID, m.Address, strings.ToLower(m.Suffrage), role)
				}
				tw.Flush()
			})
		},
	}
	add := &cobra.Command{
		Use:   "add NODE HOST:PORT",
		Short: "Add a node (started with --node-id NODE --raft-addr HOST:PORT) as a voter",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var v membersView
			if err := a.call(cmd, http.MethodPost, "/v1/cluster/members", map[string]string{"id": args[0], "address": args[1]}, &v); err != nil {
				return err
			}
			return a.render(v, func(w io.Writer) {
				fmt.Fprintf(w, "Added %s at %s; it catches up from the leader.\n", args[0], args[1])
			})
		},
	}
	remove := &cobra.Command{
		Use:   "remove NODE",
		Short: "Take a node out of the cluster (stop it afterwards)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var v membersView
			if err := a.call(cmd, http.MethodPost, "/v1/cluster/members/"+url.PathEscape(args[0])+"/remove", nil, &v); err != nil {
				return err
			}
			return a.render(v, func(w io.Writer) { fmt.Fprintf(w, "Removed %s; stop it now.\n", args[0]) })
		},
	}
	var to string
	transfer := &cobra.Command{
		Use:   "transfer-leadership [--to NODE]",
		Short: "Hand leadership to another node (the most up-to-date one unless --to), e.g. before stopping the leader",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var v membersView
			body := map[string]string{}
			if to != "" {
				body["to"] = to
			}
			if err := a.call(cmd, http.MethodPost, "/v1/cluster/transfer-leadership", body, &v); err != nil {
				return err
			}
			return a.render(v, func(w io.Writer) {
				for _, m := range v.Members {
					if m.Leader {
						fmt.Fprintf(w, "%s leads now.\n", m.ID)
					}
				}
			})
		},
	}
	transfer.Flags().StringVar(&to, "to", "", "node to hand leadership to")

	var caOut string
	ca := &cobra.Command{
		Use:   "ca --out DIR",
		Short: "Make the cluster's certificate authority (ca.crt, ca.key 0600); keep ca.key offline",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if caOut == "" {
				return withCode(ExitRefused, fmt.Errorf("pass --out DIR, a new folder for the CA"))
			}
			if err := cluster.MakeCA(caOut, time.Now()); err != nil {
				return withCode(ExitCannot, err)
			}
			return a.render(map[string]string{"ca_cert": filepath.Join(caOut, cluster.CACertFile), "ca_key": filepath.Join(caOut, cluster.CAKeyFile)},
				func(w io.Writer) {
					fmt.Fprintf(w, "Made the cluster CA in %s. Make each node's certificate with `linkpass cluster cert NODE --ca %s --out DIR`.\n", caOut, caOut)
				})
		},
	}
	ca.Flags().StringVar(&caOut, "out", "", "folder to write ca.crt and ca.key to")

	var certCA, certOut string
	var hosts []string
	cert := &cobra.Command{
		Use:   "cert NODE --ca DIR --out DIR",
		Short: "Make a node's certificate, naming its node id, signed by the cluster CA",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if certCA == "" || certOut == "" {
				return withCode(ExitRefused, fmt.Errorf("pass --ca DIR (from `linkpass cluster ca`) and --out DIR (the node's --cluster-tls folder)"))
			}
			if err := cluster.CheckNodeID(args[0]); err != nil {
				return withCode(ExitRefused, err)
			}
			if err := cluster.MakeNodeCert(certCA, certOut, args[0], hosts, time.Now()); err != nil {
				return withCode(ExitCannot, err)
			}
			return a.render(map[string]string{"node": args[0], "dir": certOut}, func(w io.Writer) {
				fmt.Fprintf(w, "Made the certificate of %s in %s; start it with --node-id %s --cluster-tls %s.\n", args[0], certOut, args[0], certOut)
			})
		},
	}
	cert.Flags().StringVar(&certCA, "ca", "", "folder of the cluster CA")
	cert.Flags().StringVar(&certOut, "out", "", "folder to write node.crt, node.key and ca.crt to")
	cert.Flags().StringSliceVar(&hosts, "host", nil, "extra DNS name or IP address for the certificate (repeatable)")

	var kekOut string
	kek := &cobra.Command{
		Use:   "kek --out FILE",
		Short: "Make the cluster's key-encryption key (0600): give every node the same file with --kek-file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if kekOut == "" {
				return withCode(ExitRefused, fmt.Errorf("pass --out FILE"))
			}
			text, err := keys.NewKEKText()
			if err != nil {
				return withCode(ExitCannot, err)
			}
			if err := datadir.WriteFileNew(kekOut, []byte(text), 0o600); err != nil {
				return withCode(ExitCannot, err)
			}
			return a.render(map[string]string{"kek_file": kekOut}, func(w io.Writer) {
				fmt.Fprintf(w, "Made the key-encryption key in %s. Copy it to every node (never through the register) and keep a copy offline: without it no node can take over signing.\n", kekOut)
			})
		},
	}
	kek.Flags().StringVar(&kekOut, "out", "", "file to write the key-encryption key to")

	var recoverData string
	recoverCmd := &cobra.Command{
		Use:   "recover --data DIR",
		Short: "With the node stopped, make it the only voter, when a majority of the cluster is lost for good",
		Long: `When a majority of the cluster's nodes are lost for good, the others cannot
elect a leader and the register takes no change. Stop the most up-to-date
surviving node (the highest index in its last readyz or metrics), run this on
its data directory, and start it again as before: it elects itself with all
its log holds. Then add fresh nodes with empty data directories. Never start
the other old members with their old data directories again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if recoverData == "" {
				return withCode(ExitRefused, fmt.Errorf("pass --data DIR, the stopped node's data directory"))
			}
			logger, err := newLogger(a.stderr, "text", "warn")
			if err != nil {
				return withCode(ExitCannot, err)
			}
			self, err := cluster.Recover(recoverData, logger)
			if err != nil {
				return withCode(ExitCannot, err)
			}
			return a.render(membersView{Members: []cluster.Member{self}}, func(w io.Writer) {
				fmt.Fprintf(w, "%s is now the only voter (at %s). Start it as before; then add fresh nodes.\n", self.ID, self.Address)
			})
		},
	}
	recoverCmd.Flags().StringVar(&recoverData, "data", "", "data directory of the stopped node")

	c.AddCommand(members, add, remove, transfer, ca, cert, kek, recoverCmd)
	return c
}

// readKEK reads --kek-file, refusing one others may read.
func readKEK(path string) (*keys.KEK, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("--kek-file: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("--kek-file %s has mode %#o: it must be readable by its owner only; run `chmod 600 %s`", path, info.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--kek-file: %w", err)
	}
	k, err := keys.ParseKEK(b)
	if err != nil {
		return nil, fmt.Errorf("--kek-file %s: %w", path, err)
	}
	return k, nil
}
