package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/nalw/linkpass/issuer/register"
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
	indexSlot       = "slot"
	indexExternal   = "external"
	indexDuplicate  = "duplicate"
)

// tables lists every table, in the order snapshots write them.
var tables = []func() *memdb.TableSchema{
	settingsTableSchema,
	metaTableSchema,
	tokensTableSchema,
	keysTableSchema,
	registrantsTableSchema,
	statusListsTableSchema,
	credentialsTableSchema,
	staffTableSchema,
	offersTableSchema,
	grantsTableSchema,
	messagesTableSchema,
	cpdAuditsTableSchema,
	sealedTableSchema,
	publishedTableSchema,
	proposalsTableSchema,
}

func credentialsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableCredentials,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:         {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "JTI"}},
			indexRegistrant: {Name: indexRegistrant, Indexer: &memdb.StringFieldIndex{Field: "Registrant"}},
			// One status entry, one credential: sharing an entry would tie
			// two credentials' fates together and make them linkable. Its
			// prefix also finds a list's credentials (credentialsInList):
			// every index costs a radix tree node per credential, a third
			// of the store's memory at a million, so none is kept twice.
			// Credentials by signing key are read only to retire a key,
			// by a scan.
			indexSlot: {Name: indexSlot, Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
				&memdb.StringFieldIndex{Field: "List"}, &memdb.UintFieldIndex{Field: "Idx"},
			}}},
		},
	}
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

func registrantsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableRegistrants,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Number"}},
			// Imports are idempotent on the other register's reference.
			indexExternal: {Name: indexExternal, Unique: true, AllowMissing: true, Indexer: &memdb.StringFieldIndex{Field: "ExternalRef"}},
			// Likely duplicates (register.DuplicateKey) are found without
			// reading the whole register.
			indexDuplicate: {Name: indexDuplicate, AllowMissing: true, Indexer: duplicateIndex{}},
		},
	}
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
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Key"}},
		},
	}
}

// meta is one row of the meta table.
type meta struct {
	Key   string `json:"key"`
	Value uint64 `json:"value"`
}

// duplicateIndex indexes registrants by register.DuplicateKey; those
// without an email have none.
type duplicateIndex struct{}

func (duplicateIndex) FromObject(obj any) (bool, []byte, error) {
	r, ok := obj.(*register.Registrant)
	if !ok {
		return false, nil, fmt.Errorf("duplicate index: unexpected type %T", obj)
	}
	k := r.DuplicateKey()
	if k == "" {
		return false, nil, nil
	}
	return true, append([]byte(k), 0), nil
}

func (duplicateIndex) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("duplicate index: want one key, got %d args", len(args))
	}
	k, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("duplicate index: want a string, got %T", args[0])
	}
	return append([]byte(k), 0), nil
}
