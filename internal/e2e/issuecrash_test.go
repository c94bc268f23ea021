package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
)

// statusOf reads the status list entry of a credential the test itself
// received from the register (no verification needed for this check).
func statusOf(t *testing.T, jwt string) (uri string, idx uint64, jti string) {
	t.Helper()
	parts := strings.Split(jwt, ".")
	require.Len(t, parts, 3)
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var c struct {
		Jti    string `json:"jti"`
		Status struct {
			StatusList struct {
				Idx uint64 `json:"idx"`
				URI string `json:"uri"`
			} `json:"status_list"`
		} `json:"status"`
	}
	require.NoError(t, json.Unmarshal(b, &c))
	return c.Status.StatusList.URI, c.Status.StatusList.Idx, c.Jti
}

// TestCrashDuringIssuanceNeverSharesAStatusEntry issues credentials from
// many clients at once, kills the register with SIGKILL mid-stream, and
// checks after restart that every credential a client received has its
// record with the same status entry, and that no two credentials share an
// entry, over several rounds.
func TestCrashDuringIssuanceNeverSharesAStatusEntry(t *testing.T) {
	data := filepath.Join(t.TempDir(), "reg")
	type got struct{ uri, jti string }
	received := map[string]got{} // "uri#idx" -> credential that was handed out
	var mu sync.Mutex
	const rounds, workers = 3, 8
	for round := 0; round < rounds; round++ {
		s := startServer(t, data, "--issuer-url", "https://register.example.org")
		var regs []string
		for i := 0; i < workers; i++ {
			var r register.Registrant
			s.runJSON(t, 0, &r, "registrant", "add", "--given", fmt.Sprintf("Issue%d", round), "--family", fmt.Sprintf("Crash%d", i), "--nation", "england")
			regs = append(regs, r.Number)
		}
		var acks atomic.Int64
		var wg sync.WaitGroup
		client := &http.Client{Timeout: 10 * time.Second}
		for _, n := range regs {
			wg.Add(1)
			go func(n string) {
				defer wg.Done()
				for {
					var res struct {
						JWT string `json:"jwt"`
					}
					if !post(client, s, "/v1/registrants/"+n+"/credentials", map[string]string{}, &res) {
						return
					}
					uri, idx, jti := statusOf(t, res.JWT)
					key := fmt.Sprintf("%s#%d", uri, idx)
					mu.Lock()
					prev, dup := received[key]
					received[key] = got{uri, jti}
					mu.Unlock()
					if dup {
						t.Errorf("status entry %s handed out twice: %s and %s", key, prev.jti, jti)
						return
					}
					acks.Add(1)
				}
			}(n)
		}
		waitFor(t, 60*time.Second, func() bool { return !(acks.Load() < int64(40+round*13)) }, "enough acknowledged changes before the kill")
		s.kill()
		wg.Wait()
		t.Logf("round %d: killed after %d credentials issued", round, acks.Load())
	}
	s := startServer(t, data)
	// Every credential handed out has its record, with the same entry.
	records := map[string]string{} // "uri#idx" -> jti, from the register
	regs, err := s.registrants()
	require.NoError(t, err)
	for _, n := range regs {
		var res struct {
			Credentials []register.IssuedCredential `json:"credentials"`
		}
		s.runJSON(t, 0, &res, "credential", "list", n)
		for _, c := range res.Credentials {
			key := fmt.Sprintf("https://register.example.org/status/%s#%d", c.List, c.Idx)
			prev, dup := records[key]
			require.False(t, dup, "two records share entry %s: %s and %s", key, prev, c.JTI)
			records[key] = c.JTI
		}
	}
	for key, g := range received {
		assert.Equal(t, g.jti, records[key], "credential %s (entry %s) was handed out but has no record after the crash", g.jti, key)
	}
}

// registrants lists every registration number through the CLI.
func (s *server) registrants() ([]string, error) {
	var res struct {
		Registrants []register.Registrant `json:"registrants"`
	}
	s.runJSON(s.t, 0, &res, "registrant", "list")
	var out []string
	for _, r := range res.Registrants {
		out = append(out, r.Number)
	}
	return out, nil
}
