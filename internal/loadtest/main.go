// Command loadtest measures the register at scale: it builds linkpass, runs
// a real `linkpass serve` on loopback, seeds it through the import path
// (`linkpass registrant import`), and drives it with concurrent clients.
// Every phase is bounded in time and requests, and the server is stopped
// by its process id at the end.
//
//	go run ./internal/loadtest -registrants 1000000 -mix 1000000
//
// It prints one line per figure; docs/operator-guide.md (Performance)
// quotes the figures and the targets.
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nalw/linkpass/internal/loadtest/names"
	"github.com/nalw/linkpass/regno"
)

type config struct {
	registrants int
	mix         int
	mixFrom     int
	clients     int
	duration    time.Duration
	maxRequests int
	binary      string
	keep        string
	replay      bool
	phases      string
	searchRate  float64
	warmup      time.Duration
}

func main() {
	var c config
	flag.IntVar(&c.registrants, "registrants", 100_000, "registrants to import")
	flag.IntVar(&c.mix, "mix", 0, "registrants that also get a credential and a CPD record (2 more writes, 2 more audit events each); -1 for all")
	flag.IntVar(&c.mixFrom, "mix-from", 0, "the first registrant (counting from 0) the mix writes to: a register kept with -data already holds the mix's credentials from before, and issuing again supersedes them, another workload")
	flag.IntVar(&c.clients, "clients", 32, "concurrent clients in each load phase")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "length of each read phase")
	flag.IntVar(&c.maxRequests, "max-requests", 2_000_000, "upper bound on requests of each phase")
	flag.StringVar(&c.binary, "linkpass", "", "linkpass binary (default: build ./cmd/linkpass)")
	flag.StringVar(&c.keep, "data", "", "data directory to use and keep (default: a temporary one, removed)")
	flag.BoolVar(&c.replay, "replay", true, "also measure a restart after kill -9 at the end of an import through the API into a new register, before the import's closing snapshot")
	flag.StringVar(&c.phases, "phases", "import,mix,search,entry,rss,restart", "phases to run, in order (also: replay, which restart runs unless -replay=false)")
	flag.DurationVar(&c.warmup, "warmup", 3*time.Second, "load, not counted, before each read phase's figures: a start's own work (collecting the restore's garbage, the first lapse check) is over by then, as it is on a register that has been serving a while")
	flag.Float64Var(&c.searchRate, "search-rate", 3000, "after the search phase's run as fast as the clients go, a second run at this many searches a second, offered on a fixed schedule whatever the answers' speed (each latency counted from when its request was due, so a server falling behind is charged for the wait); 0 for none")
	flag.IntVar(&searchConcurrency, "search-concurrency", 0, "serve's --search-concurrency: the most searches it serves at once, the others waiting their turn (0: no limit; serve's own default is the number of cores)")
	logPath := flag.String("server-log", "", "file to copy the servers' standard error to: their logs and the collector's trace")
	flag.Parse()
	if *logPath != "" {
		f, err := os.Create(*logPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
			os.Exit(1)
		}
		defer f.Close()
		serverLog = f
	}
	if c.mix < 0 {
		c.mix = c.registrants
	}
	if c.mixFrom < 0 || c.mixFrom+c.mix > c.registrants {
		fmt.Fprintf(os.Stderr, "loadtest: -mix-from %d and -mix %d write past the %d registrants; lower them\n", c.mixFrom, c.mix, c.registrants)
		os.Exit(2)
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// searchConcurrency is serve's --search-concurrency.
var searchConcurrency int

// serverLog, if not nil, gets a copy of every server's standard error.
var serverLog io.Writer

func run(c config) error {
	tmp, err := os.MkdirTemp("", "linkpass-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if c.binary == "" {
		c.binary = filepath.Join(tmp, "linkpass")
		out, err := exec.Command("go", "build", "-o", c.binary, "./cmd/linkpass").CombinedOutput()
		if err != nil {
			return fmt.Errorf("building linkpass (run from the module root): %v\n%s", err, out)
		}
	}
	data := c.keep
	if data == "" {
		data = filepath.Join(tmp, "data")
	}
	csvPath := filepath.Join(tmp, "import.csv")
	if err := writeCSV(csvPath, c.registrants, 0); err != nil {
		return err
	}
	srv, err := start(c.binary, data)
	if err != nil {
		return err
	}
	defer srv.kill()
	report("start (empty)", "%.2f s to ready", srv.ready.Seconds())

	for _, phase := range strings.Split(c.phases, ",") {
		switch phase {
		case "import":
			t0 := time.Now()
			out, err := exec.Command(c.binary, "registrant", "import", csvPath, "--server", srv.url, "--token", srv.token).CombinedOutput()
			if err != nil {
				return fmt.Errorf("import: %v\n%s", err, out)
			}
			d := time.Since(t0)
			report("import (CLI, dry-run check + apply + snapshot)", "%d rows in %.1f s (%.0f rows/s)", c.registrants, d.Seconds(), float64(c.registrants)/d.Seconds())
		case "mix":
			if c.mix == 0 {
				continue
			}
			cpu0 := srv.cpu()
			res := load(c.clients, 2*c.mix, time.Hour, 0, func(cl *http.Client, i int) error {
				n := regno.Format(regno.FirstSerial + uint64(c.mixFrom+i/2))
				if i%2 == 0 {
					return expect(cl, srv.req(http.MethodPost, "/v1/registrants/"+n+"/credentials", ""), http.StatusCreated)
				}
				return expect(cl, srv.req(http.MethodPost, "/v1/registrants/"+n+"/cpd", `{"year":2026,"hours":21,"formal_hours":11}`), http.StatusOK)
			})
			report("writes (credential issue + CPD, 32 clients)", "%s; server CPU %.0f µs a write", res, float64((srv.cpu()-cpu0).Microseconds())/float64(res.n))
		case "search":
			queries := names.Queries(rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), c.registrants, 4096)
			search := func(cl *http.Client, i int) error {
				return expect(cl, srv.get("/v1/register?q="+urlQuery(queries[i%len(queries)])), http.StatusOK)
			}
			load(c.clients, c.maxRequests, c.warmup, 0, search)
			readPhase(srv, "name search (public, 32 clients)", func() result {
				return load(c.clients, c.maxRequests, c.duration, 0, search)
			})
			if c.searchRate > 0 {
				readPhase(srv, fmt.Sprintf("name search (32 clients, %.0f/s offered)", c.searchRate), func() result {
					return load(c.clients, c.maxRequests, c.duration, c.searchRate, search)
				})
			}
		case "entry":
			entry := func(cl *http.Client, i int) error {
				n := regno.Format(regno.FirstSerial + uint64(rand.IntN(c.registrants)))
				return expect(cl, srv.get("/v1/register/"+n), http.StatusOK)
			}
			load(c.clients, c.maxRequests, c.warmup, 0, entry)
			readPhase(srv, "entry by number (public, 32 clients)", func() result {
				return load(c.clients, c.maxRequests, c.duration, 0, entry)
			})
		case "rss":
			time.Sleep(2 * time.Second)
			rss, hwm := srv.rss()
			report("memory", "RSS %d MB (peak %d MB): %.2f KB per registrant", rss>>20, hwm>>20, float64(rss)/1024/float64(c.registrants))
		case "restart":
			// A crash first: whatever was written since the last snapshot
			// is replayed from the log.
			srv.kill()
			if srv, err = start(c.binary, data); err != nil {
				return err
			}
			report("restart after kill -9", "%.2f s to ready: %s", srv.ready.Seconds(), srv.opened())
			if err := srv.stop(); err != nil {
				return err
			}
			if srv, err = start(c.binary, data); err != nil {
				return err
			}
			report("restart after graceful stop (snapshot)", "%.2f s to ready: %s", srv.ready.Seconds(), srv.opened())
			if c.replay {
				if err := measureReplay(c, c.binary, tmp); err != nil {
					return err
				}
			}
		case "replay":
			if err := measureReplay(c, c.binary, tmp); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown phase %q", phase)
		}
	}
	return srv.stop()
}

// measureReplay imports the registrants through the API into a new
// register, without asking for the closing snapshot, kills the server as
// the last batch is acknowledged, and times the restart: a crash at the
// end of a bulk import. Whatever the register has not snapshotted of the
// import by then is replayed from the log.
func measureReplay(c config, binary, tmp string) error {
	path := filepath.Join(tmp, "import.csv")
	data := filepath.Join(tmp, "replay-data")
	defer os.RemoveAll(data)
	srv, err := start(binary, data)
	if err != nil {
		return err
	}
	defer srv.kill()
	t0 := time.Now()
	if err := importViaAPI(srv, path); err != nil {
		return err
	}
	report("import (API into a new register, no closing snapshot)", "%d rows in %.1f s", c.registrants, time.Since(t0).Seconds())
	srv.kill()
	s2, err := start(binary, data)
	if err != nil {
		return err
	}
	defer s2.kill()
	report("restart after kill -9 at the end of the import", "%.2f s to ready (%d registrants): %s", s2.ready.Seconds(), c.registrants, s2.opened())
	return s2.stop()
}

func importViaAPI(srv *server, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return err
	}
	var batch []map[string]any
	line := 1
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		body, _ := json.Marshal(map[string]any{"records": batch})
		batch = batch[:0]
		return expect(http.DefaultClient, srv.req(http.MethodPost, "/v1/registrants/import", string(body)), http.StatusOK)
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		line++
		m := map[string]any{"line": line}
		var quals []map[string]any
		for i, h := range header {
			if h == "qualification" {
				p := strings.Split(rec[i], " | ")
				lvl, _ := strconv.Atoi(p[1])
				quals = append(quals, map[string]any{"title": p[0], "level": lvl, "provider": p[2], "accreditation": p[3], "awarded": p[4]})
				continue
			}
			m[h] = rec[i]
		}
		m["qualifications"] = quals
		batch = append(batch, m)
		if len(batch) == 2000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

func writeCSV(path string, n, offset int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"external_ref", "given_name", "family_name", "nation", "email", "registered_from", "registered_until", "status", "status_reason", "qualification", "qualification"})
	nations := []string{"england", "wales", "scotland", "northern-ireland"}
	for i := offset; i < offset+n; i++ {
		g, fam := names.Name(i)
		_ = w.Write([]string{fmt.Sprintf("OLD-%07d", i), g, fam, nations[i%4], fmt.Sprintf("p%d@example.org", i), "2020-04-01", "2027-03-31", "registered", "",
			"Level 4 Certificate in Social Prescribing | 4 | University of Westminster | nalw-accredited | 2019-07-14",
			"Mental Health First Aid | 2 | MHFA England | other | 2021-02-11"})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return f.Close()
}

func urlQuery(s string) string {
	return strings.NewReplacer("%", "%25", " ", "+", "&", "%26", "'", "%27", "#", "%23").Replace(s)
}

// result of a load phase.
type result struct {
	n, errs int
	elapsed time.Duration
	lat     []time.Duration
	starts  []time.Time // of each request, in the order of lat until String sorts lat
	first   error
}

func (r result) String() string {
	lat := slices.Sorted(slices.Values(r.lat))
	q := func(p float64) time.Duration { return quantile(lat, p) }
	s := fmt.Sprintf("%d requests in %.1f s: %.0f req/s, p50 %s p99 %s, %d errors",
		r.n, r.elapsed.Seconds(), float64(r.n)/r.elapsed.Seconds(), q(0.50).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond), r.errs)
	if r.first != nil {
		s += " (first: " + r.first.Error() + ")"
	}
	return s
}

// quantile returns the p quantile of sorted latencies.
func quantile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// load runs fn from clients goroutines until limit calls or d has passed.
// With rate 0 each client sends its next request as soon as it has its
// last answer: the most the server can do, with latencies those of a
// queue of clients. With a rate, request i is due at i/rate seconds from
// the start, whatever the answers' speed: the next free client waits
// for that moment, and its latency runs from then, not from when it was
// sent, so a server that falls behind is charged for the wait
// (coordinated omission) and the figure is the latency at that load.
func load(clients, limit int, d time.Duration, rate float64, fn func(cl *http.Client, i int) error) result {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var next, errs atomic.Int64
	var mu sync.Mutex
	var res result
	lats := make([][]time.Duration, clients)
	starts := make([][]time.Time, clients)
	t0 := time.Now()
	deadline := t0.Add(d)
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= limit {
					return
				}
				s := time.Now()
				if rate > 0 {
					s = t0.Add(time.Duration(float64(i) / rate * float64(time.Second)))
					time.Sleep(time.Until(s))
				}
				if !s.Before(deadline) {
					return
				}
				err := fn(cl, i)
				lats[w] = append(lats[w], time.Since(s))
				starts[w] = append(starts[w], s)
				if err != nil {
					errs.Add(1)
					mu.Lock()
					if res.first == nil {
						res.first = err
					}
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	res.elapsed = time.Since(t0)
	for w, l := range lats {
		res.lat = append(res.lat, l...)
		res.starts = append(res.starts, starts[w]...)
	}
	res.n, res.errs = len(res.lat), int(errs.Load())
	return res
}

func expect(cl *http.Client, req *http.Request, status int) error {
	resp, err := cl.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == status {
		// Read to the end, so the connection is kept, into a shared
		// buffer: the clients share the server's cores.
		_, err := io.Copy(io.Discard, resp.Body)
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	return fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, bytes.TrimSpace(body[:min(len(body), 200)]))
}

func report(what, format string, args ...any) {
	fmt.Printf("%-50s %s\n", what+":", fmt.Sprintf(format, args...))
}

// server is a running `linkpass serve`.
type server struct {
	binary, data, url, token string
	cmd                      *exec.Cmd
	done                     chan struct{}
	ready                    time.Duration
	stderr                   *bytes.Buffer
	mu                       *sync.Mutex
	started                  time.Time // when the process was started, which the collector's trace counts from
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

var (
	listenRe = regexp.MustCompile(`msg="register listening" addr=(\S+)`)
	openedRe = regexp.MustCompile(`msg="register open" (.*)`)
)

// opened is what serve logged of where its start's time went.
func (s *server) opened() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := openedRe.FindStringSubmatch(s.stderr.String()); m != nil {
		return m[1]
	}
	return "(serve logged no times)"
}

// start runs serve and waits until /readyz answers 200.
func start(binary, data string) (*server, error) {
	s := &server{binary: binary, data: data, done: make(chan struct{}), stderr: &bytes.Buffer{}, mu: &sync.Mutex{}}
	// All 32 clients come from one loopback address: without this the
	// per-client fair share would refuse nearly every request, and the
	// harness would measure 429s, not the register.
	args := []string{"serve", "--data", data, "--addr", "127.0.0.1:0",
		"--search-rate", "0", "--search-concurrency", strconv.Itoa(searchConcurrency), "--verify-rate", "0", "--public-rate", "0"}
	if _, err := os.Stat(filepath.Join(data, "linkpass.json")); err != nil {
		args = append(args, "--init")
	}
	s.cmd = exec.Command(binary, args...)
	s.cmd.Stderr = lockedWriter{s.mu, s.stderr}
	if serverLog != nil {
		s.cmd.Stderr = io.MultiWriter(s.cmd.Stderr, serverLog)
	}
	// The collector's trace, a line a cycle, says whether a phase's
	// slowest requests are the ones a collection overlapped (readPhase).
	s.cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1")
	t0 := time.Now()
	s.started = t0
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for s.url == "" {
		s.mu.Lock()
		m := listenRe.FindStringSubmatch(s.stderr.String())
		s.mu.Unlock()
		if m != nil {
			s.url = "http://" + m[1]
			break
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("serve exited: %s", s.stderr.String())
		case <-ctx.Done():
			s.kill()
			return nil, errors.New("serve did not start within 5 minutes")
		case <-time.After(2 * time.Millisecond):
		}
	}
	for {
		if resp, err := http.Get(s.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	s.ready = time.Since(t0)
	tok, err := os.ReadFile(filepath.Join(data, "admin.token"))
	if err != nil {
		s.kill()
		return nil, err
	}
	s.token = strings.TrimSpace(string(tok))
	return s, nil
}

func (s *server) req(method, path, body string) *http.Request {
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func (s *server) get(path string) *http.Request {
	req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
	return req
}

func (s *server) kill() {
	select {
	case <-s.done:
	default:
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func (s *server) stop() error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-s.done:
		return nil
	case <-time.After(2 * time.Minute):
		s.kill()
		return errors.New("serve did not stop within 2 minutes of SIGTERM")
	}
}

// cpu returns the CPU time the server has used: per request, it says
// what a figure costs whatever else the machine is running.
func (s *server) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / hz
}

// rss returns the server's resident set size and its peak, in bytes.
func (s *server) rss() (int64, int64) {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	var rss, hwm int64
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && (f[0] == "VmRSS:" || f[0] == "VmHWM:") {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			if f[0] == "VmRSS:" {
				rss = kb << 10
			} else {
				hwm = kb << 10
			}
		}
	}
	return rss, hwm
}

// readPhase runs a read phase and reports it twice: its figures, and
// where its time went. The second line gives the server's and this
// process's CPU (they share the machine's cores, so a request waits for
// either), the collections that ran during it, and the p99 of requests a
// collection overlapped against that of the others: whether the slowest
// requests are the collector's.
func readPhase(srv *server, what string, run func() result) {
	srv.mu.Lock()
	from := srv.stderr.Len()
	srv.mu.Unlock()
	cpu0, self0 := srv.cpu(), selfCPU()
	res := run()
	cpu, self := srv.cpu()-cpu0, selfCPU()-self0
	report(what, "%s", res)
	srv.mu.Lock()
	trace := srv.stderr.String()[from:]
	srv.mu.Unlock()
	cycles := gcCycles(trace, srv.started)
	var marking time.Duration
	var in, out []time.Duration
	for i, s := range res.starts {
		end := s.Add(res.lat[i])
		overlapped := false
		for _, c := range cycles {
			if s.Before(c.end) && end.After(c.start) {
				overlapped = true
				break
			}
		}
		if overlapped {
			in = append(in, res.lat[i])
		} else {
			out = append(out, res.lat[i])
		}
	}
	for _, c := range cycles {
		marking += c.end.Sub(c.start)
	}
	slices.Sort(in)
	slices.Sort(out)
	perReq := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(max(res.n, 1)) }
	report("  where the time went", "CPU a request: server %.0f µs, clients %.0f µs; %d collections, %.1f s of %.1f s collecting; p99 %s of the %d requests one overlapped, %s of the %d others",
		perReq(cpu), perReq(self), len(cycles), marking.Seconds(), res.elapsed.Seconds(),
		quantile(in, 0.99).Round(10*time.Microsecond), len(in), quantile(out, 0.99).Round(10*time.Microsecond), len(out))
}

// gcCycle is one collection of the server's, from its trace line.
type gcCycle struct{ start, end time.Time }

// gcTraceRe matches a gctrace line's start (seconds since the process
// started) and its clock times in ms: sweep termination, concurrent mark
// and scan, mark termination.
var gcTraceRe = regexp.MustCompile(`(?m)^gc \d+ @([0-9.]+)s \d+%: ([0-9.]+)\+([0-9.]+)\+([0-9.]+) ms clock`)

func gcCycles(trace string, started time.Time) []gcCycle {
	var out []gcCycle
	for _, m := range gcTraceRe.FindAllStringSubmatch(trace, -1) {
		at, _ := strconv.ParseFloat(m[1], 64)
		var ms float64
		for _, f := range m[2:] {
			v, _ := strconv.ParseFloat(f, 64)
			ms += v
		}
		start := started.Add(time.Duration(at * float64(time.Second)))
		out = append(out, gcCycle{start, start.Add(time.Duration(ms * float64(time.Millisecond)))})
	}
	return out
}

// selfCPU returns the CPU time this process (the clients) has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
