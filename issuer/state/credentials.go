package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/nalw/linkpass/issuer/register"
)

// Credential returns an issued credential's record or an error wrapping
// register.ErrNotFound.
func (t *Txn) Credential(jti string) (*register.IssuedCredential, error) {
	return credential(t.tx, jti)
}

// PutCredential stores an issued credential's record.
func (t *Txn) PutCredential(c *register.IssuedCredential) error {
	return t.insert(tableCredentials, c)
}

// CredentialsOf returns the records of every credential issued to a
// registrant.
func (t *Txn) CredentialsOf(number string) ([]*register.IssuedCredential, error) {
	return credentialsBy(t.tx, indexRegistrant, number)
}

// SlotTaken reports whether an entry of a status list is allocated.
func (t *Txn) SlotTaken(list string, idx uint64) (bool, error) { return slotTaken(t.tx, list, idx) }

func slotTaken(tx *memdb.Txn, list string, idx uint64) (bool, error) {
	obj, err := tx.First(tableCredentials, indexSlot, list, idx)
	if err != nil {
		return false, fmt.Errorf("state: slot lookup: %w", err)
	}
	return obj != nil, nil
}

// SlotTaken reports whether an entry of a status list is allocated.
func (s *Store) SlotTaken(list string, idx uint64) (bool, error) {
	return slotTaken(s.read(), list, idx)
}

// StatusList returns a status list's record, or nil if it does not exist.
func (t *Txn) StatusList(id string) (*register.StatusList, error) { return statusList(t.tx, id) }

// PutStatusList stores a status list's record.
func (t *Txn) PutStatusList(l *register.StatusList) error { return t.insert(tableStatusLists, l) }

// Credential returns an issued credential's record.
func (s *Store) Credential(jti string) (*register.IssuedCredential, error) {
	return credential(s.read(), jti)
}

// CredentialsOf returns the records of a registrant's credentials.
func (s *Store) CredentialsOf(number string) ([]*register.IssuedCredential, error) {
	return credentialsBy(s.read(), indexRegistrant, number)
}

// CredentialsInList returns the records of every credential with an entry
// in status list id.
func (s *Store) CredentialsInList(id string) ([]*register.IssuedCredential, error) {
	return credentialsInList(s.read(), id)
}

// CredentialsSignedBy returns the records of every credential key kid signed.
func (s *Store) CredentialsSignedBy(kid string) ([]*register.IssuedCredential, error) {
	it, err := s.read().Get(tableCredentials, indexID)
	if err != nil {
		return nil, fmt.Errorf("state: credentials: %w", err)
	}
	var out []*register.IssuedCredential
	for obj := it.Next(); obj != nil; obj = it.Next() {
		if c := obj.(*register.IssuedCredential); c.KID == kid {
			out = append(out, c)
		}
	}
	return out, nil
}

// credentialsInList reads list id's credentials through the slot index's
// prefix. The prefix ends with the string index's terminator, so list "1"
// never matches list "10".
func credentialsInList(tx *memdb.Txn, id string) ([]*register.IssuedCredential, error) {
	return credentialsBy(tx, indexSlot+"_prefix", id+"\x00")
}

// StatusLists returns every status list record, in id order.
func (s *Store) StatusLists() ([]*register.StatusList, error) { return statusLists(s.read()) }

func statusLists(tx *memdb.Txn) ([]*register.StatusList, error) {
	it, err := tx.Get(tableStatusLists, indexID)
	if err != nil {
		return nil, fmt.Errorf("state: status lists: %w", err)
	}
	var out []*register.StatusList
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, obj.(*register.StatusList))
	}
	return out, nil
}

func credential(tx *memdb.Txn, jti string) (*register.IssuedCredential, error) {
	obj, err := tx.First(tableCredentials, indexID, jti)
	if err != nil {
		return nil, fmt.Errorf("state: credential lookup: %w", err)
	}
	if obj == nil {
		return nil, fmt.Errorf("%w: no credential %s", register.ErrNotFound, jti)
	}
	return obj.(*register.IssuedCredential), nil
}

func credentialsBy(tx *memdb.Txn, index, value string) ([]*register.IssuedCredential, error) {
	it, err := tx.Get(tableCredentials, index, value)
	if err != nil {
		return nil, fmt.Errorf("state: credentials: %w", err)
	}
	var out []*register.IssuedCredential
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, obj.(*register.IssuedCredential))
	}
	return out, nil
}

func statusList(tx *memdb.Txn, id string) (*register.StatusList, error) {
	obj, err := tx.First(tableStatusLists, indexID, id)
	if err != nil {
		return nil, fmt.Errorf("state: status list lookup: %w", err)
	}
	if obj == nil {
		return nil, nil
	}
	return obj.(*register.StatusList), nil
}
