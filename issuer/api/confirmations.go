package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/confirmations"
	"github.com/nalw/linkpass/confirmations/claims"
	"github.com/nalw/linkpass/issuer/register"
)

// Training providers' confirmations (package confirmations/claims): a
// provider's staff list the claims to their courses and confirm or dispute
// one; registrars read the answers on an application or a record.

// WithClaims runs providers' confirmations through svc, the service the
// console shares.
func WithClaims(svc *claims.Service) Option { return func(a *API) { a.claims = svc } }

type claimsResponse struct {
	Provider string         `json:"provider"`
	Claims   []claims.Claim `json:"claims"`
}

func (a *API) listClaims(r *http.Request, actor register.Actor) (int, any, error) {
	p, err := a.claims.Provider(actor)
	if err != nil {
		return 0, nil, err
	}
	cs, err := a.claims.Claims(actor, r.URL.Query().Get("filter"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, claimsResponse{Provider: p.Name, Claims: cs}, nil
}

// answerRequest is a confirmation's or a dispute's body. Course, if given,
// must be the course of the line the path names.
type answerRequest struct {
	Course string `json:"course,omitempty"`
	Reason string `json:"reason,omitempty"`
	answer confirmations.Answer
}

func (q *answerRequest) Validate() error {
	q.answer.Course, q.answer.Reason = q.Course, q.Reason
	return q.answer.Validate()
}

// answer handles POST .../qualifications/{index}/confirm and /dispute on
// an application (ref) or a registrant (regno).
func (a *API) answer(outcome confirmations.Outcome) handler {
	return func(r *http.Request, actor register.Actor) (int, any, error) {
		sub, err := subjectVar(r)
		if err != nil {
			return 0, nil, err
		}
		idx, err := strconv.Atoi(mux.Vars(r)["index"])
		if err != nil {
			return 0, nil, fmt.Errorf("%w: qualification index %q must be a number from 0", register.ErrInvalid, mux.Vars(r)["index"])
		}
		req := &answerRequest{answer: confirmations.Answer{Subject: sub, Index: idx, Outcome: outcome}}
		if err := decode(r, optional{req}); err != nil {
			return 0, nil, err
		}
		res, err := a.claims.Answer(r.Context(), actor, req.answer)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, res, nil
	}
}

// subjectVar is the application or registrant the path names.
func subjectVar(r *http.Request) (confirmations.Subject, error) {
	if ref, ok := mux.Vars(r)["ref"]; ok {
		return confirmations.Subject{Application: ref}, nil
	}
	n, err := regnoVar(r)
	return confirmations.Subject{Registrant: n}, err
}

type confirmationsResponse struct {
	confirmations.Subject
	Lines []confirmations.Line `json:"qualifications"`
}

// listConfirmations shows a registrar each qualification of an
// application or a record with its provider's answer.
func (a *API) listConfirmations(r *http.Request, _ register.Actor) (int, any, error) {
	sub, err := subjectVar(r)
	if err != nil {
		return 0, nil, err
	}
	var qs []register.Qualification
	if sub.Application != "" {
		app, err := a.srv.State().Application(sub.Application)
		if err != nil {
			return 0, nil, err
		}
		qs = app.Qualifications
	} else {
		reg, err := a.srv.State().Registrant(sub.Registrant)
		if err != nil {
			return 0, nil, err
		}
		qs = reg.Qualifications
	}
	ls, err := a.claims.Lines(sub, qs)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, confirmationsResponse{Subject: sub, Lines: ls}, nil
}
