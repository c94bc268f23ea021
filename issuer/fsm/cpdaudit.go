package fsm

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

// Message types of CPD audits (160-169).
const (
	MsgCPDAuditDraw    MessageType = 160
	MsgCPDAuditOutcome MessageType = 161
)

func init() {
	appliers[MsgCPDAuditDraw] = decode(applyCPDAuditDraw)
	appliers[MsgCPDAuditOutcome] = decode(applyCPDAuditOutcome)
	// A release before CPD audits must stop at them, naming the version.
	versions[MsgCPDAuditDraw] = 2
	versions[MsgCPDAuditOutcome] = 2
}

// DrawCPDAudit draws a year's CPD audit. The leader chooses the seed and
// reads the population (the year's renewals from the audit trail); the
// entry carries both, and the FSM makes the draw from them, so the log
// itself is the proof of what was drawn and how.
type DrawCPDAudit struct {
	Year       int      `json:"year"`
	Share      float64  `json:"share"`
	Seed       string   `json:"seed"` // hex
	Population []string `json:"population"`
}

// CPDAuditOutcome records a registrar's outcome of one audit.
type CPDAuditOutcome struct {
	Year       int    `json:"year"`
	Registrant string `json:"registration_number"`
	Passed     bool   `json:"passed"`
	Note       string `json:"note,omitempty"`
}

func (DrawCPDAudit) MessageType() MessageType    { return MsgCPDAuditDraw }
func (CPDAuditOutcome) MessageType() MessageType { return MsgCPDAuditOutcome }

// DrawResult is what a draw returns.
type DrawResult struct {
	Year             int                  `json:"year"`
	Share            float64              `json:"share"`
	Seed             string               `json:"seed"`
	Renewals         int                  `json:"renewals"`
	PopulationDigest string               `json:"population_sha256"`
	Drawn            []*register.CPDAudit `json:"drawn"`
}

func applyCPDAuditDraw(tx *state.Txn, env *envelope, cmd *DrawCPDAudit) (any, error) {
	if cmd.Year < 2000 || cmd.Year > env.At.Year() {
		return nil, fmt.Errorf("%w: year %d: audit a year that has begun", register.ErrInvalid, cmd.Year)
	}
	seed, err := hex.DecodeString(cmd.Seed)
	if err != nil {
		return nil, fmt.Errorf("%w: the seed is not hex", register.ErrInvalid)
	}
	if prev, err := tx.CPDAuditsOf(cmd.Year); err != nil {
		return nil, err
	} else if len(prev) > 0 {
		return nil, fmt.Errorf("%w: the %d CPD audit was drawn already; a year is drawn once", register.ErrConflict, cmd.Year)
	}
	drawn, err := register.DrawCPDAudit(cmd.Year, cmd.Population, cmd.Share, seed)
	if err != nil {
		return nil, err
	}
	res := &DrawResult{Year: cmd.Year, Share: cmd.Share, Seed: cmd.Seed, Renewals: len(cmd.Population), PopulationDigest: register.PopulationDigest(cmd.Population)}
	for _, n := range drawn {
		if _, err := tx.Registrant(n); err != nil {
			return nil, err
		}
		a := &register.CPDAudit{Year: cmd.Year, Registrant: n, State: register.CPDAuditRequested, DrawnAt: env.At, CreateIndex: tx.Index(), ModifyIndex: tx.Index()}
		if err := tx.PutCPDAudit(a); err != nil {
			return nil, err
		}
		if err := audit(tx, env, "cpd-audit.select", n, register.CPDAuditID(cmd.Year, n), "", map[string]string{"year": strconv.Itoa(cmd.Year)}); err != nil {
			return nil, err
		}
		res.Drawn = append(res.Drawn, a)
	}
	return res, audit(tx, env, "cpd-audit.draw", "", strconv.Itoa(cmd.Year), "", map[string]string{
		"year": strconv.Itoa(cmd.Year), "share": strconv.FormatFloat(cmd.Share, 'f', -1, 64), "seed": cmd.Seed,
		"renewals": strconv.Itoa(len(cmd.Population)), "population_sha256": res.PopulationDigest,
		"drawn": strconv.Itoa(len(drawn)), "drawn_numbers": strings.Join(drawn, " "),
	})
}

func applyCPDAuditOutcome(tx *state.Txn, env *envelope, cmd *CPDAuditOutcome) (any, error) {
	a, err := tx.CPDAudit(cmd.Year, cmd.Registrant)
	if err != nil {
		return nil, err
	}
	c, err := a.Decide(cmd.Passed, cmd.Note, state.ActorKey(env.Actor), env.At, tx.Index())
	if err != nil {
		return nil, err
	}
	if err := tx.PutCPDAudit(c); err != nil {
		return nil, err
	}
	action := "cpd-audit.fail"
	if c.State == register.CPDAuditPassed {
		action = "cpd-audit.pass"
	}
	return c, audit(tx, env, action, c.Registrant, c.ID(), c.Note, map[string]string{"year": strconv.Itoa(c.Year)})
}
