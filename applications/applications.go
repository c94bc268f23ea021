// Package applications is how a person applies to join the register, and
// the rules of an application's life: submitted, more information asked
// for, approved (which adds the registrant), or refused with reasons, and
// a refusal appealed within the configured period and the appeal decided.
//
// The package is pure, like issuer/register: no storage, clock or
// randomness. Stored applications are immutable: every step returns a new
// Application whose history has one more entry. An application is never
// on the public register; only the registrant its approval adds is.
package applications

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/namefold"
)

// State is where an application stands.
type State string

// States.
const (
	Submitted State = "submitted"
	MoreInfo  State = "more-information"
	// Answered: the applicant answered a request for more information,
	// and a registrar has to decide again.
	Answered State = "answered"
	Approved State = "approved"
	Refused  State = "refused"
	Appealed State = "appealed"
	// AppealDismissed is final: the refusal stands.
	AppealDismissed State = "appeal-dismissed"
)

// States lists them in the order the queue shows them.
var States = []State{Submitted, Answered, MoreInfo, Appealed, Refused, Approved, AppealDismissed}

// ParseState validates a state name.
func ParseState(s string) (State, error) {
	if st := State(s); slices.Contains(States, st) {
		return st, nil
	}
	return "", fmt.Errorf("%w: state %q must be one of submitted, answered, more-information, appealed, refused, approved, appeal-dismissed", register.ErrInvalid, clip(s))
}

// Open reports whether a registrar still has to decide.
func (s State) Open() bool { return s == Submitted || s == Answered || s == MoreInfo || s == Appealed }

// DefaultAppealDays is how long a refused applicant has to appeal.
const DefaultAppealDays = 28

// Declarations are what an applicant declares about their fitness to
// practise. A "yes" is not a refusal: it needs details, which the
// registrar weighs.
type Declarations struct {
	// FitnessToPractise: proceedings, sanctions or investigations by this
	// or another regulator or register, past or current.
	FitnessToPractise bool `json:"fitness_to_practise"`
	// Convictions: criminal convictions or cautions not protected.
	Convictions bool `json:"convictions"`
	// Health: a health condition that affects their practice.
	Health bool `json:"health"`
	// Details explains each "yes".
	Details string `json:"details,omitempty"`
	// Truthful confirms that what the application says is true.
	Truthful bool `json:"truthful"`
}

// Validate checks the declarations.
func (d Declarations) Validate() error {
	if !d.Truthful {
		return fmt.Errorf("%w: confirm that the information in the application is true and complete", register.ErrInvalid)
	}
	if (d.FitnessToPractise || d.Convictions || d.Health) && strings.TrimSpace(d.Details) == "" {
		return fmt.Errorf("%w: give details of each declaration you answered yes to; a registrar reads them in confidence", register.ErrInvalid)
	}
	return register.CheckText("declaration details", d.Details, register.MaxReasonLen, false, true)
}

// New is an application as the applicant sends it.
type New struct {
	Given       string        `json:"given_name"`
	Family      string        `json:"family_name"`
	Nation      string        `json:"nation"`
	Email       string        `json:"email"`
	DateOfBirth register.Date `json:"date_of_birth"`
	Employer    string        `json:"employer,omitempty"`
	// Qualifications name catalogue courses (course and awarded date) or
	// are "other" ones typed in (title, level, provider, awarded).
	Qualifications []register.Qualification `json:"qualifications"`
	Declarations   Declarations             `json:"declarations"`
	// PrivacyConsent is the applicant's consent to the privacy notice.
	PrivacyConsent bool `json:"privacy_consent"`
}

// Validate checks an application on the day today.
func (n New) Validate(today register.Date) error {
	person := register.NewRegistrant{Given: n.Given, Family: n.Family, Nation: n.Nation, Email: n.Email, Qualifications: n.Qualifications}
	if err := person.Validate(today); err != nil {
		return err
	}
	if n.Email == "" {
		return fmt.Errorf("%w: email is required: the register sends a code to it to check it is yours", register.ErrInvalid)
	}
	dob, err := register.ParseDate(string(n.DateOfBirth))
	if err != nil {
		return fmt.Errorf("date of birth: %w", err)
	}
	if today.Before(dob.AddYears(16)) || dob.Before(today.AddYears(-110)) {
		return fmt.Errorf("%w: date of birth %s is not plausible for a link worker; check the year", register.ErrInvalid, dob)
	}
	if err := register.CheckText("employer", n.Employer, register.MaxTitleLen, false, false); err != nil {
		return err
	}
	if len(n.Qualifications) == 0 {
		return fmt.Errorf("%w: add at least one qualification: a course from the catalogue, or another qualification with its title, level and provider", register.ErrInvalid)
	}
	if err := n.Declarations.Validate(); err != nil {
		return err
	}
	if !n.PrivacyConsent {
		return fmt.Errorf("%w: agree to the privacy notice to apply: the register cannot consider an application without keeping what it says", register.ErrInvalid)
	}
	return nil
}

// CheckEmail checks an email address as the code form takes it.
func CheckEmail(email string) error {
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return fmt.Errorf("%w: email %q is not a plain address like name@example.org", register.ErrInvalid, clip(email))
	}
	return nil
}

// Event is one step in an application's history.
type Event struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Action string    `json:"action"`
	Note   string    `json:"note,omitempty"`
}

// Match is a registrant removed from the register whom an applicant may
// be: the registrar must look before deciding.
type Match struct {
	Registrant string    `json:"registration_number"`
	Name       string    `json:"name"`
	RemovedAt  time.Time `json:"removed_at"`
	Reason     string    `json:"reason"`
	// On says what matched: "name and email" or "name and date of birth".
	On string `json:"matched_on"`
}

// Application is one application to join the register.
type Application struct {
	Ref string `json:"reference"`
	New
	State       State     `json:"state"`
	SubmittedAt time.Time `json:"submitted_at"`
	History     []Event   `json:"history"`
	// Removed lists removed registrants the applicant may be.
	Removed []Match `json:"previously_removed,omitempty"`
	// Registrant is the registrant the approval added.
	Registrant string `json:"registration_number,omitempty"`
	// AppealBy is the last day a refusal may be appealed.
	AppealBy    register.Date `json:"appeal_by,omitempty"`
	CreateIndex uint64        `json:"create_index"`
	ModifyIndex uint64        `json:"modify_index"`
}

// Key is the folded name and date of birth, which an application and a
// later one by the same person share.
func (a *Application) Key() string {
	return NameKey(a.Given, a.Family) + "\x00" + string(a.DateOfBirth)
}

// NameKey folds a name as the register's search does.
func NameKey(given, family string) string { return namefold.Key(given + " " + family) }

// Create returns the application ref, submitted at at.
func (n New) Create(ref string, at time.Time, idx uint64) *Application {
	n.Given, n.Family, n.Employer = register.CleanText(n.Given), register.CleanText(n.Family), register.CleanText(n.Employer)
	n.Email = strings.TrimSpace(n.Email)
	n.Qualifications = slices.Clone(n.Qualifications)
	return &Application{Ref: ref, New: n, State: Submitted, SubmittedAt: at,
		History: []Event{{At: at, By: "applicant", Action: "submitted"}}, CreateIndex: idx, ModifyIndex: idx}
}

func (a *Application) step(s State, by, action, note string, at time.Time, idx uint64) *Application {
	c := *a
	c.State, c.ModifyIndex = s, idx
	c.History = append(slices.Clone(a.History), Event{At: at, By: by, Action: action, Note: note})
	return &c
}

func (a *Application) refuse(what string) error {
	return fmt.Errorf("%w: cannot %s application %s: it is %s", register.ErrConflict, what, a.Ref, a.State)
}

func needNote(what, note string) error {
	if err := register.CheckText(what, note, register.MaxReasonLen, true, true); err != nil {
		return fmt.Errorf("%w (it is kept with the application and in the audit trail)", err)
	}
	return nil
}

// RequestInfo asks the applicant for more information; message is what
// they are asked (it is emailed to them).
func (a *Application) RequestInfo(message, by string, at time.Time, idx uint64) (*Application, error) {
	if err := needNote("message to the applicant", message); err != nil {
		return nil, err
	}
	if !a.State.Open() {
		return nil, a.refuse("ask for more information on")
	}
	return a.step(MoreInfo, by, "more-information-requested", message, at, idx), nil
}

// MaxAnswerLen bounds an applicant's answer to a request for more
// information: room for a few paragraphs, not for documents.
const MaxAnswerLen = 5000

// Answer records the applicant's answer to the registrar's request for
// more information; the application goes back to the registrars' queue
// as answered.
func (a *Application) Answer(answer string, at time.Time, idx uint64) (*Application, error) {
	if err := register.CheckText("answer", answer, MaxAnswerLen, true, true); err != nil {
		return nil, fmt.Errorf("%w (it is kept with the application and read by a registrar)", err)
	}
	if a.State != MoreInfo {
		if a.State == Answered {
			return nil, fmt.Errorf("%w: application %s is answered already; a registrar will read it and ask again if they need more", register.ErrConflict, a.Ref)
		}
		return nil, fmt.Errorf("%w: application %s is %s: the registrar has not asked for more information, so there is nothing to answer", register.ErrConflict, a.Ref, a.State)
	}
	return a.step(Answered, "applicant", "information-provided", strings.TrimSpace(answer), at, idx), nil
}

// Request is the registrar's latest request for more information, or ""
// when the application is not waiting for an answer.
func (a *Application) Request() string {
	if a.State != MoreInfo {
		return ""
	}
	for i := len(a.History) - 1; i >= 0; i-- {
		if a.History[i].Action == "more-information-requested" {
			return a.History[i].Note
		}
	}
	return ""
}

// CanAppeal reports whether the application may be appealed on day today.
func (a *Application) CanAppeal(today register.Date) bool {
	return a.State == Refused && !a.AppealBy.Before(today)
}

// Refuse refuses the application with reasons; the applicant may appeal
// until appealDays days after today.
func (a *Application) Refuse(reasons, by string, appealDays int, at time.Time, idx uint64) (*Application, error) {
	if err := needNote("reasons for refusing", reasons); err != nil {
		return nil, err
	}
	if !a.State.Open() || a.State == Appealed {
		return nil, a.refuse("refuse")
	}
	c := a.step(Refused, by, "refused", reasons, at, idx)
	c.AppealBy = register.DateOf(at).AddDays(appealDays)
	return c, nil
}

// Appeal records the applicant's appeal against a refusal, with their
// grounds, if it came within the appeal period.
func (a *Application) Appeal(grounds, by string, at time.Time, idx uint64) (*Application, error) {
	if err := needNote("grounds of appeal", grounds); err != nil {
		return nil, err
	}
	if a.State != Refused {
		return nil, a.refuse("appeal")
	}
	if a.AppealBy.Before(register.DateOf(at)) {
		return nil, fmt.Errorf("%w: the appeal period for application %s ended on %s, so the refusal can no longer be appealed; contact the register if you could not appeal in time for a reason outside your control", register.ErrConflict, a.Ref, a.AppealBy)
	}
	return a.step(Appealed, by, "appealed", grounds, at, idx), nil
}

// DecideAppeal decides an appeal: upheld reopens the application for a
// new decision, dismissed lets the refusal stand for good.
func (a *Application) DecideAppeal(upheld bool, reason, by string, at time.Time, idx uint64) (*Application, error) {
	if err := needNote("reason for the appeal decision", reason); err != nil {
		return nil, err
	}
	if a.State != Appealed {
		return nil, a.refuse("decide an appeal on")
	}
	if upheld {
		return a.step(Submitted, by, "appeal-upheld", reason, at, idx), nil
	}
	return a.step(AppealDismissed, by, "appeal-dismissed", reason, at, idx), nil
}

// Approve marks the application approved, adding registrant number.
func (a *Application) Approve(number, note, by string, at time.Time, idx uint64) (*Application, error) {
	if err := register.CheckText("note", note, register.MaxReasonLen, false, true); err != nil {
		return nil, err
	}
	if a.State != Submitted && a.State != MoreInfo && a.State != Answered {
		return nil, a.refuse("approve")
	}
	c := a.step(Approved, by, "approved", note, at, idx)
	c.Registrant = number
	return c, nil
}

// Joining is the registrant an approval adds: the applicant's name,
// nation, email and qualifications, and the alternative route the
// registrar recorded, if any.
func (a *Application) Joining(route *register.EntryRoute) register.NewRegistrant {
	return register.NewRegistrant{Given: a.Given, Family: a.Family, Nation: a.Nation, Email: a.Email,
		Qualifications: slices.Clone(a.Qualifications), EntryRoute: route}
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
