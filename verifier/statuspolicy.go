package verifier

import (
	"fmt"
	"time"

	"github.com/nalw/linkpass/statuslist"
)

// DefaultStatusMaxAge is how old, counted from its iat, a status list may
// be before a status checker refuses to answer from it.
const DefaultStatusMaxAge = 24 * time.Hour

// StatusPolicy decides how old a status list may be and answers status
// lookups from verified lists under that rule. The offline checker of a
// trust bundle and the Online checker both use it, so they apply the same
// staleness rules:
//
//   - a list past its ttl (iat + ttl before now) still answers, with
//     StatusInfo.Stale set and the reason "status as of <iat>";
//   - a list past its exp, or older than the maximum age (counted from
//     its iat; default DefaultStatusMaxAge), does not: the lookup fails
//     and the credential's status is unknown ("could not check");
//   - unless WithAllowStale was given: then such a list answers too, with
//     Stale set and a reason that says how old it is.
//
// A StatusPolicy is immutable and safe for concurrent use.
type StatusPolicy struct {
	maxAge     time.Duration
	allowStale bool
	now        func() time.Time
}

// StatusOption configures a StatusPolicy. Every StatusOption is also an
// OnlineOption, so the same options serve NewStatusPolicy (and through it
// the trust bundle's checker) and NewOnline.
type StatusOption interface {
	OnlineOption
	applyStatus(*StatusPolicy) error
}

type statusOptionFunc func(*StatusPolicy) error

func (f statusOptionFunc) applyStatus(p *StatusPolicy) error { return f(p) }
func (f statusOptionFunc) applyOnline(o *Online) error       { return f(&o.policy) }

// WithMaxAge sets how old a status list may be, counted from its iat,
// before lookups fail (or, with WithAllowStale, answer marked stale).
// It must be positive; the default is DefaultStatusMaxAge.
func WithMaxAge(d time.Duration) StatusOption {
	return statusOptionFunc(func(p *StatusPolicy) error {
		if d <= 0 {
			return fmt.Errorf("%w: max age %s is not positive", ErrInvalidOption, d)
		}
		p.maxAge = d
		return nil
	})
}

// WithAllowStale makes lookups answer from a list past its exp or older
// than the maximum age, instead of failing. The answer is marked
// StatusInfo.Stale and its reason says how old the list is. It is for a
// practice that has lost its connection and accepts out-of-date
// revocation information, knowingly.
func WithAllowStale() StatusOption {
	return statusOptionFunc(func(p *StatusPolicy) error {
		p.allowStale = true
		return nil
	})
}

// WithStatusClock makes the policy read the time from now instead of
// time.Now, for tests and for checking "as of" a moment.
func WithStatusClock(now func() time.Time) StatusOption {
	return statusOptionFunc(func(p *StatusPolicy) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		p.now = now
		return nil
	})
}

func defaultStatusPolicy() StatusPolicy {
	return StatusPolicy{maxAge: DefaultStatusMaxAge, now: time.Now}
}

// NewStatusPolicy returns a policy with the given options, secure by
// default: maximum age DefaultStatusMaxAge, stale status refused, the
// system clock.
func NewStatusPolicy(opts ...StatusOption) (*StatusPolicy, error) {
	p := defaultStatusPolicy()
	for _, o := range opts {
		if err := o.applyStatus(&p); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// MaxAge returns the maximum age of a list the policy answers from.
func (p *StatusPolicy) MaxAge() time.Duration { return p.maxAge }

// AllowStale reports whether the policy answers from lists past their exp
// or maximum age.
func (p *StatusPolicy) AllowStale() bool { return p.allowStale }

// Now returns the time by the policy's clock.
func (p *StatusPolicy) Now() time.Time { return p.now() }

// Lookup returns the status of entry idx of list, whose verified claims
// are claims (from VerifyStatusListToken), judging the list's age by the
// policy's clock. Value 0 is StatusValid, 1 StatusRevoked, 2
// StatusSuspended, and any other StatusUnknown. An index outside the list
// is ErrStatusIndexOutOfRange; a list too old to rely on is
// ErrStatusListExpired or ErrStatusListTooOld. On error the returned
// StatusInfo still says which list was consulted, and its Status is
// StatusUnknown.
func (p *StatusPolicy) Lookup(claims *statuslist.TokenClaims, list *statuslist.List, idx uint64) (StatusInfo, error) {
	info := StatusInfo{Status: StatusUnknown, ListIssuedAt: claims.IssuedAt}
	if idx >= uint64(list.Len()) {
		return info, fmt.Errorf("%w: index %d, but the list has %d entries", ErrStatusIndexOutOfRange, idx, list.Len())
	}

	now := p.now()
	iat := claims.IssuedAt
	switch {
	case !claims.Expiry.IsZero() && !now.Add(-DefaultClockSkew).Before(claims.Expiry):
		info.Stale = true
		if !p.allowStale {
			return info, fmt.Errorf("%w: the list of %s expired at %s (stale status is not allowed)",
				ErrStatusListExpired, formatTime(iat), formatTime(claims.Expiry))
		}
		info.Reason = fmt.Sprintf("status as of %s, %s ago; the list expired at %s and is used only because stale status is allowed",
			formatTime(iat), formatAge(now.Sub(iat)), formatTime(claims.Expiry))
	case now.Sub(iat) > p.maxAge:
		info.Stale = true
		if !p.allowStale {
			return info, fmt.Errorf("%w: the list of %s is %s old, more than the %s allowed (stale status is not allowed)",
				ErrStatusListTooOld, formatTime(iat), formatAge(now.Sub(iat)), formatAge(p.maxAge))
		}
		info.Reason = fmt.Sprintf("status as of %s, %s ago, older than the %s allowed; used only because stale status is allowed",
			formatTime(iat), formatAge(now.Sub(iat)), formatAge(p.maxAge))
	case claims.TTL > 0 && iat.Add(claims.TTL).Before(now):
		info.Stale = true
		info.Reason = "status as of " + formatTime(iat)
	}

	v, _ := list.Get(int(idx)) // in range: checked above
	switch v {
	case statuslist.Valid:
		info.Status = StatusValid
	case statuslist.Invalid:
		info.Status = StatusRevoked
	case statuslist.Suspended:
		info.Status = StatusSuspended
	default:
		info.Status = StatusUnknown
		why := fmt.Sprintf("the list gives status value %d, which has no meaning here", v)
		if info.Reason != "" {
			why = info.Reason + "; " + why
		}
		info.Reason = why
	}
	return info, nil
}

// formatAge says a duration the way a person would: "40 minutes",
// "5 hours", "3 days".
func formatAge(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return fmt.Sprintf("%d seconds", d/time.Second)
}
