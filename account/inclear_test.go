package account_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/account"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/publicregister"
	"github.com/nalw/linkpass/issuer/renewals"
	"github.com/nalw/linkpass/mail"
	"github.com/nalw/linkpass/notify"
)

// TestAccountRefusesPlainHTTPBeyondLoopback: with an http issuer URL that
// is not this machine, every account page says it needs https and no code
// is sent, as the console does.
func TestAccountRefusesPlainHTTPBeyondLoopback(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := issuer.Open(issuer.Config{DataDir: t.TempDir(), Create: true, IssuerURL: "http://register.example.org", Logger: logger})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	outbox := t.TempDir()
	mailer, err := mail.New(mail.Config{From: "register@nalw.example", OutboxDir: outbox, Logger: logger})
	require.NoError(t, err)
	t.Cleanup(func() { mailer.Close() })
	acct, err := account.New(account.Config{State: srv.State, Register: srv, Notify: notify.New(srv, mailer, logger), Renewals: renewals.New(srv),
		Public: publicregister.New(srv.State, srv.Now), IssuerURL: "http://register.example.org", Logger: logger, Now: srv.Now})
	require.NoError(t, err)
	r := mux.NewRouter()
	acct.Register(r)
	for _, req := range []*http.Request{
		httptest.NewRequest(http.MethodGet, account.PathSignIn, nil),
		httptest.NewRequest(http.MethodPost, account.PathSignIn, strings.NewReader("email=a%40example.org")),
	} {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		assert.Equal(t, http.StatusServiceUnavailable, w.Code, req.Method)
		assert.Contains(t, w.Body.String(), "only served over https")
		assert.Empty(t, w.Result().Cookies(), "no session cookie in clear")
	}
	mailer.Close()
	entries, err := readDir(outbox)
	require.NoError(t, err)
	assert.Empty(t, entries, "no code was sent")
}

func readDir(dir string) ([]os.DirEntry, error) { return os.ReadDir(dir) }
