package verifier

import (
	"errors"
	"fmt"
	"time"
)

// Defaults and limits of the options.
const (
	// DefaultClockSkew is how far apart the verifier's and the issuer's
	// clocks may be: exp, nbf, iat, validFrom and validUntil are honoured
	// with this much leeway.
	DefaultClockSkew = 60 * time.Second
	// MaxClockSkew caps WithClockSkew: a larger leeway would quietly
	// extend every credential's life.
	MaxClockSkew = 5 * time.Minute
	// DefaultMaxTokenSize is the largest token accepted. A credential is
	// about 1.3 KiB; a QR code holds under 3 KiB.
	DefaultMaxTokenSize = 8 << 10
	// maxMaxTokenSize caps WithMaxTokenSize.
	maxMaxTokenSize = 1 << 20
)

// ErrInvalidOption is returned by New for an option out of range.
var ErrInvalidOption = errors.New("verifier: invalid option")

// Option configures a Verifier.
type Option interface {
	apply(*Verifier) error
}

type optionFunc func(*Verifier) error

func (f optionFunc) apply(v *Verifier) error { return f(v) }

// WithClock makes the verifier read the time from now instead of
// time.Now, for tests and for checking a credential "as of" a moment.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(v *Verifier) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		v.now = now
		return nil
	})
}

// WithClockSkew sets the leeway for time claims: from 0 to MaxClockSkew.
func WithClockSkew(d time.Duration) Option {
	return optionFunc(func(v *Verifier) error {
		if d < 0 || d > MaxClockSkew {
			return fmt.Errorf("%w: clock skew %s not within [0, %s]", ErrInvalidOption, d, MaxClockSkew)
		}
		v.skew = d
		return nil
	})
}

// WithMaxTokenSize sets the largest token, in bytes, that Verify will look
// at; larger ones are OutcomeTooLarge before any parsing.
func WithMaxTokenSize(n int) Option {
	return optionFunc(func(v *Verifier) error {
		if n <= 0 || n > maxMaxTokenSize {
			return fmt.Errorf("%w: max token size %d not within [1, %d]", ErrInvalidOption, n, maxMaxTokenSize)
		}
		v.maxSize = n
		return nil
	})
}

// WithStatusChecker makes the verifier check the status list entry of
// every credential. Without a checker no credential is valid: each one
// that passes every other step is OutcomeStatusNotChecked.
func WithStatusChecker(c StatusChecker) Option {
	return optionFunc(func(v *Verifier) error {
		if c == nil {
			return fmt.Errorf("%w: nil status checker", ErrInvalidOption)
		}
		v.status, v.noStatus = c, false
		return nil
	})
}

// WithoutStatusCheck says that the caller wants a signature-only check
// and knows it: credentials are still OutcomeStatusNotChecked, never
// valid, and the reason says the check was asked for. It replaces a
// status checker given earlier, and a later WithStatusChecker replaces it.
func WithoutStatusCheck() Option {
	return optionFunc(func(v *Verifier) error {
		v.status, v.noStatus = nil, true
		return nil
	})
}
