package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/courses/catalogue"
	"github.com/nalw/linkpass/issuer/register"
)

// The course catalogue: public to read (applicants and employers see
// which courses count), changed by registrars.

// catalogueMaxAge is how long a cache may keep the catalogue: changes are
// rare, and a standing that changes matters from the day, not the second.
const catalogueMaxAge = 300

type coursesResponse struct {
	Courses []courses.Entry `json:"courses"`
}

// cacheable serves a public GET whose answer changes only when the tables
// it reads do: it carries an ETag of their last log index and may be kept
// by caches for catalogueMaxAge seconds.
func (a *API) cacheable(path string, fn func(r *http.Request) (any, error), tables ...string) {
	a.raw(path, func(w http.ResponseWriter, r *http.Request) {
		if err := checkQuery(r); err != nil {
			a.writeError(w, r, err)
			return
		}
		var idx uint64
		for _, t := range tables {
			idx = max(idx, a.srv.State().Index(t))
		}
		body, err := fn(r)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		etag := `"` + strconv.FormatUint(idx, 10) + `"`
		h := w.Header()
		h.Set("ETag", etag)
		h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", catalogueMaxAge))
		h.Set("Vary", "Accept-Encoding")
		if etagMatch(r.Header.Get("If-None-Match"), etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
}

func (a *API) listCourses(r *http.Request) (any, error) {
	q := r.URL.Query()
	f, err := courses.ParseFilter(q.Get("standing"), q.Get("min_level"))
	if err != nil {
		return nil, err
	}
	es, err := courses.Read(a.srv.State(), f)
	if err != nil {
		return nil, err
	}
	return coursesResponse{Courses: es}, nil
}

func (a *API) getCourse(r *http.Request) (any, error) {
	c, err := a.srv.State().Course(mux.Vars(r)["course"])
	if err != nil {
		return nil, err
	}
	p, err := a.srv.State().Provider(c.Provider)
	if err != nil {
		return nil, err
	}
	return courses.Entry{Course: c, ProviderName: p.Name, UKPRN: p.UKPRN, RQFLevel: c.Level.RQF(), Standing: c.Current()}, nil
}

type providersResponse struct {
	Providers []*courses.Provider `json:"providers"`
}

func (a *API) listProviders(*http.Request) (any, error) {
	ps, err := a.srv.State().Providers()
	if err != nil {
		return nil, err
	}
	return providersResponse{Providers: ps}, nil
}

type providerRequest struct{ courses.NewProvider }

func (q *providerRequest) Validate() error { return q.NewProvider.Validate() }

func (a *API) addProvider(r *http.Request, actor register.Actor) (int, any, error) {
	req := &providerRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	res, err := catalogue.New(a.srv).AddProvider(r.Context(), actor, req.NewProvider)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, res, nil
}

type courseRequest struct{ courses.NewCourse }

func (q *courseRequest) Validate() error { return q.NewCourse.Validate() }

func (a *API) addCourse(r *http.Request, actor register.Actor) (int, any, error) {
	req := &courseRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	res, err := catalogue.New(a.srv).AddCourse(r.Context(), actor, req.NewCourse)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, res, nil
}

type standingRequest struct{ courses.StandingChange }

func (q *standingRequest) Validate() error { return q.StandingChange.Validate() }

func (a *API) setStanding(r *http.Request, actor register.Actor) (int, any, error) {
	req := &standingRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	res, err := catalogue.New(a.srv).SetStanding(r.Context(), actor, mux.Vars(r)["course"], req.StandingChange)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, res, nil
}

type criteriaRequest struct{ register.Criteria }

func (q *criteriaRequest) Validate() error { return q.Criteria.Validate() }

func (a *API) setCriteria(r *http.Request, actor register.Actor) (int, any, error) {
	req := &criteriaRequest{}
	if err := decode(r, req); err != nil {
		return 0, nil, err
	}
	res, err := catalogue.New(a.srv).SetCriteria(r.Context(), actor, req.Criteria)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, res, nil
}
