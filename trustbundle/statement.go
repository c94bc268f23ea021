package trustbundle

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nalw/linkpass/statuslist"
	"github.com/nalw/linkpass/verifier"
)

// StatementTyp is the JOSE "typ" of a trust statement. A token of any
// other type (a credential, a status list) is never read as one.
const StatementTyp = "linkpass-trust+jwt"

// maxStatementSize bounds a statement token: a few keys and retirements.
const maxStatementSize = 256 << 10

// ErrStatement means a bundle's trust statement is not acceptable: not
// signed by the register's root key, malformed, or inconsistent.
var ErrStatement = errors.New("trustbundle: trust statement not acceptable")

// ErrRollback means a bundle would take a verifier backwards (an older
// statement or status list, a retired key trusted again): it is refused
// and the bundle held is kept.
var ErrRollback = errors.New("trustbundle: bundle older than the one held")

// ErrRootChanged means a bundle is signed by another root key than the
// one the verifier has pinned: it is refused and the bundle held is kept.
var ErrRootChanged = errors.New("trustbundle: bundle signed by another root key than the register's")

// Statement is the register's signed word on who it is and which keys
// speak for it: everything in a bundle except the status lists, which
// are signed by the keys it names. The register's root key signs it
// (a JWS of type StatementTyp), and names itself in Root, so a verifier
// pins the root once (by its fingerprint) and from then on accepts only
// statements that root signed, with a sequence number that never goes
// down and retirements that are never undone.
type Statement struct {
	// Issuer is the issuer URL credentials name in "iss".
	Issuer string `json:"iss"`
	// Seq grows with every change to the register's keys or settings (it
	// is the register's log index of the last such change).
	Seq uint64 `json:"seq"`
	// IssuedAt is when the root signed the statement (NumericDate).
	IssuedAt int64 `json:"iat"`
	// Root is the public JWK of the root key that signs statements; its
	// kid is its RFC 7638 thumbprint, the fingerprint people confirm.
	Root json.RawMessage `json:"root"`
	// Keys is the JWKS of the keys that sign credentials and status lists.
	Keys json.RawMessage `json:"keys"`
	// Retired lists every key the register has ever retired. A verifier
	// that has seen a retirement never trusts that key again.
	Retired []RetiredKey `json:"retired"`
	// Metadata is the register's issuer metadata, Quality Mark included.
	Metadata Metadata `json:"metadata"`
}

// RetiredKey is a retired signing key.
type RetiredKey struct {
	KID       string    `json:"kid"`
	RetiredAt time.Time `json:"retired_at"`
}

// Signer signs a statement: the register's root key.
type Signer interface {
	KeyID() string
	Algorithm() string
	Sign(signingInput []byte) ([]byte, error)
}

// SignStatement signs st with the root key as a compact JWS of type
// StatementTyp. The statement must name that key in Root.
func SignStatement(st *Statement, root Signer) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": root.Algorithm(), "kid": root.KeyID(), "typ": StatementTyp})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	sig, err := root.Sign([]byte(input))
	if err != nil {
		return "", fmt.Errorf("signing the trust statement: %w", err)
	}
	return input + "." + enc.EncodeToString(sig), nil
}

// statementMembers are the members of a statement, all required.
var statementMembers = map[string]bool{
	"iss": true, "seq": true, "iat": true, "root": true, "keys": true, "retired": true, "metadata": true,
}

// verifyStatement checks token, a bundle's statement for issuer: signed
// by the root it names (and, with anchor, that root's fingerprint is
// anchor), strict JSON with every member, seq above zero, issued no
// later than now plus skew, metadata for the same issuer, and no key
// both trusted and retired.
func verifyStatement(token, issuer, anchor string, now time.Time, skew time.Duration) (*Statement, *verifier.PinnedKey, error) {
	if len(token) > maxStatementSize {
		return nil, nil, fmt.Errorf("%w: %d bytes, more than %d", ErrStatement, len(token), maxStatementSize)
	}
	// The root is read from the statement before the signature is
	// checked, then must have made that signature: a statement proves
	// only that its root signed it. What makes the root the register's is
	// the pin: the anchor, or the root of the bundle held before.
	payload, err := unverifiedPayload(token)
	if err != nil {
		return nil, nil, err
	}
	st, err := parseStatement(payload)
	if err != nil {
		return nil, nil, err
	}
	root, err := verifier.ParsePinnedKey(st.Root)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: root: %w", ErrStatement, err)
	}
	if anchor != "" && root.Fingerprint != anchor {
		return nil, nil, fmt.Errorf("%w: signed by root key %s, not by the configured anchor %s", ErrStatement, root.Fingerprint, clip(anchor))
	}
	signed, err := verifier.VerifyPinnedJWS(root, StatementTyp, token, maxStatementSize)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrStatement, err)
	}
	if !bytes.Equal(signed, payload) {
		return nil, nil, fmt.Errorf("%w: payload changed while reading", ErrStatement)
	}
	switch {
	case st.Issuer != issuer:
		return nil, nil, fmt.Errorf("%w: it is for %q, the bundle for %q", ErrStatement, clip(st.Issuer), issuer)
	case st.Metadata.Issuer != issuer:
		return nil, nil, fmt.Errorf("%w: its metadata names issuer %q, not %q", ErrStatement, clip(st.Metadata.Issuer), issuer)
	case st.Seq == 0:
		return nil, nil, fmt.Errorf("%w: no sequence number", ErrStatement)
	case st.IssuedAt <= 0:
		return nil, nil, fmt.Errorf("%w: no issued-at time", ErrStatement)
	case time.Unix(st.IssuedAt, 0).After(now.Add(skew)):
		return nil, nil, fmt.Errorf("%w: it is dated %s, in the future (this computer's clock says %s): check the clocks", ErrStatement,
			time.Unix(st.IssuedAt, 0).UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	retired := st.retiredSet()
	var jwks struct {
		Keys []struct {
			KID string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(st.Keys, &jwks); err != nil {
		return nil, nil, fmt.Errorf("%w: keys: %v", ErrStatement, err)
	}
	for _, k := range jwks.Keys {
		if retired[k.KID] {
			return nil, nil, fmt.Errorf("%w: key %s is both trusted and retired", ErrStatement, clip(k.KID))
		}
		if k.KID == root.Fingerprint {
			return nil, nil, fmt.Errorf("%w: the root key must not also sign credentials", ErrStatement)
		}
	}
	return st, root, nil
}

func (st *Statement) retiredSet() map[string]bool {
	m := make(map[string]bool, len(st.Retired))
	for _, r := range st.Retired {
		m[r.KID] = true
	}
	return m
}

// unverifiedPayload decodes a compact JWS's payload, to find the root
// that must have signed it.
func unverifiedPayload(token string) ([]byte, error) {
	first := bytes.IndexByte([]byte(token), '.')
	last := bytes.LastIndexByte([]byte(token), '.')
	if first < 0 || last == first {
		return nil, fmt.Errorf("%w: not a compact signed token", ErrStatement)
	}
	payload, err := base64.RawURLEncoding.Strict().DecodeString(token[first+1 : last])
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrStatement, err)
	}
	return payload, nil
}

// parseStatement reads a statement strictly: no duplicate members at any
// depth, no unknown or missing top-level members.
func parseStatement(payload []byte) (*Statement, error) {
	top := map[string]bool{}
	err := walkJSON(payload, func(path []string, name string) error {
		if len(path) == 0 {
			top[name] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStatement, err)
	}
	for name := range top {
		if !statementMembers[name] {
			return nil, fmt.Errorf("%w: unknown member %q", ErrStatement, clip(name))
		}
	}
	for name := range statementMembers {
		if !top[name] {
			return nil, fmt.Errorf("%w: no %q", ErrStatement, name)
		}
	}
	var st Statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStatement, err)
	}
	return &st, nil
}

// Follows checks that c may replace held, the bundle a verifier holds,
// so that a verifier never moves backwards: same issuer; a statement
// signed by the same root (unless repin, a fingerprint the practice has
// confirmed, names c's root); a sequence no lower than held's (the
// sequence, a log index, orders statements whatever the clocks say: a
// register whose clock went back after a restart re-signs the same
// statement with an earlier iat, and must not lock verifiers out; at one
// sequence the content is the same state); every key held retired still
// retired; every status list held
// still there and issued no earlier. It returns nil when c is the same
// as held or newer; otherwise an error wrapping ErrRootChanged or
// ErrRollback that says what went backwards.
func (c *Checked) Follows(held *Checked, repin string) error {
	if held == nil {
		return nil
	}
	if c.issuer != held.issuer {
		return fmt.Errorf("%w: the bundle held is for %s, this one for %s", ErrRollback, held.issuer, c.issuer)
	}
	if !c.root.Equal(held.root) && c.root.Fingerprint != repin {
		return fmt.Errorf("%w: this bundle is signed by root key %s, but the register's root key is %s: a register does not change its root without telling you; if NALW has told you of a new one, confirm its fingerprint and sync with --anchor %s",
			ErrRootChanged, c.root.Fingerprint, held.root.Fingerprint, c.root.Fingerprint)
	}
	ns, hs := c.statement, held.statement
	if ns.Seq < hs.Seq {
		return fmt.Errorf("%w: its keys and settings are at sequence %d, the bundle held at %d", ErrRollback, ns.Seq, hs.Seq)
	}
	retired := ns.retiredSet()
	for _, r := range hs.Retired {
		if !retired[r.KID] {
			return fmt.Errorf("%w: key %s, retired in the bundle held, is no longer listed as retired; a retired key is never trusted again", ErrRollback, r.KID)
		}
	}
	for _, uri := range held.order {
		h := held.lists[uri]
		n := c.lists[uri]
		if n == nil {
			return fmt.Errorf("%w: it lacks status list %s, which the bundle held has", ErrRollback, uri)
		}
		if err := listFollows(n.claims, h.claims); err != nil {
			return fmt.Errorf("%w: its status list %s %s", ErrRollback, uri, err)
		}
	}
	return nil
}

// listFollows says why token claims n are older than h, or returns nil.
// Times are whole seconds, so two tokens of the same second are told
// apart by their seq: a token without one cannot follow one with one.
func listFollows(n, h *statuslist.TokenClaims) error {
	switch {
	case n.IssuedAt.Before(h.IssuedAt):
		return fmt.Errorf("was issued %s, the one held %s", n.IssuedAt.UTC().Format(time.RFC3339), h.IssuedAt.UTC().Format(time.RFC3339))
	case h.Sequence != 0 && n.Sequence < h.Sequence:
		return fmt.Errorf("is at sequence %d, the one held at %d", n.Sequence, h.Sequence)
	case h.Sequence == 0 && n.IssuedAt.Equal(h.IssuedAt) && *n.StatusList != *h.StatusList:
		return fmt.Errorf("says something else than the one held, issued in the same second, and neither says which is newer")
	}
	return nil
}

// Usable reports whether c is fit to be stored at now, as a sync stores
// it: no status list already expired, so that a register with a wrong
// clock cannot make verifiers swap good status for none.
func (c *Checked) Usable(now time.Time) error {
	for _, uri := range c.order {
		l := c.lists[uri].claims
		if !l.Expiry.IsZero() && !now.Before(l.Expiry) {
			return fmt.Errorf("%w: status list %s expired at %s (the register's clock may be wrong); keeping the bundle held", ErrStatusList, uri, l.Expiry.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// RootFingerprint returns the fingerprint of the register's root key
// (its RFC 7638 thumbprint), for a person to confirm against what NALW
// publishes.
func (c *Checked) RootFingerprint() string { return c.root.Fingerprint }

// Sequence returns the sequence number of the bundle's trust statement.
func (c *Checked) Sequence() uint64 { return c.statement.Seq }

// Retired returns the kids of the keys the register has retired.
func (c *Checked) Retired() []string {
	out := make([]string, 0, len(c.statement.Retired))
	for _, r := range c.statement.Retired {
		out = append(out, r.KID)
	}
	slices.Sort(out)
	return out
}

// StatusAsOf returns when the bundle's oldest status list was issued (the
// statement's time if it has none): how old its status information is,
// from signed times only.
func (c *Checked) StatusAsOf() time.Time {
	at := time.Unix(c.statement.IssuedAt, 0).UTC()
	for i, uri := range c.order {
		if iat := c.lists[uri].claims.IssuedAt; i == 0 || iat.Before(at) {
			at = iat
		}
	}
	return at
}

func formatUnix(s int64) string { return time.Unix(s, 0).UTC().Format(time.RFC3339) }
