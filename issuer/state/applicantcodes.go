package state

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/nalw/linkpass/applications"
)

// The table of applicants' one-time codes (applications.Code).
const tableApplicantCodes = "applicant_codes"

func init() {
	tables = append(tables, applicantCodesTableSchema)
	recordTables = append(recordTables, recordTable{185, tableApplicantCodes, func() any { return new(applications.Code) }})
}

func applicantCodesTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableApplicantCodes,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Key"}},
		},
	}
}

// ApplicantCode returns the code waiting under key, or an error wrapping
// register.ErrNotFound.
func (t *Txn) ApplicantCode(key string) (*applications.Code, error) {
	return first[applications.Code](t.tx, tableApplicantCodes, indexID, key, "code")
}

// PutApplicantCode stores a code (a new value, never a changed one).
func (t *Txn) PutApplicantCode(c *applications.Code) error { return t.insert(tableApplicantCodes, c) }

// DeleteApplicantCode deletes the code under key, if there is one.
func (t *Txn) DeleteApplicantCode(key string) error {
	if _, err := t.tx.DeleteAll(tableApplicantCodes, indexID, key); err != nil {
		return fmt.Errorf("state: deleting a code: %w", err)
	}
	t.touch(tableApplicantCodes)
	return nil
}

// PruneApplicantCodes deletes the codes that expired before at, so that
// the table holds only codes that may still be used.
func (t *Txn) PruneApplicantCodes(at time.Time) error {
	codes, err := every[applications.Code](t.tx, tableApplicantCodes)
	if err != nil {
		return err
	}
	for _, c := range codes {
		if !at.Before(c.Expires) {
			if err := t.tx.Delete(tableApplicantCodes, c); err != nil {
				return fmt.Errorf("state: pruning codes: %w", err)
			}
			t.touch(tableApplicantCodes)
		}
	}
	return nil
}

// ApplicantCode returns the code waiting under key.
func (s *Store) ApplicantCode(key string) (*applications.Code, error) {
	return first[applications.Code](s.read(), tableApplicantCodes, indexID, key, "code")
}
