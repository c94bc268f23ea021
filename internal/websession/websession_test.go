package websession

import (
	"log/slog"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
)

func TestCookieOverHTTPSIsHostPrefixedAndSecure(t *testing.T) {
	w := httptest.NewRecorder()
	NewCookie("linkpass-account", true).Set(w, "id")
	set := w.Header().Get("Set-Cookie")
	assert.Contains(t, set, "__Host-linkpass-account=id")
	for _, flag := range []string{"Secure", "HttpOnly", "SameSite=Lax", "Path=/"} {
		assert.Contains(t, set, flag)
	}
	assert.NotContains(t, set, "Domain")
	w = httptest.NewRecorder()
	NewCookie("linkpass-account", false).Set(w, "id")
	assert.NotContains(t, w.Header().Get("Set-Cookie"), "Secure", "plain http on loopback cannot carry a Secure cookie")
}

func TestSessionsEndWhenIdleOrTooOldAndOnDelete(t *testing.T) {
	s := NewStore[string](Timeouts{Idle: 30 * time.Minute, Absolute: 2 * time.Hour}, 10)
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	id, err := s.Create("a", t0)
	require.NoError(t, err)
	for i := 1; i <= 3; i++ {
		ss, ok := s.Get(id, t0.Add(time.Duration(i)*29*time.Minute))
		require.True(t, ok, "kept alive by use")
		assert.Equal(t, "a", ss.Data)
		assert.NotEmpty(t, ss.CSRF)
	}
	_, ok := s.Get(id, t0.Add(2*time.Hour))
	assert.False(t, ok, "the absolute timeout ends even a busy session")

	id, _ = s.Create("b", t0)
	_, ok = s.Get(id, t0.Add(31*time.Minute))
	assert.False(t, ok, "idle timeout")
	id, _ = s.Create("c", t0)
	s.Delete(id)
	_, ok = s.Get(id, t0)
	assert.False(t, ok)
	_, ok = s.Get("", t0)
	assert.False(t, ok)
}

func TestStoreIsBounded(t *testing.T) {
	s := NewStore[int](Timeouts{Idle: time.Minute, Absolute: time.Hour}, 2)
	t0 := time.Now()
	s.Create(1, t0)
	s.Create(2, t0)
	_, err := s.Create(3, t0)
	assert.ErrorIs(t, err, ErrFull)
	_, err = s.Create(3, t0.Add(2*time.Minute))
	assert.NoError(t, err, "expired sessions make room")
}

func TestInClear(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://register.example.org": false,
		"http://127.0.0.1:8080":        false,
		"http://localhost:8080":        false,
		"http://[::1]:8080":            false,
		"http://register.example.org":  true,
		"http://10.0.0.5":              true,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := InClear(u); got != want {
			t.Errorf("InClear(%s) = %v, want %v", raw, got, want)
		}
	}
}

func TestSiteURLMustBeAbsolute(t *testing.T) {
	for _, bad := range []string{"", "register.nalw.example", "/console", "https://"} {
		_, err := SiteURL("console", bad)
		assert.ErrorContains(t, err, "console: config: issuer URL", bad)
	}
	u, err := SiteURL("account", "https://register.nalw.example/")
	require.NoError(t, err)
	assert.Equal(t, "https", u.Scheme)
}

func TestDefaultsFillOnlyWhatIsMissing(t *testing.T) {
	var logger *slog.Logger
	name := ""
	Defaults(&logger, &name)
	require.NotNil(t, logger)
	assert.Equal(t, register.DefaultRegisterName, name)

	mine := slog.Default()
	name = "NALW Register (test)"
	logger = mine
	Defaults(&logger, &name)
	assert.Same(t, mine, logger)
	assert.Equal(t, "NALW Register (test)", name)
}
