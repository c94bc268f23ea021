package console

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/registrants"
	"github.com/nalw/linkpass/oid4vci"
	"github.com/nalw/linkpass/regno"
)

// An action is one thing a registrar does to a record from the console:
// a form, a preview of what will change (worked out by the service layer
// with the register's rules) and a confirmation. The handlers in
// records.go run every action the same way; this table says what each
// asks for and which operation of package registrants it calls.
type action struct {
	name   string
	title  string
	intro  string
	button string
	// danger marks a change that cannot be undone.
	danger bool
	// fields returns the form's fields, with their values taken from the
	// record (r is nil for an addition).
	fields func(r *register.Registrant, creds []*register.IssuedCredential, q url.Values) []field
	// op builds the registrant operation from the form, for actions that
	// are one (the others have preview and commit of their own).
	op      func(f url.Values) (registrants.Operation, error)
	preview func(c *Console, number string, f url.Values) (*registrants.Preview, error)
	commit  func(c *Console, ctx context.Context, actor register.Actor, number string, f url.Values) (*actionResult, error)
	// when says whether the action is offered for the record.
	when func(r *register.Registrant) bool
	done string
}

// actionResult is what a confirmed action leads to: the record again with
// a notice, or, when what it made is shown once, a page of its own.
type actionResult struct {
	number string
	// query carries the notice to the record page.
	query url.Values
	offer *oid4vci.CreatedOffer
	// issued is a credential just signed, shown once for the registrar to
	// hand over.
	issued *issuer.Issued
}

// field is one form field.
type field struct {
	Name     string
	Label    string
	Hint     string
	Kind     string // text, textarea, select, number
	Value    string
	Options  []option
	Optional bool
	// Width is an input width class for short values.
	Width string
}

type option struct{ Value, Label string }

func reasonField(label string) field {
	return field{Name: "reason", Label: label, Kind: "textarea", Hint: "Kept in the audit trail; never shown to the public."}
}

func dateField(name, label, hint string, optional bool) field {
	return field{Name: name, Label: label, Kind: "text", Hint: hint + " Write it as YYYY-MM-DD, for example 2027-03-31.", Optional: optional, Width: "date"}
}

func nationOptions() []option {
	var out []option
	for _, n := range register.Nations {
		out = append(out, option{n, nationLabel(n)})
	}
	return out
}

func nationLabel(n string) string {
	switch n {
	case "northern-ireland":
		return "Northern Ireland"
	default:
		return strings.ToUpper(n[:1]) + n[1:]
	}
}

func qualificationFields(q register.Qualification) []field {
	var acc []option
	for _, a := range register.Accreditations {
		acc = append(acc, option{a, a})
	}
	level := ""
	if q.Level > 0 {
		level = strconv.Itoa(q.Level)
	}
	return []field{
		{Name: "title", Label: "Title", Kind: "text", Value: q.Title},
		{Name: "level", Label: "Level", Hint: "The RQF (or SCQF or CQFW equivalent) level, 1 to 12.", Kind: "number", Value: level, Width: "short"},
		{Name: "provider", Label: "Provider", Kind: "text", Value: q.Provider},
		{Name: "accreditation", Label: "Accreditation against NALW standards", Kind: "select", Options: acc, Value: q.Accreditation},
		dateField("awarded", "Date awarded", "A qualification is recorded once it has been awarded.", false),
	}
}

func withValue(fs []field, name, v string) []field {
	for i := range fs {
		if fs[i].Name == name {
			fs[i].Value = v
		}
	}
	return fs
}

func formQualification(f url.Values) (register.Qualification, error) {
	q := register.Qualification{Title: f.Get("title"), Provider: f.Get("provider"), Accreditation: f.Get("accreditation"), Awarded: register.Date(strings.TrimSpace(f.Get("awarded")))}
	if s := strings.TrimSpace(f.Get("level")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return q, fmt.Errorf("%w: level %q must be a whole number from 1 to 12", register.ErrInvalid, clipForm(s))
		}
		q.Level = n
	}
	return q, nil
}

// formCourseOrQualification reads a qualification that names a catalogue
// course or is typed in, refusing a form that does both: which one the
// registrar meant would be a guess.
func formCourseOrQualification(f url.Values) (register.Qualification, error) {
	c := strings.TrimSpace(f.Get("course"))
	if c == "" {
		return formQualification(f)
	}
	for _, name := range []string{"title", "level", "provider"} {
		if strings.TrimSpace(f.Get(name)) != "" {
			return register.Qualification{}, fmt.Errorf("%w: choose a course from the catalogue or type a qualification in, not both: set the course back to None, or clear the title, level and provider", register.ErrInvalid)
		}
	}
	return register.Qualification{Course: c, Awarded: date(f, "awarded")}, nil
}

func formNumber(f url.Values, name, label string) (float64, error) {
	s := strings.TrimSpace(f.Get(name))
	if s == "" {
		return 0, fmt.Errorf("%w: %s is required", register.ErrInvalid, label)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s %q must be a number, like 12.5", register.ErrInvalid, label, clipForm(s))
	}
	return v, nil
}

func formIndex(f url.Values) (int, error) {
	i, err := strconv.Atoi(f.Get("index"))
	if err != nil || i < 0 {
		return 0, fmt.Errorf("%w: choose the qualification from the record", register.ErrInvalid)
	}
	return i, nil
}

func clipForm(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func date(f url.Values, name string) register.Date {
	return register.Date(strings.TrimSpace(f.Get(name)))
}

// reviewChoice offers the suspension and each restriction, with the
// review date each has now.
func reviewChoice(r *register.Registrant, q url.Values) field {
	fl := field{Name: "which", Label: "Review of", Kind: "select", Value: q.Get("which")}
	now := func(d register.Date) string {
		if d == "" {
			return "no review date yet"
		}
		return "review now " + string(d)
	}
	if r.Status == register.Suspended {
		fl.Options = append(fl.Options, option{"suspension", "The suspension (" + now(r.SuspensionReview) + ")"})
	}
	for i, x := range r.Restrictions {
		fl.Options = append(fl.Options, option{strconv.Itoa(i), "Restriction: " + clipForm(x.Text) + " (" + now(x.Review) + ")"})
	}
	return fl
}

func qualificationChoice(r *register.Registrant, q url.Values) field {
	fl := field{Name: "index", Label: "Qualification", Kind: "select", Value: q.Get("index")}
	for i, x := range r.Qualifications {
		fl.Options = append(fl.Options, option{strconv.Itoa(i), x.Title + " (level " + strconv.Itoa(x.Level) + ", " + string(x.Awarded) + ")"})
	}
	return fl
}

func notRemoved(r *register.Registrant) bool { return r.Status != register.Removed }

// actions is every action, in the order the record page offers them.
var actions = []*action{
	{
		name: "renew", title: "Renew registration", button: "Continue", done: "Renewed the registration.",
		intro: "Renewal extends registration by a year from its end (or from today, if it has run out), or to the date you give. A lapsed registrant becomes registered again; a suspended one stays suspended.",
		fields: func(*register.Registrant, []*register.IssuedCredential, url.Values) []field {
			return []field{dateField("until", "Registered until (optional)", "Leave empty to renew for a year.", true)}
		},
		op: func(f url.Values) (registrants.Operation, error) {
			return &registrants.Renew{Until: date(f, "until")}, nil
		},
		when: notRemoved,
	},
	{
		name: "restrict", title: "Add a restriction", button: "Continue", done: "Added the restriction.",
		intro: "A restriction is a condition on practice. Its wording is shown on the public register and on every check of the registrant's credential, so write it for the public, without health details. Credentials already issued are revoked: issue a new one afterwards.",
		fields: func(*register.Registrant, []*register.IssuedCredential, url.Values) []field {
			return []field{
				{Name: "text", Label: "Public wording of the restriction", Kind: "textarea"},
				reasonField("Reason for the restriction"),
				dateField("review", "Review date (optional)", "The home page lists the restriction from this date.", true),
			}
		},
		op: func(f url.Values) (registrants.Operation, error) {
			return &registrants.Restrict{Text: f.Get("text"), Reason: f.Get("reason"), Review: date(f, "review")}, nil
		},
		when: notRemoved,
	},
	{
		name: "unrestrict", title: "Lift the restrictions", button: "Continue", done: "Lifted the restrictions.",
		intro: "Every restriction on the record is lifted. Credentials already issued are revoked: issue a new one afterwards.",
		fields: func(*register.Registrant, []*register.IssuedCredential, url.Values) []field {
			return []field{reasonField("Reason for lifting the restrictions")}
		},
		op: func(f url.Values) (registrants.Operation, error) {
			return &registrants.Unrestrict{Reason: f.Get("reason")}, nil
		},
		when: func(r *register.Registrant) bool { return notRemoved(r) && r.Restricted() },
	},
	{
		name: "review", title: "Change a review date", button: "Continue", done: "Changed the review date.",
		intro: "Move the date a suspension or a restriction is due for review. It shows on the console's home page from that date.",
		fields: func(r *register.Registrant, _ []*register.IssuedCredential, q url.Values) []field {
			return []field{reviewChoice(r, q), dateField("review", "New review date", "", false), reasonField("Reason for the new date")}
		},
		op: func(f url.Values) (registrants.Operation, error) {
			q := &registrants.SetReview{Review: date(f, "review"), Reason: f.Get("reason")}
			switch w := f.Get("which"); w {
			case "", "suspension":
			default:
				i, err := strconv.Atoi(w)
				if err != nil || i < 0 {
					return nil, fmt.Errorf("%w: choose the suspension or a restriction from the record", register.ErrInvalid)
				}
				q.Restriction = &i
			}
			return q, nil
		},
		when: func(r *register.Registrant) bool {
			return notRemoved(r) && (r.Status == register.Suspended || r.Restricted())
		},
	},
	{
		name: "suspend", title: "Suspend", button: "Continue", done: "Suspended the registrant.",
		intro: "A suspended registrant may not practise. Their credentials show as suspended to every verifier from the next status list. With an end date, the register reinstates them by itself on that date.",
		fields: func(*register.Registrant, []*register.IssuedCredential, url.Values) []field {
			return []field{
				reasonField("Reason for the suspension"),
				dateField("until", "Suspended until (optional)", "The suspension ends by itself on this date.", true),
				dateField("review", "Review date (optional)", "The home page lists the suspension from this date.", true),
			}
		},
		op: func(f url.Values) (registrants.Operation, error) {
			return &registrants.Suspend{Reason: f.Get("reason"), Until: date(f, "until"), Review: date(f, "review")}, nil
		},
		when: func(r *register.Registrant) bool { return r.Status == register.Registered },
	},
	{
		name: "reinstate", title: "Reinstate", button: "Continue", done: "Reinstated the registrant.",
		intro: "Reinstatement ends the suspension. Credentials that were suspended become valid again. A registrant whose registration ran out meanwhile comes back as lapsed and must renew.",
		fields: func(*register.Registrant, []*register.IssuedCredential, url.Values) []field {
			return []field{reasonField("Reason for reinstating")}
		},
		op: func(f url.Values) (registrants.Operation, error) {
			return &registrants.Reinstate{Reason: f.Get("reason")}, nil
		},
		when: func(r *register.Registrant) bool { return r.Status == register.Suspended },
	},
	{
		name: "cpd", title: "Record CPD", button: "Continue", done: "Recorded the CPD.",
		intro: "NALW asks for at least 20 hours of CPD a year, 10 of them formal. Recording a year again replaces what was recorded for it.",
		fields: func(*register.Registrant, []*register.IssuedCredential, url.Values) []field {
			return []field{
				{Name: "year", Label: "Year", Kind: "number", Width: "short"},
				{Name: "hours", Label: "Hours in all", Kind: "number", Width: "short"},
				{Name: "formal_hours", Label: "Of which formal", Kind: "number", Width: "short"},
			}
		},
		op: func(f url.Values) (registrants.Operation, error) {
			y, err := formNumber(f, "year", "year")
			if err != nil {
				return nil, err
			}
			h, err := formNumber(f, "hours", "hours")
			if err != nil {
				return nil, err
			}
			fh, err := formNumber(f, "formal_hours", "formal hours")
			if err != nil {
				return nil, err
			}
			if y != float64(int(y)) {
				return nil, fmt.Errorf("%w: year must be a year like 2026", register.ErrInvalid)
			}
			return &registrants.RecordCPD{CPD: register.CPD{Year: int(y), Hours: h, FormalHours: fh}}, nil
		},
		when: notRemoved,
	},
	{
		name: "add-qualification", title: "Add a qualification", button: "Continue", done: "Added the qualification.",
		intro: "Choose the course from the catalogue where it is there; the register fills in its title, level, provider and standing. Type a qualification in only when it is not.",
		fields: func(*register.Registrant, []*register.IssuedCredential, url.Values) []field {
			course := field{Name: "course", Label: "Course from the catalogue", Kind: "select", Optional: true,
				Hint: "Leave as None to type in a qualification that is not in the catalogue."}
			fs := qualificationFields(register.Qualification{})
			for i := range fs {
				if fs[i].Name != "awarded" {
					fs[i].Optional = true
				}
			}
			return append([]field{course}, fs...)
		},
		op: func(f url.Values) (registrants.Operation, error) {
			q, err := formCourseOrQualification(f)
			return &registrants.AddQualification{Qualification: q}, err
		},
		when: notRemoved,
	},
	{
		name: "edit-qualification", title: "Correct a qualification", button: "Continue", done: "Corrected the qualification.",
		intro: "Correct what was entered wrongly. What it said before stays in the record's history. An award date in the future is refused.",
		fields: func(r *register.Registrant, _ []*register.IssuedCredential, q url.Values) []field {
			i, err := strconv.Atoi(q.Get("index"))
			cur := register.Qualification{}
			if err == nil && i >= 0 && i < len(r.Qualifications) {
				cur = r.Qualifications[i]
			}
			fs := append([]field{qualificationChoice(r, q)}, qualificationFields(cur)...)
			fs = withValue(fs, "awarded", string(cur.Awarded))
			return append(fs, reasonField("Reason for the correction"))
		},
		op: func(f url.Values) (registrants.Operation, error) {
			q, err := formQualification(f)
			if err != nil {
				return nil, err
			}
			i, err := formIndex(f)
			return &registrants.EditQualification{Qualification: q, Reason: f.Get("reason"), Index: i}, err
		},
		when: func(r *register.Registrant) bool { return notRemoved(r) && len(r.Qualifications) > 0 },
	},
	{
		name: "withdraw-qualification", title: "Withdraw a qualification", button: "Continue", done: "Withdrew the qualification.",
		intro: "Withdraw a qualification awarded in error or withdrawn by the awarding body. What it was stays in the record's history.",
		fields: func(r *register.Registrant, _ []*register.IssuedCredential, q url.Values) []field {
			return []field{qualificationChoice(r, q), reasonField("Reason for withdrawing it")}
		},
		op: func(f url.Values) (registrants.Operation, error) {
			i, err := formIndex(f)
			return &registrants.WithdrawQualification{Reason: f.Get("reason"), Index: i}, err
		},
		when: func(r *register.Registrant) bool { return notRemoved(r) && len(r.Qualifications) > 0 },
	},
	{
		name: "correct", title: "Correct the record", button: "Continue", done: "Corrected the record.",
		intro: "Correct a name, email or nation entered wrongly. The old values stay in the record's history. Credentials that state a corrected name or nation are superseded, and a new one is issued in their place.",
		fields: func(r *register.Registrant, _ []*register.IssuedCredential, _ url.Values) []field {
			return []field{
				{Name: "given_name", Label: "Given name", Kind: "text", Value: r.Given},
				{Name: "family_name", Label: "Family name", Kind: "text", Value: r.Family},
				{Name: "email", Label: "Private email", Kind: "text", Value: r.Email, Hint: "Never on the public register or in a credential."},
				{Name: "nation", Label: "Nation", Kind: "select", Options: nationOptions(), Value: r.Nation},
				reasonField("Reason for the correction"),
			}
		},
		op: func(f url.Values) (registrants.Operation, error) {
			g, fa, e, n := f.Get("given_name"), f.Get("family_name"), strings.TrimSpace(f.Get("email")), f.Get("nation")
			return &registrants.Correct{Correction: register.Correction{Given: &g, Family: &fa, Email: &e, Nation: &n}, Reason: f.Get("reason")}, nil
		},
		when: notRemoved,
	},
	{
		name: "issue-credential", title: "Issue a credential", button: "Continue", done: "Issued a new credential.",
		intro:  "A new credential states the record as it is now. It supersedes the registrant's earlier credentials, which verifiers then see as revoked.",
		fields: func(*register.Registrant, []*register.IssuedCredential, url.Values) []field { return nil },
		preview: func(c *Console, n string, _ url.Values) (*registrants.Preview, error) {
			return c.cfg.Registrants.PreviewIssue(n)
		},
		commit: func(c *Console, ctx context.Context, actor register.Actor, n string, _ url.Values) (*actionResult, error) {
			iss, err := c.cfg.Registrants.Issue(ctx, actor, n)
			if err != nil {
				return nil, err
			}
			return &actionResult{number: n, issued: iss}, nil
		},
		when: func(r *register.Registrant) bool { return r.Status == register.Registered },
	},
	{
		name: "send-credential", title: "Send the credential to the link worker's wallet", button: "Continue",
		intro:  "The register mails the link worker a link to add their credential to a wallet. The link alone is not enough: the next page shows a code that you give them another way, by phone or in person.",
		fields: func(*register.Registrant, []*register.IssuedCredential, url.Values) []field { return nil },
		preview: func(c *Console, n string, _ url.Values) (*registrants.Preview, error) {
			p, err := c.cfg.Registrants.PreviewIssue(n)
			if err != nil {
				return nil, err
			}
			if p.Before.Email == "" {
				return nil, fmt.Errorf("%w: %s has no private email address on the register; add one with “Correct the record” first", register.ErrConflict, n)
			}
			return &registrants.Preview{Before: p.Before, Credentials: []string{
				"A single-use offer is made, and its link is mailed to " + p.Before.Email + ".",
				"When the link worker redeems it with the code you give them, their wallet receives a new credential, which supersedes their earlier ones.",
			}}, nil
		},
		commit: func(c *Console, ctx context.Context, actor register.Actor, n string, _ url.Values) (*actionResult, error) {
			if c.cfg.Offers == nil {
				return nil, fmt.Errorf("%w: this register does not issue to wallets", register.ErrUnavailable)
			}
			o, err := c.cfg.Offers.CreateOffer(ctx, actor, n, oid4vci.OfferRequest{Send: true})
			if err != nil {
				return nil, err
			}
			return &actionResult{number: n, offer: o}, nil
		},
		when: func(r *register.Registrant) bool { return r.Status == register.Registered },
	},
	{
		name: "revoke-credential", title: "Revoke a credential", button: "Continue", done: "Revoked the credential.", danger: true,
		intro: "Revocation is final: every verifier sees the credential as revoked from the next status list. To replace a lost or wrong credential, issue a new one instead: that supersedes the old.",
		fields: func(_ *register.Registrant, creds []*register.IssuedCredential, q url.Values) []field {
			fl := field{Name: "jti", Label: "Credential", Kind: "select", Value: q.Get("jti")}
			for _, cr := range creds {
				if cr.Status != register.CredentialRevoked {
					fl.Options = append(fl.Options, option{cr.JTI, cr.JTI + " (issued " + cr.IssuedAt.UTC().Format(register.DateLayout) + ", " + string(cr.Status) + ")"})
				}
			}
			return []field{fl, reasonField("Reason for revoking it")}
		},
		preview: func(c *Console, n string, f url.Values) (*registrants.Preview, error) {
			if err := c.credentialOf(n, f.Get("jti")); err != nil {
				return nil, err
			}
			return c.cfg.Registrants.PreviewRevoke(f.Get("jti"), &registrants.RevokeCredential{Reason: f.Get("reason")})
		},
		commit: func(c *Console, ctx context.Context, actor register.Actor, n string, f url.Values) (*actionResult, error) {
			if err := c.credentialOf(n, f.Get("jti")); err != nil {
				return nil, err
			}
			if _, err := c.cfg.Registrants.Revoke(ctx, actor, f.Get("jti"), &registrants.RevokeCredential{Reason: f.Get("reason")}); err != nil {
				return nil, err
			}
			return &actionResult{number: n, query: url.Values{"done": {"revoke-credential"}, "credential": {f.Get("jti")}}}, nil
		},
		when: func(r *register.Registrant) bool { return r.Status != register.Removed },
	},
	{
		name: "remove", title: "Remove from the register", button: "Continue", done: "Removed the registrant from the register.", danger: true,
		intro: "Removal is final. The registration number is never used again, and the entry and its reason are kept, so that someone removed cannot slip back in. Every credential is revoked.",
		fields: func(r *register.Registrant, _ []*register.IssuedCredential, _ url.Values) []field {
			return []field{
				reasonField("Reason for removal"),
				{Name: "registration_number", Label: "Type the registration number to confirm", Kind: "text", Hint: "Type " + r.Number + ": removal cannot be undone.", Width: "short"},
			}
		},
		op: func(f url.Values) (registrants.Operation, error) {
			return &registrants.Remove{Reason: f.Get("reason"), Number: strings.ToUpper(strings.TrimSpace(f.Get("registration_number")))}, nil
		},
		when: notRemoved,
	},
}

// addAction adds a registrant; the register gives the number.
var addAction = &action{
	name: "new", title: "Add a registrant", button: "Continue",
	intro: "Registration runs for a year from today unless you give an end date.",
	fields: func(*register.Registrant, []*register.IssuedCredential, url.Values) []field {
		return []field{
			{Name: "given_name", Label: "Given name", Kind: "text"},
			{Name: "family_name", Label: "Family name", Kind: "text"},
			{Name: "nation", Label: "Nation", Kind: "select", Options: nationOptions(), Value: "england"},
			{Name: "email", Label: "Private email (optional)", Kind: "text", Optional: true, Hint: "Never on the public register or in a credential. The register sends credential offers to it."},
			dateField("registered_until", "Registered until (optional)", "Leave empty for a year.", true),
			{Name: "course", Label: "Qualification from the course catalogue", Kind: "select", Optional: true, Hint: "The registration criteria ask for a qualification from a catalogue course, or an alternative route below."},
			dateField("awarded", "Date the qualification was awarded", "", true),
			{Name: "route", Label: "Or an alternative route onto the register", Kind: "select", Optional: true, Options: routeOptions()},
			{Name: "route_reason", Label: "Reason for the alternative route", Kind: "textarea", Optional: true, Hint: "Kept on the record and in the audit trail."},
			{Name: "allow_duplicate", Label: "This is a different person from one already on the register with the same name and email", Kind: "checkbox", Optional: true},
		}
	},
	preview: func(c *Console, _ string, f url.Values) (*registrants.Preview, error) {
		return c.cfg.Registrants.PreviewAdd(formAdd(f))
	},
	commit: func(c *Console, ctx context.Context, actor register.Actor, _ string, f url.Values) (*actionResult, error) {
		r, err := c.cfg.Registrants.Add(ctx, actor, formAdd(f))
		if err != nil {
			return nil, err
		}
		return &actionResult{number: r.Number, query: url.Values{"done": {"new"}}}, nil
	},
}

func formAdd(f url.Values) *registrants.Add {
	q := &registrants.Add{NewRegistrant: register.NewRegistrant{Given: f.Get("given_name"), Family: f.Get("family_name"), Nation: f.Get("nation"),
		Email: strings.TrimSpace(f.Get("email")), RegisteredUntil: date(f, "registered_until")}, AllowDuplicate: f.Get("allow_duplicate") == "yes"}
	if c := f.Get("course"); c != "" {
		q.Qualifications = []register.Qualification{{Course: c, Awarded: date(f, "awarded")}}
	}
	if k := f.Get("route"); k != "" {
		q.EntryRoute = &register.EntryRoute{Kind: k, Reason: f.Get("route_reason")}
	}
	return q
}

func routeOptions() []option {
	out := []option{{"", "None"}}
	for _, k := range register.EntryRoutes {
		out = append(out, option{k, strings.ReplaceAll(k, "-", " ")})
	}
	return out
}

// courseOptions lists the catalogue's courses for the addition's form.
func (c *Console) courseOptions() []option {
	out := []option{{"", "None"}}
	cs, err := c.cfg.State().Courses()
	if err != nil {
		return out
	}
	for _, k := range cs {
		out = append(out, option{k.ID, k.ID + ": " + k.Title})
	}
	return out
}

func actionNamed(name string) *action {
	i := slices.IndexFunc(actions, func(a *action) bool { return a.name == name })
	if i < 0 {
		return nil
	}
	return actions[i]
}

// credentialOf refuses a credential that is not the registrant's: the
// form's registrant and credential must agree.
func (c *Console) credentialOf(number, jti string) error {
	if jti == "" {
		return fmt.Errorf("%w: choose the credential to revoke", register.ErrInvalid)
	}
	cr, err := c.cfg.State().Credential(jti)
	if err != nil {
		return err
	}
	if cr.Registrant != number {
		return fmt.Errorf("%w: credential %s is not %s's", register.ErrInvalid, jti, number)
	}
	return nil
}

// validNumber parses a registration number from a path.
func validNumber(s string) (string, error) {
	n, err := regno.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%w: %v", register.ErrNotFound, err)
	}
	return n, nil
}
