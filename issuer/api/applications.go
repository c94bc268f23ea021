package api

import (
	"fmt"
	"net"
	"net/http"
	"slices"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/applications/intake"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// WithIntake serves applications to join through svc (with its mailer);
// without it applications cannot be made (no code can be sent).
func WithIntake(svc *intake.Service) Option { return func(a *API) { a.intake = svc } }

type codeRequest struct {
	Email string `json:"email"`
}

func (q *codeRequest) Validate() error { return applications.CheckEmail(q.Email) }

// clientAddr is the caller's address, for the code rate limit.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (a *API) sendApplicationCode(r *http.Request, _ register.Actor) (int, any, error) {
	req := &codeRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	if err := a.intake.SendCode(r.Context(), req.Email, clientAddr(r)); err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, map[string]string{"status": "sent", "email": req.Email}, nil
}

type applicationRequest struct {
	applications.New
	// Code is the one-time code sent to the email.
	Code string `json:"code"`
}

func (q *applicationRequest) Validate() error {
	if q.Code == "" {
		return fmt.Errorf("%w: code is required: ask for one with POST /v1/applications/codes, then send the code the email gives", register.ErrInvalid)
	}
	return nil
}

func (a *API) submitApplication(r *http.Request, _ register.Actor) (int, any, error) {
	req := &applicationRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	app, err := a.intake.Submit(r.Context(), req.New, req.Code)
	if err != nil {
		return 0, nil, err
	}
	// The applicant gets their reference and state, not the registrar's
	// view (which lists removed registrants they may be).
	return http.StatusCreated, map[string]string{"reference": app.Ref, "state": string(app.State)}, nil
}

type applicationsResponse struct {
	Applications []*applications.Application `json:"applications"`
}

func (a *API) listApplications(r *http.Request, _ register.Actor) (int, any, error) {
	var st applications.State
	if s := r.URL.Query().Get("state"); s != "" {
		var err error
		if st, err = applications.ParseState(s); err != nil {
			return 0, nil, err
		}
	}
	apps, err := a.srv.State().Applications(st)
	if err != nil {
		return 0, nil, err
	}
	slices.SortFunc(apps, func(x, y *applications.Application) int { return int(x.CreateIndex) - int(y.CreateIndex) })
	return http.StatusOK, applicationsResponse{Applications: apps}, nil
}

func (a *API) getApplication(r *http.Request, _ register.Actor) (int, any, error) {
	app, err := a.srv.State().Application(mux.Vars(r)["ref"])
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, app, nil
}

type messagesResponse struct {
	Messages []*register.Message `json:"messages"`
}

func (a *API) listApplicationMessages(r *http.Request, _ register.Actor) (int, any, error) {
	ref := mux.Vars(r)["ref"]
	if _, err := a.srv.State().Application(ref); err != nil {
		return 0, nil, err
	}
	ms, err := a.srv.State().MessagesOfApplication(ref)
	if err != nil {
		return 0, nil, err
	}
	if ms == nil {
		ms = []*register.Message{}
	}
	return http.StatusOK, messagesResponse{Messages: ms}, nil
}

type noteRequest struct {
	Note string `json:"note"`
}

func (q *noteRequest) Validate() error { return nil }

// applicationStep serves a registrar's step other than approval.
func (a *API) applicationStep(op fsm.ApplicationOp) handler {
	return func(r *http.Request, actor register.Actor) (int, any, error) {
		req := &noteRequest{}
		if err := decode(r, req); err != nil {
			return 0, nil, err
		}
		app, err := a.intake.Step(r.Context(), actor, mux.Vars(r)["ref"], op, req.Note)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, app, nil
	}
}

type appealDecisionRequest struct {
	Upheld *bool  `json:"upheld"`
	Note   string `json:"note"`
}

func (q *appealDecisionRequest) Validate() error {
	if q.Upheld == nil {
		return fmt.Errorf("%w: upheld is required: true reopens the application, false lets the refusal stand", register.ErrInvalid)
	}
	return nil
}

func (a *API) decideAppeal(r *http.Request, actor register.Actor) (int, any, error) {
	req := &appealDecisionRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	op := fsm.AppAppealDismissed
	if *req.Upheld {
		op = fsm.AppAppealUpheld
	}
	app, err := a.intake.Step(r.Context(), actor, mux.Vars(r)["ref"], op, req.Note)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, app, nil
}

type approveRequest struct {
	Route *register.EntryRoute `json:"entry_route,omitempty"`
	Note  string               `json:"note,omitempty"`
}

func (q *approveRequest) Validate() error {
	if q.Route != nil {
		return q.Route.Validate()
	}
	return nil
}

type approvalResponse struct {
	Application *applications.Application `json:"application"`
	Registrant  *register.Registrant      `json:"registrant"`
}

func (a *API) approveApplication(r *http.Request, actor register.Actor) (int, any, error) {
	req := &approveRequest{}
	if err := decode(r, optional{req}); err != nil {
		return 0, nil, err
	}
	res, err := a.intake.Approve(r.Context(), actor, mux.Vars(r)["ref"], req.Route, req.Note)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, approvalResponse{Application: res.Application, Registrant: res.Registrant}, nil
}

type applicationSettingsRequest struct {
	AppealDays int `json:"appeal_days"`
}

func (q *applicationSettingsRequest) Validate() error { return nil }

func (a *API) setApplicationSettings(r *http.Request, actor register.Actor) (int, any, error) {
	req := &applicationSettingsRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	s, err := a.intake.SetAppealDays(r.Context(), actor, req.AppealDays)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s, nil
}
