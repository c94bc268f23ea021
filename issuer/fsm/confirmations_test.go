package fsm_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/confirmations"
	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/staff"
)

// providerAccount adds and activates a provider staff account of
// provider and returns the actor it acts as.
func (h *harness) providerAccount(id, email, provider string) register.Actor {
	h.t.Helper()
	hash := []byte("setup-hash-" + id)
	h.ok(admin, fsm.Staff{Change: staff.Add{Account: staff.Account{ID: id, Name: "Provider " + id, Email: email, Role: register.RoleProvider,
		Provider: provider, SetupHash: hash, SetupExpires: h.at.Add(time.Hour), WebAuthnID: []byte("w" + id)}}})
	h.ok(register.Actor{Staff: id, Role: register.RoleProvider}, fsm.Staff{Change: staff.Activate{ID: id, SetupHash: hash, PasswordHash: "$argon2id$x",
		Factor: staff.FactorTOTP, TOTPSecret: "JBSWY3DPEHPK3PXP", RecoveryHashes: [][]byte{[]byte("r")}}})
	return register.Actor{TokenID: "tok-" + id, Staff: id, Role: register.RoleProvider}
}

// twoProviders fills the catalogue with two providers of one aligned RQF 4
// course each (C1 of P1, C2 of P2) and submits an application claiming
// both and an "other" qualification.
func (h *harness) twoProviders() *applications.Application {
	h.t.Helper()
	h.catalogue()
	p2 := h.ok(registrar, fsm.AddProvider{NewProvider: courses.NewProvider{Name: "Open University"}}).(*courses.Provider)
	h.ok(registrar, fsm.AddCourse{NewCourse: courses.NewCourse{Provider: p2.ID, Title: "Social Prescribing Practice",
		Level: courses.Level{Framework: courses.RQF, Number: 5}, Mode: "distance", Standing: courses.StandingChange{Standing: courses.Aligned}}})
	return h.ok(register.Actor{TokenID: "applicant"}, fsm.SubmitApplication{New: applications.New{Given: "Bea", Family: "Okafor", Nation: "england",
		Email: "bea@example.org", DateOfBirth: "1990-05-01",
		Qualifications: []register.Qualification{{Course: "C1", Awarded: "2025-06-30"}, {Course: "C2", Awarded: "2024-01-31"},
			{Title: "Diploma in Counselling", Level: 4, Provider: "Leeds College", Accreditation: "other", Awarded: "2020-07-01"}},
		Declarations: applications.Declarations{Truthful: true}, PrivacyConsent: true}}).(*applications.Application)
}

func TestAProviderConfirmsOnlyItsOwnCoursesAndRepeatsAreHarmless(t *testing.T) {
	h := newHarness(t)
	app := h.twoProviders()
	p1 := h.providerAccount("st_p1", "p1@westminster.example", "P1")
	sub := confirmations.Subject{Application: app.Ref}

	res := h.ok(p1, fsm.AnswerQualification{Answer: confirmations.Answer{Subject: sub, Index: 0, Course: "C1", Outcome: confirmations.Confirmed}}).(fsm.AnswerResult)
	require.True(t, res.Changed)
	c := res.Confirmation
	assert.Equal(t, "A1001/C1/2025-06-30", c.ID)
	assert.Equal(t, "University of Westminster", c.ProviderName)
	assert.Equal(t, "st_p1", c.By)
	ev := h.lastEvents()[0]
	assert.Equal(t, "qualification.confirm", ev.Action)
	assert.Equal(t, c.ID, ev.Target)
	assert.Equal(t, "st_p1", ev.Actor.Staff)
	assert.Equal(t, "C1", ev.Details["course"])

	// The same answer again changes nothing and is not audited again.
	before := h.state().Index("confirmations")
	all := func() int {
		evs, err := h.state().Audit(state.AuditFilter{})
		require.NoError(t, err)
		return len(evs)
	}
	auditBefore := all()
	res = h.ok(p1, fsm.AnswerQualification{Answer: confirmations.Answer{Subject: sub, Index: 0, Outcome: confirmations.Confirmed}}).(fsm.AnswerResult)
	assert.False(t, res.Changed)
	assert.Equal(t, c, res.Confirmation)
	assert.Equal(t, before, h.state().Index("confirmations"))
	assert.Equal(t, auditBefore, all(), "not audited again")

	for name, tc := range map[string]struct {
		actor  register.Actor
		answer confirmations.Answer
		want   error
		says   string
	}{
		// One refusal for every line that is not the provider's, so that
		// it learns nothing of the person's other qualifications.
		"another provider's course": {p1, confirmations.Answer{Subject: sub, Index: 1, Outcome: confirmations.Confirmed}, register.ErrForbidden, "not a claim to one of your provider's courses"},
		"an other qualification":    {p1, confirmations.Answer{Subject: sub, Index: 2, Outcome: confirmations.Confirmed}, register.ErrForbidden, "not a claim to one of your provider's courses"},
		"no such line":              {p1, confirmations.Answer{Subject: sub, Index: 3, Outcome: confirmations.Confirmed}, register.ErrForbidden, "not a claim to one of your provider's courses"},
		"no such application":       {p1, confirmations.Answer{Subject: confirmations.Subject{Application: "A9999"}, Index: 0, Outcome: confirmations.Confirmed}, register.ErrNotFound, "A9999"},
		"a dispute without reason":  {p1, confirmations.Answer{Subject: sub, Index: 0, Outcome: confirmations.Disputed}, register.ErrInvalid, "say why"},
		"a stale form":              {p1, confirmations.Answer{Subject: sub, Index: 0, Course: "C2", Outcome: confirmations.Confirmed}, register.ErrConflict, "reload"},
		"a registrar":               {registrar, confirmations.Answer{Subject: sub, Index: 0, Outcome: confirmations.Confirmed}, register.ErrForbidden, "only a training provider"},
		"a provider token without its account": {register.Actor{TokenID: "x", Role: register.RoleProvider}, confirmations.Answer{Subject: sub, Index: 0, Outcome: confirmations.Confirmed},
			register.ErrForbidden, "only a training provider"},
	} {
		t.Run(name, func(t *testing.T) {
			before := h.state().Index("confirmations")
			err, _ := h.apply(tc.actor, fsm.AnswerQualification{Answer: tc.answer}).(error)
			require.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), tc.says)
			assert.Equal(t, before, h.state().Index("confirmations"), "nothing saved")
		})
	}

	// A change of mind keeps the earlier answer in the history.
	res = h.ok(p1, fsm.AnswerQualification{Answer: confirmations.Answer{Subject: sub, Index: 0, Outcome: confirmations.Disputed, Reason: " No record of Bea Okafor completing it. "}}).(fsm.AnswerResult)
	require.True(t, res.Changed)
	assert.Equal(t, "No record of Bea Okafor completing it.", res.Confirmation.Reason)
	require.Len(t, res.Confirmation.History, 1)
	assert.Equal(t, confirmations.Confirmed, res.Confirmation.History[0].Outcome)
	assert.Equal(t, c.CreateIndex, res.Confirmation.CreateIndex)
	ev = h.lastEvents()[0]
	assert.Equal(t, "qualification.dispute", ev.Action)
	assert.Equal(t, "No record of Bea Okafor completing it.", ev.Reason)
	assert.Equal(t, "confirmed", ev.Details["from"])
	stored, err := h.state().Confirmation(c.ID)
	require.NoError(t, err)
	assert.Equal(t, confirmations.Disputed, stored.Outcome)
	assert.Equal(t, confirmations.Confirmed, c.Outcome, "what a read returned never changes")
}

func TestAConfirmationCarriesOverWhenTheApplicationIsApproved(t *testing.T) {
	h := newHarness(t)
	app := h.twoProviders()
	p1 := h.providerAccount("st_p1", "p1@westminster.example", "P1")
	p2 := h.providerAccount("st_p2", "p2@ou.example", "P2")
	sub := confirmations.Subject{Application: app.Ref}
	h.ok(p1, fsm.AnswerQualification{Answer: confirmations.Answer{Subject: sub, Index: 0, Outcome: confirmations.Confirmed}})
	h.ok(p2, fsm.AnswerQualification{Answer: confirmations.Answer{Subject: sub, Index: 1, Outcome: confirmations.Disputed, Reason: "Withdrew in year one."}})

	approved := h.ok(registrar, fsm.ApproveApplication{Ref: app.Ref}).(fsm.ApprovalResult)
	number := approved.Registrant.Number
	cs, err := h.state().ConfirmationsOf(confirmations.Subject{Registrant: number})
	require.NoError(t, err)
	require.Len(t, cs, 2)
	lines := confirmations.Lines(approved.Registrant.Qualifications, cs)
	require.NotNil(t, lines[0])
	assert.Equal(t, confirmations.Confirmed, lines[0].Outcome)
	assert.Equal(t, app.Ref, lines[0].CarriedFrom)
	assert.Equal(t, "University of Westminster", lines[0].ProviderName)
	require.NotNil(t, lines[1])
	assert.Equal(t, "Withdrew in year one.", lines[1].Reason)
	assert.Nil(t, lines[2], "an other qualification has no provider's answer")
	var carried int
	for _, ev := range h.lastEvents() {
		if ev.Action == "qualification.confirmation-carried" {
			carried++
			assert.Equal(t, number, ev.Registrant)
		}
	}
	assert.Equal(t, 2, carried, "each carried answer is audited")

	// The application is decided: answers now go on the record.
	err, _ = h.apply(p1, fsm.AnswerQualification{Answer: confirmations.Answer{Subject: sub, Index: 0, Outcome: confirmations.Disputed, Reason: "x"}}).(error)
	require.ErrorIs(t, err, register.ErrConflict)
	assert.Contains(t, err.Error(), "answer on their record instead")
	res := h.ok(p2, fsm.AnswerQualification{Answer: confirmations.Answer{Subject: confirmations.Subject{Registrant: number}, Index: 1, Outcome: confirmations.Confirmed}}).(fsm.AnswerResult)
	assert.True(t, res.Changed)
	assert.Equal(t, app.Ref, res.Confirmation.CarriedFrom)
	assert.Equal(t, number, h.lastEvents()[0].Registrant)

	// A registrar who changes the course's award date leaves the line
	// unconfirmed: the provider confirmed another date.
	r := h.change(fsm.ChangeRegistrant{Number: number, Op: fsm.OpEditQualification, QualificationIndex: 0, Reason: "Typo in the date.",
		Qualification: &register.Qualification{Course: "C1", Awarded: "2025-07-01"}})
	cs, err = h.state().ConfirmationsOf(confirmations.Subject{Registrant: number})
	require.NoError(t, err)
	assert.Nil(t, confirmations.Lines(r.Qualifications, cs)[0])
}

func TestAProviderAccountNeedsAProviderInTheCatalogue(t *testing.T) {
	h := newHarness(t)
	h.catalogue()
	res := h.apply(admin, fsm.Staff{Change: staff.Add{Account: staff.Account{ID: "st_x", Name: "X", Email: "x@example.org", Role: register.RoleProvider,
		Provider: "P9", SetupHash: []byte("h"), SetupExpires: h.at.Add(time.Hour), WebAuthnID: []byte("w")}}})
	err, _ := res.(error)
	require.ErrorIs(t, err, register.ErrNotFound)
	assert.Contains(t, err.Error(), "training provider")
	res = h.apply(admin, fsm.Staff{Change: staff.Add{Account: staff.Account{ID: "st_y", Name: "Y", Email: "y@example.org", Role: register.RoleProvider,
		SetupHash: []byte("h"), SetupExpires: h.at.Add(time.Hour), WebAuthnID: []byte("w")}}})
	err, _ = res.(error)
	require.ErrorIs(t, err, register.ErrInvalid, "a provider account without its provider")
	accts, _ := h.state().StaffAccounts()
	assert.Empty(t, accts)
	hash := []byte("h")
	h.ok(admin, fsm.Staff{Change: staff.Add{Account: staff.Account{ID: "st_p1", Name: "P", Email: "p1@westminster.example", Role: register.RoleProvider,
		Provider: "P1", SetupHash: hash, SetupExpires: h.at.Add(time.Hour), WebAuthnID: []byte("w")}}})
	ev := h.lastEvents()[0]
	assert.Equal(t, "staff.add", ev.Action)
	assert.Equal(t, "P1", ev.Details["provider"])
	a, err := h.state().StaffAccount("st_p1")
	require.NoError(t, err)
	assert.Equal(t, "P1", a.Provider)
}
