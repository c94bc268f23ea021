package state

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/namefold"
	"github.com/nalw/linkpass/staff"
)

const (
	tableStaff = "staff"
	indexEmail = "email"
	indexSetup = "setup"
)

func staffTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableStaff,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:    {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			indexEmail: {Name: indexEmail, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Email", Lowercase: true}},
			indexSetup: {Name: indexSetup, Unique: true, AllowMissing: true, Indexer: setupHashIndex{}},
		},
	}
}

// setupHashIndex indexes accounts by the hash of their setup link, for
// the ones that have one.
type setupHashIndex struct{}

func (setupHashIndex) FromObject(obj any) (bool, []byte, error) {
	a, ok := obj.(*staff.Account)
	if !ok {
		return false, nil, fmt.Errorf("setup index: unexpected type %T", obj)
	}
	if len(a.SetupHash) == 0 {
		return false, nil, nil
	}
	return true, append([]byte(nil), a.SetupHash...), nil
}

func (setupHashIndex) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("setup index: want one []byte, got %d args", len(args))
	}
	b, ok := args[0].([]byte)
	if !ok {
		return nil, fmt.Errorf("setup index: want []byte, got %T", args[0])
	}
	return b, nil
}

// StaffAccount returns a staff account or an error wrapping
// register.ErrNotFound.
func (t *Txn) StaffAccount(id string) (*staff.Account, error) { return staffBy(t.tx, indexID, id) }

// StaffAccountByEmail returns the account with email.
func (t *Txn) StaffAccountByEmail(email string) (*staff.Account, error) {
	return staffBy(t.tx, indexEmail, staff.NormalEmail(email))
}

// PutStaffAccount stores a staff account.
func (t *Txn) PutStaffAccount(a *staff.Account) error { return t.insert(tableStaff, a) }

// StaffAccount returns a staff account or an error wrapping
// register.ErrNotFound.
func (s *Store) StaffAccount(id string) (*staff.Account, error) {
	return staffBy(s.read(), indexID, id)
}

// StaffAccountByEmail returns the account with email.
func (s *Store) StaffAccountByEmail(email string) (*staff.Account, error) {
	return staffBy(s.read(), indexEmail, staff.NormalEmail(email))
}

// StaffAccountBySetupHash returns the account whose setup link hashes to h.
func (s *Store) StaffAccountBySetupHash(h []byte) (*staff.Account, error) {
	return staffBy(s.read(), indexSetup, h)
}

// StaffAccounts returns every staff account, by id.
func (s *Store) StaffAccounts() ([]*staff.Account, error) {
	it, err := s.read().Get(tableStaff, indexID)
	if err != nil {
		return nil, fmt.Errorf("state: staff: %w", err)
	}
	var out []*staff.Account
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, obj.(*staff.Account))
	}
	return out, nil
}

func staffBy(tx *memdb.Txn, index string, arg any) (*staff.Account, error) {
	obj, err := tx.First(tableStaff, index, arg)
	if err != nil {
		return nil, fmt.Errorf("state: staff lookup: %w", err)
	}
	if obj == nil {
		return nil, fmt.Errorf("%w: no such staff account", register.ErrNotFound)
	}
	return obj.(*staff.Account), nil
}

// ActorName names who made a change, for people reading the audit trail:
// the staff member (through the console or their own token), the
// integration a token was made for, or the register itself.
func (s *Store) ActorName(a register.Actor) string {
	tx := s.read()
	if a.Staff != "" {
		if acct, err := staffBy(tx, indexID, a.Staff); err == nil {
			return acct.Name
		}
		return "staff " + a.Staff
	}
	if a == register.System {
		return "the register (automatic)"
	}
	if tok, err := token(tx, a.TokenID); err == nil {
		if tok.Staff != "" {
			if acct, err := staffBy(tx, indexID, tok.Staff); err == nil {
				return acct.Name
			}
		}
		if tok.Name != "" {
			return tok.Name + " (integration)"
		}
	}
	return "token " + a.TokenID
}

// ActorsNamed returns the actors (ActorKey) an auditor means by q: every
// staff member and integration whose name holds all of q's words (folded
// as names are for search, so "grace" finds "Grace Hopper"), and the staff
// account, token or "system" whose id is q. The result is never nil, so
// that a name matching nobody selects no events.
func (s *Store) ActorsNamed(q string) ([]string, error) {
	words := namefold.Words(q)
	holds := func(name string) bool {
		if len(words) == 0 {
			return false
		}
		have := namefold.Words(name)
		for _, w := range words {
			found := false
			for _, h := range have {
				if strings.HasPrefix(h, w) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	q = strings.TrimSpace(q)
	out := []string{}
	accts, err := s.StaffAccounts()
	if err != nil {
		return nil, err
	}
	for _, a := range accts {
		if a.ID == q || holds(a.Name) {
			out = append(out, a.ID)
		}
	}
	toks, err := s.Tokens()
	if err != nil {
		return nil, err
	}
	for _, t := range toks {
		switch {
		case t.ID == q && t.Staff != "":
			out = append(out, t.Staff)
		case t.Staff == "" && (t.ID == q || holds(t.Name) || holds(t.Name)):
			out = append(out, t.ID)
		}
	}
	if q == register.System.TokenID || holds(s.ActorName(register.System)) {
		out = append(out, register.System.TokenID)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
