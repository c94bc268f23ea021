package api

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHEADOnEveryGETRoute checks RFC 9110 9.3.2 on every GET route of the
// router: HEAD is routed (not 405) and answers as GET does, with the same
// status and headers and no body.
func TestHEADOnEveryGETRoute(t *testing.T) {
	f := newFixture(t)
	r := f.add("Amara", "Nwosu", "")
	var paths []string
	require.NoError(t, f.api.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, _ := route.GetPathTemplate()
		methods, _ := route.GetMethods()
		if slices.Contains(methods, http.MethodGet) {
			assert.Contains(t, methods, http.MethodHead, "%s is a GET route without HEAD", path)
			paths = append(paths, path)
		}
		return nil
	}))
	require.NotEmpty(t, paths)
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			p := strings.NewReplacer("{regno}", r.Number, "{list}", "no-such-list", "{id}", "0000000000000000").Replace(path)
			if path == "/v1/register" {
				p += "?q=nwosu"
			}
			get := f.get(p, f.admin)
			head := f.request(http.MethodHead, p, f.admin, "", nil)
			require.NotEqual(t, http.StatusMethodNotAllowed, head.status)
			assert.Equal(t, get.status, head.status)
			assert.Empty(t, head.body)
			for _, h := range []string{"Content-Type", "Cache-Control", "Access-Control-Allow-Origin", "ETag"} {
				if h == "ETag" && strings.HasPrefix(path, "/v1/audit") {
					continue
				}
				assert.Equal(t, get.header.Get(h), head.header.Get(h), h)
			}
		})
	}
}
