package state

import (
	"github.com/hashicorp/go-memdb"
)

// Table names.
const (
	tableRegistrants = "registrants"
	tableAudit       = "audit"
	tableTokens      = "tokens"
	tableSettings    = "settings"
	tableKeys        = "keys"
	tableMeta        = "meta"
	tableCredentials = "credentials"
	tableStatusLists = "statuslists"
)

// Index names.
const (
	indexID         = "id"
	indexRegistrant = "registrant"
)

// tables lists every table, in the order snapshots write them.
var tables = []func() *memdb.TableSchema{
	settingsTableSchema,
	metaTableSchema,
	tokensTableSchema,
	keysTableSchema,
	rowsTableSchema,
	statusListsTableSchema,
	staffTableSchema,
	offersTableSchema,
	grantsTableSchema,
	messagesTableSchema,
	cpdAuditsTableSchema,
	sealedTableSchema,
	publishedTableSchema,
	proposalsTableSchema,
}

func statusListsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableStatusLists,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		},
	}
}

func schema() *memdb.DBSchema {
	s := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{}}
	for _, fn := range tables {
		t := fn()
		s.Tables[t.Name] = t
	}
	return s
}

func tokensTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableTokens,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		},
	}
}

func keysTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableKeys,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "KID"}},
		},
	}
}

// settingsTableSchema holds a single row, as Consul's config tables do.
func settingsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableSettings,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.ConditionalIndex{
				Conditional: func(any) (bool, error) { return true, nil },
			}},
		},
	}
}

// metaTableSchema holds counters and the last index that changed each
// table; the latter feeds ETags and readiness.
func metaTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableMeta,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: stringKey[meta]{"Key", func(m *meta) string { return m.Key }}},
		},
	}
}

// stringKey is memdb.StringFieldIndex for a table of *T, reading the
// field with key rather than by reflection: every write inserts three or
// four rows into the meta and rows tables, and reflection was most of
// each insert's index. Anything else is left to StringFieldIndex.
type stringKey[T any] struct {
	field string
	key   func(*T) string
}

func (k stringKey[T]) FromObject(obj any) (bool, []byte, error) {
	o, ok := obj.(*T)
	if !ok || o == nil {
		return (&memdb.StringFieldIndex{Field: k.field}).FromObject(obj)
	}
	v := k.key(o)
	if v == "" {
		return false, nil, nil
	}
	return true, append([]byte(v), 0), nil // null-terminated, as StringFieldIndex
}

func (k stringKey[T]) FromArgs(args ...any) ([]byte, error) {
	return (&memdb.StringFieldIndex{Field: k.field}).FromArgs(args...)
}

func (k stringKey[T]) PrefixFromArgs(args ...any) ([]byte, error) {
	return (&memdb.StringFieldIndex{Field: k.field}).PrefixFromArgs(args...)
}

// meta is one row of the meta table.
type meta struct {
	Key   string `json:"key"`
	Value uint64 `json:"value"`
}
