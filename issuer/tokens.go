package issuer

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/staff"
)

// tokenPrefix starts every API token, so that secret scanners and people can
// recognise one.
const tokenPrefix = "lpt_"

// randomID returns n random bytes as hex.
func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // unrecoverable: no safe fallback
	}
	return hex.EncodeToString(b)
}

// newTokenSecret returns a token id and the full bearer secret. The secret
// carries 256 random bits; only its hash is stored.
func newTokenSecret() (id, bearer string) {
	id = randomID(8)
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return id, tokenPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(b)
}

// splitBearer returns the id and secret of a bearer token.
func splitBearer(bearer string) (id, secret string, err error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(bearer), tokenPrefix)
	if !ok {
		return "", "", fmt.Errorf("%w: the token is not a linkpass API token (they start with %s)", register.ErrUnauthenticated, tokenPrefix)
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || len(id) != 16 || len(secret) != 43 || !isHex(id) || !isBase64URL(secret) {
		return "", "", fmt.Errorf("%w: the token is malformed; copy it again in full", register.ErrUnauthenticated)
	}
	return id, secret, nil
}

func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Authenticate returns the actor a bearer token stands for.
func (s *Server) Authenticate(bearer string) (register.Actor, error) {
	id, secret, err := splitBearer(bearer)
	if err != nil {
		return register.Actor{}, err
	}
	tok, err := s.State().Token(id)
	if err != nil || tok.Revoked || subtle.ConstantTimeCompare(tok.SecretHash, hashSecret(secret)) != 1 {
		// One answer for unknown, revoked and wrong, so that the API does
		// not confirm which token ids exist.
		return register.Actor{}, fmt.Errorf("%w: the token is unknown or revoked", register.ErrUnauthenticated)
	}
	if tok.Staff != "" {
		// A staff member's token works only while their account does.
		if a, err := s.State().StaffAccount(tok.Staff); err != nil || a.Status != staff.Active {
			return register.Actor{}, fmt.Errorf("%w: the staff account this token belongs to is not active", register.ErrUnauthenticated)
		}
	}
	return register.Actor{TokenID: tok.ID, Role: tok.Role, Staff: tok.Staff}, nil
}

// CreateToken makes a new API token and returns its record and the bearer
// secret, which is shown once and never stored.
func (s *Server) CreateToken(actor register.Actor, role register.Role, name string) (*register.Token, string, error) {
	return s.CreateTokenFor(actor, register.Token{Role: role, Name: name})
}

// CreateTokenFor makes a new API token like t (its role, its integration
// name or the staff account it belongs to) and returns its record and the
// bearer secret.
func (s *Server) CreateTokenFor(actor register.Actor, t register.Token) (*register.Token, string, error) {
	role, name := t.Role, t.Name
	if _, err := register.ParseRole(string(role)); err != nil {
		return nil, "", err
	}
	// New tokens say whose they are, so that the audit trail can name
	// who acted. (Older ones may not; the log replays them as they were.)
	if t.Staff == "" && strings.TrimSpace(name) == "" {
		return nil, "", fmt.Errorf("%w: say whose token this is: the staff account it belongs to (staff), or the name of the integration that will use it (name)", register.ErrInvalid)
	}
	if role == register.RoleProvider && t.Staff == "" {
		// A provider's answers are its staff's: the token must say whose
		// account (and so which provider) it acts for.
		return nil, "", fmt.Errorf("%w: a provider token belongs to a provider's staff account; create it for that account (staff), not for an integration", register.ErrInvalid)
	}
	if len(name) > 100 {
		return nil, "", fmt.Errorf("%w: token name is longer than 100 characters", register.ErrInvalid)
	}
	id, bearer := newTokenSecret()
	_, secret, _ := splitBearer(bearer)
	res, err := s.apply(actor, fsmCreateToken(register.Token{ID: id, Role: role, Name: name, Staff: t.Staff, SecretHash: hashSecret(secret)}))
	if err != nil {
		return nil, "", err
	}
	return res.(*register.Token), bearer, nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

func isBase64URL(s string) bool {
	_, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil
}
