package oid4vci

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/notify"
)

// OfferRequest asks for a credential offer to a registrant.
type OfferRequest struct {
	// TTL overrides how long the offer stays open (at most 30 days).
	TTL time.Duration
	// Send mails the offer link to the registrant's private address.
	Send bool
}

// Validate checks the request.
func (r OfferRequest) Validate() error {
	if r.TTL < 0 || r.TTL > 30*24*time.Hour {
		return fmt.Errorf("%w: an offer may stay open from a minute to 30 days", register.ErrInvalid)
	}
	if r.TTL != 0 && r.TTL < time.Minute {
		return fmt.Errorf("%w: an offer may stay open from a minute to 30 days", register.ErrInvalid)
	}
	return nil
}

// CreatedOffer is what the registrar gets back: the links and the
// transaction code, shown once and never again.
type CreatedOffer struct {
	ID                 string    `json:"id"`
	Registrant         string    `json:"registration_number"`
	CredentialOfferURI string    `json:"credential_offer_uri"`
	OfferURL           string    `json:"offer_url"`
	TxCode             string    `json:"tx_code"`
	ExpiresAt          time.Time `json:"expires_at"`
	// Mail is set when the link was queued for mailing.
	Mail *register.Message `json:"mail,omitempty"`
}

// CreateOffer makes a single-use offer for a registrant in good standing.
func (s *Service) CreateOffer(ctx context.Context, actor register.Actor, number string, req OfferRequest) (*CreatedOffer, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	r, err := s.reg.State().Registrant(number)
	if err != nil {
		return nil, err
	}
	if req.Send && r.Email == "" {
		return nil, fmt.Errorf("%w: %s has no private email address on the register; add one, or give them offer_url yourself", register.ErrConflict, number)
	}
	ttl := req.TTL
	if ttl == 0 {
		ttl = s.cfg.OfferTTL
	}
	code, tx := newSecret(), newTxCode()
	now := s.reg.Now().UTC().Truncate(time.Second)
	o := register.Offer{
		ID: newID("of-"), Registrant: number, CodeHash: hash(code), TxHash: txHash(code, tx),
		ExpiresAt: now.Add(ttl),
	}
	res, err := s.reg.Apply(ctx, actor, fsm.CreateOffer{Offer: o})
	if err != nil {
		return nil, err
	}
	rec := res.(*register.Offer)
	base := s.issuerURL()
	offerURI := base + PathOffer + code
	out := &CreatedOffer{
		ID: rec.ID, Registrant: number, TxCode: tx, ExpiresAt: rec.ExpiresAt,
		CredentialOfferURI: "openid-credential-offer://?credential_offer_uri=" + url.QueryEscape(offerURI),
		// The fragment never reaches a server or proxy log.
		OfferURL: base + PathWallet + "#credential_offer_uri=" + url.QueryEscape(offerURI),
	}
	if req.Send {
		m, err := s.mailOffer(ctx, actor, r, rec, out.OfferURL)
		if err != nil {
			return nil, err
		}
		out.Mail = m
	}
	return out, nil
}

// mailOffer queues the offer link (never the transaction code) to the
// registrant and records each outcome.
func (s *Service) mailOffer(ctx context.Context, actor register.Actor, r *register.Registrant, o *register.Offer, link string) (*register.Message, error) {
	if s.cfg.Mailer == nil {
		return nil, notify.ErrNoMail
	}
	settings := s.reg.State().Settings()
	text := strings.Join([]string{
		"Dear " + r.FullName() + ",",
		"",
		"Your registration credential from the " + settings.RegisterName + " is ready. It goes in the register's web wallet on your phone, and you show it as a QR code to a GP practice or an employer.",
		"",
		"1. Open this link on your phone (not on a shared computer):",
		link,
		"",
		"2. The wallet page opens and asks for your 6-digit code. Your registrar gives you the code separately, for example by phone or text message. It is never in this email.",
		"",
		"3. Type the code. Your credential is added to the wallet, and works even with no internet connection. To add the wallet to your home screen, use your browser's \"Add to Home screen\" or \"Install\".",
		"",
		"The link works once and expires on " + o.ExpiresAt.UTC().Format("2 January 2006 at 15:04 UTC") + ". If it has expired, or the code is refused five times, ask your registrar for a new link.",
		"",
		"If you did not expect this email, tell the registrar and do not open the link.",
	}, "\r\n")
	return notify.New(s.reg, s.cfg.Mailer, s.cfg.Logger).Send(ctx, actor, notify.Mail{ID: newID("msg-"), Registrant: r, Purpose: "credential-offer",
		Subject: "Your " + settings.RegisterName + " credential", Text: text, Offer: o.ID})
}

// WithdrawOffer withdraws an open offer.
func (s *Service) WithdrawOffer(ctx context.Context, actor register.Actor, id, reason string) (*register.Offer, error) {
	res, err := s.reg.Apply(ctx, actor, fsm.WithdrawOffer{ID: id, Reason: reason})
	if err != nil {
		return nil, err
	}
	return res.(*register.Offer), nil
}

// OfferView is an offer as registrars list it: no secrets, even hashed.
type OfferView struct {
	ID         string              `json:"id"`
	Registrant string              `json:"registration_number"`
	State      register.OfferState `json:"state"`
	Reason     string              `json:"reason,omitempty"`
	CreatedAt  time.Time           `json:"created_at"`
	ExpiresAt  time.Time           `json:"expires_at"`
	Failures   int                 `json:"tx_code_failures"`
	Grant      string              `json:"grant,omitempty"`
	Message    string              `json:"message,omitempty"`
}

// GrantView is a wallet's access as registrars list it.
type GrantView struct {
	ID          string    `json:"id"`
	Registrant  string    `json:"registration_number"`
	Offer       string    `json:"offer"`
	HolderJKT   string    `json:"holder_jkt,omitempty"`
	Credential  string    `json:"credential,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	RefreshedAt time.Time `json:"refreshed_at,omitzero"`
	Revoked     bool      `json:"revoked"`
	Reason      string    `json:"revoke_reason,omitempty"`
}

// Wallets lists a registrant's offers, wallet grants and mail.
type Wallets struct {
	Offers   []OfferView        `json:"offers"`
	Grants   []GrantView        `json:"grants"`
	Messages []register.Message `json:"messages"`
}

// WalletsOf returns what a registrant has been offered, which wallets hold
// their credential, and what mail went to them.
func (s *Service) WalletsOf(number string) (*Wallets, error) {
	st := s.reg.State()
	if _, err := st.Registrant(number); err != nil {
		return nil, err
	}
	now := s.reg.Now()
	out := &Wallets{Offers: []OfferView{}, Grants: []GrantView{}, Messages: []register.Message{}}
	offers, err := st.OffersOf(number)
	if err != nil {
		return nil, err
	}
	for _, o := range offers {
		out.Offers = append(out.Offers, OfferView{ID: o.ID, Registrant: o.Registrant, State: o.StateAt(now), Reason: o.StateReason,
			CreatedAt: o.CreatedAt, ExpiresAt: o.ExpiresAt, Failures: o.Failures, Grant: o.Grant, Message: o.Message})
	}
	grants, err := st.GrantsOf(number)
	if err != nil {
		return nil, err
	}
	for _, g := range grants {
		out.Grants = append(out.Grants, grantView(g))
	}
	msgs, err := st.MessagesOf(number)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		out.Messages = append(out.Messages, *m)
	}
	return out, nil
}

// RevokeGrant revokes a wallet's refresh token.
func (s *Service) RevokeGrant(ctx context.Context, actor register.Actor, id, reason string) (*GrantView, error) {
	res, err := s.reg.Apply(ctx, actor, fsm.RevokeGrant{ID: id, Reason: reason})
	if err != nil {
		return nil, err
	}
	v := grantView(res.(*register.Grant))
	return &v, nil
}

// grantView is a grant without its token hashes.
func grantView(g *register.Grant) GrantView {
	return GrantView{ID: g.ID, Registrant: g.Registrant, Offer: g.Offer, HolderJKT: g.HolderJKT, Credential: g.Credential,
		CreatedAt: g.CreatedAt, RefreshedAt: g.RefreshedAt, Revoked: g.Revoked, Reason: g.RevokeReason}
}
