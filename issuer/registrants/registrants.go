// Package registrants is the one set of operations on registrants that the
// HTTP API (and so the CLI) and the console call: add, renew, restrict and
// unrestrict, suspend and reinstate, remove, CPD, qualifications,
// corrections, and issuing and revoking credentials. Each operation checks
// its input, then commits one command through the register's log, where
// the rules of issuer/register decide. Each has a preview that works out
// what the change would do with those same rules, committing nothing, for
// the console's confirm step.
//
// Removal and new restrictions follow the two-person rule when the
// register's settings ask for it (proposals.go).
package registrants

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// Service runs registrant operations on a register.
type Service struct {
	srv *issuer.Server
}

// New returns the operations on srv's registrants.
func New(srv *issuer.Server) *Service { return &Service{srv: srv} }

// Outcome is a registrant after a change.
type Outcome struct {
	Registrant *register.Registrant
	// StatusPublishedAt is when the served status list that carries the
	// change to the registrant's credentials was signed, if it made one.
	StatusPublishedAt time.Time
	// Changed is what a correction altered.
	Changed []register.Changed
	// Superseded is the credentials a correction revoked.
	Superseded []string
	// Reissued is the credential issued in place of the superseded ones,
	// when the registrant is in good standing to receive one.
	Reissued *issuer.Issued
	// Proposal is set when the change waits for a second registrar's
	// approval (and then nothing else is), or was one just approved.
	Proposal *register.Proposal
}

func isCorrection(op fsm.Op) bool {
	return op == fsm.OpCorrect || op == fsm.OpEditQualification || op == fsm.OpWithdrawQualification
}

// Change checks op and commits it for registrant number on behalf of
// actor. A removal or new restriction under the two-person rule becomes a
// proposal instead (Outcome.Proposal, nothing else set). A correction that superseded
// credentials stating what it corrected issues one in their place, so that
// the holder's next credential is right.
func (s *Service) Change(ctx context.Context, actor register.Actor, number string, op Operation) (*Outcome, error) {
	if err := op.Validate(); err != nil {
		return nil, err
	}
	cmd, err := op.Command(number)
	if err != nil {
		return nil, err
	}
	if s.needsApproval(cmd.Op) {
		p, err := s.propose(ctx, actor, cmd)
		if err != nil {
			return nil, err
		}
		return &Outcome{Proposal: p}, nil
	}
	return s.commit(ctx, actor, cmd)
}

// commit writes a registrant change to the log and re-issues what a
// correction superseded.
func (s *Service) commit(ctx context.Context, actor register.Actor, cmd fsm.ChangeRegistrant) (*Outcome, error) {
	c, err := s.srv.Commit(ctx, actor, cmd)
	if err != nil {
		return nil, err
	}
	res := c.Result.(fsm.Result)
	out := &Outcome{Registrant: res.Registrant, StatusPublishedAt: c.StatusPublishedAt, Changed: res.Changed, Superseded: res.Superseded}
	if !isCorrection(cmd.Op) || len(out.Superseded) == 0 || !out.Registrant.GoodStanding(register.DateOf(s.srv.Now())) {
		return out, nil
	}
	if out.Reissued, err = s.srv.IssueCredential(ctx, actor, cmd.Number); err != nil {
		return out, fmt.Errorf("the correction is committed and the old credentials revoked, but re-issuing failed: %w; issue a new credential", err)
	}
	return out, nil
}

// Add adds a registrant; the register gives the number.
func (s *Service) Add(ctx context.Context, actor register.Actor, q *Add) (*register.Registrant, error) {
	q.Today = register.DateOf(s.srv.Now())
	if err := q.Validate(); err != nil {
		return nil, err
	}
	res, err := s.srv.Apply(ctx, actor, fsm.AddRegistrant{NewRegistrant: q.NewRegistrant, RefuseDuplicate: !q.AllowDuplicate, CheckCriteria: true})
	if err != nil {
		return nil, err
	}
	return res.(fsm.Result).Registrant, nil
}

// Issue signs a credential for a registrant in good standing; it
// supersedes their older ones.
func (s *Service) Issue(ctx context.Context, actor register.Actor, number string) (*issuer.Issued, error) {
	return s.srv.IssueCredential(ctx, actor, number)
}

// Revoke revokes one credential for good.
func (s *Service) Revoke(ctx context.Context, actor register.Actor, jti string, q *RevokeCredential) (*issuer.Revoked, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return s.srv.RevokeCredential(ctx, actor, jti, q.Reason)
}

// Preview is what a change would do, worked out with the register's rules
// on the record as it is now. Nothing is committed.
type Preview struct {
	// Before is the record now (nil for an addition); After is the record
	// the change would leave (nil when that is not known before the change,
	// as for a credential).
	Before, After *register.Registrant
	// Changes lists each field that would change, in words.
	Changes []register.Changed
	// Credentials says, a sentence each, what would happen to credentials.
	Credentials []string
	// NeedsApproval says the change would wait for a second registrar.
	NeedsApproval bool
}

// Preview works out what op would do to registrant number now.
func (s *Service) Preview(number string, op Operation) (*Preview, error) {
	if err := op.Validate(); err != nil {
		return nil, err
	}
	cmd, err := op.Command(number)
	if err != nil {
		return nil, err
	}
	return s.previewCommand(cmd)
}

func (s *Service) previewCommand(cmd fsm.ChangeRegistrant) (*Preview, error) {
	st := s.srv.State()
	old, err := st.Registrant(cmd.Number)
	if err != nil {
		return nil, err
	}
	now := s.srv.Now()
	// A qualification that names a catalogue course is filled in from the
	// catalogue, as the log entry will fill it in.
	if cmd.Qualification != nil {
		q, err := s.resolve(*cmd.Qualification)
		if err != nil {
			return nil, err
		}
		cmd.Qualification = &q
	}
	ch, err := cmd.Apply(old, now, old.ModifyIndex)
	if err != nil {
		return nil, err
	}
	creds, err := st.CredentialsOf(cmd.Number)
	if err != nil {
		return nil, err
	}
	p := &Preview{Before: old, After: ch.Registrant, Changes: Diff(old, ch.Registrant), NeedsApproval: s.needsApproval(cmd.Op)}
	superseded := 0
	for _, cc := range CredentialChangesSorted(fsm.CredentialChanges(old, ch.Registrant, ch.Changed, creds, now)) {
		p.Credentials = append(p.Credentials, fmt.Sprintf("Credential %s (issued %s) becomes %s: %s.", cc.Credential.JTI, cc.Credential.IssuedAt.UTC().Format(register.DateLayout), cc.To, cc.Reason))
		if cc.Superseded {
			superseded++
		}
	}
	if superseded > 0 && isCorrection(cmd.Op) {
		if ch.Registrant.GoodStanding(register.DateOf(now)) {
			p.Credentials = append(p.Credentials, "A new credential stating the corrected record is issued in their place.")
		} else {
			p.Credentials = append(p.Credentials, "No new credential is issued: the registrant is not in good standing.")
		}
	}
	return p, nil
}

// resolve fills in a qualification that names a catalogue course from the
// catalogue as it stands now; one typed in is returned as it is.
func (s *Service) resolve(q register.Qualification) (register.Qualification, error) {
	if q.Course == "" {
		return q, nil
	}
	st := s.srv.State()
	c, err := st.Course(q.Course)
	if err != nil {
		return q, err
	}
	p, err := st.Provider(c.Provider)
	if err != nil {
		return q, err
	}
	return courses.Resolve(q, c, p)
}

// CredentialChangesSorted orders credential changes oldest first, so a
// preview reads the same each time.
func CredentialChangesSorted(cs []fsm.CredentialChange) []fsm.CredentialChange {
	slices.SortStableFunc(cs, func(a, b fsm.CredentialChange) int { return a.Credential.IssuedAt.Compare(b.Credential.IssuedAt) })
	return cs
}

// PreviewAdd checks a new registrant as Add would and shows the record it
// would make (its number is given when it is added).
func (s *Service) PreviewAdd(q *Add) (*Preview, error) {
	now := s.srv.Now()
	q.Today = register.DateOf(now)
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if !q.AllowDuplicate {
		if dup, err := s.srv.State().LikelyDuplicate(register.DuplicateKey(q.Given, q.Family, q.Email)); err == nil && dup != nil {
			return nil, fmt.Errorf("%w: %s %s is already on the register with the same name and email; check it is not the same person, then add again allowing the duplicate", fsm.ErrLikelyDuplicate, dup.Number, dup.FullName())
		}
	}
	// The qualifications as the catalogue fills them in, and the
	// registration criteria, checked as the addition will check them.
	st := s.srv.State()
	n := q.NewRegistrant
	n.Qualifications = make([]register.Qualification, len(q.Qualifications))
	for i, ql := range q.Qualifications {
		ql, err := s.resolve(ql)
		if err != nil {
			return nil, fmt.Errorf("qualification %d: %w", i+1, err)
		}
		n.Qualifications[i] = ql
	}
	if err := courses.Meets(st.Settings().Criteria, n.Qualifications, n.EntryRoute); err != nil {
		return nil, err
	}
	r := n.Create("", now, 0)
	return &Preview{After: r, Changes: Diff(&register.Registrant{}, r)}, nil
}

// PreviewIssue says what issuing a credential to number would do now.
func (s *Service) PreviewIssue(number string) (*Preview, error) {
	st := s.srv.State()
	r, err := st.Registrant(number)
	if err != nil {
		return nil, err
	}
	if !r.GoodStanding(register.DateOf(s.srv.Now())) {
		return nil, fmt.Errorf("%w: %s is %s (registered until %s); only registrants in good standing receive credentials", register.ErrConflict, r.Number, r.Status, r.RegisteredUntil)
	}
	creds, err := st.CredentialsOf(number)
	if err != nil {
		return nil, err
	}
	p := &Preview{Before: r, Credentials: []string{"A new credential is signed, valid until the end of " + string(r.RegisteredUntil) + "."}}
	for _, c := range creds {
		if c.Status != register.CredentialRevoked {
			p.Credentials = append(p.Credentials, fmt.Sprintf("Credential %s (issued %s) becomes revoked: superseded by the new one.", c.JTI, c.IssuedAt.UTC().Format(register.DateLayout)))
		}
	}
	return p, nil
}

// PreviewRevoke says what revoking credential jti would do.
func (s *Service) PreviewRevoke(jti string, q *RevokeCredential) (*Preview, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if err := register.CheckReason(q.Reason); err != nil {
		return nil, err
	}
	st := s.srv.State()
	c, err := st.Credential(jti)
	if err != nil {
		return nil, err
	}
	if c.Status == register.CredentialRevoked {
		return nil, fmt.Errorf("%w: credential %s is already revoked (%s)", register.ErrConflict, c.JTI, c.StatusReason)
	}
	r, err := st.Registrant(c.Registrant)
	if err != nil {
		return nil, err
	}
	return &Preview{Before: r, Credentials: []string{fmt.Sprintf("Credential %s (issued %s) becomes revoked, for good: verifiers see it as revoked from the next status list.", c.JTI, c.IssuedAt.UTC().Format(register.DateLayout))}}, nil
}

// Diff lists, in words, each field of a registrant's record that differs
// between a and b.
func Diff(a, b *register.Registrant) []register.Changed {
	var out []register.Changed
	add := func(field, from, to string) {
		if from != to {
			out = append(out, register.Changed{Field: field, From: from, To: to})
		}
	}
	add("Given name", a.Given, b.Given)
	add("Family name", a.Family, b.Family)
	add("Email", a.Email, b.Email)
	add("Nation", a.Nation, b.Nation)
	add("Status", string(a.Status), string(b.Status))
	if a.Status != b.Status {
		add("Status reason", a.StatusReason, b.StatusReason)
	}
	add("Suspended until", string(a.SuspendedUntil), string(b.SuspendedUntil))
	add("Suspension review", string(a.SuspensionReview), string(b.SuspensionReview))
	add("Registered from", string(a.RegisteredFrom), string(b.RegisteredFrom))
	add("Registered until", string(a.RegisteredUntil), string(b.RegisteredUntil))
	add("Restrictions", restrictions(a.Restrictions), restrictions(b.Restrictions))
	add("Qualifications", qualifications(a.Qualifications), qualifications(b.Qualifications))
	add("CPD", cpd(a.CPD), cpd(b.CPD))
	return out
}

func restrictions(rs []register.Restriction) string {
	var parts []string
	for _, r := range rs {
		s := r.Text
		if r.Review != "" {
			s += " (review " + string(r.Review) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func qualifications(qs []register.Qualification) string {
	var parts []string
	for _, q := range qs {
		parts = append(parts, q.Title+" (level "+strconv.Itoa(q.Level)+", "+q.Provider+", "+q.Accreditation+", "+string(q.Awarded)+")")
	}
	return strings.Join(parts, "; ")
}

func cpd(ps []register.CPD) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, fmt.Sprintf("%d: %s hours, %s formal", p.Year, strconv.FormatFloat(p.Hours, 'f', -1, 64), strconv.FormatFloat(p.FormalHours, 'f', -1, 64)))
	}
	return strings.Join(parts, "; ")
}
