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
	"github.com/nalw/linkpass/regno"
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
// register would snapshot every 8 MiB of it (Config.SnapshotBytes); here
// it does not, to measure the cost of replaying each row.
func BenchmarkRestartReplayingAnImport(b *testing.B) {
	n := benchRegistrants(50_000)
	dir := filepath.Join(b.TempDir(), "reg")
	srv := openUnsnapshotted(b, dir)
	importAll(b, srv, importRecords(n, 0))
	reopenCrashed(b, srv, dir, func(s *issuer.Server) {
		if got := len(mustRegistrants(b, s)); got != n {
			b.Fatalf("restarted with %d registrants, want %d", got, n)
		}
	}, n, "row")
}

// BenchmarkRestartReplayingWrites measures a start that must replay
// credential issues from the log: LINKPASS_BENCH_REGISTRANTS registrants
// (20,000 by default) imported and snapshotted, then a credential issued
// to each with no snapshot, the data directory copied as it is on disk,
// then opened. What a write costs to replay bounds how many a snapshot
// may leave behind (Config.SnapshotThreshold).
func BenchmarkRestartReplayingWrites(b *testing.B) {
	n := benchRegistrants(20_000)
	dir := filepath.Join(b.TempDir(), "reg")
	srv := openUnsnapshotted(b, dir)
	benchImport(b, srv, n, func(i int) (string, string) { return "Siân", fmt.Sprintf("Evans-%d", i) })
	if err := srv.Snapshot(); err != nil {
		b.Fatal(err)
	}
	issueFirst(b, srv, n, 32)
	reopenCrashed(b, srv, dir, func(s *issuer.Server) {
		last := regno.Format(regno.FirstSerial + uint64(n-1))
		if got, err := s.State().CredentialsOf(last); err != nil || len(got) != 1 {
			b.Fatalf("restarted with %d credentials for %s (%v), want the one issued last", len(got), last, err)
		}
	}, n, "write")
}

// openUnsnapshotted opens a register in dir that takes no snapshot unless
// asked, so that the log keeps everything to replay.
func openUnsnapshotted(b *testing.B, dir string) *issuer.Server {
	return benchOpenConfig(b, issuer.Config{DataDir: dir, SnapshotBytes: 1 << 50, SnapshotThreshold: 1 << 50})
}

// reopenCrashed copies srv's data directory dir as a kill -9 leaves it
// (the log as fsynced), closes srv, then times opening copies of it
// (openUnsnapshotted), checking each with check, and reports the time
// per one of the n entries replayed, each a unit. LINKPASS_BENCH_CPUPROFILE names a file
// for a CPU profile of the restarts alone.
func reopenCrashed(b *testing.B, srv *issuer.Server, dir string, check func(*issuer.Server), n int, unit string) {
	crashed := filepath.Join(b.TempDir(), "crashed")
	if err := copyDir(crashed, dir); err != nil {
		b.Fatal(err)
	}
	srv.Close()
	// -test.cpuprofile would include the seeding; this profiles only the
	// restarts.
	defer profileCPU(b)()
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
		s := openUnsnapshotted(b, again)
		total += time.Since(start)
		cpu += cpuTime() - cpu0
		b.StopTimer()
		check(s)
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/restart")
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/float64(n), "µs/"+unit)
	// CPU time hardly depends on what else the machine runs.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/float64(n), "cpu-µs/"+unit)
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
