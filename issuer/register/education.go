package register

import (
	"fmt"
	"slices"
	"strings"
)

// EntryRoute is a way onto the register other than a qualification from a
// catalogue course that counts: experience-based entry, say. The reason is
// the registrar's, kept on the record and in the audit trail.
type EntryRoute struct {
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
}

// EntryRoutes are the kinds of alternative route.
var EntryRoutes = []string{"experience", "equivalent-qualification", "transfer", "other"}

// Validate checks an alternative route before it is recorded.
func (e EntryRoute) Validate() error {
	if !slices.Contains(EntryRoutes, e.Kind) {
		return fmt.Errorf("%w: alternative route %q must be one of %s", ErrInvalid, clip(e.Kind), strings.Join(EntryRoutes, ", "))
	}
	if err := checkTextLines("route reason", e.Reason, MaxReasonLen, true, true); err != nil {
		return fmt.Errorf("%w (an alternative route needs the registrar's reason)", err)
	}
	return nil
}

// Criteria are the registration criteria: what a person joining the
// register must show. They are enforced when a registrant is added through
// the API, CLI or console, and when an application is approved; registrants
// moved in by a bulk import were registered elsewhere already, and are not
// checked again.
type Criteria struct {
	// Required turns the check on. A register that has never set its
	// criteria has it off, so that registers running before the criteria
	// existed keep working unchanged until an admin turns it on.
	Required bool `json:"required"`
	// MinRQFLevel is the lowest level that counts, compared in the RQF
	// (an SCQF 7 course counts as RQF 4).
	MinRQFLevel int `json:"min_rqf_level"`
	// AllowRoute accepts an alternative route with a reason in place of a
	// qualification.
	AllowRoute bool `json:"allow_alternative_route"`
}

// DefaultCriteria are NALW's: Level 4 or above, alternative routes
// allowed.
var DefaultCriteria = Criteria{Required: true, MinRQFLevel: 4, AllowRoute: true}

// Validate checks criteria before they are recorded.
func (c Criteria) Validate() error {
	if c.MinRQFLevel < 1 || c.MinRQFLevel > 8 {
		return fmt.Errorf("%w: the lowest level that counts must be an RQF level from 1 to 8, not %d", ErrInvalid, c.MinRQFLevel)
	}
	return nil
}

// MaxNewQualifications bounds the qualifications that come with a new
// registrant or an application.
const MaxNewQualifications = 10

// ValidateClaim checks a qualification as a request gives it: one that
// names a catalogue course needs only the course and the award date (the
// catalogue supplies the rest when it is recorded); any other is checked
// in full.
func (q Qualification) ValidateClaim() error {
	if q.Course == "" {
		return q.Validate()
	}
	if err := checkText("course", q.Course, 20, true); err != nil {
		return err
	}
	if _, err := ParseDate(string(q.Awarded)); err != nil {
		return fmt.Errorf("awarded: %w", err)
	}
	return checkTextLines("assessment", q.Assessment, MaxReasonLen, false, true)
}

func cleanQualifications(qs []Qualification) []Qualification {
	out := make([]Qualification, len(qs))
	for i, q := range qs {
		q.Title, q.Provider, q.Assessment = cleanText(q.Title), cleanText(q.Provider), strings.TrimSpace(q.Assessment)
		out[i] = q
	}
	return out
}

// CheckText checks free text of at most maxLen characters, on one line
// unless multiline, for the capability packages' own fields.
func CheckText(field, s string, maxLen int, required, multiline bool) error {
	return checkTextLines(field, s, maxLen, required, multiline)
}
