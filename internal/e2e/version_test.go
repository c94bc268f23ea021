package e2e

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVersionIsTheSameEverywhere: `linkpass --version`, the public
// GET /v1/version and the start-up log name the same build.
func TestVersionIsTheSameEverywhere(t *testing.T) {
	r := runCLI(t, nil, "", "--version")
	require.Equal(t, 0, r.code, r.stderr)
	require.True(t, strings.HasPrefix(r.stdout, "linkpass "), r.stdout)

	s := startServer(t, filepath.Join(t.TempDir(), "reg"))
	resp, err := http.Get(s.URL + "/v1/version")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var v struct {
		Version string `json:"version"`
		Commit  string `json:"commit"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	require.NotEmpty(t, v.Version)
	require.NotEmpty(t, v.Commit)
	assert.Contains(t, r.stdout, v.Version+" (commit "+v.Commit)
	assert.Contains(t, s.stderr.String(), "version="+v.Version)
	assert.Contains(t, s.stderr.String(), "commit="+v.Commit)
}
