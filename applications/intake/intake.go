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
	"github.com/nalw/linkpass/notify"
)

// ErrThrottled means too many codes were asked for (HTTP 429).
var ErrThrottled = errors.New("too many codes asked for")

// Applicant is the actor of what an applicant does, in the audit trail.
var Applicant = register.Actor{TokenID: "applicant", Role: "applicant"}

// Limits on one-time codes (applications.Code keeps the code itself).
const (
	// CodeTTL is how long a code works.
	CodeTTL = applications.CodeTTL
	// MaxCodeAttempts is how many wrong codes end a code.
	MaxCodeAttempts = applications.MaxCodeAttempts
	// codesPerEmail codes may be sent to one address per codeWindow, and
	// codesPerClient from one client address.
	codesPerEmail  = 3
	codesPerClient = 10
	codeWindow     = time.Hour
)

// PathStatus is the applicant's own page, where they follow, answer and
// appeal (package applications/applicant serves it).
const PathStatus = "/apply/status"

// Config configures the service.
type Config struct {
	// Mailer sends the codes and the applicants' emails. Required: an
	// applicant who cannot receive the code cannot apply.
	Mailer *mail.Mailer
	// Notify sends and records the emails about an application; nil
	// makes one over Mailer.
	Notify *notify.Notifier
	Logger *slog.Logger
}

// Service is the applications of one register.
type Service struct {
	srv *issuer.Server
	cfg Config
	// mu guards sent: how many codes went to each address and client in
	// the last codeWindow. These counts live in the memory of the node
	// that sent the codes, unlike the codes: they protect inboxes and the
	// mailer, a restart resets them to at most a few more codes, and the
	// tries on each code are counted in the log whichever node serves them.
	mu   sync.Mutex
	sent map[string][]time.Time
}

// New returns the applications of srv.
func New(srv *issuer.Server, cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Notify == nil && cfg.Mailer != nil {
		cfg.Notify = notify.New(srv, cfg.Mailer, cfg.Logger)
	}
	return &Service{srv: srv, cfg: cfg, sent: map[string][]time.Time{}}
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

// throttle counts a code sent to subject (an address, or a reference) for
// client, refusing one beyond the limits.
func (s *Service) throttle(subject, client string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.srv.Now()
	if !s.allow("to:"+subject, codesPerEmail, now) || !s.allow("client:"+client, codesPerClient, now) {
		return fmt.Errorf("%w: wait an hour before asking for another code, or use the last code you were sent", ErrThrottled)
	}
	return nil
}

// issueCode records a new code for purpose and subject and returns it;
// ref names the application of a sign-in code, for the audit trail.
func (s *Service) issueCode(ctx context.Context, purpose, subject, ref string) (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("intake: choosing a code: %w", err)
	}
	code := fmt.Sprintf("%06d", n.Int64())
	salt := newID("")
	_, err = s.srv.Apply(ctx, Applicant, fsm.ApplicantCode{Op: fsm.CodeIssue, Key: applications.CodeKey(purpose, subject), Ref: ref,
		Salt: salt, Hash: applications.HashCode(salt, code), Expires: s.srv.Now().Add(CodeTTL)})
	return code, err
}

// Code refusals.
var (
	ErrNoCode   = fmt.Errorf("%w: no code is waiting: it was never sent, was used, or was wrong %d times; ask for a new one", register.ErrInvalid, MaxCodeAttempts)
	ErrCodeGone = fmt.Errorf("%w: the code has expired; ask for a new one", register.ErrInvalid)
)

// tryCode tries code for purpose and subject through the log, which counts
// a wrong try wherever it was made.
func (s *Service) tryCode(ctx context.Context, op fsm.CodeOp, purpose, subject, ref, code string) error {
	key := applications.CodeKey(purpose, subject)
	c, err := s.srv.State().ApplicantCode(key)
	if err != nil {
		return ErrNoCode
	}
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	res, err := s.srv.Apply(ctx, Applicant, fsm.ApplicantCode{Op: op, Key: key, Ref: ref, Hash: applications.HashCode(c.Salt, code)})
	if err != nil {
		return err
	}
	switch out := res.(applications.CodeCheck); {
	case out.OK:
		return nil
	case out.Missing:
		return ErrNoCode
	case out.Expired:
		return ErrCodeGone
	case out.Left == 0:
		return fmt.Errorf("%w: the code is not right, and it was wrong %d times, so it no longer works; ask for a new one", register.ErrInvalid, MaxCodeAttempts)
	default:
		return fmt.Errorf("%w: the code is not right; check the email we sent and type the 6 digits again (%d tries left)", register.ErrInvalid, out.Left)
	}
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
	key := fold(email)
	if err := s.throttle(key, client); err != nil {
		return err
	}
	code, err := s.issueCode(ctx, applications.CodeToApply, key, "")
	if err != nil {
		return err
	}
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
	// Not recorded through notify: there is no application yet to record
	// it on, and the log keeps no address of someone who did not apply.
	if err := s.cfg.Mailer.Send(ctx, mail.Message{ID: newID("code-"), To: email, Subject: "Your code to apply to " + settings.RegisterName, Text: text}); err != nil {
		s.cfg.Logger.Warn("sending an application code failed", "err", err)
		return fmt.Errorf("%w: the code could not be sent just now; try again in a few minutes", register.ErrUnavailable)
	}
	return nil
}

// Submit records an application whose email code is code. Nothing is
// recorded unless the code and the whole application are right.
func (s *Service) Submit(ctx context.Context, n applications.New, code string) (*applications.Application, error) {
	if err := n.Validate(register.DateOf(s.srv.Now())); err != nil {
		return nil, err
	}
	// The code stays until the application is recorded, so that an
	// application refused for another reason can be sent again with it.
	if err := s.tryCode(ctx, fsm.CodeCheck, applications.CodeToApply, fold(n.Email), "", code); err != nil {
		return nil, err
	}
	res, err := s.srv.Apply(ctx, Applicant, fsm.SubmitApplication{New: n})
	if err != nil {
		return nil, err
	}
	if _, err := s.srv.Apply(ctx, Applicant, fsm.ApplicantCode{Op: fsm.CodeDrop, Key: applications.CodeKey(applications.CodeToApply, fold(n.Email))}); err != nil {
		s.cfg.Logger.Warn("dropping a used application code failed; it expires by itself", "err", err)
	}
	a := res.(*applications.Application)
	s.tell(ctx, a, "application-received", "We have your application "+a.Ref, "Thank you for applying to join "+s.srv.State().Settings().RegisterName+". Your reference is "+a.Ref+".",
		"A registrar will review your application. We will email you if we need more information, and when a decision is made. You can follow your application at "+s.statusURL()+" with your reference. Quote your reference if you contact us.")
	return a, nil
}

func (s *Service) statusURL() string {
	return strings.TrimSuffix(s.srv.State().Settings().IssuerURL, "/") + PathStatus
}

// tell emails the applicant through notify, which records on the
// application what became of the mail; purpose names the template.
func (s *Service) tell(ctx context.Context, a *applications.Application, purpose, subject string, paras ...string) {
	if s.cfg.Notify == nil {
		return
	}
	text := "Dear " + a.Given + " " + a.Family + ",\r\n\r\n" + strings.Join(paras, "\r\n\r\n") + "\r\n"
	// The change is recorded already; a mail that cannot be queued is
	// logged, and the application's record shows it was never sent.
	if _, err := s.cfg.Notify.Send(ctx, register.System, notify.Mail{Application: a, Purpose: purpose, Subject: subject, Text: text}); err != nil {
		s.cfg.Logger.Error("an email to an applicant could not be queued", "application", a.Ref, "purpose", purpose, "err", err)
	}
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
		s.tell(ctx, a, "more-information", "More information needed for your application "+a.Ref,
			"A registrar needs more information before deciding on your application "+a.Ref+":", note,
			"Answer at "+s.statusURL()+": sign in with your reference "+a.Ref+" and a code we email you, then type your answer.")
	case fsm.AppRefuse:
		s.tell(ctx, a, "refused", "Your application "+a.Ref+" was refused",
			"A registrar has refused your application "+a.Ref+", for these reasons:", note,
			"You may appeal until "+longDate(a.AppealBy)+": sign in at "+s.statusURL()+" with your reference "+a.Ref+" and say why the decision should change.")
	case fsm.AppAppeal:
		s.tell(ctx, a, "appeal-received", "We have your appeal on application "+a.Ref, "Your appeal has been recorded. A registrar who did not make the first decision will decide it, and we will email you the outcome.")
	case fsm.AppAppealUpheld:
		s.tell(ctx, a, "appeal-upheld", "Your appeal on application "+a.Ref+" was upheld", "Your appeal was upheld:", note, "Your application will be reviewed again.")
	case fsm.AppAppealDismissed:
		s.tell(ctx, a, "appeal-dismissed", "Your appeal on application "+a.Ref+" was dismissed", "Your appeal was dismissed:", note, "The decision to refuse your application stands.")
	}
	return a, nil
}

// Approve approves an application: the registrant is added, with the
// registration criteria checked, in the same change; route is the
// alternative route the registrar records, if that is how the applicant
// meets them. The new registrant is sent a welcome email that offers the
// credential through their account: signing in there proves the address
// again, and the wallet's code is then shown on their own screen rather
// than sent in the same email as the link.
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
	s.tell(ctx, out.Application, "welcome", "Welcome to "+set.RegisterName,
		"Your application "+out.Application.Ref+" has been approved. You are now on "+set.RegisterName+".",
		"Your registration number is "+out.Registrant.Number+". Your registration runs until "+string(out.Registrant.RegisteredUntil)+". Anyone can check your entry at "+set.IssuerURL+"/register/"+out.Registrant.Number+".",
		"Your credential:\r\n"+set.IssuerURL+"/account\r\nSign in there with this email address and choose \"Add to my phone's wallet\" to put your registration credential on your phone, where anyone checking it can scan it. You record your CPD and renew there too.")
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

func longDate(d register.Date) string {
	t, err := time.Parse(register.DateLayout, string(d))
	if err != nil {
		return string(d)
	}
	return t.Format("2 January 2006")
}
