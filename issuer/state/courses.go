package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/nalw/linkpass/courses"
)

// Tables of the course catalogue.
const (
	tableProviders = "providers"
	tableCourses   = "courses"

	indexProvider = "provider"

	metaSerialProvider = "serial/provider"
	metaSerialCourse   = "serial/course"
)

func init() {
	tables = append(tables, providersTableSchema, coursesTableSchema)
	recordTables = append(recordTables,
		recordTable{130, tableProviders, func() any { return new(courses.Provider) }},
		recordTable{131, tableCourses, func() any { return new(courses.Course) }},
	)
}

func providersTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableProviders,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		},
	}
}

func coursesTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableCourses,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:       {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			indexProvider: {Name: indexProvider, Indexer: &memdb.StringFieldIndex{Field: "Provider"}},
		},
	}
}

// NextSerial returns the next number of a catalogue counter ("provider"
// or "course") and records it used.
func (t *Txn) nextCounter(key string) (uint64, error) {
	n := getMeta(t.tx, key) + 1
	return n, t.insert(tableMeta, &meta{Key: key, Value: n})
}

// NextProviderID returns the id for a new provider: P1, P2, ...
func (t *Txn) NextProviderID() (string, error) {
	n, err := t.nextCounter(metaSerialProvider)
	return fmt.Sprintf("P%d", n), err
}

// NextCourseID returns the id for a new course: C1, C2, ...
func (t *Txn) NextCourseID() (string, error) {
	n, err := t.nextCounter(metaSerialCourse)
	return fmt.Sprintf("C%d", n), err
}

// Provider returns a provider or an error wrapping register.ErrNotFound.
func (t *Txn) Provider(id string) (*courses.Provider, error) { return provider(t.tx, id) }

// PutProvider stores a provider.
func (t *Txn) PutProvider(p *courses.Provider) error { return t.insert(tableProviders, p) }

// Course returns a course or an error wrapping register.ErrNotFound.
func (t *Txn) Course(id string) (*courses.Course, error) { return course(t.tx, id) }

// PutCourse stores a course (a new value, never a changed one).
func (t *Txn) PutCourse(c *courses.Course) error { return t.insert(tableCourses, c) }

// Provider returns a provider or an error wrapping register.ErrNotFound.
func (s *Store) Provider(id string) (*courses.Provider, error) { return provider(s.read(), id) }

// Course returns a course or an error wrapping register.ErrNotFound.
func (s *Store) Course(id string) (*courses.Course, error) { return course(s.read(), id) }

// Providers returns every provider.
func (s *Store) Providers() ([]*courses.Provider, error) {
	return every[courses.Provider](s.read(), tableProviders)
}

// Courses returns every course.
func (s *Store) Courses() ([]*courses.Course, error) {
	return every[courses.Course](s.read(), tableCourses)
}

func provider(tx *memdb.Txn, id string) (*courses.Provider, error) {
	p, err := first[courses.Provider](tx, tableProviders, indexID, id, "provider")
	if err != nil {
		return nil, fmt.Errorf("%w (id %q; `linkpass provider list` shows them)", err, id)
	}
	return p, nil
}

func course(tx *memdb.Txn, id string) (*courses.Course, error) {
	c, err := first[courses.Course](tx, tableCourses, indexID, id, "course")
	if err != nil {
		return nil, fmt.Errorf("%w (id %q; `linkpass course list` shows them)", err, id)
	}
	return c, nil
}

func every[T any](tx *memdb.Txn, table string) ([]*T, error) {
	it, err := tx.Get(table, indexID)
	if err != nil {
		return nil, fmt.Errorf("state: %s: %w", table, err)
	}
	out := []*T{}
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, obj.(*T))
	}
	return out, nil
}
