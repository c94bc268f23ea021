package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/nalw/linkpass/applications"
)

// The table of applications to join.
const (
	tableApplications = "applications"

	indexPerson = "person"
	indexState  = "state"

	metaSerialApplication = "serial/application"
)

func init() {
	tables = append(tables, applicationsTableSchema)
	recordTables = append(recordTables, recordTable{132, tableApplications, func() any { return new(applications.Application) }})
}

func applicationsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableApplications,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:    {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Ref"}},
			indexState: {Name: indexState, Indexer: &memdb.StringFieldIndex{Field: "State"}},
			// An applicant's earlier applications, by folded name and date
			// of birth (applications.Application.Key).
			indexPerson: {Name: indexPerson, Indexer: applicationKeyIndex{}},
		},
	}
}

// applicationKeyIndex indexes applications by their Key.
type applicationKeyIndex struct{}

func (applicationKeyIndex) FromObject(obj any) (bool, []byte, error) {
	a, ok := obj.(*applications.Application)
	if !ok {
		return false, nil, fmt.Errorf("person index: unexpected type %T", obj)
	}
	return true, append([]byte(a.Key()), 0), nil
}

func (applicationKeyIndex) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("person index: want one key, got %d args", len(args))
	}
	k, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("person index: want a string, got %T", args[0])
	}
	return append([]byte(k), 0), nil
}

// NextApplicationRef returns the reference for a new application: A1001,
// A1002, ...
func (t *Txn) NextApplicationRef() (string, error) {
	n, err := t.nextCounter(metaSerialApplication)
	return fmt.Sprintf("A%d", 1000+n), err
}

// Application returns an application or an error wrapping
// register.ErrNotFound.
func (t *Txn) Application(ref string) (*applications.Application, error) {
	return application(t.tx, ref)
}

// PutApplication stores an application (a new value, never a changed one).
func (t *Txn) PutApplication(a *applications.Application) error {
	return t.insert(tableApplications, a)
}

// ApplicationsOf returns the applications with key (Application.Key).
func (t *Txn) ApplicationsOf(key string) ([]*applications.Application, error) {
	it, err := t.tx.Get(tableApplications, indexPerson, key)
	if err != nil {
		return nil, fmt.Errorf("state: applications by person: %w", err)
	}
	var out []*applications.Application
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, obj.(*applications.Application))
	}
	return out, nil
}

// Application returns an application or an error wrapping
// register.ErrNotFound.
func (s *Store) Application(ref string) (*applications.Application, error) {
	return application(s.read(), ref)
}

// Applications returns the applications in state st, every one if st is
// empty, oldest first.
func (s *Store) Applications(st applications.State) ([]*applications.Application, error) {
	tx := s.read()
	if st == "" {
		return every[applications.Application](tx, tableApplications)
	}
	it, err := tx.Get(tableApplications, indexState, string(st))
	if err != nil {
		return nil, fmt.Errorf("state: applications: %w", err)
	}
	out := []*applications.Application{}
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, obj.(*applications.Application))
	}
	return out, nil
}

func application(tx *memdb.Txn, ref string) (*applications.Application, error) {
	a, err := first[applications.Application](tx, tableApplications, indexID, ref, "application")
	if err != nil {
		return nil, fmt.Errorf("%w (reference %q)", err, ref)
	}
	return a, nil
}
