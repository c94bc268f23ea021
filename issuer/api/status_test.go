package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
)

// publishedList issues a credential and returns the path of the status
// list that carries it, once published.
func (f *fixture) publishedList() string {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f.t.Cleanup(cancel)
	go f.srv.Run(ctx)
	r := f.add("Amara", "Nwosu", "")
	_, err := f.srv.IssueCredential(ctx, register.System, r.Number)
	require.NoError(f.t, err)
	require.Eventually(f.t, func() bool { return len(f.srv.PublishedLists()) > 0 }, 15*time.Second, 10*time.Millisecond)
	return "/status/" + f.srv.PublishedLists()[0].ID
}

// rawGet sends GET path with headers, without the client's transparent
// decompression, so that the test sees the bytes as sent.
func (f *fixture) rawGet(path string, header ...string) response {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.ts.URL+path, nil)
	require.NoError(f.t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func TestStatusListIsGzippedWhenTheClientAsks(t *testing.T) {
	f := newFixture(t)
	path := f.publishedList()

	plain := f.rawGet(path)
	require.Equal(t, http.StatusOK, plain.status)
	assert.Empty(t, plain.header.Get("Content-Encoding"))
	assert.Contains(t, plain.header.Values("Vary"), "Accept-Encoding", "caches must key on Accept-Encoding")

	gz := f.rawGet(path, "Accept-Encoding", "br, gzip;q=0.8")
	require.Equal(t, http.StatusOK, gz.status)
	assert.Equal(t, "gzip", gz.header.Get("Content-Encoding"))
	assert.Equal(t, "application/statuslist+jwt", gz.header.Get("Content-Type"))
	assert.Contains(t, gz.header.Values("Vary"), "Accept-Encoding")
	assert.NotEqual(t, plain.header.Get("ETag"), gz.header.Get("ETag"), "each coding has its own strong ETag (RFC 9110 8.8.3)")
	zr, err := gzip.NewReader(bytes.NewReader(gz.body))
	require.NoError(t, err)
	unzipped, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, plain.body, unzipped, "the same token")
	assert.Less(t, len(gz.body), len(plain.body))

	// Refused or absent gzip gets the identity coding.
	for _, ae := range []string{"gzip;q=0", "identity", "br"} {
		res := f.rawGet(path, "Accept-Encoding", ae)
		assert.Empty(t, res.header.Get("Content-Encoding"), ae)
		assert.Equal(t, plain.body, res.body, ae)
	}
	// Either ETag revalidates.
	for _, etag := range []string{plain.header.Get("ETag"), gz.header.Get("ETag")} {
		res := f.rawGet(path, "Accept-Encoding", "gzip", "If-None-Match", etag)
		assert.Equal(t, http.StatusNotModified, res.status)
		assert.Empty(t, res.body)
	}
}

func TestStatusListHistoricalResolutionIs501(t *testing.T) {
	f := newFixture(t)
	path := f.publishedList()
	res := f.get(path+"?time=1767225600", "")
	requireError(t, res, http.StatusNotImplemented, "not_implemented", "time")
	assert.Equal(t, http.StatusOK, f.get(path, "").status)
}

func TestIssuerMetadataIsCacheableWithCORSLikeTheJWKS(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/.well-known/jwt-vc-issuer", "/.well-known/jwks.json"} {
		res := f.get(path, "")
		require.Equal(t, http.StatusOK, res.status, path)
		assert.Equal(t, "*", res.header.Get("Access-Control-Allow-Origin"), path)
		cc := res.header.Get("Cache-Control")
		assert.True(t, strings.HasPrefix(cc, "public, max-age="), "%s: Cache-Control %q", path, cc)
	}
	res := f.get("/.well-known/jwt-vc-issuer", "")
	assert.Equal(t, "application/json", res.header.Get("Content-Type"))
	assert.Equal(t, "http://127.0.0.1:8080", res.json(t)["issuer"])
}

func TestHSTSOnlyWhenTheIssuerURLIsHTTPS(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	for url, want := range map[string]string{
		"https://register.nalw.org.uk": HSTSHeader,
		"HTTPS://register.nalw.org.uk": HSTSHeader,
		"http://127.0.0.1:8080":        "",
	} {
		rec := httptest.NewRecorder()
		HSTS(ok, url).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		assert.Equal(t, want, rec.Header().Get("Strict-Transport-Security"), url)
	}
}
