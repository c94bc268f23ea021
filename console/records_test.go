package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/registrants"
	"github.com/nalw/linkpass/issuer/renewals"
)

// fill puts real values in a route's path: the staff account id, and a
// registered registrant's number.
func (s *system) fill(p, id string) string {
	s.t.Helper()
	regs, err := s.srv.State().Registrants(register.Registered)
	require.NoError(s.t, err)
	require.NotEmpty(s.t, regs)
	return strings.NewReplacer("{id}", id, "{regno}", regs[0].Number).Replace(p)
}

func (s *system) addRegistrant(given, family, email string) *register.Registrant {
	s.t.Helper()
	r, err := s.regs.Add(context.Background(), s.admin, &registrants.Add{NewRegistrant: register.NewRegistrant{Given: given, Family: family, Nation: "wales", Email: email,
		EntryRoute: &register.EntryRoute{Kind: "experience", Reason: "Five years as a community connector"}}})
	require.NoError(s.t, err)
	return r
}

func TestFindByFoldedNameNumberOrEmailShowsPrivateFields(t *testing.T) {
	sys := newSystem(t, "http")
	r := sys.addRegistrant("Siân", "O’Brien-Jones", "sian.obrien@example.org")
	c, _, _ := sys.signedIn(register.RoleAuditor)
	for _, q := range []string{"sian obrien", "JONES SIAN", "o'brien", r.Number, strings.ToLower(r.Number), "SIAN.OBRIEN@example.org"} {
		res := sys.do(c, http.MethodGet, "/console/registrants?q="+url.QueryEscape(q), nil)
		require.Equal(t, http.StatusOK, res.StatusCode, q)
		body := bodyOf(res)
		assert.Contains(t, body, `data-regno="`+r.Number+`"`, "%q finds the registrant", q)
		assert.Contains(t, body, "sian.obrien@example.org", "staff see the private email")
	}
	res := sys.do(c, http.MethodGet, "/console/registrants?q=nobody+at+all", nil)
	assert.Contains(t, bodyOf(res), "No registrant found")
	wrong := r.Number[:len(r.Number)-1] + string("0123456789"[(int(r.Number[len(r.Number)-1]-'0')+1)%10])
	res = sys.do(c, http.MethodGet, "/console/registrants?q="+wrong, nil)
	assert.Equal(t, http.StatusBadRequest, res.StatusCode, "a mistyped check digit says so")
	assert.Contains(t, bodyOf(res), "check digit")

	res = sys.do(c, http.MethodGet, "/console/registrants/"+r.Number, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	body := bodyOf(res)
	assert.Contains(t, body, "sian.obrien@example.org")
	assert.NotContains(t, body, `id="record-actions"`, "an auditor is offered no actions")
	assert.Contains(t, body, "Added to the register")
}

func TestAnActionShowsWhatWillChangeThenChangesOnlyWhenConfirmed(t *testing.T) {
	sys := newSystem(t, "http")
	r := sys.addRegistrant("Mary", "Seacole", "mary@example.org")
	c, csrf, me := sys.signedIn(register.RoleRegistrar)
	path := "/console/registrants/" + r.Number + "/suspend"
	form := url.Values{"csrf": {csrf}, "reason": {"Interim order of the panel"}, "until": {string(register.DateOf(sys.clk.Now()).AddDays(30))}}
	res := sys.do(c, http.MethodPost, path, form)
	require.Equal(t, http.StatusOK, res.StatusCode)
	body := bodyOf(res)
	assert.Contains(t, body, "What will change")
	assert.Contains(t, body, "suspended")
	assert.Contains(t, body, `name="step" value="confirm"`)
	now, err := sys.srv.State().Registrant(r.Number)
	require.NoError(t, err)
	assert.Equal(t, register.Registered, now.Status, "the preview changed nothing")

	form.Set("step", "confirm")
	res = sys.do(c, http.MethodPost, path, form)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/console/registrants/"+r.Number+"?done=suspend", res.Header.Get("Location"))
	now, err = sys.srv.State().Registrant(r.Number)
	require.NoError(t, err)
	assert.Equal(t, register.Suspended, now.Status)

	res = sys.do(c, http.MethodGet, res.Header.Get("Location"), nil)
	body = bodyOf(res)
	assert.Contains(t, body, "Suspended the registrant.")
	assert.Contains(t, body, "Interim order of the panel", "the timeline says why")
	assert.Contains(t, body, me.Name, "and who, by name")
}

func TestAQualificationIsChosenFromTheCatalogue(t *testing.T) {
	sys := newSystem(t, "http")
	r := sys.addRegistrant("Gwen", "Pritchard", "")
	c, csrf, _ := sys.signedIn(register.RoleRegistrar)
	path := "/console/registrants/" + r.Number + "/add-qualification"
	res := sys.do(c, http.MethodGet, path, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	course, err := sys.srv.State().Course("C1")
	require.NoError(t, err)
	assert.Contains(t, bodyOf(res), `<option value="C1"`, "the form offers the catalogue's courses")

	form := url.Values{"csrf": {csrf}, "course": {"C1"}, "awarded": {string(register.DateOf(sys.clk.Now()).AddDays(-10))}}
	res = sys.do(c, http.MethodPost, path, form)
	body := bodyOf(res)
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	assert.Contains(t, body, course.Title, "the check shows the course's title, filled in from the catalogue")
	form.Set("step", "confirm")
	res = sys.do(c, http.MethodPost, path, form)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, bodyOf(res))
	now, err := sys.srv.State().Registrant(r.Number)
	require.NoError(t, err)
	require.Len(t, now.Qualifications, len(r.Qualifications)+1)
	q := now.Qualifications[len(now.Qualifications)-1]
	assert.Equal(t, "C1", q.Course)
	assert.Equal(t, course.Title, q.Title, "the register fills the title in from the catalogue")
	assert.Equal(t, max(course.Level.RQF(), 1), q.Level)
}

func TestARefusedActionSaysWhyOnTheFormAndChangesNothing(t *testing.T) {
	sys := newSystem(t, "http")
	r := sys.addRegistrant("Alan", "Turing", "")
	other := sys.addRegistrant("Joan", "Clarke", "")
	c, csrf, _ := sys.signedIn(register.RoleRegistrar)
	idx := sys.srv.State().Index("")
	for name, tc := range map[string]struct {
		action string
		form   url.Values
		msg    string
	}{
		"remove typing another valid number":   {"remove", url.Values{"reason": {"Struck off"}, "registration_number": {other.Number}}, "is not " + r.Number},
		"remove confirmed with another number": {"remove", url.Values{"step": {"confirm"}, "reason": {"Struck off"}, "registration_number": {other.Number}}, "is not " + r.Number},
		"suspend without a reason":             {"suspend", url.Values{"step": {"confirm"}}, "Reason is required"},
		"a qualification awarded in 2030": {"add-qualification", url.Values{"step": {"confirm"}, "title": {"Level 4 Certificate"}, "level": {"4"}, "provider": {"Uni"},
			"accreditation": {"nalw-accredited"}, "awarded": {"2030-01-01"}}, "in the future"},
		"a catalogue course and a typed-in qualification at once": {"add-qualification", url.Values{"step": {"confirm"}, "course": {"C1"}, "title": {"Level 4 Certificate"},
			"awarded": {"2024-06-30"}}, "not both"},
		"a course not in the catalogue":   {"add-qualification", url.Values{"step": {"confirm"}, "course": {"C999"}, "awarded": {"2024-06-30"}}, "C999"},
		"CPD hours that are not a number": {"cpd", url.Values{"year": {"2026"}, "hours": {"lots"}, "formal_hours": {"1"}}, "must be a number"},
		"send with no email on record":    {"send-credential", url.Values{}, "no private email"},
	} {
		t.Run(name, func(t *testing.T) {
			tc.form.Set("csrf", csrf)
			res := sys.do(c, http.MethodPost, "/console/registrants/"+r.Number+"/"+tc.action, tc.form)
			assert.GreaterOrEqual(t, res.StatusCode, 400)
			body := bodyOf(res)
			assert.Contains(t, body, tc.msg)
			assert.Contains(t, body, `id="action-form"`, "the form again, to put it right")
			assert.Equal(t, idx, sys.srv.State().Index(""), "nothing was committed")
		})
	}
}

func TestHomeListsWhatNeedsAttention(t *testing.T) {
	sys := newSystem(t, "http")
	ctx := context.Background()
	today := register.DateOf(sys.clk.Now())
	ended := sys.addRegistrant("Ena", "Ended", "")
	_, err := sys.regs.Change(ctx, sys.admin, ended.Number, &registrants.Suspend{Reason: "Interim order", Until: today.AddDays(2)})
	require.NoError(t, err)
	review := sys.addRegistrant("Rhys", "Review", "")
	_, err = sys.regs.Change(ctx, sys.admin, review.Number, &registrants.Suspend{Reason: "Interim order", Review: today.AddDays(1)})
	require.NoError(t, err)
	quiet := sys.addRegistrant("Quinn", "Quiet", "")
	_, err = sys.regs.Change(ctx, sys.admin, quiet.Number, &registrants.Suspend{Reason: "Interim order", Until: today.AddDays(60), Review: today.AddDays(30)})
	require.NoError(t, err)
	_, err = sys.regs.Change(ctx, sys.admin, quiet.Number, &registrants.Remove{Reason: "Struck off", Number: quiet.Number})
	require.NoError(t, err)

	_, secret := sys.totpAccount("Ida Auditor", "ida@nalw.example", register.RoleAuditor)
	sys.clk.Add(3 * 24 * time.Hour)
	home := func() string {
		t.Helper()
		// A session idles out over days: a new one each time.
		sid, _, err := sys.svc.SignInPassword(ctx, "ida@nalw.example", password)
		require.NoError(t, err)
		sid, err = sys.svc.SignInCode(ctx, sid, sys.code(secret))
		require.NoError(t, err)
		c := sys.client()
		u, _ := url.Parse(sys.url)
		c.Jar.SetCookies(u, []*http.Cookie{{Name: cookiePlain, Value: sid, Path: "/"}})
		res := sys.do(c, http.MethodGet, "/console", nil)
		require.Equal(t, http.StatusOK, res.StatusCode)
		return bodyOf(res)
	}
	body := home()
	assert.Contains(t, body, "1 change waits for a second registrar")
	assert.Contains(t, body, `data-regno="`+ended.Number+`"`)
	assert.Contains(t, body, "reached its end date")
	assert.Contains(t, body, `data-regno="`+review.Number+`"`)
	assert.Contains(t, body, "suspension review due")
	assert.NotContains(t, body, `data-regno="`+quiet.Number+`"`, "nothing of theirs is due")

	n, err := sys.regs.EndSuspensions(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	body = home()
	assert.Contains(t, body, "suspension ended by itself")
	sys.clk.Add(31 * 24 * time.Hour)
	assert.NotContains(t, home(), `data-regno="`+ended.Number+`"`, "listed for 30 days")
}

func TestTheRecordShowsTheCPDARegistrantRecorded(t *testing.T) {
	sys := newSystem(t, "http")
	r := sys.addRegistrant("Amara", "Nwosu", "amara@example.org")
	_, err := renewals.New(sys.srv).AddCPD(context.Background(), renewals.Registrant(r.Number), r.Number,
		register.CPDDraft{Date: register.DateOf(sys.srv.Now()), Title: "Motivational interviewing", Points: 6, Formal: true})
	require.NoError(t, err)
	c, _, _ := sys.signedIn(register.RoleAuditor)
	res := sys.do(c, http.MethodGet, "/console/registrants/"+r.Number, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	body := bodyOf(res)
	assert.Contains(t, body, `id="record-cpd-activities"`)
	assert.Contains(t, body, "Motivational interviewing")
}

func TestPendingRenewalsAreDecidedFromTheQueue(t *testing.T) {
	sys := newSystem(t, "http")
	svc := renewals.New(sys.srv)
	_, err := svc.SetPolicy(context.Background(), sys.admin, register.RenewalPolicy{CPD: register.CPDRule{MinPoints: 20, MinFormal: 10},
		Approval: register.ApproveByRegistrar, WindowDays: 365})
	require.NoError(t, err)
	r := sys.addRegistrant("Amara", "Nwosu", "amara@example.org")
	me := renewals.Registrant(r.Number)
	_, err = svc.AddCPD(context.Background(), me, r.Number, register.CPDDraft{Date: register.DateOf(sys.srv.Now()), Title: "Course", Points: 20, Formal: true})
	require.NoError(t, err)
	out, err := svc.Submit(context.Background(), me, r.Number, register.RenewalDeclaration{FitToPractise: true, NoNewConvictions: true, Health: true, DetailsCorrect: true})
	require.NoError(t, err)

	c, _, _ := sys.signedIn(register.RoleRegistrar)
	res := sys.do(c, http.MethodGet, "/console/renewals", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	body := bodyOf(res)
	assert.Contains(t, body, r.Number)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)[1]
	res = sys.do(c, http.MethodPost, "/console/renewals/"+out.Renewal.ID+"/refuse", url.Values{"csrf": {csrf}})
	assert.Equal(t, http.StatusBadRequest, res.StatusCode, "a refusal needs a reason")
	res = sys.do(c, http.MethodPost, "/console/renewals/"+out.Renewal.ID+"/approve", url.Values{"csrf": {csrf}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	now, err := sys.srv.State().Registrant(r.Number)
	require.NoError(t, err)
	assert.Equal(t, r.RegisteredUntil.AddYears(1), now.RegisteredUntil)
}

func TestAReviewDateIsMovedFromTheRecord(t *testing.T) {
	sys := newSystem(t, "http")
	ctx := context.Background()
	today := register.DateOf(sys.clk.Now())
	r := sys.addRegistrant("Niamh", "Ó Briain", "")
	_, err := sys.regs.Change(ctx, sys.admin, r.Number, &registrants.Suspend{Reason: "Interim order", Review: today.AddDays(5)})
	require.NoError(t, err)
	c, csrf, _ := sys.signedIn(register.RoleRegistrar)
	path := "/console/registrants/" + r.Number + "/review"
	res := sys.do(c, http.MethodGet, path, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, bodyOf(res), "The suspension (review now "+string(today.AddDays(5))+")", "the form says what the date is now")

	moved := today.AddDays(40)
	form := url.Values{"csrf": {csrf}, "which": {"suspension"}, "review": {string(moved)}, "reason": {"Hearing moved"}}
	body := bodyOf(sys.do(c, http.MethodPost, path, form))
	assert.Contains(t, body, "What will change")
	assert.Contains(t, body, string(moved))
	form.Set("step", "confirm")
	res = sys.do(c, http.MethodPost, path, form)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, bodyOf(res))
	now, err := sys.srv.State().Registrant(r.Number)
	require.NoError(t, err)
	assert.Equal(t, moved, now.SuspensionReview)
	body = bodyOf(sys.do(c, http.MethodGet, res.Header.Get("Location"), nil))
	assert.Contains(t, body, "Review date changed")
	assert.Contains(t, body, "Hearing moved")

	form.Set("review", string(today.AddDays(-1)))
	res = sys.do(c, http.MethodPost, path, form)
	assert.GreaterOrEqual(t, res.StatusCode, 400)
	assert.Contains(t, bodyOf(res), "review", "a date in the past is sent back")
}
