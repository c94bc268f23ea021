package issuer

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/nalw/linkpass/issuer/datadir"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/keys"
)

// signers loads private keys from the data directory on first use and keeps
// them in memory.
type signers struct {
	dir *keys.Dir
	// unseal, in a cluster, takes a key this node lacks from the log,
	// where the leader that made it left it sealed.
	unseal func(kid string) (*keys.Key, error)
	mu     sync.Mutex
	m      map[string]*keys.Key
}

func (s *signers) get(kid string) (*keys.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.m[kid]; ok {
		return k, nil
	}
	k, err := s.dir.Load(kid)
	if errors.Is(err, keys.ErrKeyNotFound) && s.unseal != nil {
		if k, err = s.unseal(kid); err == nil {
			err = s.dir.Save(k)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("loading signing key %s from %s: %w", kid, s.dir.Path(), err)
	}
	if s.m == nil {
		s.m = map[string]*keys.Key{}
	}
	s.m[kid] = k
	return k, nil
}

func (s *signers) put(k *keys.Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*keys.Key{}
	}
	s.m[k.KeyID()] = k
}

func (s *Server) openKeys() error {
	d, err := keys.OpenDir(datadir.Layout(s.cfg.DataDir).Keys())
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDataDir, err)
	}
	s.signers = &signers{dir: d}
	return nil
}

// ensureSigningKey makes the first signing key on first start. The private
// key is saved to the data directory before its record is committed, so a
// crash in between leaves an unused file, never a record without a key.
func (s *Server) ensureSigningKey() error {
	if _, err := s.activeKey(); err == nil {
		return nil
	}
	_, err := s.RotateKey(register.System, s.cfg.KeyAlgorithm)
	return err
}

// checkActiveKeyFile refuses to start when the active key's file is
// missing or damaged: the register could not sign a status list, so no
// suspension would reach verifiers.
func (s *Server) checkActiveKeyFile() error {
	k, err := s.activeKey()
	if err != nil {
		return err
	}
	if _, err := s.signers.get(k.KID); err != nil {
		path := filepath.Join(s.signers.dir.Path(), k.KID+".jwk")
		return fmt.Errorf("%w: the active signing key %s cannot be used (%v). A private key cannot be made again: put back this file from a backup of the data directory, or restore the register from a backup with `linkpass restore`. Do not start a new register over it", ErrDataDir, path, err)
	}
	return nil
}

// activeKey returns the record of the key that signs new credentials.
func (s *Server) activeKey() (*register.SigningKey, error) {
	all, err := s.State().Keys()
	if err != nil {
		return nil, err
	}
	for _, k := range all {
		if k.State == register.KeyActive {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w: the register has no active signing key; run `linkpass keys rotate`", register.ErrConflict)
}

// What people are told before and after they rotate or retire a key, in
// the CLI's help and on the console's settings page alike.
const (
	RotateAdvice  = "Make a new signing key; older keys keep verifying until retired"
	RetireAdvice  = "Stop publishing a key; refused while credentials it signed are unexpired, unless forced"
	RetiredEffect = "it is no longer published, and credentials it signed stop verifying at verifiers' next sync"
)

// RotateKey makes a new signing key the active one. Older keys keep
// verifying until retired.
func (s *Server) RotateKey(actor register.Actor, alg string) (*register.SigningKey, error) {
	if alg == "" {
		alg = keys.AlgEdDSA
	}
	k, err := keys.Generate(alg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", register.ErrInvalid, err)
	}
	pub, err := k.PublicJWK()
	if err != nil {
		return nil, err
	}
	if err := s.signers.dir.Save(k); err != nil {
		if f := s.watch.Failed(err); f != nil {
			return nil, f
		}
		return nil, fmt.Errorf("saving the new signing key: %w", err)
	}
	s.signers.put(k)
	// In a cluster the key is in the log, sealed, before it becomes the
	// active one, so a node that takes over can sign with it at once.
	if err := s.sealKeys(actor, k); err != nil {
		return nil, err
	}
	res, err := s.apply(actor, fsm.AddKey{Key: register.SigningKey{KID: k.KeyID(), Alg: k.Algorithm(), PublicJWK: pub}})
	if err != nil {
		return nil, err
	}
	s.logger.Info("new signing key is active", "kid", k.KeyID(), "alg", k.Algorithm())
	return res.(*register.SigningKey), nil
}

// RetireKey stops publishing a key. Unless forced, it is refused while
// credentials the key signed have not yet expired, because retiring makes
// them fail verification everywhere at the next sync.
func (s *Server) RetireKey(actor register.Actor, kid string, force bool) (*register.SigningKey, error) {
	creds, err := s.State().CredentialsSignedBy(kid)
	if err != nil {
		return nil, err
	}
	var notAfter time.Time
	for _, c := range creds {
		if c.Status != register.CredentialRevoked && c.ExpiresAt.After(notAfter) {
			notAfter = c.ExpiresAt
		}
	}
	res, err := s.apply(actor, fsm.RetireKey{KID: kid, Force: force, NotAfter: notAfter})
	if err != nil {
		return nil, err
	}
	return res.(*register.SigningKey), nil
}

// JWKS returns the public keys verifiers should accept: every key that is
// not retired.
func (s *Server) JWKS() ([]byte, error) {
	all, err := s.State().Keys()
	if err != nil {
		return nil, err
	}
	var pubs [][]byte
	for _, k := range all {
		if k.State != register.KeyRetired {
			pubs = append(pubs, k.PublicJWK)
		}
	}
	if len(pubs) == 0 {
		return nil, errors.New("the register has no published keys")
	}
	return keys.JWKS(pubs...)
}
