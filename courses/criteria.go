package courses

import (
	"fmt"

	"github.com/nalw/linkpass/issuer/register"
)

// Accreditation is how a qualification from a course with standing s
// reads on a registrant's record and in their credential.
func (s Standing) Accreditation() string {
	switch s {
	case Accredited:
		return "nalw-accredited"
	case Aligned:
		return "nalw-aligned"
	}
	return "other"
}

// Resolve returns the qualification q, which names catalogue course c
// (of provider p), with the catalogue's title, provider and level (its
// RQF equivalent), and the accreditation the course held on the day of
// the award.
func Resolve(q register.Qualification, c *Course, p *Provider) (register.Qualification, error) {
	if _, err := register.ParseDate(string(q.Awarded)); err != nil {
		return q, fmt.Errorf("awarded: %w", err)
	}
	if c.ID != q.Course || p.ID != c.Provider {
		return q, fmt.Errorf("%w: course %s is not the one the qualification names", register.ErrInvalid, c.ID)
	}
	q.Title, q.Provider, q.Level = c.Title, p.Name, max(c.Level.RQF(), 1)
	q.Accreditation = c.StandingOn(q.Awarded).Standing.Accreditation()
	return q, q.Validate()
}

// Meets reports whether a person with the qualifications quals (resolved
// against the catalogue) or the alternative route meets the criteria c,
// and if not, says what is missing and what to do.
func Meets(c register.Criteria, quals []register.Qualification, route *register.EntryRoute) error {
	if !c.Required {
		return nil
	}
	for _, q := range quals {
		if q.Course != "" && q.Level >= c.MinRQFLevel && (q.Accreditation == "nalw-accredited" || q.Accreditation == "nalw-aligned") {
			return nil
		}
	}
	if route != nil {
		if !c.AllowRoute {
			return fmt.Errorf("%w: the register's criteria do not accept an alternative route; a qualification at RQF Level %d or above from an accredited or aligned catalogue course is required", register.ErrConflict, c.MinRQFLevel)
		}
		return route.Validate()
	}
	alt := ""
	if c.AllowRoute {
		alt = ", or an alternative route (such as experience-based entry) with a reason"
	}
	return fmt.Errorf("%w: the registration criteria need at least one qualification at RQF Level %d or above (SCQF %d) from a catalogue course that was NALW-accredited or aligned when it was awarded%s; nothing was saved",
		register.ErrConflict, c.MinRQFLevel, scqfFor(c.MinRQFLevel), alt)
}

// scqfFor is the lowest SCQF level that compares with RQF level r.
func scqfFor(r int) int {
	for s := 1; s <= 12; s++ {
		if scqfToRQF[s] >= r {
			return s
		}
	}
	return 12
}
