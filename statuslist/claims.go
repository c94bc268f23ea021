package statuslist

import (
	"strings"

	"github.com/nalw/linkpass/internal/strictjson"

	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Claim is the StatusList JSON object, the value of the status_list claim of
// a Status List Token: {"bits": 2, "lst": "eNrt..."}.
type Claim struct {
	// Bits is the number of bits per entry: 1, 2, 4 or 8.
	Bits int `json:"bits"`
	// Lst is the compressed byte array, base64url without padding.
	Lst string `json:"lst"`
	// AggregationURI optionally points at the issuer's list of status lists.
	AggregationURI string `json:"aggregation_uri,omitempty"`
}

// Validate reports the first problem with c's members: bits outside
// {1, 2, 4, 8} or an empty lst. It does not decode lst; Decode does.
func (c Claim) Validate() error {
	if err := checkBits(c.Bits); err != nil {
		return fmt.Errorf("%w: status_list.bits: %w", ErrInvalidClaim, err)
	}
	if c.Lst == "" {
		return fmt.Errorf("%w: status_list.lst", ErrMissingClaim)
	}
	return nil
}

// Decode validates c and decodes its list.
func (c Claim) Decode(opts ...DecodeOption) (*List, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return Decode(c.Bits, c.Lst, opts...)
}

// TokenClaims is the claims set of a Status List Token in JWT form
// (typ statuslist+jwt). Signing and signature verification happen elsewhere;
// this type only marshals and checks the payload. Members the specification
// leaves optional are zero when absent.
type TokenClaims struct {
	// Subject (sub) is the URI of the Status List Token; it must equal the
	// uri in the status claim of every credential that points at it.
	Subject string
	// Issuer (iss) is optional in the specification.
	Issuer string
	// IssuedAt (iat) is required.
	IssuedAt time.Time
	// Expiry (exp) is recommended; the zero Time means absent.
	Expiry time.Time
	// TTL (ttl) is how long a consumer may cache the token before fetching
	// a fresh one; recommended, whole seconds on the wire, zero means absent.
	TTL time.Duration
	// StatusList (status_list) is required.
	StatusList *Claim
	// Sequence (seq, a private claim of this register) grows with every
	// change to the register, so that of two tokens of a list signed in
	// the same second a verifier can tell which is newer; zero means
	// absent.
	Sequence uint64
}

// tokenClaimsJSON is the wire form. Pointers tell an absent member from a
// zero one; float64 reads the non-integer NumericDates RFC 7519 allows, and
// encoding/json writes integral values as plain integers ("iat":1686920170).
type tokenClaimsJSON struct {
	Subject    string   `json:"sub,omitempty"`
	Issuer     string   `json:"iss,omitempty"`
	IssuedAt   *float64 `json:"iat,omitempty"`
	Expiry     *float64 `json:"exp,omitempty"`
	TTL        *float64 `json:"ttl,omitempty"`
	StatusList *Claim   `json:"status_list,omitempty"`
	Sequence   *uint64  `json:"seq,omitempty"`
}

// MarshalJSON encodes the claims with times as integer seconds since the
// epoch, leaving out members that are absent.
func (c TokenClaims) MarshalJSON() ([]byte, error) {
	w := tokenClaimsJSON{
		Subject:    c.Subject,
		Issuer:     c.Issuer,
		StatusList: c.StatusList,
	}
	if !c.IssuedAt.IsZero() {
		w.IssuedAt = ptr(float64(c.IssuedAt.Unix()))
	}
	if !c.Expiry.IsZero() {
		w.Expiry = ptr(float64(c.Expiry.Unix()))
	}
	if c.Sequence != 0 {
		w.Sequence = &c.Sequence
	}
	if c.TTL != 0 {
		// Round up so a sub-second TTL does not become 0, which is invalid.
		w.TTL = ptr(math.Ceil(c.TTL.Seconds()))
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes a claims set. It rejects members of the wrong type,
// negative or out-of-range times and a ttl that is not a positive number;
// checks that need the caller's context are Validate's.
func (c *TokenClaims) UnmarshalJSON(b []byte) error {
	// encoding/json keeps the last of duplicate members and matches names
	// ignoring case; a claims set that says two things, or spells "sub" as
	// "SUB", is refused instead.
	if err := strictjson.Valid(b); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidClaim, err)
	}
	if err := exactMemberNames(b, "sub", "iss", "iat", "exp", "ttl", "status_list", "seq"); err != nil {
		return err
	}
	var w tokenClaimsJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidClaim, err)
	}
	out := TokenClaims{Subject: w.Subject, Issuer: w.Issuer, StatusList: w.StatusList}
	if w.Sequence != nil {
		out.Sequence = *w.Sequence
	}
	var err error
	if out.IssuedAt, err = numericDate("iat", w.IssuedAt); err != nil {
		return err
	}
	if out.Expiry, err = numericDate("exp", w.Expiry); err != nil {
		return err
	}
	if w.TTL != nil {
		// The specification requires a positive number; the upper bound
		// keeps the conversion to Duration from overflowing.
		if !(*w.TTL > 0) || *w.TTL > math.MaxInt64/float64(time.Second) {
			return fmt.Errorf("%w: ttl %v is not a positive number of seconds", ErrInvalidClaim, *w.TTL)
		}
		out.TTL = time.Duration(*w.TTL * float64(time.Second))
	}
	*c = out
	return nil
}

// maxNumericDate is 2^53 seconds, where float64 stops being exact; any later
// date is a forgery or a bug.
const maxNumericDate = 1 << 53

func numericDate(name string, v *float64) (time.Time, error) {
	if v == nil {
		return time.Time{}, nil
	}
	if !(*v >= 0) || *v > maxNumericDate {
		return time.Time{}, fmt.Errorf("%w: %s %v is not a NumericDate", ErrInvalidClaim, name, *v)
	}
	sec, frac := math.Modf(*v)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

func ptr[T any](v T) *T { return &v }

// ValidateOption configures TokenClaims.Validate.
type ValidateOption func(*validateConfig)

type validateConfig struct {
	leeway time.Duration
}

// WithLeeway accepts a token up to d after its exp, for clock skew between
// issuer and verifier. Negative values are ignored.
func WithLeeway(d time.Duration) ValidateOption {
	return func(c *validateConfig) {
		if d > 0 {
			c.leeway = d
		}
	}
}

// Validate reports the first problem with a decoded claims set: a missing
// status_list, sub or iat; a status_list with invalid bits or no lst; a sub
// other than uri (the uri of the credential's status claim); a ttl that is
// not positive; or an exp at or before now. It does not decode the list.
func (c *TokenClaims) Validate(uri string, now time.Time, opts ...ValidateOption) error {
	var cfg validateConfig
	for _, o := range opts {
		o(&cfg)
	}
	switch {
	case c.StatusList == nil:
		return fmt.Errorf("%w: status_list", ErrMissingClaim)
	case c.Subject == "":
		return fmt.Errorf("%w: sub", ErrMissingClaim)
	case c.IssuedAt.IsZero():
		return fmt.Errorf("%w: iat", ErrMissingClaim)
	}
	if err := c.StatusList.Validate(); err != nil {
		return err
	}
	if c.Subject != uri {
		return fmt.Errorf("%w: sub %q, want %q", ErrSubjectMismatch, c.Subject, uri)
	}
	if c.TTL < 0 {
		return fmt.Errorf("%w: ttl %v is negative", ErrInvalidClaim, c.TTL)
	}
	// RFC 7519: the current time MUST be before exp.
	if !c.Expiry.IsZero() && !now.Before(c.Expiry.Add(cfg.leeway)) {
		return fmt.Errorf("%w: exp %s, now %s", ErrExpired,
			c.Expiry.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// exactMemberNames refuses a member whose name differs from one of known
// only in case, which encoding/json would otherwise accept as that member.
func exactMemberNames(b []byte, known ...string) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidClaim, err)
	}
	for name := range m {
		for _, k := range known {
			if name != k && strings.EqualFold(name, k) {
				return fmt.Errorf("%w: member %q is spelled %q in the specification", ErrInvalidClaim, name, k)
			}
		}
	}
	return nil
}
