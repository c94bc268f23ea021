package issuer

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// BenchmarkStatusListRebuildAfterChange measures what the publisher does
// after one credential changes status in a 2^20-entry list with 1% of its
// entries set (about 10,500 credentials, half revoked, half suspended):
// rebuild the list from the register, recompress, sign.
func BenchmarkStatusListRebuildAfterChange(b *testing.B) {
	srv, err := Open(Config{DataDir: filepath.Join(b.TempDir(), "reg"), IssuerURL: "https://register.example.org"})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	const creds = 10_486 // 1% of 2^20
	keyRec, err := srv.activeKey()
	if err != nil {
		b.Fatal(err)
	}
	now := srv.Now().UTC()
	var next atomic.Int64
	var wg sync.WaitGroup
	var jtis sync.Map
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > creds {
					return
				}
				res, err := srv.Apply(context.Background(), register.System, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "Bench", Family: fmt.Sprintf("P%d", i), Nation: "england"}})
				if err != nil {
					b.Error(err)
					return
				}
				n := res.(fsm.Result).Registrant.Number
				for {
					list, idx, err := srv.pickStatusEntry()
					if err != nil {
						b.Error(err)
						return
					}
					jti := newUUID()
					_, err = srv.Apply(context.Background(), register.System, fsm.IssueCredential{ListSize: srv.cfg.StatusListSize, Credential: register.IssuedCredential{
						JTI: jti, Registrant: n, KID: keyRec.KID, IssuedAt: now, ExpiresAt: now.Add(24 * time.Hour), List: list, Idx: idx}})
					if err == nil {
						jtis.Store(i, jti)
						break
					}
				}
				op := fsm.OpSuspend
				if i%2 == 0 {
					op = fsm.OpRemove
				}
				if _, err := srv.Apply(context.Background(), register.System, fsm.ChangeRegistrant{Number: n, Op: op, Reason: "bench"}); err != nil {
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
	if err := srv.pub.Rebuild(); err != nil { // warm the encoder, as a running publisher is
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		// One change: a fresh credential for a new registrant, revoked.
		res, err := srv.Apply(context.Background(), register.System, fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "One", Family: "Change", Nation: "wales"}})
		if err != nil {
			b.Fatal(err)
		}
		iss, err := srv.IssueCredential(context.Background(), register.System, res.(fsm.Result).Registrant.Number)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := srv.RevokeCredential(context.Background(), register.System, iss.Record.JTI, "bench"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := srv.pub.Rebuild(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	p, _ := srv.Published("1")
	b.ReportMetric(float64(len(p.Token)), "token-bytes")
}
