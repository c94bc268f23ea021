package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/staff"
)

// Option configures an API.
type Option func(*API)

// WithStaff makes the API use svc for staff accounts. The console must
// share it, since sessions and sign-in counters live in it; without the
// option the API makes its own.
func WithStaff(svc *staff.Service) Option { return func(a *API) { a.staff = svc } }

// NewStaff returns the staff account service of srv.
func NewStaff(srv *issuer.Server, opts ...func(*staff.Config)) (*staff.Service, error) {
	set := srv.State().Settings()
	cfg := staff.Config{
		State: func() staff.Reader { return srv.State() },
		Apply: func(ctx context.Context, actor register.Actor, ch staff.Change) (any, error) {
			return srv.Apply(ctx, actor, fsm.Staff{Change: ch})
		},
		Clock: srv.Now, IssuerURL: set.IssuerURL, RegisterName: set.RegisterName,
	}
	for _, o := range opts {
		o(&cfg)
	}
	return staff.New(cfg)
}

// staffView is a staff account as the API shows it: no hashes, no secrets.
type staffView struct {
	ID    string        `json:"id"`
	Name  string        `json:"name"`
	Email string        `json:"email"`
	Role  register.Role `json:"role"`
	// Provider is the training provider a provider account belongs to.
	Provider          string       `json:"provider,omitempty"`
	Status            staff.Status `json:"status"`
	SecondFactor      staff.Factor `json:"second_factor,omitempty"`
	RecoveryCodesLeft int          `json:"recovery_codes_left"`
	CreatedAt         time.Time    `json:"created_at"`
	CreatedBy         string       `json:"created_by"`
	SetupExpires      time.Time    `json:"setup_expires,omitzero"`
	LastSignInAt      time.Time    `json:"last_sign_in_at,omitzero"`
	LockedUntil       time.Time    `json:"locked_until,omitzero"`
	// SetupURL is the one-time setup link, present only in the response
	// that made it.
	SetupURL string `json:"setup_url,omitempty"`
}

func (a *API) viewStaff(acct *staff.Account) staffView {
	v := staffView{ID: acct.ID, Name: acct.Name, Email: acct.Email, Role: acct.Role, Provider: acct.Provider, Status: acct.Status,
		SecondFactor: acct.Factor, RecoveryCodesLeft: len(acct.RecoveryHashes), CreatedAt: acct.CreatedAt.UTC(),
		CreatedBy: acct.CreatedBy, SetupExpires: acct.SetupExpires.UTC(), LastSignInAt: acct.LastSignInAt.UTC()}
	if acct.Locked(a.srv.Now()) {
		v.LockedUntil = acct.LockedUntil.UTC()
	}
	if acct.SetupExpires.IsZero() {
		v.SetupExpires = time.Time{}
	}
	if acct.LastSignInAt.IsZero() {
		v.LastSignInAt = time.Time{}
	}
	return v
}

func (a *API) listStaff(*http.Request, register.Actor) (int, any, error) {
	accts, err := a.staff.Accounts()
	if err != nil {
		return 0, nil, err
	}
	out := make([]staffView, 0, len(accts))
	for _, acct := range accts {
		out = append(out, a.viewStaff(acct))
	}
	return http.StatusOK, map[string]any{"staff": out}, nil
}

type addStaffRequest struct{ staff.NewAccount }

func (q *addStaffRequest) Validate() error {
	q.Email = staff.NormalEmail(q.Email)
	return q.NewAccount.Validate()
}

func (a *API) addStaff(r *http.Request, actor register.Actor) (int, any, error) {
	req := &addStaffRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	acct, link, err := a.staff.Add(r.Context(), actor, req.NewAccount)
	if err != nil {
		return 0, nil, err
	}
	v := a.viewStaff(acct)
	v.SetupURL = link
	return http.StatusCreated, v, nil
}

type staffReasonRequest struct {
	Reason string `json:"reason"`
}

func (q *staffReasonRequest) Validate() error {
	if strings.TrimSpace(q.Reason) == "" {
		return fmt.Errorf("%w: reason is required and is kept in the audit trail", register.ErrInvalid)
	}
	return register.CheckReason(q.Reason)
}

func (a *API) disableStaff(r *http.Request, actor register.Actor) (int, any, error) {
	req := &staffReasonRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	acct, err := a.staff.Disable(r.Context(), actor, mux.Vars(r)["id"], req.Reason)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.viewStaff(acct), nil
}

func (a *API) resetStaff(r *http.Request, actor register.Actor) (int, any, error) {
	req := &staffReasonRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	acct, link, err := a.staff.ResetSecondFactor(r.Context(), actor, mux.Vars(r)["id"], req.Reason)
	if err != nil {
		return 0, nil, err
	}
	v := a.viewStaff(acct)
	v.SetupURL = link
	return http.StatusOK, v, nil
}
