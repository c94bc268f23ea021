package fsm

import (
	"fmt"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/regno"
)

// ErrLikelyDuplicate means a registrant with the same folded name and email
// is already on the register.
var ErrLikelyDuplicate = fmt.Errorf("%w: likely duplicate", register.ErrConflict)

func refuseDuplicate(tx *state.Txn, key string) error {
	dup, err := tx.LikelyDuplicate(key)
	if err != nil {
		return err
	}
	if dup != nil {
		return fmt.Errorf("%w: %s %s is already on the register with the same name and email; check it is not the same person, then add again allowing the duplicate (--allow-duplicate)",
			ErrLikelyDuplicate, dup.Number, dup.FullName())
	}
	return nil
}

// prepare checks every record and works out its likely-duplicate key:
// both depend on the record alone.
func (cmd *ImportRegistrants) prepare() {
	cmd.invalid = make([]error, len(cmd.Records))
	cmd.keys = make([]string, len(cmd.Records))
	for i := range cmd.Records {
		m := &cmd.Records[i]
		cmd.invalid[i] = m.Validate()
		cmd.keys[i] = register.DuplicateKey(m.Given, m.Family, m.Email)
	}
}

func applyImportRegistrants(tx *state.Txn, env *envelope, cmd *ImportRegistrants) (any, error) {
	if len(cmd.invalid) != len(cmd.Records) || len(cmd.keys) != len(cmd.Records) {
		cmd.prepare()
	}
	out := make([]ImportOutcome, 0, len(cmd.Records))
	for i := range cmd.Records {
		m := &cmd.Records[i]
		if err := cmd.invalid[i]; err != nil {
			return nil, fmt.Errorf("record %d (line %d): %w", i+1, m.Line, err)
		}
		o := ImportOutcome{Line: m.Line, ExternalRef: m.ExternalRef}
		prev, err := tx.RegistrantByExternalRef(m.ExternalRef)
		if err != nil {
			return nil, err
		}
		if prev != nil {
			o.Outcome, o.Number = ImportExisting, prev.Number
			out = append(out, o)
			continue
		}
		if !cmd.AllowDuplicates {
			dup, err := tx.LikelyDuplicate(cmd.keys[i])
			if err != nil {
				return nil, err
			}
			if dup != nil {
				o.Outcome, o.Number = ImportDuplicate, dup.Number
				out = append(out, o)
				continue
			}
		}
		serial, err := tx.NextSerial()
		if err != nil {
			return nil, err
		}
		r := m.Create(regno.Format(serial), env.At, tx.Index())
		if err := tx.PutRegistrant(r); err != nil {
			return nil, err
		}
		if err := audit(tx, env, "registrant.import", r.Number, "", r.StatusReason, map[string]string{
			"external_ref": r.ExternalRef, "status": string(r.Status),
		}); err != nil {
			return nil, err
		}
		o.Outcome, o.Number = ImportAdded, r.Number
		out = append(out, o)
	}
	return out, nil
}
