package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"math/big"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/renewals"
	"github.com/nalw/linkpass/notify"
)

// Sign-in codes.
const (
	// CodeDigits is the length of a sign-in code.
	CodeDigits = 6
	// CodeTTL is how long a code works.
	CodeTTL = 15 * time.Minute
	// CodeAttempts is how many wrong tries lock a code.
	CodeAttempts = 5
)

// Session timeouts of a registrant's account.
const (
	IdleTimeout     = 30 * time.Minute
	AbsoluteTimeout = 12 * time.Hour
	maxSessions     = 50000
)

// stage is how far a browser has got.
type stage int

const (
	// stageCode: an email was given; a code may have been sent.
	stageCode stage = iota + 1
	// stageSignedIn: the right code was typed.
	stageSignedIn
)

// session is what the server keeps of a browser. A pending session for an
// email not on the register looks the same as any other, with no code:
// every code typed into it is wrong.
type session struct {
	Stage  stage
	Number string
	// codeHash is the hash of the code sent to this browser's email; it is
	// tied to the session, so a code works only in the browser that asked
	// for it.
	codeHash    []byte
	codeExpires time.Time
	failures    int
}

func hashCode(code string) []byte {
	h := sha256.Sum256([]byte("account-code:" + code))
	return h[:]
}

func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("account: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return fmt.Sprintf("%0*d", CodeDigits, n.Int64())
}

// NormalEmail is an email as sign-in compares it.
func NormalEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// limits rate-limits code requests per email and per client address, and
// code attempts per client address, with token buckets (x/time/rate). They
// live in memory on the node serving sign-in; the counts are bounded so a
// flood of addresses cannot exhaust memory.
type limits struct {
	mu      sync.Mutex
	email   map[string]*rate.Limiter
	client  map[netip.Addr]*rate.Limiter
	attempt map[netip.Addr]*rate.Limiter
}

const maxLimited = 100000

// Rates: a person may ask for three codes at once, then one every ten
// minutes; one address (a shared office) twenty, then one a minute; and
// type thirty codes, then one every ten seconds.
var (
	emailRate, emailBurst     = rate.Every(10 * time.Minute), 3
	clientRate, clientBurst   = rate.Every(time.Minute), 20
	attemptRate, attemptBurst = rate.Every(10 * time.Second), 30
)

func newLimits() *limits {
	return &limits{email: map[string]*rate.Limiter{}, client: map[netip.Addr]*rate.Limiter{}, attempt: map[netip.Addr]*rate.Limiter{}}
}

func allow[K comparable](m map[K]*rate.Limiter, k K, r rate.Limit, b int, now time.Time) bool {
	l, ok := m[k]
	if !ok {
		if len(m) >= maxLimited {
			for k, old := range m {
				if old.TokensAt(now) >= float64(b) {
					delete(m, k)
				}
			}
		}
		l = rate.NewLimiter(r, b)
		m[k] = l
	}
	return l.AllowN(now, 1)
}

// allowSend reports whether a code may be sent to email for client now.
func (l *limits) allowSend(email string, client netip.Addr, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return allow(l.client, client, clientRate, clientBurst, now) && allow(l.email, email, emailRate, emailBurst, now)
}

func (l *limits) allowAttempt(client netip.Addr, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return allow(l.attempt, client, attemptRate, attemptBurst, now)
}

// ErrTooMany is returned when a client or an address asks too often; the
// same for an address on the register as for one that is not.
var ErrTooMany = fmt.Errorf("%w: too many sign-in codes were asked for; wait 10 minutes, then try again", register.ErrForbidden)

// startSignIn begins a sign-in for email in a new pending session and,
// when the email is on the register, sends a code to it in the background,
// so that the answer takes as long whether or not it is.
func (a *Account) startSignIn(email string, client netip.Addr) (string, error) {
	email = NormalEmail(email)
	if _, err := parseEmail(email); err != nil {
		return "", err
	}
	now := a.now()
	if !a.limits.allowSend(email, client, now) {
		return "", ErrTooMany
	}
	s := session{Stage: stageCode}
	var code string
	r := a.registrantFor(email)
	if r != nil {
		code = newCode()
		s.Number, s.codeHash, s.codeExpires = r.Number, hashCode(code), now.Add(CodeTTL)
	}
	id, err := a.sessions.Create(s, now)
	if err != nil {
		return "", fmt.Errorf("%w: %v", register.ErrUnavailable, err)
	}
	if r != nil {
		go a.sendCode(r, code)
	}
	return id, nil
}

// registrantFor is the registrant who signs in with email: the newest
// entry that has it and has not been removed, or, failing that, the newest.
func (a *Account) registrantFor(email string) *register.Registrant {
	rs, err := a.cfg.State().RegistrantsByEmail(email)
	if err != nil || len(rs) == 0 {
		return nil
	}
	best := rs[len(rs)-1]
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].Status != register.Removed {
			return rs[i]
		}
	}
	return best
}

func (a *Account) sendCode(r *register.Registrant, code string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := a.cfg.RegisterName
	text := strings.Join([]string{
		"Dear " + r.FullName() + ",",
		"",
		"Your code to sign in to your account on the " + name + " is:",
		"",
		"    " + code,
		"",
		"Type it on the sign-in page that asked for it: " + a.cfg.IssuerURL + PathCode,
		"It works once, in the browser where you asked for it, for 15 minutes.",
		"",
		"If you did not ask to sign in, you can ignore this email: nobody can sign in without the code.",
	}, "\r\n")
	actor := renewals.Registrant(r.Number)
	if _, err := a.cfg.Notify.Send(ctx, actor, notify.Mail{Registrant: r, Purpose: "account-sign-in", Subject: "Your sign-in code for the " + name, Text: text}); err != nil {
		a.cfg.Logger.Warn("account: sending a sign-in code failed", "registrant", r.Number, "err", err)
		return
	}
	a.event(ctx, r.Number, fsm.EventSignInSent)
}

func (a *Account) event(ctx context.Context, number, ev string) {
	if _, err := a.cfg.Register.Apply(ctx, renewals.Registrant(number), fsm.AccountEvent{Number: number, Event: ev}); err != nil {
		a.cfg.Logger.Warn("account: recording a sign-in event failed", "registrant", number, "event", ev, "err", err)
	}
}

// Sign-in refusals. None says whether the email is on the register.
var (
	ErrWrongCode   = fmt.Errorf("%w: that code is not right; check the email and type the 6 digits again", register.ErrUnauthenticated)
	ErrCodeExpired = fmt.Errorf("%w: that code has expired or was locked after 5 wrong tries; ask for a new one", register.ErrUnauthenticated)
)

// finishSignIn checks the code typed in pending session id and, when it is
// right, replaces the session with a signed-in one and returns its id.
func (a *Account) finishSignIn(ctx context.Context, id, code string, client netip.Addr) (string, error) {
	now := a.now()
	if !a.limits.allowAttempt(client, now) {
		return "", ErrTooMany
	}
	ss, ok := a.sessions.Get(id, now)
	if !ok || ss.Data.Stage != stageCode {
		return "", ErrCodeExpired
	}
	s := ss.Data
	if s.failures >= CodeAttempts || (s.codeHash != nil && !now.Before(s.codeExpires)) {
		return "", ErrCodeExpired
	}
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if s.codeHash == nil || subtle.ConstantTimeCompare(hashCode(code), s.codeHash) != 1 {
		var failures int
		a.sessions.Update(id, func(d *session) { d.failures++; failures = d.failures })
		if s.Number != "" {
			ev := fsm.EventSignInFailed
			if failures >= CodeAttempts {
				ev = fsm.EventCodeLocked
			}
			// In the background, so that a wrong code takes as long
			// whether or not the email was on the register.
			go a.event(context.Background(), s.Number, ev)
		}
		if failures >= CodeAttempts {
			return "", ErrCodeExpired
		}
		return "", ErrWrongCode
	}
	a.sessions.Delete(id)
	nid, err := a.sessions.Create(session{Stage: stageSignedIn, Number: s.Number}, now)
	if err != nil {
		return "", fmt.Errorf("%w: %v", register.ErrUnavailable, err)
	}
	a.event(ctx, s.Number, fsm.EventSignedIn)
	return nid, nil
}
