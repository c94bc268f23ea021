package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/nalw/linkpass/issuer/register"
)

// The CPD audits table: one row per registrant drawn in a year's audit.
const (
	tableCPDAudits = "cpd_audits"
	indexYear      = "year"
)

func cpdAuditsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableCPDAudits,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:         {Name: indexID, Unique: true, Indexer: cpdAuditID{}},
			indexYear:       {Name: indexYear, Indexer: &memdb.IntFieldIndex{Field: "Year"}},
			indexRegistrant: {Name: indexRegistrant, Indexer: &memdb.StringFieldIndex{Field: "Registrant"}},
		},
	}
}

// cpdAuditID indexes a CPD audit by "YEAR/NUMBER".
type cpdAuditID struct{}

func (cpdAuditID) FromObject(obj any) (bool, []byte, error) {
	a, ok := obj.(*register.CPDAudit)
	if !ok {
		return false, nil, fmt.Errorf("state: %T is not a CPD audit", obj)
	}
	return true, []byte(a.ID() + "\x00"), nil
}

func (cpdAuditID) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("state: a CPD audit id is one argument")
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("state: a CPD audit id is a string")
	}
	return []byte(s + "\x00"), nil
}

// CPDAudit returns a registrant's audit of a year, or an error wrapping
// register.ErrNotFound.
func (t *Txn) CPDAudit(year int, number string) (*register.CPDAudit, error) {
	return first[register.CPDAudit](t.tx, tableCPDAudits, indexID, register.CPDAuditID(year, number), "CPD audit")
}

// CPDAuditsOf returns the audits of year (any number, when year is 0).
func (t *Txn) CPDAuditsOf(year int) ([]*register.CPDAudit, error) { return cpdAudits(t.tx, year) }

// PutCPDAudit stores a CPD audit.
func (t *Txn) PutCPDAudit(a *register.CPDAudit) error { return t.insert(tableCPDAudits, a) }

// CPDAudits returns the audits of year, in registration number order.
func (s *Store) CPDAudits(year int) ([]*register.CPDAudit, error) { return cpdAudits(s.read(), year) }

// CPDAuditsOfRegistrant returns a registrant's audits.
func (s *Store) CPDAuditsOfRegistrant(number string) ([]*register.CPDAudit, error) {
	return all[register.CPDAudit](s.read(), tableCPDAudits, number)
}

func cpdAudits(tx *memdb.Txn, year int) ([]*register.CPDAudit, error) {
	it, err := tx.Get(tableCPDAudits, indexYear, year)
	if err != nil {
		return nil, fmt.Errorf("state: CPD audits: %w", err)
	}
	var out []*register.CPDAudit
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, obj.(*register.CPDAudit))
	}
	return out, nil
}
