package api

import (
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/registrants"
)

// proposedResponse answers a removal or restriction that the two-person
// rule turned into a proposal: nothing has changed yet.
type proposedResponse struct {
	PendingApproval bool               `json:"pending_approval"`
	Message         string             `json:"message"`
	Proposal        *register.Proposal `json:"proposal"`
}

func proposed(p *register.Proposal) proposedResponse {
	return proposedResponse{PendingApproval: true, Proposal: p,
		Message: fmt.Sprintf("Nothing has changed yet: the %s of %s is proposed as %s and takes effect when a second registrar approves it (POST /v1/proposals/%s/approve).", p.Change, p.Registrant, p.ID, p.ID)}
}

// changeOrPropose runs a removal or restriction: 200 with the registrant
// when it was made, 202 with the proposal when it waits for approval.
func (a *API) changeOrPropose(r *http.Request, actor register.Actor, op registrants.Operation) (int, any, error) {
	out, err := a.changeOutcome(r, actor, op, op)
	if err != nil {
		return 0, nil, err
	}
	if out.Proposal != nil {
		return http.StatusAccepted, proposed(out.Proposal), nil
	}
	return http.StatusOK, changedResponse{Registrant: out.Registrant, StatusPublishedAt: out.StatusPublishedAt}, nil
}

func (a *API) listProposals(r *http.Request, _ register.Actor) (int, any, error) {
	ps, err := a.registrants.Proposals(register.ProposalState(r.URL.Query().Get("state")))
	if err != nil {
		return 0, nil, err
	}
	if ps == nil {
		ps = []*register.Proposal{}
	}
	return http.StatusOK, map[string]any{"proposals": ps}, nil
}

func (a *API) getProposal(r *http.Request, _ register.Actor) (int, any, error) {
	p, err := a.registrants.Proposal(mux.Vars(r)["id"])
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p, nil
}

// approvedResponse is a proposal just approved, with the registrant after
// its change.
type approvedResponse struct {
	Proposal   *register.Proposal `json:"proposal"`
	Registrant changedResponse    `json:"registrant"`
}

type emptyRequest struct{}

func (emptyRequest) Validate() error { return nil }

func (a *API) approveProposal(r *http.Request, actor register.Actor) (int, any, error) {
	if err := decode(r, optional{&emptyRequest{}}); err != nil {
		return 0, nil, err
	}
	out, err := a.registrants.Approve(r.Context(), actor, mux.Vars(r)["id"])
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, approvedResponse{Proposal: out.Proposal, Registrant: changedResponse{Registrant: out.Registrant, StatusPublishedAt: out.StatusPublishedAt}}, nil
}

func (a *API) rejectProposal(r *http.Request, actor register.Actor) (int, any, error) {
	req := &reasonRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	p, err := a.registrants.Reject(r.Context(), actor, mux.Vars(r)["id"], req.Reason)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p, nil
}
