// Package intake runs applications to join the register: it proves the
// applicant's email with a one-time code, records the application, and
// carries out the registrars' decisions, each through the register's log
// (the rules are package applications'), with the emails each step sends.
// The API, the CLI (through the API), the public /apply page and the
// console call these same operations.
package intake

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/mail"
)

// ErrThrottled means too many codes were asked for (HTTP 429).
var ErrThrottled = errors.New("too many codes asked for")

// Applicant is the actor of what an applicant does, in the audit trail.
var Applicant = register.Actor{TokenID: "applicant", Role: "applicant"}

// Limits on one-time codes.
const (
	// CodeTTL is how long a code works.
	CodeTTL = 30 * time.Minute
	// MaxCodeAttempts is how many wrong codes end a code.
	MaxCodeAttempts = 5
	// codesPerEmail codes may be sent to one address per codeWindow, and
	// codesPerClient from one client address.
	codesPerEmail  = 3
	codesPerClient = 10
	codeWindow     = time.Hour
)

// Config configures the service.
type Config struct {
	// Mailer sends the codes and the applicants' emails. Required: an
	// applicant who cannot receive the code cannot apply.
	Mailer *mail.Mailer
	Logger *slog.Logger
}

// Service is the applications of one register.
type Service struct {
	srv    *issuer.Server
	cfg    Config
	mu     sync.Mutex
	codes  map[string]*pendingCode // by folded email
	sent   map[string][]time.Time  // codes sent, by email and by client
	secret [32]byte
}

// pendingCode is a code sent and not yet used. Codes live in memory only:
// they are worth minutes, and a restart asks the applicant for a new one.
type pendingCode struct {
	hash     [32]byte
	expires  time.Time
	failures int
}

// New returns the applications of srv.
func New(srv *issuer.Server, cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{srv: srv, cfg: cfg, codes: map[string]*pendingCode{}, sent: map[string][]time.Time{}}
	if _, err := rand.Read(s.secret[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return s
}

func (s *Service) hash(email, code string) [32]byte {
	return sha256.Sum256([]byte(hex.EncodeToString(s.secret[:]) + "\x00" + email + "\x00" + code))
}

func fold(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// allow records a send against key and reports whether it is within limit
// per codeWindow.
func (s *Service) allow(key string, limit int, now time.Time) bool {
	var kept []time.Time
	for _, t := range s.sent[key] {
		if now.Sub(t) < codeWindow {
			kept = append(kept, t)
		}
	}
	if len(kept) >= limit {
		s.sent[key] = kept
		return false
	}
	s.sent[key] = append(kept, now)
	return true
}

// SendCode emails a one-time code to email, for an application from
// client (the requester's address, for the rate limit).
func (s *Service) SendCode(ctx context.Context, email, client string) error {
	if err := applications.CheckEmail(email); err != nil {
		return err
	}
	if s.cfg.Mailer == nil {
		return fmt.Errorf("%w: this register sends no mail, so it cannot take applications; contact the register", register.ErrUnavailable)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return fmt.Errorf("intake: choosing a code: %w", err)
	}
	code := fmt.Sprintf("%06d", n.Int64())
	now := s.srv.Now()
	key := fold(email)
	s.mu.Lock()
	if !s.allow("email:"+key, codesPerEmail, now) || !s.allow("client:"+client, codesPerClient, now) {
		s.mu.Unlock()
		return fmt.Errorf("%w: wait an hour before asking for another code, or use the last code you were sent", ErrThrottled)
	}
	s.codes[key] = &pendingCode{hash: s.hash(key, code), expires: now.Add(CodeTTL)}
	s.mu.Unlock()
	settings := s.srv.State().Settings()
	text := strings.Join([]string{
		"Your code to apply to " + settings.RegisterName + " is:",
		"",
		"    " + code,
		"",
		"Type it into the application form. It works for 30 minutes.",
		"",
		"If you did not ask to apply, ignore this email: nothing happens without the code.",
	}, "\r\n")
	if err := s.cfg.Mailer.Send(ctx, mail.Message{ID: newID("code-"), To: email, Subject: "Your code to apply to " + settings.RegisterName, Text: text}); err != nil {
		s.cfg.Logger.Warn("sending an application code failed", "err", err)
		return fmt.Errorf("%w: the code could not be sent just now; try again in a few minutes", register.ErrUnavailable)
	}
	return nil
}

// checkCode checks code for email, counting a wrong one; it leaves the
// code to be used until the application is recorded.
func (s *Service) checkCode(email, code string) error {
	key := fold(email)
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.codes[key]
	now := s.srv.Now()
	switch {
	case p == nil:
		return fmt.Errorf("%w: no code was sent to %s, or it was used; ask for a code first", register.ErrInvalid, email)
	case now.After(p.expires):
		delete(s.codes, key)
		return fmt.Errorf("%w: the code has expired; ask for a new one", register.ErrInvalid)
	}
	want := s.hash(key, strings.TrimSpace(code))
	if subtle.ConstantTimeCompare(want[:], p.hash[:]) != 1 {
		p.failures++
		if p.failures >= MaxCodeAttempts {
			delete(s.codes, key)
			return fmt.Errorf("%w: the code is not right, and it was wrong %d times, so it no longer works; ask for a new one", register.ErrInvalid, MaxCodeAttempts)
		}
		return fmt.Errorf("%w: the code is not right; check the email we sent to %s (%d tries left)", register.ErrInvalid, email, MaxCodeAttempts-p.failures)
	}
	return nil
}

// Submit records an application whose email code is code. Nothing is
// recorded unless the code and the whole application are right.
func (s *Service) Submit(ctx context.Context, n applications.New, code string) (*applications.Application, error) {
	if err := n.Validate(register.DateOf(s.srv.Now())); err != nil {
		return nil, err
	}
	if err := s.checkCode(n.Email, code); err != nil {
		return nil, err
	}
	res, err := s.srv.Apply(ctx, Applicant, fsm.SubmitApplication{New: n})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	delete(s.codes, fold(n.Email))
	s.mu.Unlock()
	a := res.(*applications.Application)
	s.tell(a, "We have your application "+a.Ref, "Thank you for applying to join "+s.srv.State().Settings().RegisterName+". Your reference is "+a.Ref+".",
		"A registrar will review your application. We will email you if we need more information, and when a decision is made. Quote your reference if you contact us.")
	return a, nil
}

// tell emails the applicant, in the background with retries.
func (s *Service) tell(a *applications.Application, subject string, paras ...string) {
	if s.cfg.Mailer == nil {
		return
	}
	text := "Dear " + a.Given + " " + a.Family + ",\r\n\r\n" + strings.Join(paras, "\r\n\r\n") + "\r\n"
	s.cfg.Mailer.Deliver(mail.Message{ID: newID("app-"), To: a.Email, Subject: subject, Text: text}, func(out mail.Outcome) {
		if out.Final && out.Err != nil {
			s.cfg.Logger.Error("an email to an applicant could not be sent", "application", a.Ref, "attempts", out.Attempts)
		}
	})
}

// Step is a registrar's step on an application other than approval.
func (s *Service) Step(ctx context.Context, actor register.Actor, ref string, op fsm.ApplicationOp, note string) (*applications.Application, error) {
	res, err := s.srv.Apply(ctx, actor, fsm.ChangeApplication{Ref: ref, Op: op, Note: note})
	if err != nil {
		return nil, err
	}
	a := res.(*applications.Application)
	switch op {
	case fsm.AppRequestInfo:
		s.tell(a, "More information needed for your application "+a.Ref,
			"A registrar needs more information before deciding on your application "+a.Ref+":", note,
			"Reply to this email with what is asked, quoting your reference.")
	case fsm.AppRefuse:
		s.tell(a, "Your application "+a.Ref+" was refused",
			"A registrar has refused your application "+a.Ref+", for these reasons:", note,
			"You may appeal until "+string(a.AppealBy)+": reply to this email saying why the decision should change, quoting your reference.")
	case fsm.AppAppeal:
		s.tell(a, "We have your appeal on application "+a.Ref, "Your appeal has been recorded. A registrar who did not make the first decision will decide it, and we will email you the outcome.")
	case fsm.AppAppealUpheld:
		s.tell(a, "Your appeal on application "+a.Ref+" was upheld", "Your appeal was upheld:", note, "Your application will be reviewed again.")
	case fsm.AppAppealDismissed:
		s.tell(a, "Your appeal on application "+a.Ref+" was dismissed", "Your appeal was dismissed:", note, "The decision to refuse your application stands.")
	}
	return a, nil
}

// Approve approves an application: the registrant is added, with the
// registration criteria checked, in the same change; route is the
// alternative route the registrar records, if that is how the applicant
// meets them. The new registrant is sent a welcome email.
func (s *Service) Approve(ctx context.Context, actor register.Actor, ref string, route *register.EntryRoute, note string) (*fsm.ApprovalResult, error) {
	if route != nil {
		if err := route.Validate(); err != nil {
			return nil, err
		}
	}
	res, err := s.srv.Apply(ctx, actor, fsm.ApproveApplication{Ref: ref, Route: route, Note: note})
	if err != nil {
		return nil, err
	}
	out := res.(fsm.ApprovalResult)
	set := s.srv.State().Settings()
	s.tell(out.Application, "Welcome to "+set.RegisterName,
		"Your application "+out.Application.Ref+" has been approved. You are now on "+set.RegisterName+".",
		"Your registration number is "+out.Registrant.Number+". Your registration runs until "+string(out.Registrant.RegisteredUntil)+". Anyone can check your entry at "+set.IssuerURL+"/register/"+out.Registrant.Number+".",
		"Your registrar will send you a link to put your registration credential in the register's wallet on your phone.")
	return &out, nil
}

// SetAppealDays sets how long a refused applicant has to appeal.
func (s *Service) SetAppealDays(ctx context.Context, actor register.Actor, days int) (register.Settings, error) {
	res, err := s.srv.Apply(ctx, actor, fsm.SetApplicationSettings{AppealDays: days})
	if err != nil {
		return register.Settings{}, err
	}
	return res.(register.Settings), nil
}

func newID(prefix string) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return prefix + hex.EncodeToString(b[:])
}
