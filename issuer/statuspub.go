package issuer

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/statuslist"
	"github.com/nalw/linkpass/trustbundle"
)

// StatusListTyp is the JOSE "typ" of a Status List Token.
const StatusListTyp = "statuslist+jwt"

// PublishedList is a signed Status List Token, ready to serve.
type PublishedList struct {
	ID       string
	URI      string
	Token    []byte
	ETag     string
	IssuedAt time.Time
	TTL      time.Duration
}

// publisher keeps a signed Status List Token for every list. Compressing
// and signing happen here, never on the request path: requests read the
// last published tokens, and changes trigger a rebuild shortly after they
// are committed, coalescing bursts.
type publisher struct {
	s         *Server
	published atomic.Pointer[map[string]*PublishedList]

	mu       sync.Mutex // serialises rebuilds
	encoders map[string]*statuslist.Encoder
	lastKID  string
}

// Published returns the current token of list id.
func (s *Server) Published(id string) (*PublishedList, bool) {
	m := s.pub.published.Load()
	if m == nil {
		return nil, false
	}
	p, ok := (*m)[id]
	return p, ok
}

// PublishedLists returns every current token, in list order.
func (s *Server) PublishedLists() []*PublishedList {
	m := s.pub.published.Load()
	if m == nil {
		return nil
	}
	out := make([]*PublishedList, 0, len(*m))
	for _, p := range *m {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.Atoi(out[i].ID)
		b, _ := strconv.Atoi(out[j].ID)
		return a < b
	})
	return out
}

// rebuild signs a fresh token for every list from the committed state.
func (p *publisher) rebuild() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.s
	st := s.State()
	lists, err := st.StatusLists()
	if err != nil {
		return err
	}
	keyRec, err := s.activeKey()
	if err != nil {
		return err
	}
	signer, err := s.signers.get(keyRec.KID)
	if err != nil {
		return err
	}
	issuerURL := st.Settings().IssuerURL
	now := s.Now().UTC().Truncate(time.Second)
	out := make(map[string]*PublishedList, len(lists))
	if p.encoders == nil {
		p.encoders = map[string]*statuslist.Encoder{}
	}
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
		uri := StatusListURI(issuerURL, l.ID)
		tok, err := signStatusList(signer, statuslist.TokenClaims{
			Subject: uri, Issuer: issuerURL, IssuedAt: now, Expiry: now.Add(s.cfg.StatusListValidity), TTL: s.cfg.StatusListTTL, StatusList: &claim,
		})
		if err != nil {
			return fmt.Errorf("signing status list %s: %w", l.ID, err)
		}
		sum := sha256.Sum256(tok)
		out[l.ID] = &PublishedList{ID: l.ID, URI: uri, Token: tok, ETag: `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`, IssuedAt: now, TTL: s.cfg.StatusListTTL}
	}
	p.published.Store(&out)
	p.lastKID = keyRec.KID
	return nil
}

// signStatusList signs a Status List Token as a compact JWS.
func signStatusList(signer keys.Signer, claims statuslist.TokenClaims) ([]byte, error) {
	header, err := json.Marshal(map[string]string{"alg": signer.Algorithm(), "kid": signer.KeyID(), "typ": StatusListTyp})
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

// runPublisher rebuilds after every committed change to credentials, status
// lists or keys (waiting a moment to coalesce bursts), and at least every
// half TTL so that tokens stay fresh.
func (s *Server) runPublisher(ctx context.Context) {
	const coalesce = 100 * time.Millisecond
	refresh := s.cfg.StatusListTTL / 2
	for {
		changed := s.State().WatchCredentials(ctx)
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
		if err := s.pub.rebuild(); err != nil {
			s.logger.Error("publishing status lists failed; serving the previous tokens", "err", err)
		}
	}
}

// Metadata is the register's issuer metadata, with its Quality Mark
// standing today.
func (s *Server) Metadata() trustbundle.Metadata {
	settings := s.State().Settings()
	now := s.Now().UTC().Truncate(time.Second)
	qm := &trustbundle.QualityMarkStanding{Scheme: credential.QualityMarkScheme, Held: settings.QualityMark.Held(register.DateOf(now)), AsOf: now}
	if qm.Held {
		qm.Until, qm.Reference = string(settings.QualityMark.Until), settings.QualityMark.Reference
	}
	return trustbundle.Metadata{Issuer: settings.IssuerURL, JWKSURI: settings.IssuerURL + "/.well-known/jwks.json", QualityMark: qm}
}

// TrustBundle returns everything an offline verifier needs.
func (s *Server) TrustBundle() (*trustbundle.Bundle, error) {
	jwks, err := s.JWKS()
	if err != nil {
		return nil, err
	}
	issuerURL := s.State().Settings().IssuerURL
	meta, err := json.Marshal(s.Metadata())
	if err != nil {
		return nil, err
	}
	b := &trustbundle.Bundle{Format: trustbundle.Format, Issuer: issuerURL, Metadata: meta, JWKS: jwks,
		StatusLists: []trustbundle.StatusList{}, CreatedAt: s.Now().UTC().Truncate(time.Second)}
	for _, p := range s.PublishedLists() {
		b.StatusLists = append(b.StatusLists, trustbundle.StatusList{URI: p.URI, Token: string(p.Token)})
	}
	return b, nil
}
