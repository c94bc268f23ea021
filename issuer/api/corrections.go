package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/registrants"
)

// correctedResponse is a registrant after a correction: what changed, the
// credentials it superseded, and the one issued in their place.
type correctedResponse struct {
	changedResponse
	Changed    []register.Changed `json:"changed"`
	Superseded []string           `json:"superseded_credentials"`
	Reissued   *IssueResponse     `json:"reissued_credential,omitempty"`
}

func (a *API) amend(r *http.Request, actor register.Actor, op registrants.Operation, index *int) (int, any, error) {
	n, err := regnoVar(r)
	if err != nil {
		return 0, nil, err
	}
	if err := decode(r, op); err != nil {
		return 0, nil, err
	}
	if index != nil {
		if *index, err = qualificationVar(r); err != nil {
			return 0, nil, err
		}
	}
	am, err := a.registrants.Change(r.Context(), actor, n, op)
	if err != nil {
		return 0, nil, err
	}
	resp := correctedResponse{
		changedResponse: changedResponse{Registrant: am.Registrant, StatusPublishedAt: am.StatusPublishedAt},
		Changed:         am.Changed, Superseded: am.Superseded,
	}
	if resp.Superseded == nil {
		resp.Superseded = []string{}
	}
	if iss := am.Reissued; iss != nil {
		resp.Reissued = a.issueResponse(iss)
	}
	return http.StatusOK, resp, nil
}

func (a *API) correct(r *http.Request, actor register.Actor) (int, any, error) {
	return a.amend(r, actor, &registrants.Correct{}, nil)
}

func qualificationVar(r *http.Request) (int, error) {
	s := mux.Vars(r)["index"]
	i, err := strconv.Atoi(s)
	if err != nil || i < 0 || strconv.Itoa(i) != s {
		return 0, fmt.Errorf("%w: qualification %q must be its number on the record, from 0", register.ErrInvalid, s)
	}
	return i, nil
}

func (a *API) editQualification(r *http.Request, actor register.Actor) (int, any, error) {
	req := &registrants.EditQualification{}
	return a.amend(r, actor, req, &req.Index)
}

func (a *API) withdrawQualification(r *http.Request, actor register.Actor) (int, any, error) {
	req := &registrants.WithdrawQualification{}
	return a.amend(r, actor, req, &req.Index)
}
