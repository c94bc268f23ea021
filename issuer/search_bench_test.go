package issuer_test

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nalw/linkpass/internal/loadtest/names"
	"github.com/nalw/linkpass/issuer/api"
)

// BenchmarkPublicSearch is the loadtest's search phase in one process, to
// profile a public name search end to end: a register seeded through the
// import path with the loadtest's names (LINKPASS_BENCH_REGISTRANTS,
// 20,000 by default), searched with the loadtest's queries through the
// API's handler (the same queries in every run, so that runs compare).
// "handler" serves one search at a time into a writer that
// discards the body, so its allocations are the server's alone;
// "http-32" is 32 clients on loopback, as the loadtest drives a server.
func BenchmarkPublicSearch(b *testing.B) {
	n := benchRegistrants(20_000)
	srv := benchOpen(b, filepath.Join(b.TempDir(), "reg"))
	defer srv.Close()
	benchImport(b, srv, n, names.Name)
	h := api.New(srv, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var paths []string
	for _, q := range names.Queries(rand.New(rand.NewPCG(7, 8)), n, 4096) {
		paths = append(paths, "/v1/register?q="+url.QueryEscape(q))
	}

	b.Run("handler", func(b *testing.B) {
		b.ReportAllocs()
		w := &discard{h: http.Header{}}
		var bytes int
		cpu0 := cpuTime()
		for i := 0; b.Loop(); i++ {
			clear(w.h)
			w.status, w.n = 0, 0
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, paths[i%len(paths)], nil))
			if w.status != http.StatusOK {
				b.Fatalf("%s: status %d", paths[i%len(paths)], w.status)
			}
			bytes += w.n
		}
		b.ReportMetric(float64(bytes)/float64(b.N), "body-B/op")
		// The machines are shared: CPU time is steadier than the wall clock.
		b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	})

	b.Run("http-32", func(b *testing.B) {
		ts := httptest.NewServer(h)
		defer ts.Close()
		const clients = 32
		c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
		var next atomic.Int64
		var wg sync.WaitGroup
		var lat latencies
		b.ResetTimer()
		start, cpu0 := time.Now(), cpuTime()
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= int64(b.N) {
						return
					}
					p := paths[i%int64(len(paths))]
					t0 := time.Now()
					resp, err := c.Get(ts.URL + p)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					lat.add(time.Since(t0))
					if resp.StatusCode != http.StatusOK {
						b.Errorf("%s: status %d", p, resp.StatusCode)
						return
					}
				}
			}()
		}
		wg.Wait()
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "searches/s")
		// CPU time (server and clients) per search: unlike the rate, it
		// hardly depends on what else the machine is running.
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/search")
		b.ReportMetric(float64(lat.quantile(0.5).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat.quantile(0.99).Microseconds())/1000, "p99-ms")
	})
}

// discard is a ResponseWriter that keeps the status and counts the body.
type discard struct {
	h      http.Header
	status int
	n      int
}

func (d *discard) Header() http.Header    { return d.h }
func (d *discard) WriteHeader(status int) { d.status = status }
func (d *discard) Write(p []byte) (int, error) {
	if d.status == 0 {
		d.status = http.StatusOK
	}
	d.n += len(p)
	return len(p), nil
}
