package register

import (
	"fmt"
	"strings"
	"time"

	"github.com/nalw/linkpass/namefold"
)

// MaxExternalRefLen bounds the reference another system gave a registrant.
const MaxExternalRefLen = 100

// Imported is a registrant brought in from a register kept elsewhere: what
// that register knew of them, and its reference for them, which makes an
// import safe to run again.
type Imported struct {
	// Line is where the record came from in the file, for reports only.
	Line int `json:"line,omitempty"`

	ExternalRef     string          `json:"external_ref"`
	Given           string          `json:"given_name"`
	Family          string          `json:"family_name"`
	Nation          string          `json:"nation"`
	Email           string          `json:"email,omitempty"`
	RegisteredFrom  Date            `json:"registered_from"`
	RegisteredUntil Date            `json:"registered_until"`
	Status          Status          `json:"status"`
	StatusReason    string          `json:"status_reason,omitempty"`
	Restrictions    []string        `json:"restrictions,omitempty"`
	Qualifications  []Qualification `json:"qualifications,omitempty"`
}

// Validate checks an imported record. Unlike a new registrant, its dates
// may lie in the past: it carries the history of another register.
func (m *Imported) Validate() error {
	if err := checkText("external reference", m.ExternalRef, MaxExternalRefLen, true); err != nil {
		return err
	}
	if err := (NewRegistrant{Given: m.Given, Family: m.Family, Nation: m.Nation, Email: m.Email}).Validate(""); err != nil {
		return err
	}
	from, err := ParseDate(string(m.RegisteredFrom))
	if err != nil {
		return fmt.Errorf("registered from: %w", err)
	}
	until, err := ParseDate(string(m.RegisteredUntil))
	if err != nil {
		return fmt.Errorf("registered until: %w", err)
	}
	if until.Before(from) {
		return fmt.Errorf("%w: registered until %s is before registered from %s", ErrInvalid, until, from)
	}
	if _, err := ParseStatus(string(m.Status)); err != nil {
		return err
	}
	if m.Status != Registered {
		if err := checkReason(m.StatusReason); err != nil {
			return fmt.Errorf("%w; a %s registrant needs a status reason", err, m.Status)
		}
	} else if m.StatusReason != "" {
		if err := checkReason(m.StatusReason); err != nil {
			return err
		}
	}
	for _, r := range m.Restrictions {
		if err := checkTextLines("restriction text", r, MaxRestrictionLen, true, true); err != nil {
			return err
		}
	}
	if len(m.Restrictions) > 0 && m.Status == Removed {
		return fmt.Errorf("%w: a removed registrant has no restrictions in force; leave them out", ErrInvalid)
	}
	for i, q := range m.Qualifications {
		if err := q.Validate(); err != nil {
			return fmt.Errorf("qualification %d: %w", i+1, err)
		}
	}
	return nil
}

// Create returns the registrant the record becomes, numbered number and
// brought in at time at.
func (m *Imported) Create(number string, at time.Time, idx uint64) *Registrant {
	reason := strings.TrimSpace(m.StatusReason)
	if reason == "" {
		reason = "imported from the previous register"
	}
	r := &Registrant{
		Number: number, Given: strings.TrimSpace(m.Given), Family: strings.TrimSpace(m.Family),
		Nation: m.Nation, Email: m.Email, ExternalRef: m.ExternalRef,
		Status: m.Status, StatusReason: reason, StatusChangedAt: at,
		RegisteredFrom: m.RegisteredFrom, RegisteredUntil: m.RegisteredUntil,
		Restrictions:   make([]Restriction, 0, len(m.Restrictions)),
		CPD:            []CPD{},
		Qualifications: make([]Qualification, 0, len(m.Qualifications)),
		CreateIndex:    idx, ModifyIndex: idx,
	}
	for _, x := range m.Restrictions {
		r.Restrictions = append(r.Restrictions, Restriction{Text: strings.TrimSpace(x), Since: at})
	}
	for _, q := range m.Qualifications {
		q.Title, q.Provider = strings.TrimSpace(q.Title), strings.TrimSpace(q.Provider)
		r.Qualifications = append(r.Qualifications, q)
	}
	return r
}

// DuplicateKey is the one rule for a likely duplicate: two registrants
// whose names fold to the same letters and who share an email address are
// probably one person entered twice. Without an email there is no key:
// namesakes are common, and a name alone proves nothing.
func DuplicateKey(given, family, email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return ""
	}
	return namefold.Key(given+" "+family) + "\x00" + email
}

// DuplicateKey returns the registrant's likely-duplicate key.
func (r *Registrant) DuplicateKey() string { return DuplicateKey(r.Given, r.Family, r.Email) }
