package fsm

import (
	"errors"
	"fmt"
	"time"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

// ErrSlotTaken means the status list entry the leader chose is already
// allocated; the leader picks another and tries again.
var ErrSlotTaken = errors.New("status list entry already allocated")

func applyIssueCredential(tx *state.Txn, env *envelope, cmd *IssueCredential) (any, error) {
	// A registrar's issue supersedes every older credential, those held in
	// wallets too: their wallets fetch the new one with their refresh
	// tokens.
	return issueCredential(tx, env, cmd.Credential, cmd.ListSize, func(*register.IssuedCredential) bool { return true })
}

// issueCredential records c in its status list entry, superseding the
// registrant's older credentials that supersedes selects.
func issueCredential(tx *state.Txn, env *envelope, c register.IssuedCredential, listSize int, supersedes func(*register.IssuedCredential) bool) (*register.IssuedCredential, error) {
	r, err := tx.Registrant(c.Registrant)
	if err != nil {
		return nil, err
	}
	if !r.GoodStanding(register.DateOf(env.At)) {
		return nil, fmt.Errorf("%w: %s is %s (registered until %s); only registrants in good standing receive credentials", register.ErrConflict, r.Number, r.Status, r.RegisteredUntil)
	}
	if c.JTI == "" || c.KID == "" || c.List == "" || !c.ExpiresAt.After(c.IssuedAt) {
		return nil, fmt.Errorf("%w: credential record incomplete", register.ErrInvalid)
	}
	if _, err := tx.Credential(c.JTI); err == nil {
		return nil, fmt.Errorf("%w: credential %s exists", register.ErrConflict, c.JTI)
	}
	l, err := tx.StatusList(c.List)
	if err != nil {
		return nil, err
	}
	if l == nil {
		if listSize < 1 {
			return nil, fmt.Errorf("%w: new status list %s needs a size", register.ErrInvalid, c.List)
		}
		l = &register.StatusList{ID: c.List, Size: listSize, Bits: 2, CreatedAt: env.At}
		if err := tx.PutStatusList(l); err != nil {
			return nil, err
		}
	}
	if c.Idx >= uint64(l.Size) {
		return nil, fmt.Errorf("%w: index %d is outside status list %s of %d entries", register.ErrInvalid, c.Idx, c.List, l.Size)
	}
	if taken, err := tx.SlotTaken(c.List, c.Idx); err != nil {
		return nil, err
	} else if taken {
		return nil, fmt.Errorf("%w: list %s index %d", ErrSlotTaken, c.List, c.Idx)
	}
	// A new credential supersedes the registrant's older ones.
	older, err := tx.CredentialsOf(c.Registrant)
	if err != nil {
		return nil, err
	}
	for _, o := range older {
		if o.Status == register.CredentialRevoked || !supersedes(o) {
			continue
		}
		if err := setCredentialStatus(tx, env, o, register.CredentialRevoked, "superseded by "+c.JTI, "credential.supersede"); err != nil {
			return nil, err
		}
	}
	c.Status, c.StatusChangedAt = register.CredentialValid, env.At
	c.CreateIndex, c.ModifyIndex = tx.Index(), tx.Index()
	if err := putCredential(tx, env, &c); err != nil {
		return nil, err
	}
	details := map[string]string{
		"kid": c.KID, "expires_at": c.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z"), "status_list": c.List,
	}
	if c.Grant != "" {
		details["grant"] = c.Grant
	}
	return &c, audit(tx, env, "credential.issue", c.Registrant, c.JTI, "", details)
}

func applyRevokeCredential(tx *state.Txn, env *envelope, cmd *RevokeCredential) (any, error) {
	if err := register.CheckReason(cmd.Reason); err != nil {
		return nil, err
	}
	c, err := tx.Credential(cmd.JTI)
	if err != nil {
		return nil, err
	}
	if c.Status == register.CredentialRevoked {
		return nil, fmt.Errorf("%w: credential %s is already revoked (%s)", register.ErrConflict, c.JTI, c.StatusReason)
	}
	if err := setCredentialStatus(tx, env, c, register.CredentialRevoked, cmd.Reason, "credential.revoke"); err != nil {
		return nil, err
	}
	return tx.Credential(cmd.JTI)
}

// CredentialChange is what a change to a registrant does to one of their
// credentials.
type CredentialChange struct {
	Credential *register.IssuedCredential
	To         register.CredentialStatus
	Reason     string
	Action     string
	// Superseded says a correction revoked it because it states what was
	// corrected; the service layer issues the replacement.
	Superseded bool
}

// CredentialChanges works out what the change from old to r (with the
// fields a correction altered) does to the registrant's credentials creds,
// at time at. Applying a change and previewing it both call it:
//
//   - suspension suspends the unexpired ones, reinstatement makes them
//     valid again (no re-issue needed), removal revokes them all for good;
//   - a change of restrictions makes every outstanding credential wrong
//     about the one thing an employer must not miss, so those are revoked:
//     the registrar issues a new one that says what is true now;
//   - a correction of what a credential states supersedes the outstanding
//     ones.
func CredentialChanges(old, r *register.Registrant, changed []register.Changed, creds []*register.IssuedCredential, at time.Time) []CredentialChange {
	var out []CredentialChange
	outstanding := func(c *register.IssuedCredential) bool {
		return c.Status != register.CredentialRevoked && c.ExpiresAt.After(at)
	}
	restrictionsChanged := old.Restricted() != r.Restricted() || len(old.Restrictions) != len(r.Restrictions)
	switch {
	case restrictionsChanged:
		for _, c := range creds {
			if outstanding(c) {
				out = append(out, CredentialChange{Credential: c, To: register.CredentialRevoked, Reason: "restrictions on practice changed; issue a new credential", Action: "credential.revoke"})
			}
		}
	case old.Status != r.Status:
		for _, c := range creds {
			switch {
			case r.Status == register.Suspended && c.Status == register.CredentialValid && c.ExpiresAt.After(at):
				out = append(out, CredentialChange{Credential: c, To: register.CredentialSuspended, Reason: "registrant suspended", Action: "credential.suspend"})
			case old.Status == register.Suspended && r.Status != register.Removed && c.Status == register.CredentialSuspended:
				out = append(out, CredentialChange{Credential: c, To: register.CredentialValid, Reason: "registrant reinstated", Action: "credential.reinstate"})
			case r.Status == register.Removed && c.Status != register.CredentialRevoked:
				out = append(out, CredentialChange{Credential: c, To: register.CredentialRevoked, Reason: "registrant removed", Action: "credential.revoke"})
			}
		}
	}
	if register.CarriedInCredential(changed) {
		for _, c := range creds {
			if outstanding(c) {
				out = append(out, CredentialChange{Credential: c, To: register.CredentialRevoked, Reason: "superseded: the record it states was corrected", Action: "credential.revoke", Superseded: true})
			}
		}
	}
	return out
}

// followRegistrant applies CredentialChanges and returns the identifiers
// of the credentials a correction superseded.
func followRegistrant(tx *state.Txn, env *envelope, old, r *register.Registrant, changed []register.Changed) ([]string, error) {
	creds, err := tx.CredentialsOf(r.Number)
	if err != nil {
		return nil, err
	}
	var superseded []string
	for _, ch := range CredentialChanges(old, r, changed, creds, env.At) {
		if err := setCredentialStatus(tx, env, ch.Credential, ch.To, ch.Reason, ch.Action); err != nil {
			return nil, err
		}
		if ch.Superseded {
			superseded = append(superseded, ch.Credential.JTI)
		}
	}
	return superseded, nil
}

func setCredentialStatus(tx *state.Txn, env *envelope, old *register.IssuedCredential, st register.CredentialStatus, reason, action string) error {
	c := *old
	c.Status, c.StatusReason, c.StatusChangedAt, c.ModifyIndex = st, reason, env.At, tx.Index()
	if err := putCredential(tx, env, &c); err != nil {
		return err
	}
	return audit(tx, env, action, c.Registrant, c.JTI, reason, map[string]string{"from": string(old.Status), "to": string(st)})
}
