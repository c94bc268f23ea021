package verifier

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nalw/linkpass/internal/strictjson"
	"github.com/nalw/linkpass/statuslist"
)

// Media types of a Status List Token (draft-ietf-oauth-status-list).
const (
	// StatusListTyp is the JOSE "typ" header of a Status List Token.
	StatusListTyp = "statuslist+jwt"
	// StatusListMediaType is the Content-Type a Status List Token is
	// served with, and the Accept header a fetch sends.
	StatusListMediaType = "application/statuslist+jwt"
)

// Limits of VerifyStatusListToken.
const (
	// MaxStatusListTokenSize is the largest Status List Token read, before
	// any parsing. A 2^20-entry 2-bit list compresses to about 16 KB even
	// with 1% of its entries set at random; 1 MiB is ample.
	MaxStatusListTokenSize = 1 << 20
	// DefaultMaxStatusListEntries bounds the entries of a decoded list: 4
	// times statuslist.RecommendedSize, so at most 1 MiB decompressed at 2
	// bits. A list that inflates to more (a decompression bomb) is refused
	// without inflating the rest.
	DefaultMaxStatusListEntries = 4 * statuslist.RecommendedSize
	// maxTTLSeconds caps the ttl claim so that it fits a time.Duration.
	maxTTLSeconds = 1 << 32
	// maxNumericDate is 2^53 seconds, as in package statuslist.
	maxNumericDate = 1 << 53
)

// ErrStatusList matches every error about a status list: errors.Is(err,
// ErrStatusList) is true for all the ErrStatusList... and
// ErrStatusIndexOutOfRange errors below. Each of those says what was wrong.
var ErrStatusList = errors.New("status list not usable")

// Errors about a status list. Each matches ErrStatusList too. Whatever
// the error, the status of a credential that points at the list is
// unknown, never valid.
var (
	ErrStatusListMalformed   = statusListError("status list token malformed")
	ErrStatusListTooLarge    = statusListError("status list too large")
	ErrStatusListType        = statusListError("not a status list token")
	ErrStatusListHeader      = statusListError("status list token header refused")
	ErrStatusListKey         = statusListError("status list not signed by a trusted key of its issuer")
	ErrStatusListSignature   = statusListError("status list signature invalid")
	ErrStatusListIssuer      = statusListError("status list issuer not trusted")
	ErrStatusListURI         = statusListError("status list uri not under its issuer")
	ErrStatusListSubject     = statusListError("status list subject does not match its uri")
	ErrStatusListExpired     = statusListError("status list expired")
	ErrStatusListNotYetValid = statusListError("status list not yet valid")
	ErrStatusListTooOld      = statusListError("status list older than the maximum age")
	ErrStatusListNotFound    = statusListError("no status list at that uri")
	ErrStatusListFetch       = statusListError("status list could not be fetched")
	ErrStatusIndexOutOfRange = statusListError("status index out of range")
)

// statusListErr is a sentinel that also matches ErrStatusList.
type statusListErr struct{ msg string }

func statusListError(msg string) error { return &statusListErr{msg} }

func (e *statusListErr) Error() string        { return e.msg }
func (e *statusListErr) Is(target error) bool { return target == ErrStatusList }

// StatusListOption configures VerifyStatusListToken.
type StatusListOption interface {
	applyStatusList(*statusListConfig) error
}

type statusListConfig struct {
	skew          time.Duration
	maxEntries    int
	allowExpired  bool
	maxTokenBytes int
}

type statusListOptionFunc func(*statusListConfig) error

func (f statusListOptionFunc) applyStatusList(c *statusListConfig) error { return f(c) }

// WithStatusListClockSkew sets the leeway for the token's iat, nbf and
// exp: from 0 to MaxClockSkew. The default is DefaultClockSkew.
func WithStatusListClockSkew(d time.Duration) StatusListOption {
	return statusListOptionFunc(func(c *statusListConfig) error {
		if d < 0 || d > MaxClockSkew {
			return fmt.Errorf("%w: clock skew %s not within [0, %s]", ErrInvalidOption, d, MaxClockSkew)
		}
		c.skew = d
		return nil
	})
}

// WithStatusListMaxEntries bounds the entries of the decoded list, from 1
// to statuslist.DefaultMaxEntries. The default is
// DefaultMaxStatusListEntries.
func WithStatusListMaxEntries(n int) StatusListOption {
	return statusListOptionFunc(func(c *statusListConfig) error {
		if n < 1 || n > statuslist.DefaultMaxEntries {
			return fmt.Errorf("%w: max entries %d not within [1, %d]", ErrInvalidOption, n, statuslist.DefaultMaxEntries)
		}
		c.maxEntries = n
		return nil
	})
}

// WithInsecureExpiredStatusList accepts a token past its exp. Everything
// else is checked as usual. It is for callers that judge the list's age
// themselves before using it, as StatusPolicy.Lookup does (refusing an
// expired list unless stale status is explicitly allowed): a trust
// bundle is checked once but used for days, so the moment that matters
// is the lookup, not the load. Anyone else must not use it.
func WithInsecureExpiredStatusList() StatusListOption {
	return statusListOptionFunc(func(c *statusListConfig) error {
		c.allowExpired = true
		return nil
	})
}

// VerifyStatusListToken checks a Status List Token (typ statuslist+jwt)
// that issuer publishes at uri, and returns its claims and decoded list.
// The checks run in this order, each only if the one before passed:
//
//  1. issuer is trusted, and uri lies under it: it starts with issuer+"/"
//     and has no query, fragment, dot segments or unusual characters;
//  2. size: at most MaxStatusListTokenSize, before any parsing;
//  3. structure: compact serialization, three strict base64url segments;
//  4. header: strict JSON (no duplicate members); "alg" EdDSA or ES256;
//     "typ" statuslist+jwt; no "cty"; none of the parameters a credential
//     may not carry either ("crit", "jku", "x5u", "jwk", "x5c", ...); a
//     "kid";
//  5. key: the kid must be a trusted key of issuer (not of any other
//     issuer), and "alg" must be that key's algorithm;
//  6. signature, over the raw signing input with that key;
//  7. claims: strict JSON; "iss", if present, equals issuer; status_list,
//     sub and iat present; sub equals uri (TokenClaims.Validate); iat and
//     nbf not in the future; exp not passed (unless
//     WithInsecureExpiredStatusList); ttl, if present, a positive integer;
//  8. the list: decompressed within WithStatusListMaxEntries, so that a
//     decompression bomb is refused after inflating at most the bound.
//
// Every error wraps one of the ErrStatusList... sentinels (and so
// ErrStatusList). NumericDates (iat, exp, nbf) and ttl must be integers,
// as the register writes them.
func VerifyStatusListToken(trust *Trust, issuer, uri, token string, now time.Time, opts ...StatusListOption) (*statuslist.TokenClaims, *statuslist.List, error) {
	cfg := statusListConfig{skew: DefaultClockSkew, maxEntries: DefaultMaxStatusListEntries, maxTokenBytes: MaxStatusListTokenSize}
	for _, o := range opts {
		if err := o.applyStatusList(&cfg); err != nil {
			return nil, nil, err
		}
	}
	if trust == nil {
		return nil, nil, fmt.Errorf("%w: nil trust", ErrInvalidOption)
	}

	// Issuer and uri: the caller's inputs, checked before the token.
	ts := trust.load()
	if ts.issuers[issuer] == nil {
		return nil, nil, fmt.Errorf("%w: %q", ErrStatusListIssuer, clip(issuer))
	}
	if err := checkListURI(issuer, uri); err != nil {
		return nil, nil, err
	}

	// Size and structure.
	if len(token) > cfg.maxTokenBytes {
		return nil, nil, fmt.Errorf("%w: the token is %d bytes, more than %d", ErrStatusListTooLarge, len(token), cfg.maxTokenBytes)
	}
	dot1, dot2, reason := split(token)
	if reason != "" {
		return nil, nil, fmt.Errorf("%w: not a compact signed token: %s", ErrStatusListMalformed, reason)
	}
	tok := []byte(token)

	// Header.
	var hbuf [256]byte
	hdrJSON, err := decodeSegment(hbuf[:], tok[:dot1])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: header: %v", ErrStatusListMalformed, err)
	}
	h, err := parseHeader(hdrJSON)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: header: %v", ErrStatusListMalformed, err)
	}
	if err := h.checkStatusList(); err != nil {
		return nil, nil, err
	}

	// Key: a key of this issuer, with the algorithm of the key.
	key := ts.keys[h.kid]
	switch {
	case key == nil:
		return nil, nil, fmt.Errorf("%w: key %q is not trusted", ErrStatusListKey, clip(h.kid))
	case key.issuer != issuer:
		return nil, nil, fmt.Errorf("%w: key %s belongs to %s, not %s", ErrStatusListKey, key.kid, key.issuer, clip(issuer))
	case h.alg != key.alg:
		return nil, nil, fmt.Errorf("%w: the token says algorithm %s but key %s is %s", ErrStatusListKey, h.alg, key.kid, key.alg)
	}

	// Signature.
	sigSeg := tok[dot2+1:]
	if len(sigSeg) != sigLen {
		return nil, nil, fmt.Errorf("%w: wrong length for %s", ErrStatusListSignature, key.alg)
	}
	var sig [64]byte
	if _, err := b64.Decode(sig[:], sigSeg); err != nil {
		return nil, nil, fmt.Errorf("%w: signature: %v", ErrStatusListMalformed, err)
	}
	if !key.verify(tok[:dot2], sig[:]) {
		return nil, nil, fmt.Errorf("%w: altered, or not signed by key %s", ErrStatusListSignature, key.kid)
	}

	// Claims.
	payload, err := decodeSegment(nil, tok[dot1+1:dot2])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: payload: %v", ErrStatusListMalformed, err)
	}
	claims, nbf, err := decodeStatusListClaims(payload)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: payload: %v", ErrStatusListMalformed, err)
	}
	if claims.Issuer != "" && claims.Issuer != issuer {
		return nil, nil, fmt.Errorf("%w: the token names issuer %q, not %q", ErrStatusListIssuer, clip(claims.Issuer), clip(issuer))
	}
	// exp is checked below, after sub, so that Validate sees no exp.
	noExp := *claims
	noExp.Expiry = time.Time{}
	if err := noExp.Validate(uri, now); err != nil {
		if errors.Is(err, statuslist.ErrSubjectMismatch) {
			return nil, nil, fmt.Errorf("%w: sub %q, uri %q", ErrStatusListSubject, clip(claims.Subject), clip(uri))
		}
		return nil, nil, fmt.Errorf("%w: %w", ErrStatusListMalformed, err)
	}
	if now.Add(cfg.skew).Before(claims.IssuedAt) {
		return nil, nil, fmt.Errorf("%w: issued in the future, at %s", ErrStatusListNotYetValid, formatTime(claims.IssuedAt))
	}
	if !nbf.IsZero() && now.Add(cfg.skew).Before(nbf) {
		return nil, nil, fmt.Errorf("%w: not valid before %s", ErrStatusListNotYetValid, formatTime(nbf))
	}
	if !cfg.allowExpired && !claims.Expiry.IsZero() && !now.Add(-cfg.skew).Before(claims.Expiry) {
		return nil, nil, fmt.Errorf("%w: it expired at %s", ErrStatusListExpired, formatTime(claims.Expiry))
	}

	// The list, bounded.
	list, err := claims.StatusList.Decode(statuslist.WithMaxEntries(cfg.maxEntries))
	switch {
	case errors.Is(err, statuslist.ErrTooLarge):
		return nil, nil, fmt.Errorf("%w: %w", ErrStatusListTooLarge, err)
	case err != nil:
		return nil, nil, fmt.Errorf("%w: %w", ErrStatusListMalformed, err)
	}
	return claims, list, nil
}

// checkStatusList applies the header rules of a Status List Token that
// need no key, in the order Verify applies its own.
func (h *header) checkStatusList() error {
	switch {
	case !h.hasAlg:
		return fmt.Errorf("%w: no signing algorithm", ErrStatusListHeader)
	case h.alg != AlgEdDSA && h.alg != AlgES256:
		return fmt.Errorf("%w: signing algorithm %q is not accepted (only EdDSA and ES256)", ErrStatusListHeader, clip(h.alg))
	case !h.hasTyp:
		return fmt.Errorf("%w: no \"typ\"; a status list's is %q", ErrStatusListType, StatusListTyp)
	case !mediaTypeIs(h.typ, StatusListTyp):
		return fmt.Errorf("%w: its type is %q, not %q", ErrStatusListType, clip(h.typ), StatusListTyp)
	case h.hasCty:
		return fmt.Errorf("%w: \"cty\" is not used by status lists", ErrStatusListHeader)
	case h.forbidden != "":
		return fmt.Errorf("%w: it contains %q, which is never accepted", ErrStatusListHeader, h.forbidden)
	case !h.hasKid || h.kid == "":
		return fmt.Errorf("%w: no \"kid\"", ErrStatusListHeader)
	}
	return nil
}

// mediaTypeIs compares a "typ" with want as RFC 7515 4.1.9 asks: media
// types are case-insensitive and the "application/" prefix may be omitted.
func mediaTypeIs(typ, want string) bool {
	const app = "application/"
	if len(typ) > len(app) && strings.EqualFold(typ[:len(app)], app) {
		typ = typ[len(app):]
	}
	return strings.EqualFold(typ, want)
}

// checkListURI checks that uri names a resource under issuer: issuer, a
// slash, then one or more path segments of unreserved characters and
// harmless sub-delimiters, none of them empty, "." or "..", with no
// percent-encoding (which a server might decode into dots or slashes).
// So a uri can never leave the issuer's origin or path, whatever URL
// parser reads it.
func checkListURI(issuer, uri string) error {
	if issuer == "" || len(uri) > 2048 || !strings.HasPrefix(uri, issuer+"/") {
		return fmt.Errorf("%w: %q is not under %q", ErrStatusListURI, clip(uri), clip(issuer))
	}
	rest := uri[len(issuer)+1:]
	for seg := range strings.SplitSeq(rest, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q has an empty or dot path segment", ErrStatusListURI, clip(uri))
		}
		for i := 0; i < len(seg); i++ {
			if !isPathChar(seg[i]) {
				return fmt.Errorf("%w: %q contains %q", ErrStatusListURI, clip(uri), seg[i])
			}
		}
	}
	return nil
}

// isPathChar reports whether c may appear in a status list path segment:
// RFC 3986 unreserved characters and the sub-delimiters that cannot
// change how a URL is split.
func isPathChar(c byte) bool {
	switch {
	case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@':
		return true
	}
	return false
}

// decodeStatusListClaims decodes a Status List Token payload strictly:
// duplicate members anywhere, members matched other than exactly, wrong
// types, fractional or negative NumericDates and trailing data are
// errors; unknown members are checked and ignored. It returns nbf apart,
// since TokenClaims has no field for it.
func decodeStatusListClaims(data []byte) (*statuslist.TokenClaims, time.Time, error) {
	c := &statuslist.TokenClaims{}
	var nbf time.Time
	d := strictjson.NewDecoder(data)
	err := d.Object(func(name []byte) error {
		var err error
		switch string(name) {
		case "sub":
			c.Subject, err = d.String()
		case "iss":
			c.Issuer, err = d.String()
		case "iat":
			c.IssuedAt, err = numericDate(d)
		case "exp":
			c.Expiry, err = numericDate(d)
		case "nbf":
			nbf, err = numericDate(d)
		case "ttl":
			var n int64
			if n, err = d.Int(); err == nil && (n <= 0 || n > maxTTLSeconds) {
				err = fmt.Errorf("%d is not a positive number of seconds", n)
			}
			c.TTL = time.Duration(n) * time.Second
		case "status_list":
			c.StatusList = &statuslist.Claim{}
			err = decodeListClaim(d, c.StatusList)
		case "seq":
			var n int64
			if n, err = d.Int(); err == nil && n <= 0 {
				err = fmt.Errorf("%d is not a positive sequence number", n)
			}
			c.Sequence = uint64(n)
		default:
			err = d.Skip()
		}
		if err != nil {
			return fmt.Errorf("%q: %w", name, err)
		}
		return nil
	})
	if err == nil {
		err = d.End()
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	return c, nbf, nil
}

func numericDate(d *strictjson.Decoder) (time.Time, error) {
	n, err := d.Int()
	if err != nil {
		return time.Time{}, err
	}
	if n < 0 || n > maxNumericDate {
		return time.Time{}, fmt.Errorf("%d is not a NumericDate", n)
	}
	return time.Unix(n, 0).UTC(), nil
}

func decodeListClaim(d *strictjson.Decoder, c *statuslist.Claim) error {
	return d.Object(func(name []byte) error {
		var err error
		switch string(name) {
		case "bits":
			var n int64
			n, err = d.Int()
			if n < 0 || n > 8 {
				n = 0 // invalid; Claim.Validate says so
			}
			c.Bits = int(n)
		case "lst":
			c.Lst, err = d.String()
		case "aggregation_uri":
			c.AggregationURI, err = d.String()
		default:
			err = d.Skip()
		}
		return err
	})
}
