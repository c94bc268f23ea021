package cluster

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/nalw/linkpass/issuer/register"
)

// Config is how a node takes part in a cluster.
type Config struct {
	// NodeID names this node; its certificate must name it too.
	NodeID string
	// Advertise is the cluster address other nodes reach this one at.
	Advertise string
	// Bootstrap makes a new data directory the first voter of a new
	// cluster. Other new nodes wait until a member adds them.
	Bootstrap bool
	// Join is the cluster address of a member to ask to add this node.
	Join string
	// JoinToken is an admin API token that authorizes the join.
	JoinToken string
	// LeaderLostAfter is how long a follower may be without a leader
	// before it says, in readyz and in every response, that what it
	// serves may be behind.
	LeaderLostAfter time.Duration
	// Identity is this node's certificate and the cluster CA.
	Identity *Identity
	// Transport is the cluster listener.
	Transport *Transport
}

// Member is one server of the cluster's configuration.
type Member struct {
	ID       string `json:"id"`
	Address  string `json:"address"`
	Suffrage string `json:"suffrage"`
	Leader   bool   `json:"leader"`
}

// Raft is this node's view of the Raft cluster, for membership changes
// and for the forwarder.
type Raft struct {
	r       *raft.Raft
	self    string
	bound   time.Duration
	started time.Time
	// addrs maps addresses to node ids, refreshed from the configuration,
	// for the transport's identity check of dialled peers.
	addrs atomic.Pointer[map[raft.ServerAddress]string]
}

// NewRaft returns the cluster view of r.
func NewRaft(r *raft.Raft, self string, bound time.Duration) *Raft {
	n := &Raft{r: r, self: self, bound: bound, started: time.Now()}
	empty := map[raft.ServerAddress]string{}
	n.addrs.Store(&empty)
	return n
}

// Self is this node's id.
func (n *Raft) Self() string { return n.self }

// IsLeader reports whether this node leads now.
func (n *Raft) IsLeader() bool { return n.r.State() == raft.Leader }

// Leader returns the leader's address and id, if one is known.
func (n *Raft) Leader() (string, string) {
	a, id := n.r.LeaderWithID()
	return string(a), string(id)
}

// LeaderLost returns how long this node has been without contact with a
// leader, when that exceeds the bound; else 0.
func (n *Raft) LeaderLost() time.Duration {
	if n.IsLeader() {
		return 0
	}
	last := n.r.LastContact()
	if last.IsZero() {
		last = n.started
	}
	if _, id := n.r.LeaderWithID(); id == "" || time.Since(last) > n.bound {
		if d := time.Since(last); d > n.bound {
			return d
		}
	}
	return 0
}

// Members lists the cluster's configuration.
func (n *Raft) Members() ([]Member, error) {
	f := n.r.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("%w: reading the cluster's configuration: %v", register.ErrUnavailable, err)
	}
	_, leader := n.r.LeaderWithID()
	var out []Member
	m := map[raft.ServerAddress]string{}
	for _, s := range f.Configuration().Servers {
		out = append(out, Member{ID: string(s.ID), Address: string(s.Address), Suffrage: s.Suffrage.String(), Leader: s.ID == leader})
		m[s.Address] = string(s.ID)
	}
	n.addrs.Store(&m)
	return out, nil
}

// NodeAt returns the node id the configuration gives address a, or "".
func (n *Raft) NodeAt(a raft.ServerAddress) string { return (*n.addrs.Load())[a] }

// changeTimeout bounds a membership change.
const changeTimeout = 10 * time.Second

// Add makes node id at address a voter. Adding a member already there at
// the same address changes nothing.
func (n *Raft) Add(id, addr string) error {
	if err := CheckNodeID(id); err != nil {
		return fmt.Errorf("%w: %v", register.ErrInvalid, err)
	}
	if addr == "" {
		return fmt.Errorf("%w: give the node's cluster address (host:port of its --raft-addr)", register.ErrInvalid)
	}
	members, err := n.Members()
	if err != nil {
		return err
	}
	for _, m := range members {
		if m.ID == id && m.Address == addr {
			return nil
		}
		if m.ID != id && m.Address == addr {
			return fmt.Errorf("%w: %s is the address of member %s; remove it first", register.ErrConflict, addr, m.ID)
		}
	}
	m := *n.addrs.Load()
	next := map[raft.ServerAddress]string{raft.ServerAddress(addr): id}
	for k, v := range m {
		next[k] = v
	}
	n.addrs.Store(&next)
	return n.wrap("adding "+id, n.r.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, changeTimeout).Error())
}

// Remove takes node id out of the cluster.
func (n *Raft) Remove(id string) error {
	members, err := n.Members()
	if err != nil {
		return err
	}
	found := false
	for _, m := range members {
		found = found || m.ID == id
	}
	if !found {
		return fmt.Errorf("%w: no member %q; see `linkpass cluster members`", register.ErrNotFound, id)
	}
	if len(members) == 1 {
		return fmt.Errorf("%w: %s is the only member; a cluster cannot remove its last node", register.ErrConflict, id)
	}
	return n.wrap("removing "+id, n.r.RemoveServer(raft.ServerID(id), 0, changeTimeout).Error())
}

// Transfer hands leadership to node id, or to the most up-to-date
// follower when id is empty.
func (n *Raft) Transfer(id string) error {
	if id == "" {
		return n.wrap("transferring leadership", n.r.LeadershipTransfer().Error())
	}
	members, err := n.Members()
	if err != nil {
		return err
	}
	for _, m := range members {
		if m.ID == id {
			if m.Leader {
				return nil
			}
			return n.wrap("transferring leadership to "+id, n.r.LeadershipTransferToServer(raft.ServerID(id), raft.ServerAddress(m.Address)).Error())
		}
	}
	return fmt.Errorf("%w: no member %q; see `linkpass cluster members`", register.ErrNotFound, id)
}

func (n *Raft) wrap(what string, err error) error {
	switch {
	case err == nil:
		_, _ = n.Members()
		return nil
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost):
		return fmt.Errorf("%w: %s: this node is not the leader (%v); nothing was changed", register.ErrUnavailable, what, err)
	case errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return fmt.Errorf("%w: %s: a leadership transfer is under way; try again in a few seconds", register.ErrConflict, what)
	}
	return fmt.Errorf("%w: %s: %v", register.ErrUnavailable, what, err)
}

// CaughtUp reports whether a follower has heard from a leader and applied
// everything it knows to be committed.
func (n *Raft) CaughtUp() bool {
	if n.IsLeader() {
		return true
	}
	if _, id := n.r.LeaderWithID(); id == "" || n.r.LastContact().IsZero() {
		return false
	}
	return n.r.AppliedIndex() >= n.r.CommitIndex()
}
