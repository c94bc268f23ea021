package state

import (
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/nalw/linkpass/issuer/register"
)

// Tables of registrants' CPD activities and yearly renewals.
const (
	tableCPD      = "cpd_activities"
	tableRenewals = "renewals"
)

func init() {
	tables = append(tables, cpdTableSchema, renewalsTableSchema)
	recordTables = append(recordTables,
		recordTable{170, tableCPD, func() any { return new(register.CPDActivity) }},
		recordTable{171, tableRenewals, func() any { return new(register.Renewal) }},
	)
}

func cpdTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableCPD,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:         {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			indexRegistrant: {Name: indexRegistrant, Indexer: &memdb.StringFieldIndex{Field: "Registrant"}},
		},
	}
}

func renewalsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableRenewals,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:         {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			indexRegistrant: {Name: indexRegistrant, Indexer: &memdb.StringFieldIndex{Field: "Registrant"}},
		},
	}
}

// CPDActivity returns an activity or an error wrapping register.ErrNotFound.
func (t *Txn) CPDActivity(id string) (*register.CPDActivity, error) {
	return first[register.CPDActivity](t.tx, tableCPD, indexID, id, "CPD activity")
}

// CPDOf returns a registrant's activities, newest first.
func (t *Txn) CPDOf(number string) ([]*register.CPDActivity, error) { return cpdOf(t.tx, number) }

// PutCPDActivity stores an activity (a new value, never a changed one).
func (t *Txn) PutCPDActivity(a *register.CPDActivity) error { return t.insert(tableCPD, a) }

// DeleteCPDActivity deletes an activity.
func (t *Txn) DeleteCPDActivity(a *register.CPDActivity) error {
	if err := t.tx.Delete(tableCPD, a); err != nil {
		return err
	}
	t.touch(tableCPD)
	return nil
}

// Renewal returns a renewal or an error wrapping register.ErrNotFound.
func (t *Txn) Renewal(id string) (*register.Renewal, error) {
	return first[register.Renewal](t.tx, tableRenewals, indexID, id, "renewal")
}

// RenewalsOf returns a registrant's renewals, newest first.
func (t *Txn) RenewalsOf(number string) ([]*register.Renewal, error) {
	return renewalsOf(t.tx, number)
}

// PutRenewal stores a renewal (a new value, never a changed one).
func (t *Txn) PutRenewal(r *register.Renewal) error { return t.insert(tableRenewals, r) }

// CPDActivity returns an activity or an error wrapping register.ErrNotFound.
func (s *Store) CPDActivity(id string) (*register.CPDActivity, error) {
	return first[register.CPDActivity](s.read(), tableCPD, indexID, id, "CPD activity")
}

// CPDOf returns a registrant's activities, newest first.
func (s *Store) CPDOf(number string) ([]*register.CPDActivity, error) {
	return cpdOf(s.read(), number)
}

// Renewal returns a renewal or an error wrapping register.ErrNotFound.
func (s *Store) Renewal(id string) (*register.Renewal, error) {
	return first[register.Renewal](s.read(), tableRenewals, indexID, id, "renewal")
}

// RenewalsOf returns a registrant's renewals, newest first.
func (s *Store) RenewalsOf(number string) ([]*register.Renewal, error) {
	return renewalsOf(s.read(), number)
}

// Renewals returns every renewal in state ("" for all), oldest first.
func (s *Store) Renewals(state string) ([]*register.Renewal, error) {
	rs, err := every[register.Renewal](s.read(), tableRenewals)
	if err != nil {
		return nil, err
	}
	rs = slices.DeleteFunc(rs, func(r *register.Renewal) bool { return state != "" && r.State != state })
	slices.SortFunc(rs, func(a, b *register.Renewal) int { return int(a.CreateIndex) - int(b.CreateIndex) })
	return rs, nil
}

// RegistrantsByEmail returns the registrants whose private email is email
// (case does not matter). Sign-in is rate-limited, so a scan is cheap
// enough and keeps the registrants table's indexes as they are.
func (s *Store) RegistrantsByEmail(email string) ([]*register.Registrant, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, nil
	}
	return s.regs(s.read()).byEmail(email)
}

func cpdOf(tx *memdb.Txn, number string) ([]*register.CPDActivity, error) {
	as, err := all[register.CPDActivity](tx, tableCPD, number)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(as, func(a, b *register.CPDActivity) int {
		if c := strings.Compare(string(b.Date), string(a.Date)); c != 0 {
			return c
		}
		return int(b.CreateIndex) - int(a.CreateIndex)
	})
	return as, nil
}

func renewalsOf(tx *memdb.Txn, number string) ([]*register.Renewal, error) {
	rs, err := all[register.Renewal](tx, tableRenewals, number)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rs, func(a, b *register.Renewal) int { return int(b.CreateIndex) - int(a.CreateIndex) })
	return rs, nil
}
