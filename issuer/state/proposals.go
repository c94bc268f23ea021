package state

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/hashicorp/go-memdb"

	"github.com/nalw/linkpass/issuer/register"
)

// tableProposals holds changes waiting for a second registrar (the
// two-person rule), and those decided, which stay as a record.
const tableProposals = "proposals"

func proposalsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableProposals,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:         {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			indexRegistrant: {Name: indexRegistrant, Indexer: &memdb.StringFieldIndex{Field: "Registrant"}},
		},
	}
}

// Proposal returns a proposal or an error wrapping register.ErrNotFound.
func (t *Txn) Proposal(id string) (*register.Proposal, error) {
	return first[register.Proposal](t.tx, tableProposals, indexID, id, "proposal")
}

// ProposalsOf returns a registrant's proposals.
func (t *Txn) ProposalsOf(number string) ([]*register.Proposal, error) {
	return all[register.Proposal](t.tx, tableProposals, number)
}

// PutProposal stores a proposal.
func (t *Txn) PutProposal(p *register.Proposal) error { return t.insert(tableProposals, p) }

// Proposal returns a proposal by id.
func (s *Store) Proposal(id string) (*register.Proposal, error) {
	return first[register.Proposal](s.read(), tableProposals, indexID, id, "proposal")
}

// ProposalsOf returns a registrant's proposals.
func (s *Store) ProposalsOf(number string) ([]*register.Proposal, error) {
	return all[register.Proposal](s.read(), tableProposals, number)
}

// Proposals returns every proposal in state st (every one if st is
// empty), oldest first.
func (s *Store) Proposals(st register.ProposalState) ([]*register.Proposal, error) {
	it, err := s.read().Get(tableProposals, indexID)
	if err != nil {
		return nil, fmt.Errorf("state: proposals: %w", err)
	}
	var out []*register.Proposal
	for obj := it.Next(); obj != nil; obj = it.Next() {
		if p := obj.(*register.Proposal); st == "" || p.State == st {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *register.Proposal) int { return cmp.Compare(a.CreateIndex, b.CreateIndex) })
	return out, nil
}
