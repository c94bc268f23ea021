package api

import (
	"fmt"
	"net/http"

	"github.com/nalw/linkpass/issuer/register"
)

// pendingLapse says how many registrations the lapse sweep would lapse
// now, and whether the automatic sweep is held for confirmation.
func (a *API) pendingLapse(*http.Request, register.Actor) (int, any, error) {
	p, err := a.srv.PendingLapse()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p, nil
}

type confirmLapseRequest struct {
	Confirm bool `json:"confirm"`
}

func (q *confirmLapseRequest) Validate() error {
	if !q.Confirm {
		return fmt.Errorf("%w: send {\"confirm\": true} to lapse every registration past its end date; GET /v1/lapse-sweep says how many that is", register.ErrInvalid)
	}
	return nil
}

// confirmLapse runs the lapse sweep on an operator's confirmation.
func (a *API) confirmLapse(r *http.Request, actor register.Actor) (int, any, error) {
	req := &confirmLapseRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	p, err := a.srv.ConfirmLapse(r.Context(), actor)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p, nil
}
