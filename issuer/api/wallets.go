package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/registrants"
	"github.com/nalw/linkpass/oid4vci"
)

type offerRequest struct {
	// TTL is a Go duration ("72h"); empty takes the default.
	TTL  string `json:"ttl,omitempty"`
	Send bool   `json:"send,omitempty"`
	ttl  time.Duration
}

func (r *offerRequest) Validate() error {
	if r.TTL == "" {
		return nil
	}
	d, err := time.ParseDuration(r.TTL)
	if err != nil {
		return fmt.Errorf("%w: ttl %q is not a duration like 72h", register.ErrInvalid, r.TTL)
	}
	r.ttl = d
	return oid4vci.OfferRequest{TTL: d}.Validate()
}

func (a *API) createOffer(r *http.Request, actor register.Actor) (int, any, error) {
	n, err := regnoVar(r)
	if err != nil {
		return 0, nil, err
	}
	var req offerRequest
	if err := decode(r, optional{&req}); err != nil {
		return 0, nil, err
	}
	out, err := a.issuance.CreateOffer(r.Context(), actor, n, oid4vci.OfferRequest{TTL: req.ttl, Send: req.Send})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, out, nil
}

func (a *API) listWallets(r *http.Request, _ register.Actor) (int, any, error) {
	n, err := regnoVar(r)
	if err != nil {
		return 0, nil, err
	}
	out, err := a.issuance.WalletsOf(n)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

// reasonRequest is a body that carries only the reason for a change.
type reasonRequest struct {
	Reason string `json:"reason"`
}

func (q *reasonRequest) Validate() error { return registrants.RequireReason(q.Reason) }

func (a *API) withdrawOffer(r *http.Request, actor register.Actor) (int, any, error) {
	var req reasonRequest
	if err := decode(r, &req); err != nil {
		return 0, nil, err
	}
	o, err := a.issuance.WithdrawOffer(r.Context(), actor, mux.Vars(r)["id"], req.Reason)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"id": o.ID, "state": o.State, "reason": o.StateReason}, nil
}

func (a *API) revokeGrant(r *http.Request, actor register.Actor) (int, any, error) {
	var req reasonRequest
	if err := decode(r, &req); err != nil {
		return 0, nil, err
	}
	g, err := a.issuance.RevokeGrant(r.Context(), actor, mux.Vars(r)["id"], req.Reason)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, g, nil
}
