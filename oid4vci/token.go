package oid4vci

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// offer serves the credential offer object behind credential_offer_uri.
// The last path segment is the pre-authorised code itself; the access log
// shows it redacted.
func (s *Service) offer(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	code := strings.TrimPrefix(r.URL.Path, PathOffer)
	o, err := s.reg.State().OfferByCode(hash(code))
	if err != nil || o.StateAt(s.reg.Now()) != register.OfferOpen {
		return 0, nil, oerr(http.StatusNotFound, "invalid_request", "this offer does not exist, was used, withdrawn or has expired; ask the registrar for a new one")
	}
	return http.StatusOK, map[string]any{
		"credential_issuer":            s.issuerURL(),
		"credential_configuration_ids": []string{ConfigSDJWT, ConfigVCJWT},
		"grants": map[string]any{
			PreAuthGrant: map[string]any{
				"pre-authorized_code": code,
				"tx_code": map[string]any{
					"input_mode": "numeric", "length": 6,
					"description": "The 6-digit code the registrar gave you separately",
				},
			},
		},
	}, nil
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

func (s *Service) token(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return 0, nil, oerr(http.StatusBadRequest, "invalid_request", "send the token request as application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return 0, nil, oerr(http.StatusBadRequest, "invalid_request", "the token request is not a valid form")
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case PreAuthGrant:
		return s.redeem(r)
	case "refresh_token":
		return s.refresh(r)
	case "":
		return 0, nil, oerr(http.StatusBadRequest, "invalid_request", "grant_type is missing")
	default:
		return 0, nil, oerr(http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q is not supported; use %s or refresh_token", gt, PreAuthGrant))
	}
}

func (s *Service) redeem(r *http.Request) (int, any, error) {
	code, tx := r.PostForm.Get("pre-authorized_code"), r.PostForm.Get("tx_code")
	if code == "" {
		return 0, nil, oerr(http.StatusBadRequest, "invalid_request", "pre-authorized_code is missing")
	}
	if tx == "" {
		return 0, nil, oerr(http.StatusBadRequest, "invalid_request", "tx_code is missing: enter the 6-digit code the registrar gave you")
	}
	o, err := s.reg.State().OfferByCode(hash(code))
	if err != nil {
		return 0, nil, oerr(http.StatusBadRequest, "invalid_grant", "this offer does not exist; ask the registrar for a new one")
	}
	access, refresh := newSecret(), newSecret()
	now := s.reg.Now().UTC()
	g := register.Grant{ID: newID("gr-"), AccessHash: hash(access), AccessExpires: now.Add(s.cfg.AccessTTL),
		RefreshHash: hash(refresh), RefreshExpires: now.Add(s.cfg.RefreshTTL)}
	res, err := s.reg.Apply(r.Context(), walletActor, fsm.RedeemOffer{Offer: o.ID, CodeHash: hash(code), TxHash: txHash(code, tx), Grant: g})
	if err != nil {
		if errors.Is(err, register.ErrConflict) || errors.Is(err, register.ErrNotFound) {
			return 0, nil, oerr(http.StatusBadRequest, "invalid_grant", trimKind(err))
		}
		return 0, nil, err
	}
	rr := res.(*fsm.RedeemResult)
	if rr.Failed {
		var e *oauthError
		if rr.Remaining <= 0 {
			e = oerr(http.StatusBadRequest, "invalid_grant", "the code is wrong, and that was the last try: the offer is now closed; ask the registrar for a new one")
		} else {
			e = oerr(http.StatusBadRequest, "invalid_grant", fmt.Sprintf("the code is wrong; %d tries left", rr.Remaining))
		}
		// The register's own wallet says how many tries are left, and
		// that the offer is dead, from this member (docs/oid4vci.md).
		e.extra = map[string]any{TxCodeTriesLeft: max(rr.Remaining, 0)}
		return 0, nil, e
	}
	return http.StatusOK, tokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(s.cfg.AccessTTL.Seconds()), RefreshToken: refresh}, nil
}

// refresh gives a wallet a new access token. The refresh token alone
// yields no credential: the credential request must still prove the
// holder key the grant is bound to.
func (s *Service) refresh(r *http.Request) (int, any, error) {
	rt := r.PostForm.Get("refresh_token")
	if rt == "" {
		return 0, nil, oerr(http.StatusBadRequest, "invalid_request", "refresh_token is missing")
	}
	g, err := s.reg.State().GrantByRefresh(hash(rt))
	if err != nil {
		return 0, nil, oerr(http.StatusBadRequest, "invalid_grant", "this refresh token is not known; ask the registrar for a new offer")
	}
	access := newSecret()
	_, err = s.reg.Apply(r.Context(), walletActor, fsm.RefreshGrant{Grant: g.ID, RefreshHash: hash(rt), AccessHash: hash(access), AccessExpires: s.reg.Now().UTC().Add(s.cfg.AccessTTL)})
	if err != nil {
		if errors.Is(err, register.ErrConflict) || errors.Is(err, register.ErrNotFound) {
			return 0, nil, oerr(http.StatusBadRequest, "invalid_grant", trimKind(err))
		}
		return 0, nil, err
	}
	return http.StatusOK, tokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(s.cfg.AccessTTL.Seconds())}, nil
}

// TxCodeTriesLeft is the member of a wrong-code token error that says how
// many tries of the transaction code are left; 0 means the offer is now
// closed.
const TxCodeTriesLeft = "tx_code_tries_left"

// walletActor is who the audit trail names for a wallet's own requests.
var walletActor = register.Actor{TokenID: "oid4vci", Role: "wallet"}

// trimKind drops the sentinel's prefix ("conflict: ") from an error for a
// wallet to show.
func trimKind(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}
