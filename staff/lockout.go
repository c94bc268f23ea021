package staff

import (
	"fmt"
	"sync"
	"time"

	"github.com/nalw/linkpass/issuer/register"
)

// LockoutPolicy says how sign-in slows down and then stops after failed
// attempts on one account.
type LockoutPolicy struct {
	// FreeFailures is how many failures pass without delay.
	FreeFailures int
	// BaseDelay is the wait after the first failure beyond FreeFailures;
	// it doubles with each further one.
	BaseDelay time.Duration
	// LockAfter is the number of consecutive failures that lock the
	// account for LockFor.
	LockAfter int
	LockFor   time.Duration
}

// DefaultLockout lets a person mistype a few times, then makes each guess
// wait longer (2 s, 4 s, 8 s, ...), and after 10 failures in a row locks the
// account for 15 minutes (recorded in the register and audited). An
// attacker gets at most about 40 guesses an hour on one account; a locked
// out registrar waits, or an admin resets their second factor.
var DefaultLockout = LockoutPolicy{FreeFailures: 3, BaseDelay: 2 * time.Second, LockAfter: 10, LockFor: 15 * time.Minute}

// ErrThrottled is wrapped when a sign-in attempt comes too soon after
// failures; the message says how long to wait.
var ErrThrottled = fmt.Errorf("%w: too many failed sign-in attempts", register.ErrForbidden)

// ErrLocked is wrapped when the account is locked after repeated failures.
var ErrLocked = fmt.Errorf("%w: this account is locked after repeated failed sign-in attempts", register.ErrForbidden)

type attempts struct {
	failures int
	next     time.Time // no attempt before
	last     time.Time
}

// limiter counts consecutive failures per email (known or not, so that it
// reveals nothing). It lives in the memory of the node serving sign-in; a
// lock, once reached, is written to the register.
type limiter struct {
	policy LockoutPolicy
	mu     sync.Mutex
	byKey  map[string]*attempts
}

const maxTracked = 100000

func newLimiter(p LockoutPolicy) *limiter { return &limiter{policy: p, byKey: map[string]*attempts{}} }

// check returns an error if an attempt for key may not be made at now.
func (l *limiter) check(key string, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.byKey[key]
	if a == nil || !now.Before(a.next) {
		return nil
	}
	return fmt.Errorf("%w: wait %s before trying again", ErrThrottled, waitWords(a.next.Sub(now)))
}

// fail records a failure and returns the number of consecutive failures.
func (l *limiter) fail(key string, now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.byKey) >= maxTracked {
		for k, a := range l.byKey {
			if now.Sub(a.last) > l.policy.LockFor {
				delete(l.byKey, k)
			}
		}
	}
	a := l.byKey[key]
	if a == nil {
		a = &attempts{}
		l.byKey[key] = a
	}
	a.failures++
	a.last = now
	if over := a.failures - l.policy.FreeFailures; over > 0 {
		d := l.policy.BaseDelay << min(over-1, 20)
		if d > l.policy.LockFor || d <= 0 {
			d = l.policy.LockFor
		}
		a.next = now.Add(d)
	}
	if a.failures >= l.policy.LockAfter {
		a.next = now.Add(l.policy.LockFor)
	}
	return a.failures
}

// succeed forgets the failures of key.
func (l *limiter) succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.byKey, key)
}

// waitWords says a wait as a person would.
func waitWords(d time.Duration) string {
	switch s := int((d + time.Second - 1) / time.Second); {
	case s <= 1:
		return "1 second"
	case s < 120:
		return fmt.Sprintf("%d seconds", s)
	default:
		return fmt.Sprintf("%d minutes", (s+59)/60)
	}
}
