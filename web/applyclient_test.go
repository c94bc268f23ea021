package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/internal/verdict"
	"github.com/nalw/linkpass/issuer/publicregister"
)

type codeRecorder struct{ clients []string }

func (c *codeRecorder) SendCode(_ context.Context, _, client string) error {
	c.clients = append(c.clients, client)
	return nil
}

func (c *codeRecorder) Submit(context.Context, applications.New, string) (*applications.Application, error) {
	return nil, nil
}

// TestApplyCodesAreLimitedPerRealClient: behind the operator's proxy, the
// code limit counts the applicant named by the trusted proxy header, not
// the proxy, or every applicant would share one limit.
func TestApplyCodesAreLimitedPerRealClient(t *testing.T) {
	for name, tc := range map[string]struct {
		client func(*http.Request) netip.Addr
		want   string
	}{
		"through the trusted proxy": {func(r *http.Request) netip.Addr { return netip.MustParseAddr(r.Header.Get("X-Forwarded-For")) }, "198.51.100.7"},
		"no proxy configured":       {nil, "192.0.2.1"},
	} {
		t.Run(name, func(t *testing.T) {
			rec := &codeRecorder{}
			s, err := New(Config{Mode: RegisterMode, Verify: func(context.Context, string) verdict.Verdict { return verdict.Verdict{} }, Register: publicregister.New(nil, nil), Applying: rec, Client: tc.client})
			require.NoError(t, err)
			r := mux.NewRouter()
			s.Register(r)
			req := httptest.NewRequest(http.MethodPost, "/apply/code", strings.NewReader(url.Values{"email": {"sian@example.org"}}.Encode()))
			req.RemoteAddr = "192.0.2.1:4444"
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", "198.51.100.7")
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			require.Equal(t, []string{tc.want}, rec.clients, "status %d: %s", w.Code, w.Body.String())
			assert.Less(t, w.Code, 500)
		})
	}
}
