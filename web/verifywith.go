package web

import (
	"context"
	"time"

	"github.com/nalw/linkpass/internal/verdict"
	"github.com/nalw/linkpass/qrtext"
	"github.com/nalw/linkpass/verifier"
)

// VerifyWith returns a Config.Verify that reads the QR compact text or a
// compact JWS with qrtext.Decode and checks the credential with v, exactly
// as `linkpass verify` does. now dates the verdict; nil means time.Now.
func VerifyWith(v *verifier.Verifier, now func() time.Time) func(ctx context.Context, text string) verdict.Verdict {
	if now == nil {
		now = time.Now
	}
	return func(ctx context.Context, text string) verdict.Verdict {
		at := now()
		token, err := qrtext.Decode(text)
		if err != nil {
			return verdict.From(&verifier.Result{Outcome: verifier.OutcomeMalformed,
				Reason: "this is not a linkpass credential, or its QR code was not read whole (" + err.Error() + ")"}, at)
		}
		return verdict.From(v.Verify(ctx, token), at)
	}
}
