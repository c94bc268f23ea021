// Package notify sends the register's mail to a registrant, or to an
// applicant, and keeps what became of it on their record (or on the
// application): queued, retried, sent or failed, each step audited (mail.queue, mail.retry, mail.sent, mail.failed). A mail never
// blocks the change that caused it, and a failure is visible to registrars
// on the record rather than only in a log.
package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/mail"
)

// Register is what notify needs of the register.
type Register interface {
	Apply(ctx context.Context, actor register.Actor, cmd fsm.Command) (any, error)
}

// Mailer delivers mail in the background (package mail).
type Mailer interface {
	Deliver(msg mail.Message, report func(mail.Outcome))
	Transport() string
}

// Notifier sends recorded mail.
type Notifier struct {
	reg    Register
	mailer Mailer
	logger *slog.Logger
}

// New returns a Notifier; a nil mailer makes every Send refuse.
func New(reg Register, mailer Mailer, logger *slog.Logger) *Notifier {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Notifier{reg: reg, mailer: mailer, logger: logger}
}

// ErrNoMail means the register was started without a mailer.
var ErrNoMail = fmt.Errorf("%w: this register sends no mail", register.ErrConflict)

// Mail is one message to a registrant.
type Mail struct {
	// ID names the message. Give a fixed one (with Once) for a message that
	// must go once only, such as a reminder; empty makes a random one.
	ID string
	// Once refuses, with register.ErrConflict, a message whose ID is
	// already recorded, so a reminder is never sent twice even when two
	// sweeps race (the log decides which one was first).
	Once       bool
	Registrant *register.Registrant
	// Application, instead of Registrant, sends the mail to the applicant
	// and records it on the application.
	Application *applications.Application
	// Purpose names the message's template, as the record shows it.
	Purpose string
	Subject string
	Text    string
	// Offer links the message to the credential offer it carries.
	Offer string
}

// Send records the message as queued and hands it to the mailer; the
// outcome of each attempt is recorded as it comes.
func (n *Notifier) Send(ctx context.Context, actor register.Actor, m Mail) (*register.Message, error) {
	if n.mailer == nil {
		return nil, ErrNoMail
	}
	id := m.ID
	if id == "" {
		id = "msg-" + randomID()
	}
	msg := register.Message{ID: id, Purpose: m.Purpose, State: register.MessageQueued, Transport: n.mailer.Transport()}
	var to string
	// record is the command that records msg's outcome on its record.
	var record func(msg register.Message) fsm.Command
	var first fsm.Command
	switch {
	case m.Application != nil:
		if m.Registrant != nil || m.Once || m.Offer != "" {
			return nil, fmt.Errorf("%w: a mail to an applicant is about their application only", register.ErrInvalid)
		}
		to, msg.Application = m.Application.Email, m.Application.Ref
		record = func(msg register.Message) fsm.Command { return fsm.RecordApplicantMessage{Message: msg} }
		first = record(msg)
	case m.Registrant != nil:
		to, msg.Registrant = m.Registrant.Email, m.Registrant.Number
		record = func(msg register.Message) fsm.Command { return fsm.RecordMessage{Message: msg} }
		first = fsm.RecordMessage{Message: msg, Offer: m.Offer, Once: m.Once}
	}
	if to == "" {
		return nil, fmt.Errorf("%w: the registrant has no email address on record", register.ErrConflict)
	}
	res, err := n.reg.Apply(ctx, actor, first)
	if err != nil {
		return nil, err
	}
	queued := res.(*register.Message)
	n.mailer.Deliver(mail.Message{ID: id, To: to, Subject: m.Subject, Text: m.Text}, func(out mail.Outcome) {
		rec := *queued
		rec.Attempts = out.Attempts
		switch {
		case out.Err == nil:
			rec.State, rec.LastError = register.MessageSent, ""
		case out.Final:
			rec.State, rec.LastError = register.MessageFailed, Redact(out.Err)
		default:
			rec.State, rec.LastError = register.MessageQueued, Redact(out.Err)
		}
		// The change that caused the mail is committed already; a record
		// that cannot be written is logged, never retried into a loop.
		if _, err := n.reg.Apply(context.Background(), register.System, record(rec)); err != nil {
			n.logger.Warn("recording a mail outcome failed", "message", rec.ID, "err", err)
		}
	})
	return queued, nil
}

// Redact gives an error as it is recorded and audited: short, on one
// line, and without the recipient's address (relays quote it back).
func Redact(err error) string {
	s := strings.ReplaceAll(err.Error(), "\n", " ")
	if i := strings.Index(s, "<"); i >= 0 {
		if j := strings.Index(s[i:], ">"); j > 0 {
			s = s[:i] + "<recipient>" + s[i+j+1:]
		}
	}
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// IsDuplicate reports whether err is Send refusing a Once message that was
// already recorded.
func IsDuplicate(err error) bool { return errors.Is(err, fsm.ErrMessageExists) }

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
