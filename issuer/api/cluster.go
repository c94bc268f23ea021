package api

import (
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/issuer/cluster"
	"github.com/nalw/linkpass/issuer/register"
)

// membersResponse is the cluster's configuration after a request.
type membersResponse struct {
	Members []cluster.Member `json:"members"`
}

type addMemberRequest struct {
	ID      string `json:"id"`
	Address string `json:"address"`
}

func (r addMemberRequest) Validate() error {
	if err := cluster.CheckNodeID(r.ID); err != nil {
		return fmt.Errorf("%w: %v", register.ErrInvalid, err)
	}
	if r.Address == "" {
		return fmt.Errorf("%w: give the node's cluster address as address (host:port of its --raft-addr)", register.ErrInvalid)
	}
	return nil
}

type transferRequest struct {
	To string `json:"to,omitempty"`
}

func (transferRequest) Validate() error { return nil }

// node returns the server's cluster, refusing on a register of one.
func (a *API) node() (*cluster.Raft, error) {
	if n := a.srv.Cluster(); n != nil {
		return n, nil
	}
	return nil, fmt.Errorf("%w: this register runs on one node; start it as a cluster member (--node-id, --raft-addr, see the operator guide) first", register.ErrConflict)
}

func (a *API) members(n *cluster.Raft) (int, any, error) {
	m, err := n.Members()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, membersResponse{Members: m}, nil
}

func (a *API) listMembers(*http.Request, register.Actor) (int, any, error) {
	n := a.srv.Cluster()
	if n == nil {
		// A register of one is its own leader, reached by no other node.
		return http.StatusOK, membersResponse{Members: []cluster.Member{{ID: a.srv.NodeID(), Suffrage: "Voter", Leader: true}}}, nil
	}
	return a.members(n)
}

func (a *API) addMember(r *http.Request, _ register.Actor) (int, any, error) {
	var req addMemberRequest
	if err := decode(r, &req); err != nil {
		return 0, nil, err
	}
	n, err := a.node()
	if err != nil {
		return 0, nil, err
	}
	if err := n.Add(req.ID, req.Address); err != nil {
		return 0, nil, err
	}
	return a.members(n)
}

func (a *API) removeMember(r *http.Request, _ register.Actor) (int, any, error) {
	n, err := a.node()
	if err != nil {
		return 0, nil, err
	}
	if err := n.Remove(mux.Vars(r)["id"]); err != nil {
		return 0, nil, err
	}
	return a.members(n)
}

func (a *API) transferLeadership(r *http.Request, _ register.Actor) (int, any, error) {
	var req transferRequest
	if err := decode(r, optional{&req}); err != nil {
		return 0, nil, err
	}
	n, err := a.node()
	if err != nil {
		return 0, nil, err
	}
	if err := n.Transfer(req.To); err != nil {
		return 0, nil, err
	}
	return a.members(n)
}
