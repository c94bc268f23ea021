package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkVerifiersUnderSearchLoad drives a real `linkpass serve` on
// loopback: 32 clients hammer the public name search while a verifier
// fetches status lists and the trust bundle and posts to /v1/verify, and
// reports the verifier endpoints' p50 and p99 and the search throughput.
// It runs each configuration for a fixed time (LINKPASS_LOAD_SECONDS,
// default 3) and stops by itself:
//
//   - fair: the defaults (per-client search rate, search's own budget),
//     each search client from its own address through a trusted proxy
//     header;
//   - budget-only: no per-client rate, so search is as heavy as 32
//     clients can make it, and only its budget of requests at once
//     protects verifiers;
//   - unlimited: no fair share at all, for comparison.
//
// go test ./internal/cli -run XXX -bench VerifiersUnderSearchLoad -benchtime 1x
func BenchmarkVerifiersUnderSearchLoad(b *testing.B) {
	for _, cfg := range []struct {
		name  string
		flags []string
	}{
		{"fair", nil},
		{"budget-only", []string{"--search-rate", "0"}},
		{"unlimited", []string{"--search-rate", "0", "--search-concurrency", "0", "--verify-rate", "0", "--public-rate", "0"}},
	} {
		b.Run(cfg.name, func(b *testing.B) {
			for b.Loop() {
				loadRun(b, cfg.flags)
			}
		})
	}
}

const loadRegistrants = 20000

func loadRun(b *testing.B, extra []string) {
	dir := b.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	args := append([]string{"serve", "--demo", "--data", dir, "--addr", addr, "--log-level", "error",
		"--proxy-header", "X-Forwarded-For", "--trusted-proxies", "127.0.0.1"}, extra...)
	go func() { done <- Main(ctx, args, strings.NewReader(""), io.Discard, io.Discard) }()
	defer func() { cancel(); <-done }()

	base := "http://" + addr
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 128, MaxConnsPerHost: 128}}
	adminClient := &http.Client{Timeout: 2 * time.Minute}
	waitReady(b, client, base)
	token, err := os.ReadFile(filepath.Join(dir, "admin.token"))
	if err != nil {
		b.Fatal(err)
	}
	admin := func(method, path string, body any) []byte {
		var buf bytes.Buffer
		if body != nil {
			_ = json.NewEncoder(&buf).Encode(body)
		}
		req, _ := http.NewRequest(method, base+path, &buf)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		req.Header.Set("Content-Type", "application/json")
		res, err := adminClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 300 {
			b.Fatalf("%s %s: %d %s", method, path, res.StatusCode, out)
		}
		return out
	}
	names := seedRegister(admin)
	var list struct {
		Registrants []struct {
			Number string `json:"registration_number"`
		} `json:"registrants"`
	}
	_ = json.Unmarshal(admin("GET", "/v1/registrants?status=registered", nil), &list)
	regs := list.Registrants
	if len(regs) == 0 {
		b.Fatal("no registered registrant to issue a credential to")
	}
	var issued struct {
		JWT        string `json:"jwt"`
		StatusList struct {
			URI string `json:"uri"`
		} `json:"status_list"`
	}
	_ = json.Unmarshal(admin("POST", "/v1/registrants/"+regs[0].Number+"/credentials", nil), &issued)
	statusPath := issued.StatusList.URI[strings.Index(issued.StatusList.URI, "/status/"):]
	verifyBody, _ := json.Marshal(map[string]string{"credential": issued.JWT})
	// The publisher signs the new credential's status list shortly after.
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		res, err := client.Get(base + statusPath)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(end) {
			b.Fatalf("%s was not published within 30 s", statusPath)
		}
	}

	seconds := 3
	if s := os.Getenv("LINKPASS_LOAD_SECONDS"); s != "" {
		fmt.Sscan(s, &seconds)
	}
	deadline := time.Now().Add(time.Duration(seconds) * time.Second)

	var mu sync.Mutex
	codes := map[int]int{}
	var searchLat []time.Duration
	var wg sync.WaitGroup
	for c := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 1))
			xff := fmt.Sprintf("198.51.100.%d", c+1)
			var lat []time.Duration
			local := map[int]int{}
			for time.Now().Before(deadline) {
				q := names[rng.IntN(len(names))]
				req, _ := http.NewRequest("GET", base+"/v1/register?q="+q, nil)
				req.Header.Set("X-Forwarded-For", xff)
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					local[0]++
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				lat = append(lat, time.Since(t0))
				local[res.StatusCode]++
			}
			mu.Lock()
			searchLat = append(searchLat, lat...)
			for k, v := range local {
				codes[k] += v
			}
			mu.Unlock()
		}()
	}

	// Four verifier loops, each speaking for 50 practices with addresses of
	// their own: a practice checks a few credentials a day, so the per-client
	// verify rate must never be what refuses one here. One address making
	// hundreds of requests a second is a flood, and is refused by design.
	verifierLat := map[string][]time.Duration{}
	verifierErr := map[string]int{}
	for v := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := map[string][]time.Duration{}
			bad := map[string]int{}
			for i := 0; time.Now().Before(deadline); i++ {
				var req *http.Request
				var name string
				switch i % 3 {
				case 0:
					name, req = "status", must(http.NewRequest("GET", base+statusPath, nil))
				case 1:
					name, req = "trust-bundle", must(http.NewRequest("GET", base+"/trust-bundle", nil))
				case 2:
					name, req = "verify", must(http.NewRequest("POST", base+"/v1/verify", bytes.NewReader(verifyBody)))
					req.Header.Set("Content-Type", "application/json")
				}
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", v*50+i%50+1))
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					bad[name]++
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					bad[name]++
				}
				lat[name] = append(lat[name], time.Since(t0))
				time.Sleep(2 * time.Millisecond) // a verifier's pace, not a flood
			}
			mu.Lock()
			for k, v := range lat {
				verifierLat[k] = append(verifierLat[k], v...)
			}
			for k, v := range bad {
				verifierErr[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()

	total := 0
	for _, n := range codes {
		total += n
	}
	b.ReportMetric(float64(codes[200])/float64(seconds), "search-200/s")
	b.ReportMetric(float64(codes[429]+codes[503])/float64(seconds), "search-refused/s")
	b.ReportMetric(ms(pct(searchLat, 99)), "search-p99-ms")
	for _, name := range []string{"status", "trust-bundle", "verify"} {
		b.ReportMetric(ms(pct(verifierLat[name], 50)), name+"-p50-ms")
		b.ReportMetric(ms(pct(verifierLat[name], 99)), name+"-p99-ms")
		if verifierErr[name] > 0 {
			b.Errorf("%s: %d of %d requests failed", name, verifierErr[name], len(verifierLat[name]))
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func waitReady(b *testing.B, client *http.Client, base string) {
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		res, err := client.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
	}
	b.Fatal("the register did not become ready within 30 s")
}

// seedRegister imports loadRegistrants made-up registrants through the
// import endpoint and returns search queries for them: full names, family
// names and prefixes, as the public types them.
func seedRegister(admin func(method, path string, body any) []byte) []string {
	rng := rand.New(rand.NewPCG(5, 6))
	given := []string{"Siân", "Seán", "Aoife", "Mòrag", "Zoë", "Priya", "John", "Sarah", "Emma", "Rhys", "Niamh", "David", "Olivia", "Mohammed", "Isla", "Llŷr"}
	syl := []string{"ab", "ber", "cal", "dun", "el", "far", "gow", "hal", "in", "ker", "lin", "mor", "nan", "ost", "pen", "ros", "stan", "tre", "ven", "wick"}
	common := []string{"Smith", "Jones", "Evans", "O'Neill", "Ó Súilleabháin", "MacLeòid", "Patel", "Okonkwo-Fairweather"}
	var queries []string
	for start := 0; start < loadRegistrants; start += 2000 {
		var recs []map[string]any
		for i := start; i < min(start+2000, loadRegistrants); i++ {
			f := common[rng.IntN(len(common))]
			if rng.IntN(2) == 0 {
				f = syl[rng.IntN(len(syl))] + syl[rng.IntN(len(syl))] + syl[rng.IntN(len(syl))]
				f = strings.ToUpper(f[:1]) + f[1:]
			}
			g := given[rng.IntN(len(given))]
			recs = append(recs, map[string]any{"external_ref": fmt.Sprintf("load-%d", i), "given_name": g, "family_name": f,
				"nation": "wales", "email": fmt.Sprintf("p%d@example.org", i), "registered_from": "2025-01-01",
				"registered_until": "2027-12-31", "status": "registered"})
			switch i % 3 {
			case 0:
				queries = append(queries, urlq(g+" "+f))
			case 1:
				queries = append(queries, urlq(f))
			case 2:
				queries = append(queries, urlq(g[:2]+" "+f[:3]))
			}
		}
		admin("POST", "/v1/registrants/import", map[string]any{"records": recs, "allow_duplicates": true, "last": start+2000 >= loadRegistrants})
	}
	return queries
}

func urlq(s string) string { return url.QueryEscape(s) }
