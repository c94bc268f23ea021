package state

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/hashicorp/go-memdb"

	"github.com/nalw/linkpass/issuer/register"
)

// Tables of OpenID4VCI issuance and of outgoing mail.
const (
	tableOffers   = "offers"
	tableGrants   = "grants"
	tableMessages = "messages"

	indexCode    = "code"
	indexAccess  = "access"
	indexRefresh = "refresh"
)

func offersTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableOffers,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:         {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			indexCode:       {Name: indexCode, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "CodeHash"}},
			indexRegistrant: {Name: indexRegistrant, Indexer: &memdb.StringFieldIndex{Field: "Registrant"}},
		},
	}
}

func grantsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableGrants,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:         {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			indexAccess:     {Name: indexAccess, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "AccessHash"}},
			indexRefresh:    {Name: indexRefresh, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "RefreshHash"}},
			indexRegistrant: {Name: indexRegistrant, Indexer: &memdb.StringFieldIndex{Field: "Registrant"}},
		},
	}
}

func messagesTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableMessages,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			// A message goes to a registrant or to an applicant.
			indexRegistrant:  {Name: indexRegistrant, AllowMissing: true, Indexer: &memdb.StringFieldIndex{Field: "Registrant"}},
			indexApplication: {Name: indexApplication, AllowMissing: true, Indexer: &memdb.StringFieldIndex{Field: "Application"}},
		},
	}
}

// Offer returns an offer or an error wrapping register.ErrNotFound.
func (t *Txn) Offer(id string) (*register.Offer, error) {
	return first[register.Offer](t.tx, tableOffers, indexID, id, "offer")
}

// PutOffer stores an offer.
func (t *Txn) PutOffer(o *register.Offer) error { return t.insert(tableOffers, o) }

// Grant returns a grant or an error wrapping register.ErrNotFound.
func (t *Txn) Grant(id string) (*register.Grant, error) {
	return first[register.Grant](t.tx, tableGrants, indexID, id, "wallet grant")
}

// PutGrant stores a grant.
func (t *Txn) PutGrant(g *register.Grant) error { return t.insert(tableGrants, g) }

// Message returns a message record or an error wrapping register.ErrNotFound.
func (t *Txn) Message(id string) (*register.Message, error) {
	return first[register.Message](t.tx, tableMessages, indexID, id, "message")
}

// PutMessage stores a message record.
func (t *Txn) PutMessage(m *register.Message) error { return t.insert(tableMessages, m) }

// Offer returns an offer by id.
func (s *Store) Offer(id string) (*register.Offer, error) {
	return first[register.Offer](s.read(), tableOffers, indexID, id, "offer")
}

// OfferByCode returns the offer whose pre-authorised code hashes to h.
func (s *Store) OfferByCode(h string) (*register.Offer, error) {
	return first[register.Offer](s.read(), tableOffers, indexCode, h, "offer")
}

// OffersOf returns a registrant's offers.
func (s *Store) OffersOf(number string) ([]*register.Offer, error) {
	return all[register.Offer](s.read(), tableOffers, number)
}

// Grant returns a grant by id.
func (s *Store) Grant(id string) (*register.Grant, error) {
	return first[register.Grant](s.read(), tableGrants, indexID, id, "wallet grant")
}

// GrantByAccess returns the grant whose current access token hashes to h.
func (s *Store) GrantByAccess(h string) (*register.Grant, error) {
	return first[register.Grant](s.read(), tableGrants, indexAccess, h, "wallet grant")
}

// GrantByRefresh returns the grant whose refresh token hashes to h.
func (s *Store) GrantByRefresh(h string) (*register.Grant, error) {
	return first[register.Grant](s.read(), tableGrants, indexRefresh, h, "wallet grant")
}

// GrantsOf returns a registrant's wallet grants.
func (s *Store) GrantsOf(number string) ([]*register.Grant, error) {
	return all[register.Grant](s.read(), tableGrants, number)
}

// MessagesOf returns the records of mail sent to a registrant.
func (s *Store) MessagesOf(number string) ([]*register.Message, error) {
	return all[register.Message](s.read(), tableMessages, number)
}

// MessagesOfApplication returns the records of mail sent to the applicant
// of application ref, oldest first.
func (s *Store) MessagesOfApplication(ref string) ([]*register.Message, error) {
	it, err := s.read().Get(tableMessages, indexApplication, ref)
	if err != nil {
		return nil, fmt.Errorf("state: messages of %s: %w", ref, err)
	}
	var out []*register.Message
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, obj.(*register.Message))
	}
	slices.SortStableFunc(out, func(x, y *register.Message) int { return cmp.Compare(x.CreateIndex, y.CreateIndex) })
	return out, nil
}

// Message returns a message record.
func (s *Store) Message(id string) (*register.Message, error) {
	return first[register.Message](s.read(), tableMessages, indexID, id, "message")
}

func first[T any](tx *memdb.Txn, table, index, value, what string) (*T, error) {
	obj, err := tx.First(table, index, value)
	if err != nil {
		return nil, fmt.Errorf("state: %s lookup: %w", what, err)
	}
	if obj == nil {
		return nil, fmt.Errorf("%w: no such %s", register.ErrNotFound, what)
	}
	return obj.(*T), nil
}

func all[T any](tx *memdb.Txn, table, registrant string) ([]*T, error) {
	it, err := tx.Get(table, indexRegistrant, registrant)
	if err != nil {
		return nil, fmt.Errorf("state: %s: %w", table, err)
	}
	var out []*T
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, obj.(*T))
	}
	return out, nil
}
