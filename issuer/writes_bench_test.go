package issuer_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/api"
	"github.com/nalw/linkpass/issuer/bulkimport"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/regno"
)

// BenchmarkWritesMix is the loadtest's writes phase in one process, to
// profile: a register seeded through the import path
// (LINKPASS_BENCH_REGISTRANTS, 20,000 by default, and at least one for
// every two writes) and snapshotted, then 32 clients that
// issue a credential and record CPD for registrant after registrant through
// the HTTP API. Each issue waits, as it must, until the served status lists
// carry the new credential. LINKPASS_BENCH_CPUPROFILE names a file for a
// CPU profile of the writes alone.
//
// "first" issues each registrant's first credential, as the loadtest on a
// fresh register does; "reissue" issues each a second one, superseding the
// first, so that every issue also revokes a credential in the status lists
// (as the loadtest does on a register kept from an earlier run).
func BenchmarkWritesMix(b *testing.B) {
	b.Run("first", func(b *testing.B) { writesMix(b, false) })
	b.Run("reissue", func(b *testing.B) { writesMix(b, true) })
}

func writesMix(b *testing.B, reissue bool) {
	n := benchRegistrants(20_000)
	// Every registrant is written once.
	n = max(n, (b.N+1)/2)
	// Few trailing log entries, so that the snapshot after the seeding
	// compacts the import out of the log, as the first snapshot of a
	// register after an import does: the log then holds many free pages.
	srv, err := issuer.Open(issuer.Config{DataDir: filepath.Join(b.TempDir(), "reg"), Create: true, IssuerURL: "https://register.example.org", TrailingLogs: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	benchImport(b, srv, n, func(i int) (string, string) { return "Siân", fmt.Sprintf("Evans-%d", i) })
	if err := srv.Snapshot(); err != nil {
		b.Fatal(err)
	}
	_, bearer, err := srv.CreateToken(register.System, register.RoleRegistrar, "bench")
	if err != nil {
		b.Fatal(err)
	}
	const clients = 32
	if reissue {
		issueFirst(b, srv, (b.N+1)/2, clients)
	}
	ts := httptest.NewServer(api.New(srv, slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer ts.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	c := &http.Client{Transport: tr}
	var next atomic.Int64
	var wg sync.WaitGroup
	var p99, issues, cpds latencies
	b.ResetTimer()
	// -test.cpuprofile would include the seeding; this profiles only the
	// writes.
	defer profileCPU(b)()
	start, cpu0 := time.Now(), cpuTime()
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				num := regno.Format(regno.FirstSerial + uint64(i/2))
				path, body, want := "/v1/registrants/"+num+"/credentials", "", http.StatusCreated
				if i%2 == 1 {
					path, body, want = "/v1/registrants/"+num+"/cpd", `{"year":2026,"hours":21,"formal_hours":11}`, http.StatusOK
				}
				req, _ := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+bearer)
				if body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				t0 := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				msg, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				p99.add(time.Since(t0))
				if i%2 == 1 {
					cpds.add(time.Since(t0))
				} else {
					issues.add(time.Since(t0))
				}
				if resp.StatusCode != want {
					b.Errorf("%s: status %d: %s", path, resp.StatusCode, msg)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
	// CPU time (server and clients) per write: unlike the rate, it hardly
	// depends on what else the machine is running.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/write")
	b.ReportMetric(float64(p99.quantile(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(issues.quantile(0.5).Microseconds())/1000, "issue-p50-ms")
	b.ReportMetric(float64(cpds.quantile(0.5).Microseconds())/1000, "cpd-p50-ms")
}

// profileCPU starts a CPU profile into the file LINKPASS_BENCH_CPUPROFILE
// names, if any, and returns what stops it.
func profileCPU(b *testing.B) (stop func()) {
	path := os.Getenv("LINKPASS_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// issueFirst issues a credential to each of the first n registrants,
// with as many issuing at once as clients.
func issueFirst(b *testing.B, srv *issuer.Server, n, clients int) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				if _, err := srv.IssueCredential(context.Background(), register.System, regno.Format(regno.FirstSerial+uint64(i))); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// benchImport seeds srv through the import path with n registrants as the
// loadtest's CSV has them (two qualifications each), registrant i named
// name(i).
func benchImport(b *testing.B, srv *issuer.Server, n int, name func(i int) (given, family string)) {
	b.Helper()
	recs := make([]register.Imported, n)
	for i := range recs {
		g, f := name(i)
		recs[i] = register.Imported{Line: i + 2, ExternalRef: fmt.Sprintf("OLD-%07d", i), Given: g, Family: f,
			Nation: "wales", Email: fmt.Sprintf("p%d@example.org", i), RegisteredFrom: "2020-04-01", RegisteredUntil: "2099-03-31", Status: register.Registered,
			Qualifications: []register.Qualification{
				{Title: "Level 4 Certificate in Social Prescribing", Level: 4, Provider: "University of Westminster", Accreditation: "nalw-accredited", Awarded: "2019-07-14"},
				{Title: "Mental Health First Aid", Level: 2, Provider: "MHFA England", Accreditation: "other", Awarded: "2021-02-11"},
			}}
	}
	for start := 0; start < n; start += bulkimport.MaxRecords {
		if _, err := bulkimport.Import(context.Background(), srv, register.System, recs[start:min(n, start+bulkimport.MaxRecords)], bulkimport.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) quantile(q float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), l.d...)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchRegistrants is the size of register a benchmark seeds:
// LINKPASS_BENCH_REGISTRANTS, or def.
func benchRegistrants(def int) int {
	if v, err := strconv.Atoi(os.Getenv("LINKPASS_BENCH_REGISTRANTS")); err == nil && v > 0 {
		return v
	}
	return def
}
