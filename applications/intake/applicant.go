package intake

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// What an applicant does themselves, at /apply/status: sign in with their
// reference and a code emailed to the address on the application, answer
// a request for more information, and appeal a refusal.

var refPattern = regexp.MustCompile(`^A[0-9]{4,9}$`)

// CheckRef checks the form of an application reference.
func CheckRef(ref string) error {
	if !refPattern.MatchString(ref) {
		return fmt.Errorf("%w: enter your application reference as our email gave it, a letter A and digits, for example A1001", register.ErrInvalid)
	}
	return nil
}

// SendStatusCode emails a sign-in code to the address on application ref,
// for client. It answers the same whether or not ref is an application,
// and sends in the background, so that neither the answer nor its time
// tells a stranger which references exist.
func (s *Service) SendStatusCode(ctx context.Context, ref, client string) error {
	ref = strings.ToUpper(strings.TrimSpace(ref))
	if err := CheckRef(ref); err != nil {
		return err
	}
	if s.cfg.Notify == nil {
		return fmt.Errorf("%w: this register sends no mail, so it cannot send you a code; contact the register", register.ErrUnavailable)
	}
	if err := s.throttle("ref:"+ref, client); err != nil {
		return err
	}
	a, err := s.srv.State().Application(ref)
	if err != nil {
		return nil
	}
	go s.sendStatusCode(a)
	return nil
}

func (s *Service) sendStatusCode(a *applications.Application) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code, err := s.issueCode(ctx, applications.CodeToSignIn, a.Ref, a.Ref)
	if err != nil {
		s.cfg.Logger.Warn("recording an applicant's sign-in code failed", "application", a.Ref, "err", err)
		return
	}
	s.tell(ctx, a, "sign-in-code", "Your code to see application "+a.Ref,
		"Your code to see your application "+a.Ref+" is:", "    "+code,
		"Type it on the page that asked for it, "+s.statusURL()+". It works once, for 30 minutes.",
		"If you did not ask for it, ignore this email: nobody can see your application without the code.")
}

// SignIn checks code for application ref and spends it; the application
// is returned when it is right. Five wrong tries end the code.
func (s *Service) SignIn(ctx context.Context, ref, code string) (*applications.Application, error) {
	ref = strings.ToUpper(strings.TrimSpace(ref))
	if err := CheckRef(ref); err != nil {
		return nil, err
	}
	if err := s.tryCode(ctx, fsm.CodeUse, applications.CodeToSignIn, ref, ref, code); err != nil {
		return nil, err
	}
	return s.srv.State().Application(ref)
}

// Answer records the applicant's answer to the registrar's request for
// more information on application ref.
func (s *Service) Answer(ctx context.Context, ref, answer string) (*applications.Application, error) {
	res, err := s.srv.Apply(ctx, Applicant, fsm.AnswerApplication{Ref: ref, Answer: strings.ReplaceAll(answer, "\r\n", "\n")})
	if err != nil {
		return nil, err
	}
	a := res.(*applications.Application)
	s.tell(ctx, a, "answer-received", "We have your answer on application "+a.Ref,
		"Thank you: your answer is with your application "+a.Ref+". A registrar will read it, and we will email you when there is a decision or if they need anything more.")
	return a, nil
}

// Appeal lodges the applicant's appeal against the refusal of application
// ref, with their grounds, within the appeal period.
func (s *Service) Appeal(ctx context.Context, ref, grounds string) (*applications.Application, error) {
	return s.Step(ctx, Applicant, ref, fsm.AppAppeal, strings.ReplaceAll(grounds, "\r\n", "\n"))
}

// Messages lists the mail sent to the applicant of application ref, and
// what became of each.
func (s *Service) Messages(ref string) ([]*register.Message, error) {
	return s.srv.State().MessagesOfApplication(ref)
}

// Application returns application ref.
func (s *Service) Application(ref string) (*applications.Application, error) {
	return s.srv.State().Application(ref)
}
