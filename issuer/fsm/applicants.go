package fsm

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

// Message types of what applicants do themselves, of the mail they are
// sent, and of the grace period (185-189).
const (
	MsgApplicantMessage  MessageType = 185
	MsgApplicantCode     MessageType = 186
	MsgApplicationAnswer MessageType = 187
	MsgGracePeriodSet    MessageType = 188
)

func init() {
	appliers[MsgApplicantMessage] = decode(applyRecordApplicantMessage)
	appliers[MsgApplicantCode] = decode(applyApplicantCode)
	appliers[MsgApplicationAnswer] = decode(applyAnswerApplication)
	appliers[MsgGracePeriodSet] = decode(applySetGracePeriod)
	for _, t := range []MessageType{MsgApplicantMessage, MsgApplicantCode, MsgApplicationAnswer, MsgGracePeriodSet} {
		versions[t] = 2
	}
}

// RecordApplicantMessage records what became of a mail to the applicant
// of Message.Application, as RecordMessage does for a registrant's.
type RecordApplicantMessage struct {
	Message register.Message `json:"message"`
}

// CodeOp is what ApplicantCode does.
type CodeOp string

// Code operations.
const (
	// CodeIssue stores a new code under Key, replacing any waiting there.
	CodeIssue CodeOp = "issue"
	// CodeCheck tries Hash, counting a wrong try; a right code stays, to
	// be used by CodeDrop once what it proved is recorded.
	CodeCheck CodeOp = "check"
	// CodeUse tries Hash; a right code is spent.
	CodeUse CodeOp = "use"
	// CodeDrop deletes the code under Key.
	CodeDrop CodeOp = "drop"
)

// ApplicantCode keeps an applicant's one-time code (applications.Code):
// the leader chooses the salt and hashes what was typed, so no code is
// ever in the log. Ref names the application of a sign-in code, for the
// audit trail.
type ApplicantCode struct {
	Op      CodeOp    `json:"op"`
	Key     string    `json:"key"`
	Ref     string    `json:"reference,omitempty"`
	Salt    string    `json:"salt,omitempty"`
	Hash    string    `json:"hash,omitempty"`
	Expires time.Time `json:"expires"`
}

// AnswerApplication records the applicant's answer to a request for more
// information on application Ref.
type AnswerApplication struct {
	Ref    string `json:"reference"`
	Answer string `json:"answer"`
}

// SetGracePeriod sets how many days after registered-until a registration
// that was not renewed lapses.
type SetGracePeriod struct {
	Days int `json:"days"`
}

func (RecordApplicantMessage) MessageType() MessageType { return MsgApplicantMessage }
func (ApplicantCode) MessageType() MessageType          { return MsgApplicantCode }
func (AnswerApplication) MessageType() MessageType      { return MsgApplicationAnswer }
func (SetGracePeriod) MessageType() MessageType         { return MsgGracePeriodSet }

func applyRecordApplicantMessage(tx *state.Txn, env *envelope, cmd *RecordApplicantMessage) (any, error) {
	m := cmd.Message
	if m.ID == "" || m.Application == "" || m.Registrant != "" {
		return nil, fmt.Errorf("%w: applicant message record incomplete", register.ErrInvalid)
	}
	if _, err := tx.Application(m.Application); err != nil {
		return nil, err
	}
	if prev, err := tx.Message(m.ID); err == nil {
		if prev.Application != m.Application {
			return nil, fmt.Errorf("%w: message %s belongs to another record", register.ErrConflict, m.ID)
		}
		m.CreatedAt, m.CreateIndex = prev.CreatedAt, prev.CreateIndex
	} else {
		m.CreatedAt, m.CreateIndex = env.At, tx.Index()
	}
	m.UpdatedAt, m.ModifyIndex = env.At, tx.Index()
	if err := tx.PutMessage(&m); err != nil {
		return nil, err
	}
	details := map[string]string{"message": m.ID, "purpose": m.Purpose, "attempts": strconv.Itoa(m.Attempts)}
	return &m, audit(tx, env, mailAction(m), "", m.Application, m.LastError, details)
}

// mailAction is the audit action of a message record's step.
func mailAction(m register.Message) string {
	switch m.State {
	case register.MessageSent:
		return "mail.sent"
	case register.MessageFailed:
		return "mail.failed"
	}
	if m.Attempts > 0 {
		return "mail.retry"
	}
	return "mail.queue"
}

func applyApplicantCode(tx *state.Txn, env *envelope, cmd *ApplicantCode) (any, error) {
	if cmd.Key == "" {
		return nil, fmt.Errorf("%w: code record has no key", register.ErrInvalid)
	}
	// The code's own failures are in the outcome, not in an error: a
	// wrong try must be recorded, and an error would undo it.
	switch cmd.Op {
	case CodeIssue:
		exp := cmd.Expires
		if cmd.Salt == "" || cmd.Hash == "" || !exp.After(env.At) {
			return nil, fmt.Errorf("%w: code record incomplete", register.ErrInvalid)
		}
		if err := tx.PruneApplicantCodes(env.At); err != nil {
			return nil, err
		}
		if err := tx.DeleteApplicantCode(cmd.Key); err != nil {
			return nil, err
		}
		c := &applications.Code{Key: cmd.Key, Salt: cmd.Salt, Hash: cmd.Hash, Expires: exp, CreateIndex: tx.Index(), ModifyIndex: tx.Index()}
		if err := tx.PutApplicantCode(c); err != nil {
			return nil, err
		}
		return applications.CodeCheck{OK: true, Left: applications.MaxCodeAttempts}, codeAudit(tx, env, cmd, "applicant.code-sent", nil)
	case CodeCheck, CodeUse:
		c, err := tx.ApplicantCode(cmd.Key)
		if err != nil {
			return applications.CodeCheck{Missing: true}, nil
		}
		next, out := c.Try(cmd.Hash, cmd.Op == CodeUse, env.At, tx.Index())
		if next == nil {
			err = tx.DeleteApplicantCode(cmd.Key)
		} else if next != c {
			err = tx.PutApplicantCode(next)
		}
		if err != nil {
			return nil, err
		}
		switch {
		case out.Expired:
			return out, nil
		case out.OK && cmd.Op == CodeUse:
			return out, codeAudit(tx, env, cmd, "applicant.signed-in", nil)
		case out.OK:
			return out, nil
		case out.Left == 0:
			return out, codeAudit(tx, env, cmd, "applicant.code-locked", nil)
		}
		return out, codeAudit(tx, env, cmd, "applicant.code-wrong", map[string]string{"tries_left": strconv.Itoa(out.Left)})
	case CodeDrop:
		return applications.CodeCheck{OK: true}, tx.DeleteApplicantCode(cmd.Key)
	}
	return nil, fmt.Errorf("%w: unknown code operation %q", register.ErrInvalid, cmd.Op)
}

// codeAudit audits a step of a code: under the application's reference
// for a sign-in, and under no one's name for a code to apply (the email
// it went to is not kept).
func codeAudit(tx *state.Txn, env *envelope, cmd *ApplicantCode, action string, details map[string]string) error {
	if details == nil {
		details = map[string]string{}
	}
	details["purpose"] = purposeOf(cmd.Key)
	return audit(tx, env, action, "", cmd.Ref, "", details)
}

func purposeOf(key string) string {
	p, _, _ := strings.Cut(key, ":")
	return p
}

func applyAnswerApplication(tx *state.Txn, env *envelope, cmd *AnswerApplication) (any, error) {
	old, err := tx.Application(cmd.Ref)
	if err != nil {
		return nil, err
	}
	a, err := old.Answer(cmd.Answer, env.At, tx.Index())
	if err != nil {
		return nil, err
	}
	if err := tx.PutApplication(a); err != nil {
		return nil, err
	}
	return a, audit(tx, env, "application.answer", "", a.Ref, "", map[string]string{"from": string(old.State), "to": string(a.State)})
}

func applySetGracePeriod(tx *state.Txn, env *envelope, cmd *SetGracePeriod) (any, error) {
	if err := register.CheckGraceDays(cmd.Days); err != nil {
		return nil, err
	}
	s := tx.Settings()
	from := s.GraceDays
	s.GraceDays = cmd.Days
	if err := tx.PutSettings(s); err != nil {
		return nil, err
	}
	return s, audit(tx, env, "settings.grace-period", "", "", "", map[string]string{"from_days": strconv.Itoa(from), "to_days": strconv.Itoa(s.GraceDays)})
}
