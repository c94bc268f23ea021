// Package trustroot keeps the register's root key and signs its trust
// statement: the keys that speak for the register, the keys it has
// retired and its metadata (Quality Mark standing included), as
// trustbundle.Statement. Verifiers pin the root key at their first sync,
// so a mirror that serves the trust bundle cannot change anything in it.
//
// The root key is not a signing key: it never signs a credential or a
// status list, so it is used only when the keys or settings change, and
// a stolen signing key cannot vouch for other keys or undo its own
// retirement. See docs/threat-model.md.
package trustroot

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/trustbundle"
)

// Open returns the root key kept in dir (a key directory, see keys.Dir),
// making one on a register's first start (or first start of a release
// that has root keys). A directory holding more than one key is refused:
// which one verifiers have pinned cannot be guessed.
func Open(dir string) (*keys.Key, bool, error) {
	d, err := keys.OpenDir(dir)
	if err != nil {
		return nil, false, err
	}
	kids, err := d.List()
	if err != nil {
		return nil, false, err
	}
	switch len(kids) {
	case 0:
		k, err := keys.Generate(keys.AlgEdDSA)
		if err != nil {
			return nil, false, err
		}
		if err := d.Save(k); err != nil {
			return nil, false, fmt.Errorf("saving the root key: %w", err)
		}
		return k, true, nil
	case 1:
		k, err := d.Load(kids[0])
		if err != nil {
			return nil, false, fmt.Errorf("loading the root key: %w", err)
		}
		return k, false, nil
	}
	return nil, false, fmt.Errorf("%s holds %d root keys; it must hold exactly the one verifiers have pinned: move the others out", dir, len(kids))
}

// State is what the statement is built from: the committed register.
type State interface {
	Keys() ([]*register.SigningKey, error)
	Settings() register.Settings
	Index(table string) uint64
}

// Signer builds and signs the trust statement, again only when what it
// says has changed. It is safe for concurrent use.
type Signer struct {
	root     *keys.Key
	rootJWK  []byte
	state    func() State
	metadata func() trustbundle.Metadata
	now      func() time.Time

	mu     sync.Mutex
	key    string // what the cached token says, but for its time
	token  string
	signed *trustbundle.Statement
}

// New returns a Signer for root over the register's state; metadata gives
// the register's issuer metadata as of now.
func New(root *keys.Key, state func() State, metadata func() trustbundle.Metadata, now func() time.Time) (*Signer, error) {
	pub, err := root.PublicJWK()
	if err != nil {
		return nil, err
	}
	return &Signer{root: root, rootJWK: pub, state: state, metadata: metadata, now: now}, nil
}

// Fingerprint is the root key's RFC 7638 thumbprint, which practices
// confirm on their first sync: publish it where they can check it.
func (s *Signer) Fingerprint() string { return s.root.KeyID() }

// Statement returns the current trust statement, signed. Its sequence is
// the register's log index of the last change to its keys or settings, so
// it only grows; the token is re-signed (with a new iat) only when its
// content changes.
func (s *Signer) Statement() (string, *trustbundle.Statement, error) {
	st := s.state()
	all, err := st.Keys()
	if err != nil {
		return "", nil, err
	}
	var pubs [][]byte
	retired := []trustbundle.RetiredKey{}
	for _, k := range all {
		if k.State == register.KeyRetired {
			retired = append(retired, trustbundle.RetiredKey{KID: k.KID, RetiredAt: k.RetiredAt.UTC()})
			continue
		}
		pubs = append(pubs, k.PublicJWK)
	}
	if len(pubs) == 0 {
		return "", nil, errors.New("the register has no published keys")
	}
	jwks, err := keys.JWKS(pubs...)
	if err != nil {
		return "", nil, err
	}
	meta := s.metadata()
	stmt := &trustbundle.Statement{
		Issuer: meta.Issuer, Seq: max(st.Index("keys"), st.Index("settings")), Root: s.rootJWK,
		Keys: jwks, Retired: retired, Metadata: meta,
	}
	// The cache key is the statement with its times taken out.
	probe := *stmt
	if probe.Metadata.QualityMark != nil {
		qm := *probe.Metadata.QualityMark
		qm.AsOf = time.Time{}
		probe.Metadata.QualityMark = &qm
	}
	keyJSON, err := json.Marshal(probe)
	if err != nil {
		return "", nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" && s.key == string(keyJSON) {
		return s.token, s.signed, nil
	}
	now := s.now().UTC().Truncate(time.Second)
	stmt.IssuedAt = now.Unix()
	if stmt.Metadata.QualityMark != nil {
		stmt.Metadata.QualityMark.AsOf = now
	}
	tok, err := trustbundle.SignStatement(stmt, s.root)
	if err != nil {
		return "", nil, err
	}
	s.key, s.token, s.signed = string(keyJSON), tok, stmt
	return tok, stmt, nil
}
