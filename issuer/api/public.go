package api

import (
	"net/http"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/regno"
)

// The public register endpoints render what publicregister answers; the
// web pages render the same answers as HTML.

func (a *API) searchRegister(r *http.Request, _ register.Actor) (int, any, error) {
	res, err := a.public.Search(r.URL.Query().Get("q"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, &res, nil
}

func (a *API) getPublicEntry(r *http.Request, _ register.Actor) (int, any, error) {
	n, err := regnoVar(r)
	if err != nil {
		return 0, nil, err
	}
	res, err := a.public.Entry(n)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, &res, nil
}

func parseRegno(s string) (string, error) { return regno.Parse(s) }
