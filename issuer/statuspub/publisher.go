// Package statuspub publishes the register's status lists: it keeps a
// signed Status List Token for every list, built from the committed state,
// so that serving one is a map lookup. Compressing and signing happen here,
// never on the request path.
package statuspub

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/statuslist"
)

// Typ is the JOSE "typ" of a Status List Token.
const Typ = "statuslist+jwt"

// URI is where status list id of the register at issuerURL is published.
func URI(issuerURL, id string) string { return issuerURL + "/status/" + id }

// List is a signed Status List Token, ready to serve.
type List struct {
	ID       string
	URI      string
	Token    []byte
	ETag     string
	IssuedAt time.Time
	TTL      time.Duration
}

// Config is what the publisher needs from the register.
type Config struct {
	// State returns the current state store. It is called for every
	// rebuild because a snapshot restore replaces the store.
	State func() *state.Store
	// Signer returns the signer of the register's active signing key.
	Signer func() (keys.Signer, error)
	// Clock is the register's clock.
	Clock func() time.Time
	// TTL is how long verifiers may cache a token.
	TTL time.Duration
	// Validity is how long a token is valid (its exp).
	Validity time.Duration
	// Logger receives publishing failures.
	Logger *slog.Logger
}

// Publisher keeps a signed Status List Token for every list, rebuilt after
// each committed change to credentials, status lists or keys.
type Publisher struct {
	cfg       Config
	published atomic.Pointer[map[string]*List]

	mu       sync.Mutex // serialises rebuilds
	encoders map[string]*statuslist.Encoder
}

// New returns a publisher that has published nothing yet; call Rebuild
// before serving.
func New(cfg Config) *Publisher {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Publisher{cfg: cfg, encoders: map[string]*statuslist.Encoder{}}
}

// Published returns the current token of list id.
func (p *Publisher) Published(id string) (*List, bool) {
	m := p.published.Load()
	if m == nil {
		return nil, false
	}
	l, ok := (*m)[id]
	return l, ok
}

// Lists returns every current token, in list order.
func (p *Publisher) Lists() []*List {
	m := p.published.Load()
	if m == nil {
		return nil
	}
	out := make([]*List, 0, len(*m))
	for _, l := range *m {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.Atoi(out[i].ID)
		b, _ := strconv.Atoi(out[j].ID)
		return a < b
	})
	return out
}

// Rebuild signs a fresh token for every list from the committed state.
func (p *Publisher) Rebuild() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.cfg.State()
	lists, err := st.StatusLists()
	if err != nil {
		return err
	}
	signer, err := p.cfg.Signer()
	if err != nil {
		return err
	}
	issuerURL := st.Settings().IssuerURL
	now := p.cfg.Clock().UTC().Truncate(time.Second)
	out := make(map[string]*List, len(lists))
	for _, l := range lists {
		list, err := statuslist.New(l.Bits, l.Size)
		if err != nil {
			return fmt.Errorf("status list %s: %w", l.ID, err)
		}
		creds, err := st.CredentialsInList(l.ID)
		if err != nil {
			return err
		}
		for _, c := range creds {
			if v := c.Status.StatusValue(); v != 0 {
				if err := list.Set(int(c.Idx), v); err != nil {
					return fmt.Errorf("status list %s: %w", l.ID, err)
				}
			}
		}
		enc := p.encoders[l.ID]
		if enc == nil {
			enc = statuslist.NewEncoder()
			p.encoders[l.ID] = enc
		}
		claim, err := enc.Claim(list)
		if err != nil {
			return fmt.Errorf("status list %s: %w", l.ID, err)
		}
		uri := URI(issuerURL, l.ID)
		tok, err := sign(signer, statuslist.TokenClaims{
			Subject: uri, Issuer: issuerURL, IssuedAt: now, Expiry: now.Add(p.cfg.Validity), TTL: p.cfg.TTL, StatusList: &claim,
		})
		if err != nil {
			return fmt.Errorf("signing status list %s: %w", l.ID, err)
		}
		sum := sha256.Sum256(tok)
		out[l.ID] = &List{ID: l.ID, URI: uri, Token: tok, ETag: `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`, IssuedAt: now, TTL: p.cfg.TTL}
	}
	p.published.Store(&out)
	return nil
}

// sign signs a Status List Token as a compact JWS.
func sign(signer keys.Signer, claims statuslist.TokenClaims) ([]byte, error) {
	header, err := json.Marshal(map[string]string{"alg": signer.Algorithm(), "kid": signer.KeyID(), "typ": Typ})
	if err != nil {
		return nil, err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	enc := base64.RawURLEncoding
	input := make([]byte, 0, enc.EncodedLen(len(header))+1+enc.EncodedLen(len(payload))+1+enc.EncodedLen(64))
	input = enc.AppendEncode(input, header)
	input = append(input, '.')
	input = enc.AppendEncode(input, payload)
	sig, err := signer.Sign(input)
	if err != nil {
		return nil, err
	}
	input = append(input, '.')
	return enc.AppendEncode(input, sig), nil
}

// Run rebuilds after every committed change to credentials, status lists
// or keys (waiting a moment to coalesce bursts), and at least every half
// TTL so that tokens stay fresh, until ctx ends.
func (p *Publisher) Run(ctx context.Context) {
	const coalesce = 100 * time.Millisecond
	refresh := p.cfg.TTL / 2
	for {
		changed := p.cfg.State().WatchCredentials(ctx)
		select {
		case <-ctx.Done():
			return
		case <-changed:
			select {
			case <-ctx.Done():
				return
			case <-time.After(coalesce):
			}
		case <-time.After(refresh):
		}
		if err := p.Rebuild(); err != nil {
			p.cfg.Logger.Error("publishing status lists failed; serving the previous tokens", "err", err)
		}
	}
}
