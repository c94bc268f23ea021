package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/nalw/linkpass/issuer/register"
)

const tableSealed = "sealed_keys"

// SealedKey is a private key sealed under the cluster's key-encryption
// key (keys.KEK), so that every node that may become leader can sign. The
// log and snapshots only ever hold it sealed.
type SealedKey struct {
	// KID is the key's thumbprint.
	KID string `json:"kid"`
	// Root marks the register's root key (issuer/trustroot) rather than a
	// signing key.
	Root   bool   `json:"root,omitempty"`
	Sealed []byte `json:"sealed"`
}

func sealedTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableSealed,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "KID"}},
		},
	}
}

// PutSealedKey records a sealed key, replacing one of the same kid.
func (t *Txn) PutSealedKey(k *SealedKey) error { return t.insert(tableSealed, k) }

// SealedKey returns the sealed key kid, or an error wrapping
// register.ErrNotFound.
func (s *Store) SealedKey(kid string) (*SealedKey, error) { return sealedKey(s.read(), kid) }

// SealedRoot returns the sealed root key, or an error wrapping
// register.ErrNotFound.
func (s *Store) SealedRoot() (*SealedKey, error) {
	it, err := s.read().Get(tableSealed, indexID)
	if err != nil {
		return nil, err
	}
	for obj := it.Next(); obj != nil; obj = it.Next() {
		if k := obj.(*SealedKey); k.Root {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w: no sealed root key", register.ErrNotFound)
}

func sealedKey(tx *memdb.Txn, kid string) (*SealedKey, error) {
	obj, err := tx.First(tableSealed, indexID, kid)
	if err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, fmt.Errorf("%w: no sealed key %s", register.ErrNotFound, kid)
	}
	return obj.(*SealedKey), nil
}
