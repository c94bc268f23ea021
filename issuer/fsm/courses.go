package fsm

import (
	"fmt"
	"strconv"

	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

// Message types of the course catalogue, the registration criteria and
// applications to join (130-149 are theirs).
const (
	MsgProviderAdd    MessageType = 130
	MsgCourseAdd      MessageType = 131
	MsgCourseStanding MessageType = 132
	MsgCriteriaSet    MessageType = 133
)

func init() {
	appliers[MsgProviderAdd] = decode(applyAddProvider)
	appliers[MsgCourseAdd] = decode(applyAddCourse)
	appliers[MsgCourseStanding] = decode(applySetStanding)
	appliers[MsgCriteriaSet] = decode(applySetCriteria)
}

// AddProvider adds a training provider to the catalogue; the FSM assigns
// its id.
type AddProvider struct {
	courses.NewProvider
}

// AddCourse adds a course with its first standing; the FSM assigns its id.
type AddCourse struct {
	courses.NewCourse
}

// SetStanding records a course's new standing, appended to its history.
type SetStanding struct {
	Course   string                 `json:"course"`
	Standing courses.StandingChange `json:"standing"`
}

// SetCriteria replaces the registration criteria.
type SetCriteria struct {
	Criteria register.Criteria `json:"criteria"`
}

func (AddProvider) MessageType() MessageType { return MsgProviderAdd }
func (AddCourse) MessageType() MessageType   { return MsgCourseAdd }
func (SetStanding) MessageType() MessageType { return MsgCourseStanding }
func (SetCriteria) MessageType() MessageType { return MsgCriteriaSet }

func applyAddProvider(tx *state.Txn, env *envelope, cmd *AddProvider) (any, error) {
	if err := cmd.Validate(); err != nil {
		return nil, err
	}
	id, err := tx.NextProviderID()
	if err != nil {
		return nil, err
	}
	p := cmd.Create(id, env.At, tx.Index())
	if err := tx.PutProvider(p); err != nil {
		return nil, err
	}
	return p, audit(tx, env, "provider.add", "", p.ID, "", map[string]string{"name": p.Name, "ukprn": p.UKPRN})
}

func applyAddCourse(tx *state.Txn, env *envelope, cmd *AddCourse) (any, error) {
	if err := cmd.Validate(); err != nil {
		return nil, err
	}
	if _, err := tx.Provider(cmd.Provider); err != nil {
		return nil, err
	}
	id, err := tx.NextCourseID()
	if err != nil {
		return nil, err
	}
	c := cmd.Create(id, actorID(env.Actor), env.At, tx.Index())
	if err := tx.PutCourse(c); err != nil {
		return nil, err
	}
	return c, audit(tx, env, "course.add", "", c.ID, "", standingDetails(c, map[string]string{
		"title": c.Title, "provider": c.Provider, "level": c.Level.String(), "mode": c.Mode,
	}))
}

func applySetStanding(tx *state.Txn, env *envelope, cmd *SetStanding) (any, error) {
	old, err := tx.Course(cmd.Course)
	if err != nil {
		return nil, err
	}
	c, err := old.SetStanding(cmd.Standing, actorID(env.Actor), env.At, tx.Index())
	if err != nil {
		return nil, err
	}
	if err := tx.PutCourse(c); err != nil {
		return nil, err
	}
	return c, audit(tx, env, "course.standing", "", c.ID, cmd.Standing.Reason,
		standingDetails(c, map[string]string{"from_standing": string(old.Current().Standing)}))
}

// standingDetails adds a course's current standing to audit details.
func standingDetails(c *courses.Course, d map[string]string) map[string]string {
	s := c.Current()
	d["standing"] = string(s.Standing)
	if s.Standing == courses.Accredited {
		d["reference"], d["accredited_from"], d["accredited_until"] = s.Reference, string(s.From), string(s.Until)
	}
	return d
}

func applySetCriteria(tx *state.Txn, env *envelope, cmd *SetCriteria) (any, error) {
	if err := cmd.Criteria.Validate(); err != nil {
		return nil, err
	}
	s := tx.Settings()
	s.Criteria = cmd.Criteria
	if err := tx.PutSettings(s); err != nil {
		return nil, err
	}
	return s, audit(tx, env, "criteria.set", "", "", "", map[string]string{
		"required":                strconv.FormatBool(s.Criteria.Required),
		"min_rqf_level":           strconv.Itoa(s.Criteria.MinRQFLevel),
		"allow_alternative_route": strconv.FormatBool(s.Criteria.AllowRoute),
	})
}

// resolveQualification fills a qualification that names a catalogue course
// from the catalogue as it stands in this entry's transaction.
func resolveQualification(tx *state.Txn, q register.Qualification) (register.Qualification, error) {
	if q.Course == "" {
		return q, nil
	}
	c, err := tx.Course(q.Course)
	if err != nil {
		return q, err
	}
	p, err := tx.Provider(c.Provider)
	if err != nil {
		return q, err
	}
	return courses.Resolve(q, c, p)
}

// admit resolves a new registrant's qualifications against the catalogue
// and, when check is set, refuses them unless they or the alternative
// route meet the register's criteria.
func admit(tx *state.Txn, n *register.NewRegistrant, check bool) error {
	qs := make([]register.Qualification, len(n.Qualifications))
	for i, q := range n.Qualifications {
		r, err := resolveQualification(tx, q)
		if err != nil {
			return fmt.Errorf("qualification %d: %w", i+1, err)
		}
		qs[i] = r
	}
	n.Qualifications = qs
	if !check {
		return nil
	}
	return courses.Meets(tx.Settings().Criteria, qs, n.EntryRoute)
}

// admissionDetails adds how a registrant met the criteria to audit details.
func admissionDetails(r *register.Registrant, d map[string]string) map[string]string {
	if len(r.Qualifications) > 0 {
		d["qualifications"] = strconv.Itoa(len(r.Qualifications))
	}
	if r.EntryRoute != nil {
		d["entry_route"] = r.EntryRoute.Kind
		d["entry_route_reason"] = r.EntryRoute.Reason
	}
	return d
}
