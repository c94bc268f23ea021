package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// correctedResponse is a registrant after a correction: what changed, the
// credentials it superseded, and the one issued in their place.
type correctedResponse struct {
	changedResponse
	Changed    []register.Changed `json:"changed"`
	Superseded []string           `json:"superseded_credentials"`
	Reissued   *IssueResponse     `json:"reissued_credential,omitempty"`
}

func (a *API) amend(r *http.Request, actor register.Actor, body validator, build func(n string) (fsm.ChangeRegistrant, error)) (int, any, error) {
	n, err := regnoVar(r)
	if err != nil {
		return 0, nil, err
	}
	if err := decode(r, body); err != nil {
		return 0, nil, err
	}
	cmd, err := build(n)
	if err != nil {
		return 0, nil, err
	}
	am, err := a.srv.Amend(r.Context(), actor, cmd)
	if err != nil {
		return 0, nil, err
	}
	resp := correctedResponse{
		changedResponse: changedResponse{Registrant: am.Result.Registrant, StatusPublishedAt: am.StatusPublishedAt},
		Changed:         am.Result.Changed, Superseded: am.Result.Superseded,
	}
	if resp.Superseded == nil {
		resp.Superseded = []string{}
	}
	if iss := am.Reissued; iss != nil {
		c := iss.Record
		resp.Reissued = &IssueResponse{
			JWT: iss.JWT, JTI: c.JTI, KID: c.KID, Registrant: c.Registrant, IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt,
			StatusList: StatusListEntry{URI: a.statusURI(c.List), Idx: c.Idx}, Status: c.Status,
			StatusPublishedAt: iss.StatusPublishedAt,
		}
	}
	return http.StatusOK, resp, nil
}

type correctRequest struct {
	register.Correction
	Reason string `json:"reason"`
}

func (q *correctRequest) Validate() error {
	c := q.Correction
	if c.Given == nil && c.Family == nil && c.Email == nil && c.Nation == nil {
		return fmt.Errorf("%w: give at least one of given_name, family_name, email, nation to correct", register.ErrInvalid)
	}
	return (&reasonRequest{Reason: q.Reason}).Validate()
}

func (a *API) correct(r *http.Request, actor register.Actor) (int, any, error) {
	req := &correctRequest{}
	return a.amend(r, actor, req, func(n string) (fsm.ChangeRegistrant, error) {
		return fsm.ChangeRegistrant{Number: n, Op: fsm.OpCorrect, Correction: &req.Correction, Reason: req.Reason}, nil
	})
}

func qualificationVar(r *http.Request) (int, error) {
	s := mux.Vars(r)["index"]
	i, err := strconv.Atoi(s)
	if err != nil || i < 0 || strconv.Itoa(i) != s {
		return 0, fmt.Errorf("%w: qualification %q must be its number on the record, from 0", register.ErrInvalid, s)
	}
	return i, nil
}

type editQualificationRequest struct {
	register.Qualification
	Reason string `json:"reason"`
}

func (q *editQualificationRequest) Validate() error {
	if err := q.Qualification.Validate(); err != nil {
		return err
	}
	return (&reasonRequest{Reason: q.Reason}).Validate()
}

func (a *API) editQualification(r *http.Request, actor register.Actor) (int, any, error) {
	req := &editQualificationRequest{}
	return a.amend(r, actor, req, func(n string) (fsm.ChangeRegistrant, error) {
		i, err := qualificationVar(r)
		return fsm.ChangeRegistrant{Number: n, Op: fsm.OpEditQualification, QualificationIndex: i, Qualification: &req.Qualification, Reason: req.Reason}, err
	})
}

func (a *API) withdrawQualification(r *http.Request, actor register.Actor) (int, any, error) {
	req := &reasonOnly{}
	return a.amend(r, actor, req, func(n string) (fsm.ChangeRegistrant, error) {
		i, err := qualificationVar(r)
		return fsm.ChangeRegistrant{Number: n, Op: fsm.OpWithdrawQualification, QualificationIndex: i, Reason: req.Reason}, err
	})
}
