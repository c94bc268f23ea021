package issuer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/api"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

func benchOpen(b *testing.B, dir string) *issuer.Server {
	b.Helper()
	return benchOpenConfig(b, issuer.Config{DataDir: dir})
}

// benchOpenConfig is benchOpen with more of the configuration.
func benchOpenConfig(b *testing.B, cfg issuer.Config) *issuer.Server {
	b.Helper()
	cfg.Create, cfg.IssuerURL = true, "https://register.example.org"
	srv, err := issuer.Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return srv
}

// BenchmarkDurableMutationsHTTP measures acknowledged (committed, fsynced)
// registrant additions per second through the HTTP API on one node, with
// many clients as a busy registry office would have.
func BenchmarkDurableMutationsHTTP(b *testing.B) {
	for _, clients := range []int{1, 32} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			srv := benchOpen(b, filepath.Join(b.TempDir(), "reg"))
			defer srv.Close()
			tok, bearer, err := srv.CreateToken(register.System, register.RoleRegistrar, "bench")
			if err != nil || tok == nil {
				b.Fatal(err)
			}
			ts := httptest.NewServer(api.New(srv, slog.New(slog.NewTextHandler(io.Discard, nil))))
			defer ts.Close()
			tr := &http.Transport{MaxIdleConnsPerHost: clients}
			c := &http.Client{Transport: tr}
			var n atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := 0; w < clients; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for {
						i := n.Add(1)
						if i > int64(b.N) {
							return
						}
						body, _ := json.Marshal(map[string]string{"given_name": "Bench", "family_name": fmt.Sprintf("Person%d", i), "nation": "england"})
						req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/registrants", bytes.NewReader(body))
						req.Header.Set("Authorization", "Bearer "+bearer)
						resp, err := c.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusCreated {
							b.Errorf("status %d", resp.StatusCode)
							return
						}
					}
				}(w)
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "mutations/s")
		})
	}
}

// BenchmarkRestartToReady measures opening a register of 100,000
// registrants and 200,000 audit events until it is ready to serve: restore
// the latest snapshot, replay the log after it, elect, catch up.
func BenchmarkRestartToReady(b *testing.B) {
	const registrants = 100_000
	dir := filepath.Join(b.TempDir(), "reg")
	srv := benchOpen(b, dir)
	// Fill through the log, concurrently so Raft batches the fsyncs.
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > registrants {
					return
				}
				res, err := srv.Apply(context.Background(), register.System, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{
					Given: "Restart", Family: fmt.Sprintf("Person%06d", i), Nation: "scotland", Email: fmt.Sprintf("p%d@example.org", i)}})
				if err != nil {
					b.Error(err)
					return
				}
				n := res.(fsm.Result).Registrant.Number
				q := register.Qualification{Title: "Level 4 Certificate in Social Prescribing", Level: 4, Provider: "University of Westminster", Accreditation: "nalw-accredited", Awarded: "2023-07-14"}
				if _, err := srv.Apply(context.Background(), register.System, fsm.ChangeRegistrant{Number: n, Op: fsm.OpQualification, Qualification: &q}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if b.Failed() {
		return
	}
	if got := len(mustAudit(b, srv)); got < 2*registrants {
		b.Fatalf("only %d audit events", got)
	}
	if err := srv.Snapshot(); err != nil {
		b.Fatal(err)
	}
	// Leave a tail of changes after the snapshot, as a real restart has.
	for i := 0; i < 500; i++ {
		if _, err := srv.Apply(context.Background(), register.System, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "Tail", Family: "Person", Nation: "wales"}}); err != nil {
			b.Fatal(err)
		}
	}
	srv.Close()
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		s := benchOpen(b, dir)
		total += time.Since(start)
		if got := len(mustRegistrants(b, s)); got != registrants+500 {
			b.Fatalf("restarted with %d registrants", got)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/restart")
}

func mustAudit(b *testing.B, srv *issuer.Server) []*register.AuditEvent {
	evs, err := srv.State().Audit(stateAll)
	if err != nil {
		b.Fatal(err)
	}
	return evs
}

func mustRegistrants(b *testing.B, srv *issuer.Server) []*register.Registrant {
	regs, err := srv.State().Registrants("")
	if err != nil {
		b.Fatal(err)
	}
	return regs
}
