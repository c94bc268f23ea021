package trustbundle

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteFileThenReadFile(t *testing.T) {
	f := newFixture(t, entries, testNow)
	path := filepath.Join(t.TempDir(), "bundle.json")
	data := marshal(t, f.bundle)
	require.NoError(t, WriteFile(path, data))

	fi, err := os.Stat(path)
	require.NoError(t, err)
	if runtime.GOOS != "windows" {
		assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, data, got)

	b, err := ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, f.bundle.StatusLists, b.StatusLists)

	// Replacing leaves no temporary file behind.
	require.NoError(t, WriteFile(path, data))
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1)
}

func TestReadFileRefusesAFileOthersMayChange(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	f := newFixture(t, nil, testNow)
	path := filepath.Join(t.TempDir(), "bundle.json")
	require.NoError(t, WriteFile(path, marshal(t, f.bundle)))

	for _, mode := range []os.FileMode{0o666, 0o664, 0o646} {
		require.NoError(t, os.Chmod(path, mode))
		_, err := ReadFile(path)
		assert.ErrorIs(t, err, ErrInsecureFile, "mode %v", mode)
	}
	require.NoError(t, os.Chmod(path, 0o600))
	_, err := ReadFile(path)
	assert.NoError(t, err)

	_, err = ReadFile(filepath.Dir(path))
	assert.ErrorIs(t, err, ErrInsecureFile, "a directory is not a bundle")
}

func TestReadFileRefusesAnOversizedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bundle.json")
	require.NoError(t, WriteFile(path, []byte(strings.Repeat(" ", MaxSize+1))))
	_, err := ReadFile(path)
	assert.ErrorIs(t, err, ErrTooLarge)
}

// bundleServer serves data as the trust bundle of its own URL, over TLS
// on 127.0.0.1.
func bundleServer(t *testing.T, contentType string, data func(issuer string) []byte) (*httptest.Server, *atomic.Int32) {
	var requests atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path != Path {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(data(srv.URL))
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

// bundleFor is f's bundle moved to issuer.
func bundleFor(t *testing.T, f *fixture, issuer string) []byte {
	b := *f.bundle
	b.Issuer = issuer
	b.Statement = f.sign(t, f.statement(t, func(st *Statement) { st.Issuer, st.Metadata.Issuer = issuer, issuer }))
	b.StatusLists = []StatusList{{URI: issuer + "/status/1", Token: f.bundle.StatusLists[0].Token}}
	return marshal(t, &b)
}

func TestFetchDownloadsAndParsesTheIssuersBundle(t *testing.T) {
	f := newFixture(t, nil, testNow)
	srv, _ := bundleServer(t, MediaType, func(issuer string) []byte { return bundleFor(t, f, issuer) })

	b, data, err := Fetch(t.Context(), srv.URL, WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	assert.Equal(t, srv.URL, b.Issuer)
	assert.Equal(t, bundleFor(t, f, srv.URL), data, "the bytes exactly as served")
}

func TestFetchRefuses(t *testing.T) {
	f := newFixture(t, nil, testNow)

	t.Run("a bundle of another issuer", func(t *testing.T) {
		srv, _ := bundleServer(t, MediaType, func(string) []byte { return marshal(t, f.bundle) })
		_, _, err := Fetch(t.Context(), srv.URL, WithHTTPClient(srv.Client()))
		assert.ErrorIs(t, err, ErrIssuerMismatch)
	})
	t.Run("the wrong content type", func(t *testing.T) {
		srv, _ := bundleServer(t, "text/html", func(issuer string) []byte { return bundleFor(t, f, issuer) })
		_, _, err := Fetch(t.Context(), srv.URL, WithHTTPClient(srv.Client()))
		assert.ErrorIs(t, err, ErrFetch)
	})
	t.Run("a malformed bundle", func(t *testing.T) {
		srv, _ := bundleServer(t, MediaType, func(string) []byte { return []byte(`{"format":1,"format":1}`) })
		_, _, err := Fetch(t.Context(), srv.URL, WithHTTPClient(srv.Client()))
		assert.ErrorIs(t, err, ErrMalformed)
	})
	t.Run("plain HTTP, without asking for it", func(t *testing.T) {
		var requests atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }))
		t.Cleanup(srv.Close)
		_, _, err := Fetch(t.Context(), srv.URL)
		assert.ErrorIs(t, err, ErrFetch)
		assert.Zero(t, requests.Load())
	})
	t.Run("an issuer URL with a path trick", func(t *testing.T) {
		_, _, err := Fetch(t.Context(), "https://register.nalw.org.uk/?x=1")
		assert.ErrorIs(t, err, ErrInvalid)
	})
}

func TestFetchOverPlainHTTPWhenAskedTo(t *testing.T) {
	f := newFixture(t, nil, testNow)
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", MediaType)
		_, _ = w.Write(bundleFor(t, f, srv.URL))
	}))
	t.Cleanup(srv.Close)
	b, _, err := Fetch(t.Context(), srv.URL, WithInsecurePlainHTTP())
	require.NoError(t, err)
	assert.Equal(t, srv.URL, b.Issuer)
}

// TestFetchFromAnotherAddressStillRequiresTheStatedIssuer checks
// WithSource: a register reached at an internal address serves the bundle
// of its public issuer URL, and the caller's stated issuer decides.
func TestFetchFromAnotherAddressStillRequiresTheStatedIssuer(t *testing.T) {
	f := newFixture(t, nil, testNow)
	const public = "https://register.nalw.org.uk"
	srv, requests := bundleServer(t, MediaType, func(string) []byte { return bundleFor(t, f, public) })

	b, _, err := Fetch(t.Context(), public, WithSource(srv.URL), WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	assert.Equal(t, public, b.Issuer)
	assert.Equal(t, int32(1), requests.Load(), "fetched from the source, not the issuer URL")

	_, _, err = Fetch(t.Context(), "https://other.example.org", WithSource(srv.URL), WithHTTPClient(srv.Client()))
	assert.ErrorIs(t, err, ErrIssuerMismatch, "the bundle must name the issuer the caller trusts")
	_, _, err = Fetch(t.Context(), public, WithSource("http://127.0.0.1:1"), WithHTTPClient(srv.Client()))
	assert.ErrorIs(t, err, ErrFetch, "plain HTTP sources need asking for, like issuers")
}
