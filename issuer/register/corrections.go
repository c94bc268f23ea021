package register

import (
	"fmt"
	"slices"
	"strconv"
)

// Correction amends what was entered wrongly on a registrant's record.
// Nil fields are left as they are. The old values stay in the audit trail,
// which the change records.
type Correction struct {
	Given  *string `json:"given_name,omitempty"`
	Family *string `json:"family_name,omitempty"`
	Email  *string `json:"email,omitempty"`
	Nation *string `json:"nation,omitempty"`
}

// Changed is one field a change altered, with its value before and after.
type Changed struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Details returns the changes as audit details: field.from and field.to.
func Details(ch []Changed) map[string]string {
	d := make(map[string]string, 2*len(ch))
	for _, c := range ch {
		d[c.Field+".from"], d[c.Field+".to"] = c.From, c.To
	}
	return d
}

// CarriedInCredential reports whether a change alters what a credential
// states about the registrant, so that credentials issued before it must be
// superseded. Email is never in a credential.
func CarriedInCredential(ch []Changed) bool {
	return slices.ContainsFunc(ch, func(c Changed) bool { return c.Field != "email" })
}

// Correct applies a correction with its reason. The corrected record must
// pass the same checks as a new registrant; a correction that changes
// nothing is refused, so the audit trail never holds empty corrections.
func (r *Registrant) Correct(c Correction, reason string, today Date, idx uint64) (*Registrant, []Changed, error) {
	if err := checkReason(reason); err != nil {
		return nil, nil, err
	}
	n := NewRegistrant{Given: r.Given, Family: r.Family, Email: r.Email, Nation: r.Nation}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&n.Given, c.Given)
	set(&n.Family, c.Family)
	set(&n.Email, c.Email)
	set(&n.Nation, c.Nation)
	if err := n.Validate(today); err != nil {
		return nil, nil, err
	}
	out := r.clone()
	out.Given, out.Family, out.Email, out.Nation = cleanText(n.Given), cleanText(n.Family), n.Email, n.Nation
	var ch []Changed
	for _, f := range []struct{ name, from, to string }{
		{"given_name", r.Given, out.Given}, {"family_name", r.Family, out.Family},
		{"email", r.Email, out.Email}, {"nation", r.Nation, out.Nation},
	} {
		if f.from != f.to {
			ch = append(ch, Changed{Field: f.name, From: f.from, To: f.to})
		}
	}
	if len(ch) == 0 {
		return nil, nil, fmt.Errorf("%w: nothing to correct: the values given are those on the register", ErrInvalid)
	}
	out.ModifyIndex = idx
	return out, ch, nil
}

// CheckAwarded refuses an award date after today: a qualification is
// recorded once it has been awarded.
func (q Qualification) CheckAwarded(today Date) error {
	if today.Before(q.Awarded) {
		return fmt.Errorf("%w: awarded %s is in the future; record a qualification once it has been awarded", ErrInvalid, q.Awarded)
	}
	return nil
}

func (r *Registrant) qualification(i int) error {
	if i < 0 || i >= len(r.Qualifications) {
		return fmt.Errorf("%w: %s has no qualification %d (they have %d, numbered from 0)", ErrNotFound, r.Number, i, len(r.Qualifications))
	}
	return nil
}

func qualificationFields(q Qualification) map[string]string {
	return map[string]string{
		"title": q.Title, "level": strconv.Itoa(q.Level), "provider": q.Provider,
		"accreditation": q.Accreditation, "awarded": string(q.Awarded),
	}
}

// EditQualification replaces qualification i (numbered from 0, in the order
// recorded) with q, for the reason given.
func (r *Registrant) EditQualification(i int, q Qualification, reason string, today Date, idx uint64) (*Registrant, []Changed, error) {
	if err := checkReason(reason); err != nil {
		return nil, nil, err
	}
	if err := r.qualification(i); err != nil {
		return nil, nil, err
	}
	if err := q.Validate(); err != nil {
		return nil, nil, err
	}
	if err := q.CheckAwarded(today); err != nil {
		return nil, nil, err
	}
	if r.Status == Removed {
		return nil, nil, r.refuse("edit a qualification of")
	}
	q.Title, q.Provider = cleanText(q.Title), cleanText(q.Provider)
	old, nu := qualificationFields(r.Qualifications[i]), qualificationFields(q)
	var ch []Changed
	for _, k := range []string{"title", "level", "provider", "accreditation", "awarded"} {
		if old[k] != nu[k] {
			ch = append(ch, Changed{Field: "qualification." + k, From: old[k], To: nu[k]})
		}
	}
	if len(ch) == 0 {
		return nil, nil, fmt.Errorf("%w: nothing to change: the qualification is recorded as given", ErrInvalid)
	}
	c := r.clone()
	c.Qualifications[i] = q
	c.ModifyIndex = idx
	return c, ch, nil
}

// WithdrawQualification takes qualification i off the record, for the reason
// given (awarded in error, or withdrawn by the awarding body). What it was
// stays in the audit trail.
func (r *Registrant) WithdrawQualification(i int, reason string, idx uint64) (*Registrant, []Changed, error) {
	if err := checkReason(reason); err != nil {
		return nil, nil, err
	}
	if err := r.qualification(i); err != nil {
		return nil, nil, err
	}
	if r.Status == Removed {
		return nil, nil, r.refuse("withdraw a qualification of")
	}
	q := r.Qualifications[i]
	c := r.clone()
	c.Qualifications = slices.Delete(c.Qualifications, i, i+1)
	c.ModifyIndex = idx
	return c, []Changed{{Field: "qualification", From: q.Title + " (level " + strconv.Itoa(q.Level) + ", " + q.Provider + ", " + string(q.Awarded) + ")", To: ""}}, nil
}
