package issuer_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/bulkimport"
	"github.com/nalw/linkpass/issuer/register"
)

// importRecords returns n records as a migrated register has them: two
// qualifications each.
func importRecords(n, offset int) []register.Imported {
	recs := make([]register.Imported, n)
	for i := range recs {
		k := offset + i
		recs[i] = register.Imported{Line: i + 2, ExternalRef: fmt.Sprintf("OLD-%07d", k), Given: "Siân", Family: fmt.Sprintf("Evans-%d", k),
			Nation: "wales", Email: fmt.Sprintf("p%d@example.org", k), RegisteredFrom: "2020-04-01", RegisteredUntil: "2099-03-31", Status: register.Registered,
			Qualifications: []register.Qualification{
				{Title: "Level 4 Certificate in Social Prescribing", Level: 4, Provider: "University of Westminster", Accreditation: "nalw-accredited", Awarded: "2019-07-14"},
				{Title: "Mental Health First Aid", Level: 2, Provider: "MHFA England", Accreditation: "other", Awarded: "2021-02-11"},
			}}
	}
	return recs
}

func importAll(tb testing.TB, srv *issuer.Server, recs []register.Imported) {
	tb.Helper()
	for start := 0; start < len(recs); start += bulkimport.MaxRecords {
		if _, err := bulkimport.Import(context.Background(), srv, register.System, recs[start:min(len(recs), start+bulkimport.MaxRecords)], bulkimport.Options{}); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkRestartReplayingAnImport measures a start that must replay a
// whole bulk import from the log, as after a crash before any snapshot:
// LINKPASS_BENCH_REGISTRANTS records (50,000 by default) imported, the data
// directory copied as it is on disk (no snapshot), then opened. The
// register would snapshot every 16 MiB of it (Config.SnapshotBytes); here
// it does not, to measure the cost of replaying each row.
func BenchmarkRestartReplayingAnImport(b *testing.B) {
	n := benchRegistrants(50_000)
	dir := filepath.Join(b.TempDir(), "reg")
	never := issuer.Config{SnapshotBytes: 1 << 50, SnapshotThreshold: 1 << 50}
	cfg := never
	cfg.DataDir = dir
	srv := benchOpenConfig(b, cfg)
	importAll(b, srv, importRecords(n, 0))
	// What a kill -9 leaves: the log as fsynced, no snapshot of the import.
	crashed := filepath.Join(b.TempDir(), "crashed")
	if err := copyDir(crashed, dir); err != nil {
		b.Fatal(err)
	}
	srv.Close()
	b.ResetTimer()
	var total, cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		again := filepath.Join(b.TempDir(), "again")
		if err := copyDir(again, crashed); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		cfg := never
		cfg.DataDir = again
		s := benchOpenConfig(b, cfg)
		total += time.Since(start)
		cpu += cpuTime() - cpu0
		b.StopTimer()
		if got := len(mustRegistrants(b, s)); got != n {
			b.Fatalf("restarted with %d registrants, want %d", got, n)
		}
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/restart")
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/float64(n), "µs/row")
	// CPU time hardly depends on what else the machine runs.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/float64(n), "cpu-µs/row")
}

// copyDir copies the tree at src to dst, keeping permissions (the register
// refuses a data directory others may read).
func copyDir(dst, src string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, info.Mode().Perm())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, info.Mode().Perm())
	})
}
