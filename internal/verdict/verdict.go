// Package verdict turns a verifier result into what a person or a program
// reads: the JSON of `linkpass verify --json` and POST /v1/verify, and the
// text a receptionist sees.
package verdict

import (
	"fmt"
	"io"
	"time"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/trustbundle"
	"github.com/nalw/linkpass/verifier"
)

// PhotoIDReminder ends every verdict: a credential proves registration, not
// that the person holding it is the person named.
const PhotoIDReminder = "Check that the person's photo ID matches this name."

// Verdict is the outcome of one check.
type Verdict struct {
	Valid     bool             `json:"valid"`
	Outcome   verifier.Outcome `json:"outcome"`
	Reason    string           `json:"reason"`
	CheckedAt time.Time        `json:"checked_at"`
	Issuer    string           `json:"issuer,omitempty"`
	KeyID     string           `json:"kid,omitempty"`
	// Status is valid, suspended, revoked, unknown, or not-checked when no
	// status list was consulted (then Outcome is status-not-checked, or
	// the credential failed an earlier step).
	Status             string     `json:"status"`
	StatusListIssuedAt *time.Time `json:"status_list_issued_at,omitempty"`
	StatusStale        bool       `json:"status_stale,omitempty"`
	StatusNote         string     `json:"status_note,omitempty"`
	// Credential is present once the signature verified, even when the
	// credential is not valid, so a screen can say whose it is.
	Credential *Credential `json:"credential,omitempty"`
	// QualityMarkNow is "held" or "withdrawn" when the credential shows
	// the PSA Quality Mark and the verifier knows the register's standing
	// now (from its trust bundle); empty otherwise.
	QualityMarkNow  string `json:"quality_mark_now,omitempty"`
	QualityMarkNote string `json:"quality_mark_note,omitempty"`
	Reminder        string `json:"reminder"`
}

// CompareQualityMark checks the Quality Mark the credential shows against
// the register's standing now. The mark belongs to the register: once it
// is withdrawn, a credential issued before must not be read as showing it.
// Registration itself is unaffected, so the verdict stays as it was.
func (v *Verdict) CompareQualityMark(s *trustbundle.QualityMarkStanding, now time.Time) {
	if v.Credential == nil || v.Credential.QualityMark == nil || s == nil {
		return
	}
	today := now.UTC().Format(credential.DateLayout)
	if s.Held && (s.Until == "" || s.Until >= today) {
		v.QualityMarkNow = "held"
		return
	}
	v.QualityMarkNow = "withdrawn"
	v.QualityMarkNote = fmt.Sprintf("the register no longer holds the PSA Quality Mark (as of %s): the mark on this credential no longer applies", s.AsOf.UTC().Format("2006-01-02 15:04 UTC"))
}

// Credential is what the verdict shows of a credential.
type Credential struct {
	RegistrationNumber string                     `json:"registration_number"`
	Name               string                     `json:"name"`
	Role               string                     `json:"role"`
	RegisterStatus     string                     `json:"register_status"`
	RegisteredUntil    string                     `json:"registered_until"`
	Nation             string                     `json:"nation"`
	Restrictions       bool                       `json:"restrictions"`
	PublicRegister     string                     `json:"public_register"`
	Qualifications     []credential.Qualification `json:"qualifications"`
	QualityMark        *credential.QualityMark    `json:"quality_mark"`
	IssuedAt           time.Time                  `json:"issued_at"`
	ExpiresAt          time.Time                  `json:"expires_at"`
	JTI                string                     `json:"jti"`
}

// NotChecked is the Status when no status list was consulted.
const NotChecked = "not-checked"

// From builds the verdict of res, checked at now.
func From(res *verifier.Result, now time.Time) Verdict {
	v := Verdict{Valid: res.Valid, Outcome: res.Outcome, Reason: res.Reason, CheckedAt: now.UTC().Truncate(time.Second),
		Issuer: res.Issuer, KeyID: res.KeyID, Status: NotChecked, Reminder: PhotoIDReminder}
	if res.Status.Checked {
		v.Status = res.Status.Status
		if !res.Status.ListIssuedAt.IsZero() {
			t := res.Status.ListIssuedAt.UTC()
			v.StatusListIssuedAt = &t
		}
		v.StatusStale = res.Status.Stale
		v.StatusNote = res.Status.Reason
	}
	if c := res.Claims; c != nil {
		s := c.CredentialSubject
		v.Credential = &Credential{
			RegistrationNumber: s.RegistrationNumber, Name: s.Name, Role: s.Role, RegisterStatus: s.RegisterStatus,
			RegisteredUntil: s.RegisteredUntil, Nation: s.Nation, Restrictions: s.Restrictions, PublicRegister: s.PublicRegister,
			Qualifications: s.Qualifications, QualityMark: s.QualityMark,
			IssuedAt: time.Unix(c.Iat, 0).UTC(), ExpiresAt: time.Unix(c.Exp, 0).UTC(), JTI: c.Jti,
		}
		if v.Credential.Qualifications == nil {
			v.Credential.Qualifications = []credential.Qualification{}
		}
	}
	return v
}

// Headline is the first thing a person reads: VALID, SUSPENDED, REVOKED,
// EXPIRED, STATUS NOT CHECKED or NOT VALID.
func (v Verdict) Headline() string {
	switch v.Outcome {
	case verifier.OutcomeValid:
		return "VALID"
	case verifier.OutcomeStatusNotChecked:
		return "STATUS NOT CHECKED"
	case verifier.OutcomeSuspended:
		return "SUSPENDED"
	case verifier.OutcomeRevoked:
		return "REVOKED"
	case verifier.OutcomeExpired:
		return "EXPIRED"
	}
	return "NOT VALID"
}

// WriteText writes the verdict for a receptionist.
func (v Verdict) WriteText(w io.Writer) {
	fmt.Fprintf(w, "%s\n", v.Headline())
	switch {
	case v.Outcome == verifier.OutcomeStatusNotChecked:
		fmt.Fprintf(w, "  Why: %s\n", v.Reason)
		fmt.Fprintln(w, "  Do not rely on this credential until its status is checked: it may be suspended. Check it from a synced trust bundle, online, or on the public register.")
	case !v.Valid:
		fmt.Fprintf(w, "  Why: %s\n", v.Reason)
		fmt.Fprintln(w, "  Do not rely on this credential. Check the public register or contact NALW.")
	}
	c := v.Credential
	if c == nil {
		return
	}
	row := func(k, val string) { fmt.Fprintf(w, "  %-22s %s\n", k+":", val) }
	fmt.Fprintln(w)
	row("Name", c.Name)
	row("Registration number", c.RegistrationNumber)
	row("Role", c.Role)
	row("Register status", c.RegisterStatus)
	if c.Restrictions {
		row("Restrictions", "YES: conditions on practice apply; read them at "+c.PublicRegister)
	} else {
		row("Restrictions", "none")
	}
	row("Nation", c.Nation)
	if len(c.Qualifications) == 0 {
		row("Qualifications", "none recorded")
	}
	for i, q := range c.Qualifications {
		k := ""
		if i == 0 {
			k = "Qualifications"
		}
		line := fmt.Sprintf("%s (level %d, %s, %s, %d)", q.Title, q.Level, q.Provider, q.Accreditation, q.YearAwarded)
		if k == "" {
			fmt.Fprintf(w, "  %-22s %s\n", "", line)
		} else {
			row(k, line)
		}
	}
	if c.QualityMark != nil && v.QualityMarkNow == "withdrawn" {
		row("PSA Quality Mark", "NO LONGER HELD: "+v.QualityMarkNote)
	} else if c.QualityMark != nil {
		row("PSA Quality Mark", fmt.Sprintf("yes: %s, accredited until %s", c.QualityMark.Register, c.QualityMark.ValidUntil))
	} else {
		row("PSA Quality Mark", "not shown on this credential")
	}
	row("Registered until", c.RegisteredUntil)
	row("Credential expires", c.ExpiresAt.Format("2006-01-02 15:04 UTC"))
	row("Issued by", v.Issuer)
	row("Status", v.statusLine())
	if v.Reminder != "" {
		fmt.Fprintln(w)
		fmt.Fprintln(w, v.Reminder)
	}
}

func (v Verdict) statusLine() string {
	if v.Status == NotChecked {
		return "NOT CHECKED: whether this credential is suspended or revoked is not known"
	}
	s := v.Status
	if v.StatusListIssuedAt != nil {
		s += " (as of " + v.StatusListIssuedAt.Format("2006-01-02 15:04 UTC") + ")"
	}
	if v.StatusStale {
		s += " — status information is out of date: sync again"
	}
	return s
}
