package bulkimport_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/bulkimport"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// BenchmarkImport measures importing records through the log into a real
// register (Raft, bolt log, fsync), in calls of bulkimport.MaxRecords.
func BenchmarkImport(b *testing.B) {
	const n = 20_000
	recs := make([]register.Imported, n)
	for i := range recs {
		recs[i] = register.Imported{Line: i + 2, ExternalRef: fmt.Sprintf("OLD-%07d", i), Given: "Siân", Family: fmt.Sprintf("Evans-%d", i),
			Nation: "wales", Email: fmt.Sprintf("p%d@example.org", i), RegisteredFrom: "2020-04-01", RegisteredUntil: "2027-03-31", Status: register.Registered,
			Qualifications: []register.Qualification{
				{Title: "Level 4 Certificate in Social Prescribing", Level: 4, Provider: "University of Westminster", Accreditation: "nalw-accredited", Awarded: "2019-07-14"},
				{Title: "Mental Health First Aid", Level: 2, Provider: "MHFA England", Accreditation: "other", Awarded: "2021-02-11"},
			}}
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		srv, err := issuer.Open(issuer.Config{DataDir: filepath.Join(b.TempDir(), "reg"), Create: true, IssuerURL: "https://register.example.org"})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for start := 0; start < n; start += bulkimport.MaxRecords {
			rep, err := bulkimport.Import(context.Background(), srv, register.System, recs[start:start+bulkimport.MaxRecords], bulkimport.Options{})
			if err != nil {
				b.Fatal(err)
			}
			if got := rep.Count(fsm.ImportAdded); got != bulkimport.MaxRecords {
				b.Fatalf("added %d", got)
			}
		}
		b.StopTimer()
		srv.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}
