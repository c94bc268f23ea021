package web

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkImageFlood floods POST /v1/verify/image with hostile images
// from 16 clients for 4 seconds, in one process with the register, and
// reports the peak resident memory above idle and the latency of the
// register's other endpoints meanwhile against idle. The images are the
// costliest an attacker can send: the truncated 16-bit PNG
// (refused from its header), truncated PNGs declaring the largest canvas
// the budget lets through (decoded allocation with no pixels to read),
// and a 10-megapixel noise JPEG (decoded, then searched for a QR code in
// vain). Run it on its own:
//
//	go test ./web -run '^$' -bench ImageFlood -benchtime 1x
func BenchmarkImageFlood(b *testing.B) {
	all := floodImages(b)
	b.Run("mixed", func(b *testing.B) { flood(b, all) })
	// Only truncated canvases: the most allocation for the least work.
	b.Run("canvases", func(b *testing.B) { flood(b, all[:3]) })
}

func flood(b *testing.B, images []floodImage) {
	sys := newSystem(b, RegisterMode)
	other := []func() (*http.Response, error){
		func() (*http.Response, error) { return http.Get(sys.url + "/healthz") },
		func() (*http.Response, error) { return http.Get(sys.url + "/v1/register?q=okonkwo") },
		func() (*http.Response, error) {
			return http.Post(sys.url+"/v1/verify", "application/json", strings.NewReader(`{"credential":"LP1:x"}`))
		},
	}
	for b.Loop() {
		runtime.GC()
		debug.FreeOSMemory()
		idleRSS := rss(b)
		idle := latencies(b, other, 60, nil)

		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
		var peak atomic.Int64
		peak.Store(idleRSS)
		var codes sync.Map
		var wg sync.WaitGroup
		wg.Go(func() { // sample RSS every 10 ms
			for ctx.Err() == nil {
				if r := rss(b); r > peak.Load() {
					peak.Store(r)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
		client := &http.Client{Timeout: 30 * time.Second}
		for c := range 16 {
			wg.Go(func() {
				for i := c; ctx.Err() == nil; i++ {
					img := images[i%len(images)]
					req, _ := http.NewRequestWithContext(ctx, "POST", sys.url+"/v1/verify/image", bytes.NewReader(img.data))
					req.Header.Set("Content-Type", img.ctype)
					res, err := client.Do(req)
					code := "error"
					if err == nil {
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
						code = strconv.Itoa(res.StatusCode)
					}
					n, _ := codes.LoadOrStore(img.name+" "+code, new(atomic.Int64))
					n.(*atomic.Int64).Add(1)
				}
			})
		}
		time.Sleep(300 * time.Millisecond) // let the flood build up
		flood := latencies(b, other, 60, ctx)
		cancel()
		wg.Wait()

		b.ReportMetric(float64(idleRSS)/(1<<20), "idle-RSS-MiB")
		b.ReportMetric(float64(peak.Load()-idleRSS)/(1<<20), "peak-above-idle-MiB")
		b.ReportMetric(ms(idle, 50), "idle-p50-ms")
		b.ReportMetric(ms(idle, 99), "idle-p99-ms")
		b.ReportMetric(ms(flood, 50), "flood-p50-ms")
		b.ReportMetric(ms(flood, 99), "flood-p99-ms")
		codes.Range(func(k, v any) bool {
			b.Logf("%s: %d", k, v.(*atomic.Int64).Load())
			return true
		})
	}
}

type floodImage struct {
	name, ctype string
	data        []byte
}

func floodImages(b *testing.B) []floodImage {
	// The largest square 16-bit RGBA canvas within the budget.
	side := uint32(1)
	for {
		next := side + 10
		if _, err := decodeCostOf(hostilePNG(next, next)); err != nil {
			break
		}
		side = next
	}
	noise := image.NewGray(image.Rect(0, 0, 3650, 2740))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise.Pix {
		noise.Pix[i] = byte(rng.IntN(256))
	}
	var j bytes.Buffer
	if err := jpeg.Encode(&j, noise, &jpeg.Options{Quality: 50}); err != nil {
		b.Fatal(err)
	}
	b.Logf("flood: truncated 16-bit PNG of %dx%d (at the budget), 7000x7000 (the issue's), noise JPEG %d KiB", side, side, j.Len()>>10)
	return []floodImage{
		{"png 7000x7000 16-bit truncated", "image/png", hostilePNG(7000, 7000)},
		{fmt.Sprintf("png %dx%d 16-bit truncated", side, side), "image/png", hostilePNG(side, side)},
		{fmt.Sprintf("png %dx%d 16-bit truncated", side, side), "image/png", hostilePNG(side, side)},
		{"jpeg 10 MP noise", "image/jpeg", j.Bytes()},
	}
}

// decodeCostOf fails when readQR would refuse data for its size.
func decodeCostOf(data []byte) (string, error) {
	_, err := readQR(data)
	if err != nil && strings.Contains(err.Error(), "limit is") {
		return "", err
	}
	return "", nil
}

// latencies times n rounds of the requests in other, or until ctx ends.
func latencies(b *testing.B, other []func() (*http.Response, error), n int, ctx context.Context) []time.Duration {
	var out []time.Duration
	for i := range n {
		if ctx != nil && ctx.Err() != nil {
			break
		}
		start := time.Now()
		res, err := other[i%len(other)]()
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("%s answered %d during the flood", res.Request.URL.Path, res.StatusCode)
		}
		out = append(out, time.Since(start))
	}
	return out
}

func ms(d []time.Duration, pct int) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[(len(s)-1)*pct/100]) / float64(time.Millisecond)
}

// rss is the process's resident set size, from /proc.
func rss(b *testing.B) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status to read the resident memory from")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}
