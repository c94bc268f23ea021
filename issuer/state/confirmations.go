package state

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/nalw/linkpass/confirmations"
)

// The table of training providers' answers about claimed qualifications
// (package confirmations).
const (
	tableConfirmations = "confirmations"

	indexApplication = "application"
)

func init() {
	tables = append(tables, confirmationsTableSchema)
	recordTables = append(recordTables, recordTable{180, tableConfirmations, func() any { return new(confirmations.Confirmation) }})
}

func confirmationsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableConfirmations,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			// A confirmation is an application's or a registrant's.
			indexApplication: {Name: indexApplication, AllowMissing: true, Indexer: &memdb.StringFieldIndex{Field: "Application"}},
			indexRegistrant:  {Name: indexRegistrant, AllowMissing: true, Indexer: &memdb.StringFieldIndex{Field: "Registrant"}},
			indexProvider:    {Name: indexProvider, Indexer: &memdb.StringFieldIndex{Field: "Provider"}},
		},
	}
}

// Confirmation returns a confirmation or an error wrapping
// register.ErrNotFound.
func (t *Txn) Confirmation(id string) (*confirmations.Confirmation, error) {
	return first[confirmations.Confirmation](t.tx, tableConfirmations, indexID, id, "confirmation")
}

// PutConfirmation stores a confirmation (a new value, never a changed one).
func (t *Txn) PutConfirmation(c *confirmations.Confirmation) error {
	return t.insert(tableConfirmations, c)
}

// ConfirmationsOf returns the confirmations of subject's claims.
func (t *Txn) ConfirmationsOf(s confirmations.Subject) ([]*confirmations.Confirmation, error) {
	return confirmationsOf(t.tx, s)
}

// Confirmation returns a confirmation or an error wrapping
// register.ErrNotFound.
func (s *Store) Confirmation(id string) (*confirmations.Confirmation, error) {
	return first[confirmations.Confirmation](s.read(), tableConfirmations, indexID, id, "confirmation")
}

// ConfirmationsOf returns the confirmations of subject's claims, by id.
func (s *Store) ConfirmationsOf(sub confirmations.Subject) ([]*confirmations.Confirmation, error) {
	return confirmationsOf(s.read(), sub)
}

// ConfirmationsByProvider returns every answer provider gave, by id.
func (s *Store) ConfirmationsByProvider(provider string) ([]*confirmations.Confirmation, error) {
	return confirmationsBy(s.read(), indexProvider, provider)
}

func confirmationsOf(tx *memdb.Txn, s confirmations.Subject) ([]*confirmations.Confirmation, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.Application != "" {
		return confirmationsBy(tx, indexApplication, s.Application)
	}
	return confirmationsBy(tx, indexRegistrant, s.Registrant)
}

func confirmationsBy(tx *memdb.Txn, index, key string) ([]*confirmations.Confirmation, error) {
	it, err := tx.Get(tableConfirmations, index, key)
	if err != nil {
		return nil, fmt.Errorf("state: confirmations by %s: %w", index, err)
	}
	out := []*confirmations.Confirmation{}
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, obj.(*confirmations.Confirmation))
	}
	slices.SortFunc(out, func(a, b *confirmations.Confirmation) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}
