package route_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/internal/route"
)

func named(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, name) })
}

func TestDirectServesItsPrefixesWithoutTheRouter(t *testing.T) {
	site := mux.NewRouter()
	site.Path("/register").Handler(named("site"))
	site.Path("/v1/verify").Handler(named("site"))
	site.PathPrefix("/static/").Handler(named("site"))
	site.NotFoundHandler = named("not found")
	h, err := route.Direct(site, named("api"), "/v1/registrants", "/status")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/v1/registrants":                 "api",
		"/v1/registrants/LW1000015/cpd":   "api",
		"/status/1":                       "api",
		"/statuses":                       "not found",
		"/register":                       "site",
		"/v1/verify":                      "site",
		"/static/app.css":                 "site",
		"/v1/registrantsX":                "not found",
		"/v1/registrants-and-more/status": "not found",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if got := rec.Body.String(); got != want {
			t.Errorf("%s: served by %s, want %s", path, got, want)
		}
	}
}

func TestDirectRefusesAPrefixARouteMayServe(t *testing.T) {
	for name, add := range map[string]func(r *mux.Router){
		"under it":       func(r *mux.Router) { r.Path("/v1/registrants/export").Handler(named("site")) },
		"the prefix":     func(r *mux.Router) { r.Path("/status").Handler(named("site")) },
		"a variable":     func(r *mux.Router) { r.Path("/v1/{anything}").Handler(named("site")) },
		"a path prefix":  func(r *mux.Router) { r.PathPrefix("/v1/").Handler(named("site")) },
		"no path at all": func(r *mux.Router) { r.Host("register.example.org").Handler(named("site")) },
		"in a subrouter": func(r *mux.Router) { r.PathPrefix("/v1").Subrouter().Path("/registrants/x").Handler(named("site")) },
	} {
		site := mux.NewRouter()
		site.Path("/register").Handler(named("site"))
		add(site)
		if _, err := route.Direct(site, named("api"), "/v1/registrants", "/status"); err == nil {
			t.Errorf("%s: a route the prefixes may shadow was accepted", name)
		}
	}
}
