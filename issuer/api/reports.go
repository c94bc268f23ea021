package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/cpdaudit"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/reports"
)

// WithCPDAudit runs CPD audits through svc (with its mailer); without it
// draws send no evidence requests.
func WithCPDAudit(svc *cpdaudit.Service) Option { return func(a *API) { a.cpdAudit = svc } }

// buildReport builds the PSA report for ?from=&to= (the year so far by
// default) from the audit trail.
func (a *API) buildReport(r *http.Request) (*reports.Report, error) {
	if err := checkQuery(r); err != nil {
		return nil, err
	}
	q := r.URL.Query()
	// The year so far unless told otherwise.
	today := register.DateOf(a.srv.Now())
	from, to := register.Date(today[:4]+"-01-01"), today
	for _, d := range []struct {
		name string
		to   *register.Date
	}{{"from", &from}, {"to", &to}} {
		if v := q.Get(d.name); v != "" {
			if _, err := register.ParseDate(v); err != nil {
				return nil, fmt.Errorf("?%s=: %w", d.name, err)
			}
			*d.to = register.Date(v)
		}
	}
	return reports.Read(a.srv.State(), from, to, a.srv.Now())
}

func (a *API) psaReport(r *http.Request, _ register.Actor) (int, any, error) {
	rep, err := a.buildReport(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rep, nil
}

// psaReportCSV serves the same report as CSV, for a spreadsheet.
func (a *API) psaReportCSV(w http.ResponseWriter, r *http.Request) {
	if _, err := a.authorize(r, reader); err != nil {
		a.writeError(w, r, err)
		return
	}
	rep, err := a.buildReport(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="psa-report-%s-%s.csv"`, rep.From, rep.To))
	if err := rep.WriteCSV(w); err != nil {
		a.logger.Warn("sending a report failed", "err", err)
	}
}

type drawRequest struct {
	Year  int     `json:"year"`
	Share float64 `json:"share,omitempty"`
}

func (q *drawRequest) Validate() error {
	if q.Year == 0 {
		return fmt.Errorf("%w: year is required", register.ErrInvalid)
	}
	if q.Share != 0 {
		return register.CheckCPDAuditShare(q.Share)
	}
	return nil
}

func (a *API) drawCPDAudit(r *http.Request, actor register.Actor) (int, any, error) {
	req := &drawRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	res, err := a.cpdAudit.Draw(r.Context(), actor, req.Year, req.Share)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, res, nil
}

func yearVar(r *http.Request) (int, error) {
	y, err := strconv.Atoi(mux.Vars(r)["year"])
	if err != nil || y < 2000 || y > 9999 {
		return 0, fmt.Errorf("%w: %q is not a year", register.ErrInvalid, mux.Vars(r)["year"])
	}
	return y, nil
}

type cpdAuditsResponse struct {
	Audits []*register.CPDAudit `json:"audits"`
}

func (a *API) listCPDAudits(r *http.Request, _ register.Actor) (int, any, error) {
	y, err := yearVar(r)
	if err != nil {
		return 0, nil, err
	}
	list, err := a.cpdAudit.List(y)
	if err != nil {
		return 0, nil, err
	}
	if list == nil {
		list = []*register.CPDAudit{}
	}
	return http.StatusOK, cpdAuditsResponse{Audits: list}, nil
}

func (a *API) verifyCPDAudit(r *http.Request, _ register.Actor) (int, any, error) {
	y, err := yearVar(r)
	if err != nil {
		return 0, nil, err
	}
	v, err := a.cpdAudit.Verify(y)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, v, nil
}

type outcomeRequest struct {
	Passed *bool  `json:"passed"`
	Note   string `json:"note,omitempty"`
}

func (q *outcomeRequest) Validate() error {
	if q.Passed == nil {
		return fmt.Errorf("%w: passed (true or false) is required", register.ErrInvalid)
	}
	return nil
}

func (a *API) decideCPDAudit(r *http.Request, actor register.Actor) (int, any, error) {
	y, err := yearVar(r)
	if err != nil {
		return 0, nil, err
	}
	n, err := regnoVar(r)
	if err != nil {
		return 0, nil, err
	}
	req := &outcomeRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	res, err := a.cpdAudit.Decide(r.Context(), actor, y, n, *req.Passed, req.Note)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, res, nil
}
