package cli

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/nalw/linkpass/internal/verdict"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/trustbundle"
	"github.com/nalw/linkpass/verifier"
	"github.com/nalw/linkpass/web"
)

// registerVerifier checks credentials for the register's own /verify page
// exactly as a practice's verifier would: against the register's trust
// bundle (its published keys and signed status lists), rebuilt only when
// those change.
type registerVerifier struct {
	srv     *issuer.Server
	mu      sync.Mutex
	key     [32]byte
	v       *verifier.Verifier
	checked *trustbundle.Checked
}

func (rv *registerVerifier) current() (*verifier.Verifier, *trustbundle.Checked, error) {
	jwks, err := rv.srv.JWKS()
	if err != nil {
		return nil, nil, err
	}
	h := sha256.New()
	h.Write(jwks)
	qm, _ := json.Marshal(rv.srv.Metadata().QualityMark.Held)
	h.Write(qm)
	for _, p := range rv.srv.PublishedLists() {
		h.Write([]byte(p.ETag))
	}
	var key [32]byte
	h.Sum(key[:0])
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if rv.v != nil && key == rv.key {
		return rv.v, rv.checked, nil
	}
	b, err := rv.srv.TrustBundle()
	if err != nil {
		return nil, nil, err
	}
	checked, err := b.Check(time.Now(), trustbundle.WithAnchor(rv.srv.RootFingerprint()))
	if err != nil {
		return nil, nil, err
	}
	v, err := checked.Verifier(nil)
	if err != nil {
		return nil, nil, err
	}
	rv.key, rv.v, rv.checked = key, v, checked
	return v, checked, nil
}

func (rv *registerVerifier) Verify(ctx context.Context, text string) verdict.Verdict {
	v, checked, err := rv.current()
	if err != nil {
		return cannotCheck(fmt.Errorf("the register cannot check credentials right now: %w", err))
	}
	vd := web.VerifyWith(v, nil)(ctx, text)
	vd.CompareQualityMark(checked.QualityMark(), time.Now())
	return vd
}

// cannotCheck is the verdict when no verification could be made.
func cannotCheck(err error) verdict.Verdict {
	return verdict.From(&verifier.Result{Outcome: verifier.OutcomeStatusUnknown, Reason: err.Error()}, time.Now())
}
