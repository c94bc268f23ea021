package issuer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"

	"github.com/nalw/linkpass/issuer/cluster"
	"github.com/nalw/linkpass/issuer/datadir"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/keys"
)

// memberStartTimeout bounds how long a member waits at start for a
// leader and to catch up with it.
const memberStartTimeout = 2 * time.Minute

// Cluster returns this node's view of its cluster, or nil for a register
// of one.
func (s *Server) Cluster() *cluster.Raft { return s.node }

// NodeID is the node id its data directory records.
func (s *Server) NodeID() string { return s.marker.NodeID }

// startMember brings a cluster member up: it asks to join if it is new,
// waits for a leader and catches up with it. A leader then does what a
// first start does; a follower takes the keys it lacks from the log.
func (s *Server) startMember(fresh, joining bool) error {
	c := s.cfg.Cluster
	if s.cfg.KEK == nil {
		return fmt.Errorf("%w: a cluster member needs the cluster's key-encryption key (--kek-file)", register.ErrInvalid)
	}
	s.signers.unseal = s.unsealKey
	ctx, cancel := context.WithTimeout(context.Background(), memberStartTimeout)
	defer cancel()
	conf := s.raft.GetConfiguration()
	if err := conf.Error(); err != nil {
		return err
	}
	if len(conf.Configuration().Servers) == 0 {
		if c.Join == "" {
			s.logger.Info("waiting to be added to the cluster: run `linkpass cluster add " + c.NodeID + " " + c.Advertise + "` against a member")
		} else if err := cluster.Join(ctx, c.Transport, c.Join, c.Advertise, c.JoinToken, s.logger); err != nil {
			return fmt.Errorf("%w: %v", register.ErrUnavailable, err)
		}
	}
	c.JoinToken = "" // not kept longer than needed
	for !s.node.IsLeader() && !s.caughtUp() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: no leader reached within %s: is a majority of the cluster running and reachable at its --raft-addr?", register.ErrUnavailable, memberStartTimeout)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if s.node.IsLeader() {
		if err := s.raft.Barrier(30 * time.Second).Error(); err != nil {
			return fmt.Errorf("%w: catching up with the log: %v", register.ErrUnavailable, err)
		}
		if err := s.firstStart(); err != nil {
			return err
		}
		if err := s.onLeader(); err != nil {
			return err
		}
	} else if err := s.startFollower(ctx, joining); err != nil {
		return err
	}
	go s.watchLeadership()
	return nil
}

// caughtUp reports whether a follower's register holds every command
// entry the leader has told it is committed. Raft counts an entry applied
// once it is handed to the FSM, before the FSM has applied it, so this
// looks up the last command entry and waits for the register's own index.
func (s *Server) caughtUp() bool {
	if !s.node.CaughtUp() {
		return false
	}
	var l raft.Log
	for i := s.raft.CommitIndex(); i > 0; i-- {
		if err := s.logs.GetLog(i, &l); err != nil {
			return true // in the snapshot, which was restored whole
		}
		if l.Type == raft.LogCommand {
			return s.State().Index("") >= i
		}
	}
	return true
}

// startFollower takes from the log what a follower needs to serve and to
// take over: the root key (on its first start) and the active signing key.
func (s *Server) startFollower(ctx context.Context, joining bool) error {
	for s.State().Settings().IssuerURL == "" {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: the cluster's log holds no register yet: bootstrap the first node with --bootstrap", register.ErrUnavailable)
		case <-time.After(20 * time.Millisecond):
		}
	}
	sealed, err := s.waitSealedRoot(ctx)
	if err != nil {
		return err
	}
	if joining {
		root, err := s.cfg.KEK.Open(sealed.KID, sealed.Sealed)
		if err != nil {
			return fmt.Errorf("%w: the root key in the log cannot be opened (%v): this node's --kek-file is not the cluster's", ErrDataDir, err)
		}
		d, err := keys.OpenDir(datadir.Layout(s.cfg.DataDir).RootKey())
		if err != nil {
			return fmt.Errorf("%w: %v", ErrDataDir, err)
		}
		if err := d.Save(root); err != nil {
			return fmt.Errorf("saving the root key: %w", err)
		}
		if err := s.openTrustRoot(); err != nil {
			return err
		}
	}
	if s.root.Fingerprint() != sealed.KID {
		return fmt.Errorf("%w: this node's root key %s is not the cluster's (%s): verifiers pin one root key, so a node with another may not serve. Move %s aside and start again to take the cluster's",
			ErrDataDir, s.root.Fingerprint(), sealed.KID, datadir.Layout(s.cfg.DataDir).RootKey())
	}
	// A follower restarted while the others take writes may still be
	// applying the entry that records the active key: wait for it, as for
	// the root key, rather than refuse a register that is only behind.
	for {
		if _, err := s.activeKey(); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return s.checkActiveKeyFile()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return s.checkActiveKeyFile()
}

func (s *Server) waitSealedRoot(ctx context.Context) (*state.SealedKey, error) {
	for {
		k, err := s.State().SealedRoot()
		if err == nil {
			return k, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: the log holds no sealed root key yet; the leader seals it when it starts as a cluster member", register.ErrUnavailable)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// watchLeadership does the leader's duties each time this node becomes
// leader, until the server closes.
func (s *Server) watchLeadership() {
	was := s.node.IsLeader()
	for {
		select {
		case <-s.closing:
			return
		case <-time.After(100 * time.Millisecond):
		}
		is := s.node.IsLeader()
		if is && !was {
			s.logger.Info("this node is the leader now")
			if err := s.onLeader(); err != nil && !errors.Is(err, raft.ErrNotLeader) {
				s.logger.Warn("leader duties failed; will retry at the next election", "err", err)
			}
		} else if was && !is {
			s.logger.Info("this node is no longer the leader")
		}
		was = is
	}
}

// onLeader seals into the log any key the other members could not sign
// with, and corrects this node's address in the configuration (a register
// of one records a placeholder address).
func (s *Server) onLeader() error {
	if err := s.sealKeys(register.System); err != nil {
		return err
	}
	members, err := s.node.Members()
	if err != nil {
		return err
	}
	for _, m := range members {
		if m.ID == s.cfg.Cluster.NodeID && m.Address != s.cfg.Cluster.Advertise {
			s.logger.Info("recording this node's cluster address", "was", m.Address, "now", s.cfg.Cluster.Advertise)
			return s.raft.AddVoter(raft.ServerID(m.ID), raft.ServerAddress(s.cfg.Cluster.Advertise), 0, 10*time.Second).Error()
		}
	}
	return nil
}

// sealKeys commits, sealed under the cluster's key-encryption key, every
// published signing key and the root key that the log lacks, and extra.
// A register of one seals nothing.
func (s *Server) sealKeys(actor register.Actor, extra ...*keys.Key) error {
	if s.node == nil {
		return nil
	}
	st := s.State()
	var todo []*keys.Key
	all, err := st.Keys()
	if err != nil {
		return err
	}
	for _, rec := range all {
		if rec.State == register.KeyRetired {
			continue
		}
		if _, err := st.SealedKey(rec.KID); err == nil {
			continue
		}
		k, err := s.signers.get(rec.KID)
		if err != nil {
			// Another node made it and sealed it; this one has no copy.
			continue
		}
		todo = append(todo, k)
	}
	todo = append(todo, extra...)
	var cmd fsm.SealKeys
	for _, k := range todo {
		b, err := s.cfg.KEK.Seal(k)
		if err != nil {
			return err
		}
		cmd.Keys = append(cmd.Keys, state.SealedKey{KID: k.KeyID(), Sealed: b})
	}
	if _, err := st.SealedRoot(); err != nil && s.rootKey != nil {
		b, err := s.cfg.KEK.Seal(s.rootKey)
		if err != nil {
			return err
		}
		cmd.Keys = append(cmd.Keys, state.SealedKey{KID: s.rootKey.KeyID(), Root: true, Sealed: b})
	}
	if len(cmd.Keys) == 0 {
		return nil
	}
	if _, err := s.apply(actor, cmd); err != nil {
		return fmt.Errorf("sealing keys into the log: %w", err)
	}
	return nil
}

// unsealKey opens a signing key the leader sealed into the log.
func (s *Server) unsealKey(kid string) (*keys.Key, error) {
	sk, err := s.State().SealedKey(kid)
	if err != nil {
		return nil, fmt.Errorf("this node has no copy of key %s and the log holds none sealed: %w", kid, err)
	}
	k, err := s.cfg.KEK.Open(kid, sk.Sealed)
	if err != nil {
		return nil, fmt.Errorf("%w (is this node's --kek-file the cluster's?)", err)
	}
	return k, nil
}

// ClusterNode is what the forwarder needs of this member, or nil for a
// register of one.
func (s *Server) ClusterNode() cluster.Node {
	if s.node == nil {
		return nil
	}
	return clusterNode{s.node, s}
}

type clusterNode struct {
	*cluster.Raft
	s *Server
}

// Applied is the last log index the register holds (status lists
// included), as the index of the state store: Raft's own entries, such as
// membership changes, leave it alone.
func (n clusterNode) Applied() uint64 { return n.s.State().Index("") }

// WaitApplied returns once this node's register (its status lists
// included: a follower serves them from the register) reflects idx.
func (n clusterNode) WaitApplied(ctx context.Context, idx uint64) error {
	for {
		tx := n.s.State().ReadTxn()
		if tx.Index() >= idx {
			return nil
		}
		ws := memdb.NewWatchSet()
		if err := tx.WatchAny(ws); err != nil {
			return err
		}
		// A snapshot restore swaps the store without firing the watch.
		wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		err := ws.WatchCtx(wctx)
		cancel()
		if err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
	}
}
