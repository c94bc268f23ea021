package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
)

// lifeSteps is what each crash-test worker does to each of its registrants,
// in order, after adding them.
var lifeSteps = []struct {
	op     string
	body   map[string]string
	action string
	status register.Status
}{
	{"suspend", map[string]string{"reason": "interim order"}, "registrant.suspend", register.Suspended},
	{"reinstate", map[string]string{"reason": "order lifted"}, "registrant.reinstate", register.Registered},
	{"restrict", map[string]string{"text": "Supervised practice only.", "reason": "panel"}, "registrant.restrict", register.Registered},
	{"unrestrict", map[string]string{"reason": "review"}, "registrant.unrestrict", register.Registered},
	{"remove", map[string]string{"reason": "struck off"}, "registrant.remove", register.Removed},
}

// tracked is what the crash test knows about one registrant: how many of
// its changes were acknowledged, and whether one more was in flight when
// the server died.
type tracked struct {
	number   string
	acked    int // 0 = only added; k = lifeSteps[:k] acknowledged
	inFlight bool
}

// TestCrashLosesNoAcknowledgedChange kills the server with SIGKILL in the
// middle of many concurrent changes, restarts it, and checks that every
// acknowledged change is there with its audit events, over several rounds
// on the same data directory.
func TestCrashLosesNoAcknowledgedChange(t *testing.T) {
	data := filepath.Join(t.TempDir(), "reg")
	var all []*tracked
	const rounds, workers, acksBeforeKill = 3, 8, 150
	for round := 0; round < rounds; round++ {
		s := startServer(t, data)
		if round == 0 {
			s.solo(t)
		}
		// Everything from earlier rounds survived the previous kill.
		verifyTracked(t, s, all)

		var acks atomic.Int64
		var mu sync.Mutex
		stop := make(chan struct{})
		var wg sync.WaitGroup
		client := &http.Client{Timeout: 10 * time.Second}
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					var r register.Registrant
					ok := post(client, s, "/v1/registrants", map[string]string{
						"given_name": fmt.Sprintf("Crash%d", round), "family_name": fmt.Sprintf("Worker%d-%d", w, i), "nation": "england",
					}, &r)
					if !ok {
						return // the server is gone; an unacknowledged add leaves nothing to check
					}
					acks.Add(1)
					tr := &tracked{number: r.Number}
					mu.Lock()
					all = append(all, tr)
					mu.Unlock()
					for _, st := range lifeSteps {
						mu.Lock()
						tr.inFlight = true
						mu.Unlock()
						body := maps.Clone(st.body)
						if st.op == "remove" {
							body["registration_number"] = r.Number
						}
						ok := post(client, s, "/v1/registrants/"+r.Number+"/"+st.op, body, nil)
						mu.Lock()
						if ok {
							tr.acked++
							tr.inFlight = false
						}
						mu.Unlock()
						if !ok {
							return
						}
						acks.Add(1)
					}
				}
			}(w)
		}
		waitFor(t, 60*time.Second, func() bool { return !(acks.Load() < acksBeforeKill+int64(round*37)) }, "enough acknowledged changes before the kill")
		s.kill()
		close(stop)
		wg.Wait()
		t.Logf("round %d: killed after %d acknowledged changes (%d registrants so far)", round, acks.Load(), len(all))
	}
	s := startServer(t, data)
	verifyTracked(t, s, all)
}

// post sends one change; it reports whether the server acknowledged it.
func post(c *http.Client, s *server, path string, body any, out any) bool {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.URL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return false
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out) == nil
	}
	return true
}

func verifyTracked(t *testing.T, s *server, all []*tracked) {
	t.Helper()
	for _, tr := range all {
		var r register.Registrant
		s.runJSON(t, 0, &r, "registrant", "show", tr.number)
		var a struct {
			Events []register.AuditEvent `json:"events"`
		}
		s.runJSON(t, 0, &a, "audit", "list", "--registrant", tr.number)
		// The change in flight at the crash may or may not have landed.
		applied := len(a.Events) - 1
		require.GreaterOrEqual(t, applied, tr.acked, "%s: acknowledged changes missing from the audit trail", tr.number)
		maxApplied := tr.acked
		if tr.inFlight {
			maxApplied++
		}
		require.LessOrEqual(t, applied, maxApplied, "%s: more changes than were ever sent", tr.number)
		require.Equal(t, "registrant.add", a.Events[0].Action)
		want := register.Registered
		for i := 0; i < applied; i++ {
			assert.Equal(t, lifeSteps[i].action, a.Events[i+1].Action, "%s event %d", tr.number, i+1)
			want = lifeSteps[i].status
		}
		assert.Equal(t, want, r.Status, "%s: state and audit trail disagree", tr.number)
		// What landed is now known; later rounds require it.
		tr.acked, tr.inFlight = applied, false
	}
}
