// Package fsm turns the replicated log into register state. Each log entry
// is a command: one byte of message type, then a JSON envelope carrying the
// time of the change, who made it, and the request. Everything the change
// needs that is not deterministic (the clock, random values, the actor) is
// decided by the leader before the entry is written, so every member of a
// cluster applies the same entry to the same result.
package fsm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nalw/linkpass/issuer/register"
)

// MessageType identifies a command in the log. The numbers are part of the
// on-disk format: never renumber, only add.
type MessageType uint8

// Message types.
const (
	MsgSettings         MessageType = 1
	MsgRegistrantAdd    MessageType = 2
	MsgRegistrantChange MessageType = 3
	MsgLapseSweep       MessageType = 4
	MsgTokenCreate      MessageType = 5
	MsgTokenRevoke      MessageType = 6
	MsgKeyAdd           MessageType = 7
	MsgKeyRetire        MessageType = 8
	MsgCredentialIssue  MessageType = 9
	MsgCredentialRevoke MessageType = 10

	// 60-69: moving registers in.
	MsgImportRegistrants MessageType = 60
)

// Command is a request that can be written to the log.
type Command interface {
	MessageType() MessageType
}

// LogVersion is the newest log format this release reads. Each message
// type needs a version (versions); an entry records the version it needs,
// so that a node of an older release that meets it stops and says which
// release it must be upgraded to, rather than guessing.
const LogVersion = 3

// versions gives the log format version a message type needs, where it
// is not 1 (the format before clustering).
var versions = map[MessageType]int{}

// VersionOf returns the log format version entries of type t need.
func VersionOf(t MessageType) int {
	if v, ok := versions[t]; ok {
		return v
	}
	return 1
}

// envelope is what follows the type byte.
type envelope struct {
	// V is the log format version needed to apply the entry; absent
	// means 1.
	V     int             `json:"v,omitempty"`
	At    time.Time       `json:"at"`
	Actor register.Actor  `json:"actor"`
	Body  json.RawMessage `json:"body"`

	// status collects the status list entries the entry sets, as it
	// applies.
	status []StatusChange
}

// Encode returns the log entry for cmd made by actor at time at.
func Encode(cmd Command, actor register.Actor, at time.Time) ([]byte, error) {
	body, err := json.Marshal(cmd)
	if err != nil {
		return nil, fmt.Errorf("fsm: encoding %T: %w", cmd, err)
	}
	v := VersionOf(cmd.MessageType())
	if c, ok := cmd.(interface{ logVersion() int }); ok {
		v = max(v, c.logVersion())
	}
	if v == 1 {
		v = 0 // entries of the first format stay as they were
	}
	// The envelope is encoded without its body, which is then put in its
	// place: marshalling it as a RawMessage would scan and copy the body
	// again, to the same bytes.
	env, err := json.Marshal(envelope{V: v, At: at.UTC(), Actor: actor})
	if err != nil {
		return nil, fmt.Errorf("fsm: encoding envelope: %w", err)
	}
	head, ok := bytes.CutSuffix(env, []byte("null}"))
	if !ok {
		return nil, fmt.Errorf("fsm: encoding envelope: unexpected end %q", env[max(0, len(env)-16):])
	}
	out := make([]byte, 0, 1+len(head)+len(body)+1)
	out = append(out, byte(cmd.MessageType()))
	out = append(out, head...)
	out = append(out, body...)
	return append(out, '}'), nil
}

// SetSettings changes register settings. Nil fields are left as they are.
type SetSettings struct {
	RegisterName       *string               `json:"register_name,omitempty"`
	IssuerURL          *string               `json:"issuer_url,omitempty"`
	QualityMark        *register.QualityMark `json:"quality_mark,omitempty"`
	RemovedVisibleDays *int                  `json:"removed_visible_days,omitempty"`
	// TwoPerson sets which changes a second registrar must approve.
	TwoPerson *register.TwoPersonRule `json:"two_person_rule,omitempty"`
}

// AddRegistrant adds a registrant; the FSM assigns the number.
type AddRegistrant struct {
	register.NewRegistrant
	// RefuseDuplicate refuses the addition when a registrant with the
	// same register.DuplicateKey exists. Entries written before the rule
	// existed lack it, and so replay as they applied then.
	RefuseDuplicate bool `json:"refuse_duplicate,omitempty"`
	// CheckCriteria refuses the addition unless the qualifications or the
	// alternative route meet the register's criteria (courses.Meets).
	// Entries written before the criteria existed, the demonstration seed
	// and imports lack it.
	CheckCriteria bool `json:"check_criteria,omitempty"`
}

// ImportRegistrants adds registrants kept until now in another register,
// many in one entry so that a whole register moves in within seconds.
// Records whose external reference is already on the register are skipped,
// which makes running an import twice harmless; so are likely duplicates
// of a registrant already there, unless AllowDuplicates.
type ImportRegistrants struct {
	Records         []register.Imported `json:"records"`
	AllowDuplicates bool                `json:"allow_duplicates,omitempty"`

	// Worked out from the records alone as the entry is decoded (prepare).
	invalid []error
	keys    []string
}

// Import outcomes of one record.
const (
	ImportAdded     = "added"
	ImportExisting  = "already-imported"
	ImportDuplicate = "likely-duplicate"
)

// ImportOutcome says what became of one imported record.
type ImportOutcome struct {
	Line        int    `json:"line,omitempty"`
	ExternalRef string `json:"external_ref"`
	Outcome     string `json:"outcome"`
	// Number is the registrant added, or the one already on the register
	// that the record matched.
	Number string `json:"registration_number"`
}

// Op is a change to an existing registrant.
type Op string

// Registrant operations.
const (
	OpSuspend       Op = "suspend"
	OpReinstate     Op = "reinstate"
	OpRemove        Op = "remove"
	OpRenew         Op = "renew"
	OpRestrict      Op = "restrict"
	OpUnrestrict    Op = "unrestrict"
	OpQualification Op = "add-qualification"
	OpCPD           Op = "record-cpd"

	// Corrections of what was entered wrongly, each with a reason.
	OpCorrect               Op = "correct"
	OpEditQualification     Op = "edit-qualification"
	OpWithdrawQualification Op = "withdraw-qualification"
	// OpSetReview moves the review date of a suspension or of one
	// restriction. It needs log format 3 (ChangeRegistrant.logVersion).
	OpSetReview Op = "set-review"
)

// ChangeRegistrant applies Op to the registrant Number.
type ChangeRegistrant struct {
	Number string        `json:"registration_number"`
	Op     Op            `json:"op"`
	Reason string        `json:"reason,omitempty"`
	Until  register.Date `json:"until,omitempty"`
	Text   string        `json:"text,omitempty"`
	// Review is the review date of a suspension (OpSuspend) or of the
	// restriction added (OpRestrict).
	Review register.Date `json:"review,omitempty"`
	// Decided is the date the decision behind a suspension, removal or
	// restriction was made (a panel's, an interim order's), when that was
	// before it was entered. It is kept in the audit trail, so that the
	// time from decision to publication can be reported (package reports).
	Decided       register.Date           `json:"decided,omitempty"`
	Qualification *register.Qualification `json:"qualification,omitempty"`
	CPD           *register.CPD           `json:"cpd,omitempty"`
	// Correction is the fields OpCorrect amends.
	Correction *register.Correction `json:"correction,omitempty"`
	// QualificationIndex is the qualification (from 0, in the order
	// recorded) that OpEditQualification and OpWithdrawQualification change.
	QualificationIndex int `json:"qualification_index,omitempty"`
	// RefuseFutureAward refuses a qualification awarded after the date of
	// the change. Entries written before the rule existed lack it, and so
	// replay as they applied then.
	RefuseFutureAward bool `json:"refuse_future_award,omitempty"`
	// Restriction is the restriction (from 0, in the order imposed) whose
	// review date OpSetReview moves; absent, it moves the suspension's.
	Restriction *int `json:"restriction,omitempty"`
}

// logVersion is the log format an entry of this change needs. A node of
// an older release would refuse an operation it does not know while the
// others apply it, and the copies of the register would part; with the
// version it stops and asks to be upgraded instead.
func (cmd ChangeRegistrant) logVersion() int {
	if cmd.Op == OpSetReview {
		return 3
	}
	return 1
}

// LapseSweep lapses every registrant whose registration has run out by the
// date of the entry.
type LapseSweep struct{}

// CreateToken records a new API token (its hash only).
type CreateToken struct {
	Token register.Token `json:"token"`
}

// RevokeToken revokes an API token.
type RevokeToken struct {
	ID     string `json:"id"`
	Reason string `json:"reason,omitempty"`
}

// AddKey records a new signing key, which becomes the active key; the
// previous active key keeps verifying.
type AddKey struct {
	Key register.SigningKey `json:"key"`
}

// RetireKey stops publishing a key. Without Force it is refused while
// credentials the key signed may still be unexpired.
type RetireKey struct {
	KID   string `json:"kid"`
	Force bool   `json:"force,omitempty"`
	// NotAfter is the latest expiry of any credential the key signed, as
	// the leader found it; the FSM refuses retirement before that time.
	NotAfter time.Time `json:"not_after,omitzero"`
}

// IssueCredential records a credential the leader has signed, with the
// status list entry it chose at random. The FSM refuses it if the entry is
// already taken (the leader then picks another) or the registrant is no
// longer in good standing, so a credential is only ever returned after its
// record and entry are committed.
type IssueCredential struct {
	Credential register.IssuedCredential `json:"credential"`
	// ListSize is the size of the list, used when the entry opens a new
	// list.
	ListSize int `json:"list_size"`
}

// RevokeCredential revokes one credential for good.
type RevokeCredential struct {
	JTI    string `json:"jti"`
	Reason string `json:"reason"`
}

func (IssueCredential) MessageType() MessageType  { return MsgCredentialIssue }
func (RevokeCredential) MessageType() MessageType { return MsgCredentialRevoke }

func (ImportRegistrants) MessageType() MessageType { return MsgImportRegistrants }

func (SetSettings) MessageType() MessageType      { return MsgSettings }
func (AddRegistrant) MessageType() MessageType    { return MsgRegistrantAdd }
func (ChangeRegistrant) MessageType() MessageType { return MsgRegistrantChange }
func (LapseSweep) MessageType() MessageType       { return MsgLapseSweep }
func (CreateToken) MessageType() MessageType      { return MsgTokenCreate }
func (RevokeToken) MessageType() MessageType      { return MsgTokenRevoke }
func (AddKey) MessageType() MessageType           { return MsgKeyAdd }
func (RetireKey) MessageType() MessageType        { return MsgKeyRetire }
