package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/regno"
)

// PublicEntry is a registrant as the public register shows them: only what
// public protection needs (PSA Standard 8). Restrictions are on the entry
// itself, in their public wording.
type PublicEntry struct {
	RegistrationNumber string        `json:"registration_number"`
	Name               string        `json:"name"`
	Status             string        `json:"status"`
	StatusSince        string        `json:"status_since"`
	SuspendedUntil     register.Date `json:"suspended_until,omitempty"`
	Restrictions       []string      `json:"restrictions"`
	Nation             string        `json:"nation"`
	RegisteredUntil    register.Date `json:"registered_until"`
	Qualifications     []string      `json:"qualifications"`
}

// PublicQualityMark says whether the register holds the PSA Quality Mark.
type PublicQualityMark struct {
	Held      bool          `json:"held"`
	Until     register.Date `json:"until,omitempty"`
	Reference string        `json:"reference,omitempty"`
}

type publicSearchResponse struct {
	Register    string            `json:"register"`
	QualityMark PublicQualityMark `json:"quality_mark"`
	Query       string            `json:"query"`
	Results     []PublicEntry     `json:"results"`
	Truncated   bool              `json:"truncated"`
	CheckedAt   string            `json:"checked_at"`
}

type publicEntryResponse struct {
	Register    string            `json:"register"`
	QualityMark PublicQualityMark `json:"quality_mark"`
	Entry       PublicEntry       `json:"entry"`
	CheckedAt   string            `json:"checked_at"`
}

const maxPublicResults = 50

func (a *API) publicView(r *register.Registrant, now time.Time, s register.Settings) (PublicEntry, bool) {
	if r.Status == register.Removed && now.After(r.StatusChangedAt.AddDate(0, 0, s.RemovedVisibleDays)) {
		return PublicEntry{}, false
	}
	e := PublicEntry{
		RegistrationNumber: r.Number, Name: r.FullName(), Status: string(r.Status),
		StatusSince: register.DateOf(r.StatusChangedAt).String(), SuspendedUntil: r.SuspendedUntil,
		Restrictions: []string{}, Nation: r.Nation, RegisteredUntil: r.RegisteredUntil, Qualifications: []string{},
	}
	for _, x := range r.Restrictions {
		e.Restrictions = append(e.Restrictions, x.Text)
	}
	for _, q := range r.Qualifications {
		e.Qualifications = append(e.Qualifications, q.Title)
	}
	return e, true
}

func publicQualityMark(s register.Settings, today register.Date) PublicQualityMark {
	if !s.QualityMark.Held(today) {
		return PublicQualityMark{}
	}
	return PublicQualityMark{Held: true, Until: s.QualityMark.Until, Reference: s.QualityMark.Reference}
}

func (a *API) searchRegister(r *http.Request, _ register.Actor) (int, any, error) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) < 2 || len(q) > 100 {
		return 0, nil, fmt.Errorf("%w: q must be a name or registration number of 2 to 100 characters", register.ErrInvalid)
	}
	now := a.srv.Now()
	st := a.srv.State()
	s := st.Settings()
	res := publicSearchResponse{Register: s.RegisterName, QualityMark: publicQualityMark(s, register.DateOf(now)), Query: q, Results: []PublicEntry{}, CheckedAt: now.UTC().Format(time.RFC3339)}
	n, err := regno.Parse(q)
	if errors.Is(err, regno.ErrCheckDigit) {
		return 0, nil, err
	}
	if err == nil {
		if reg, err := st.Registrant(n); err == nil {
			if e, ok := a.publicView(reg, now, s); ok {
				res.Results = append(res.Results, e)
			}
		}
		return http.StatusOK, res, nil
	}
	regs, err := st.Search(q, maxPublicResults+1)
	if err != nil {
		return 0, nil, err
	}
	for _, reg := range regs {
		if len(res.Results) == maxPublicResults {
			res.Truncated = true
			break
		}
		if e, ok := a.publicView(reg, now, s); ok {
			res.Results = append(res.Results, e)
		}
	}
	return http.StatusOK, res, nil
}

func (a *API) getPublicEntry(r *http.Request, _ register.Actor) (int, any, error) {
	n, err := regnoVar(r)
	if err != nil {
		return 0, nil, err
	}
	now := a.srv.Now()
	st := a.srv.State()
	s := st.Settings()
	reg, err := st.Registrant(n)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %s is not on the register", register.ErrNotFound, n)
	}
	e, ok := a.publicView(reg, now, s)
	if !ok {
		return 0, nil, fmt.Errorf("%w: %s is not on the register", register.ErrNotFound, n)
	}
	return http.StatusOK, publicEntryResponse{Register: s.RegisterName, QualityMark: publicQualityMark(s, register.DateOf(now)), Entry: e, CheckedAt: now.UTC().Format(time.RFC3339)}, nil
}

func parseRegno(s string) (string, error) { return regno.Parse(s) }
