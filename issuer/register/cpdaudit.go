package register

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A CPD audit asks a random share of a year's renewals for evidence of the
// CPD they declared. The draw is reproducible by anyone: each renewed
// registration number is ranked by HMAC-SHA256(seed, "YEAR:NUMBER"), and the
// first ceil(share x renewals) in that order are drawn. The seed, the
// share and the whole population are in the log entry of the draw, so an
// assessor can re-run it with nothing but the audit trail (docs).

// DefaultCPDAuditShare is the share drawn unless told otherwise: 2.5%.
const DefaultCPDAuditShare = 0.025

// CPDAuditState is where one registrant's audit is.
type CPDAuditState string

// The states: requested when drawn, then passed or failed by a registrar.
const (
	CPDAuditRequested CPDAuditState = "requested"
	CPDAuditPassed    CPDAuditState = "passed"
	CPDAuditFailed    CPDAuditState = "failed"
)

// CPDAudit is one registrant's CPD audit of one year. Stored values are
// never changed in place: an outcome stores a new value.
type CPDAudit struct {
	Year       int           `json:"year"`
	Registrant string        `json:"registration_number"`
	State      CPDAuditState `json:"state"`
	DrawnAt    time.Time     `json:"drawn_at"`
	DecidedAt  time.Time     `json:"decided_at,omitzero"`
	DecidedBy  string        `json:"decided_by,omitempty"`
	Note       string        `json:"note,omitempty"`
	// CreateIndex and ModifyIndex are the log indices that made and last
	// changed it.
	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// ID names a registrant's audit of a year.
func (a *CPDAudit) ID() string { return CPDAuditID(a.Year, a.Registrant) }

// CPDAuditID names a registrant's audit of a year.
func CPDAuditID(year int, number string) string { return strconv.Itoa(year) + "/" + number }

// CheckCPDAuditShare refuses a share that is not a proportion.
func CheckCPDAuditShare(share float64) error {
	if math.IsNaN(share) || share <= 0 || share > 1 {
		return fmt.Errorf("%w: share %g: give a proportion above 0 and at most 1, e.g. 0.025 for 2.5%%", ErrInvalid, share)
	}
	return nil
}

// DrawCPDAudit returns the registration numbers drawn from population
// (deduplicated, in any order) for year with seed: reproducible, and
// independent of the order the population is given in.
func DrawCPDAudit(year int, population []string, share float64, seed []byte) ([]string, error) {
	if err := CheckCPDAuditShare(share); err != nil {
		return nil, err
	}
	if len(seed) < 16 {
		return nil, fmt.Errorf("%w: the seed must have at least 16 bytes", ErrInvalid)
	}
	pop := slices.Clone(population)
	slices.Sort(pop)
	pop = slices.Compact(pop)
	type ranked struct {
		rank   string
		number string
	}
	r := make([]ranked, len(pop))
	for i, n := range pop {
		m := hmac.New(sha256.New, seed)
		m.Write([]byte(strconv.Itoa(year) + ":" + n))
		r[i] = ranked{hex.EncodeToString(m.Sum(nil)), n}
	}
	slices.SortFunc(r, func(a, b ranked) int { return strings.Compare(a.rank, b.rank) })
	k := int(math.Ceil(share * float64(len(pop))))
	out := make([]string, 0, k)
	for _, x := range r[:k] {
		out = append(out, x.number)
	}
	slices.Sort(out)
	return out, nil
}

// PopulationDigest is SHA-256 over the sorted, deduplicated population
// joined by newlines: what an assessor compares a re-run against.
func PopulationDigest(population []string) string {
	pop := slices.Clone(population)
	slices.Sort(pop)
	pop = slices.Compact(pop)
	sum := sha256.Sum256([]byte(strings.Join(pop, "\n")))
	return hex.EncodeToString(sum[:])
}

// Decide records a registrar's outcome of a requested audit.
func (a *CPDAudit) Decide(passed bool, note, by string, at time.Time, idx uint64) (*CPDAudit, error) {
	if a.State != CPDAuditRequested {
		return nil, fmt.Errorf("%w: the %d CPD audit of %s is already %s", ErrConflict, a.Year, a.Registrant, a.State)
	}
	note = strings.TrimSpace(note)
	if !passed && note == "" {
		return nil, fmt.Errorf("%w: a failed CPD audit needs a note saying what was missing", ErrInvalid)
	}
	if len(note) > 2000 {
		return nil, fmt.Errorf("%w: the note is longer than 2000 characters", ErrInvalid)
	}
	c := *a
	c.State, c.Note, c.DecidedBy, c.DecidedAt, c.ModifyIndex = CPDAuditFailed, note, by, at, idx
	if passed {
		c.State = CPDAuditPassed
	}
	return &c, nil
}
