package api

import (
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/renewals"
	"github.com/nalw/linkpass/regno"
)

// Renewals and CPD: registrars list and decide pending renewals and read a
// registrant's CPD; registrants record CPD and renew in their account
// (package account), through the same operations (issuer/renewals).

// WithRenewals runs CPD and renewal operations through svc, the service
// the account pages share.
func WithRenewals(svc *renewals.Service) Option { return func(a *API) { a.renewals = svc } }

type renewalsResponse struct {
	Renewals []*register.Renewal `json:"renewals"`
}

func (a *API) listRenewals(r *http.Request, _ register.Actor) (int, any, error) {
	rs, err := a.renewals.Renewals(r.URL.Query().Get("state"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renewalsResponse{Renewals: rs}, nil
}

func (a *API) getRenewal(r *http.Request, _ register.Actor) (int, any, error) {
	rn, err := a.renewals.Renewal(mux.Vars(r)["renewal"])
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rn, nil
}

type decisionRequest struct {
	Reason string `json:"reason"`
	refuse bool
}

func (q *decisionRequest) Validate() error {
	if q.refuse || q.Reason != "" {
		return register.CheckReason(q.Reason)
	}
	return nil
}

func (a *API) decideRenewal(approve bool) handler {
	return func(r *http.Request, actor register.Actor) (int, any, error) {
		req := &decisionRequest{refuse: !approve}
		var v validator = req
		if approve {
			v = optional{req}
		}
		if err := decode(r, v); err != nil {
			return 0, nil, err
		}
		out, err := a.renewals.Decide(r.Context(), actor, mux.Vars(r)["renewal"], approve, req.Reason)
		if err != nil && out == nil {
			return 0, nil, err
		}
		if err != nil {
			a.logger.Warn("renewal approved; re-issuing the credential failed", "renewal", out.Renewal.ID, "err", err)
		}
		return http.StatusOK, out, nil
	}
}

type cpdResponse struct {
	Activities []*register.CPDActivity `json:"activities"`
	Renewals   []*register.Renewal     `json:"renewals"`
}

func (a *API) listCPD(r *http.Request, _ register.Actor) (int, any, error) {
	n, err := regno.Parse(mux.Vars(r)["regno"])
	if err != nil {
		return 0, nil, err
	}
	acts, err := a.renewals.CPD(n)
	if err != nil {
		return 0, nil, err
	}
	rs, err := a.renewals.RenewalsOf(n)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, cpdResponse{Activities: acts, Renewals: rs}, nil
}

type renewalPolicyRequest struct{ register.RenewalPolicy }

func (q *renewalPolicyRequest) Validate() error { return q.RenewalPolicy.Validate() }

func (a *API) setRenewalPolicy(r *http.Request, actor register.Actor) (int, any, error) {
	req := &renewalPolicyRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	p, err := a.renewals.SetPolicy(r.Context(), actor, req.RenewalPolicy)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p, nil
}

type gracePeriodRequest struct {
	Days *int `json:"days"`
}

func (q *gracePeriodRequest) Validate() error {
	if q.Days == nil {
		return fmt.Errorf("%w: days is required: how many days after registered-until a registration that was not renewed lapses (0 lapses it at registered-until)", register.ErrInvalid)
	}
	return register.CheckGraceDays(*q.Days)
}

type gracePeriodResponse struct {
	Days int `json:"days"`
}

func (a *API) getGracePeriod(*http.Request, register.Actor) (int, any, error) {
	return http.StatusOK, gracePeriodResponse{Days: a.renewals.GracePeriod()}, nil
}

func (a *API) setGracePeriod(r *http.Request, actor register.Actor) (int, any, error) {
	req := &gracePeriodRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	days, err := a.renewals.SetGracePeriod(r.Context(), actor, *req.Days)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, gracePeriodResponse{Days: days}, nil
}
