package trustbundle

import (
	"context"
	"fmt"
	"time"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/statuslist"
	"github.com/nalw/linkpass/verifier"
)

// Checked is a bundle whose keys were accepted and whose every status
// list verified, with each list decoded once. It is immutable and safe
// for concurrent use.
type Checked struct {
	// Trust trusts the bundle's issuer with the bundle's keys, and no one
	// else. Give it to verifier.New.
	Trust *verifier.Trust

	issuer    string
	createdAt time.Time
	lists     map[string]*checkedList
	order     []string // uris in bundle order

	statement *Statement
	root      *verifier.PinnedKey
}

// checkedList is one verified, decoded list.
type checkedList struct {
	claims *statuslist.TokenClaims
	list   *statuslist.List
}

// ListInfo describes a verified status list of a bundle.
type ListInfo struct {
	URI      string
	IssuedAt time.Time
	// Expiry is the list's exp; zero if it has none.
	Expiry time.Time
	// TTL is the list's ttl; zero if it has none.
	TTL time.Duration
	// Entries is the number of entries in the list.
	Entries int
}

// CheckOption configures Check.
type CheckOption func(*checkConfig)

type checkConfig struct {
	anchor string
}

// WithAnchor makes Check accept only a statement signed by the root key
// whose fingerprint (RFC 7638 thumbprint) is fingerprint: the register's
// root as NALW publishes it, configured rather than pinned at first sync.
func WithAnchor(fingerprint string) CheckOption {
	return func(c *checkConfig) { c.anchor = fingerprint }
}

// Check validates b and verifies its trust statement (signed by the root
// key it names, which must be the anchor if one is given; see
// verifyStatement), builds a Trust holding the statement's keys for b's
// issuer (requiring status of its credentials when the statement says
// they all carry one), and verifies every status list token in b with
// verifier.VerifyStatusListToken: signed by a key of the statement, typ
// statuslist+jwt, sub equal to its uri, uri under the issuer, issued no
// later than now (with clock skew), list within the decoder's bound. Any
// failure fails the whole bundle: a bundle is used whole or not at all.
//
// Check proves that the root named in the bundle signed it; whether that
// root is the register's is the pin's business: the anchor, or the root
// of the bundle held before (Follows).
//
// A list past its exp does not fail Check: whether it may still be used
// is decided at each lookup by the StatusChecker's policy (see
// verifier.StatusPolicy), because a bundle checked today is used for
// days. Usable refuses one at sync time.
func (b *Bundle) Check(now time.Time, opts ...CheckOption) (*Checked, error) {
	var cfg checkConfig
	for _, o := range opts {
		o(&cfg)
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	st, root, err := verifyStatement(b.Statement, b.Issuer, cfg.anchor, now, verifier.DefaultClockSkew)
	if err != nil {
		return nil, err
	}
	trust := verifier.NewTrust()
	if err := trust.AddIssuer(b.Issuer, st.Keys); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeys, err)
	}
	if st.Metadata.CredentialsCarryStatus {
		if err := trust.RequireStatus(b.Issuer); err != nil {
			return nil, err
		}
	}
	c := &Checked{
		Trust:     trust,
		issuer:    b.Issuer,
		createdAt: b.CreatedAt,
		lists:     make(map[string]*checkedList, len(b.StatusLists)),
		order:     make([]string, 0, len(b.StatusLists)),
		statement: st,
		root:      root,
	}
	for _, sl := range b.StatusLists {
		claims, list, err := verifier.VerifyStatusListToken(trust, b.Issuer, sl.URI, sl.Token, now,
			verifier.WithInsecureExpiredStatusList()) // exp is the checker's to judge, at each lookup
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrStatusList, sl.URI, err)
		}
		c.lists[sl.URI] = &checkedList{claims: claims, list: list}
		c.order = append(c.order, sl.URI)
	}
	return c, nil
}

// Issuer returns the issuer the bundle is for.
func (c *Checked) Issuer() string { return c.issuer }

// CreatedAt returns when the register says it made the bundle. It is
// not signed: show it, never decide on it (StatusAsOf is signed).
func (c *Checked) CreatedAt() time.Time { return c.createdAt }

// Lists describes the bundle's status lists, in bundle order.
func (c *Checked) Lists() []ListInfo {
	out := make([]ListInfo, 0, len(c.order))
	for _, uri := range c.order {
		l := c.lists[uri]
		out = append(out, ListInfo{URI: uri, IssuedAt: l.claims.IssuedAt, Expiry: l.claims.Expiry, TTL: l.claims.TTL, Entries: l.list.Len()})
	}
	return out
}

// StatusChecker returns a verifier.StatusChecker answering from the
// bundle's lists under the staleness policy opts configure (see
// verifier.NewStatusPolicy: by default a list older than 24 hours, or
// past its exp, gives no answer).
func (c *Checked) StatusChecker(opts ...verifier.StatusOption) (*StatusChecker, error) {
	p, err := verifier.NewStatusPolicy(opts...)
	if err != nil {
		return nil, err
	}
	return &StatusChecker{issuer: c.issuer, lists: c.lists, policy: p}, nil
}

// Verifier returns a verifier that trusts the bundle's issuer and keys and
// checks status from the bundle's lists under the staleness policy
// statusOpts configure, with no network.
func (c *Checked) Verifier(statusOpts []verifier.StatusOption, opts ...verifier.Option) (*verifier.Verifier, error) {
	sc, err := c.StatusChecker(statusOpts...)
	if err != nil {
		return nil, err
	}
	return verifier.New(c.Trust, append(opts, verifier.WithStatusChecker(sc))...)
}

// StatusChecker answers status lookups from a checked bundle, with no
// network. It is safe for concurrent use.
type StatusChecker struct {
	issuer string
	lists  map[string]*checkedList
	policy *verifier.StatusPolicy
}

var _ verifier.StatusChecker = (*StatusChecker)(nil)

// CheckStatus returns the status of entry ref of issuer's list. The
// issuer must be the bundle's and ref.URI one of its lists; the index
// must be in the list. Staleness follows the checker's policy: past the
// list's ttl the answer is marked Stale ("status as of <iat>"); past its
// exp or the maximum age there is no answer, unless stale status is
// allowed.
func (s *StatusChecker) CheckStatus(_ context.Context, issuer string, ref credential.StatusListRef) (verifier.StatusInfo, error) {
	if issuer != s.issuer {
		return verifier.StatusInfo{Status: verifier.StatusUnknown},
			fmt.Errorf("%w: the bundle is for %s, not %q", verifier.ErrStatusListIssuer, s.issuer, clip(issuer))
	}
	l := s.lists[ref.URI]
	if l == nil {
		return verifier.StatusInfo{Status: verifier.StatusUnknown},
			fmt.Errorf("%w: the trust bundle has no list %q (sync it again)", verifier.ErrStatusListNotFound, clip(ref.URI))
	}
	return s.policy.Lookup(l.claims, l.list, ref.Idx)
}

// Policy returns the staleness policy the checker applies.
func (s *StatusChecker) Policy() *verifier.StatusPolicy { return s.policy }
