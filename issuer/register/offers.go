package register

import (
	"encoding/json"
	"time"
)

// OfferState is where a credential offer is in its life.
type OfferState string

// Offer states. An open offer past its expiry is expired without a change
// being written: Offer.StateAt says so.
const (
	OfferOpen      OfferState = "open"
	OfferRedeemed  OfferState = "redeemed"
	OfferWithdrawn OfferState = "withdrawn"
	// OfferLocked: too many wrong transaction codes; the offer is dead.
	OfferLocked  OfferState = "locked"
	OfferExpired OfferState = "expired"
)

// MaxTxCodeFailures is how many wrong transaction codes kill an offer.
const MaxTxCodeFailures = 5

// Offer is a single-use OpenID4VCI credential offer (pre-authorised code
// flow) made to one registrant. Its secrets are kept only as hashes: the
// pre-authorised code (also the reference in credential_offer_uri) and the
// transaction code, hashed together with the code so that the 6 digits
// cannot be tried against a stolen snapshot.
type Offer struct {
	ID          string     `json:"id"`
	Registrant  string     `json:"registration_number"`
	CodeHash    string     `json:"code_hash"`
	TxHash      string     `json:"tx_code_hash"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	State       OfferState `json:"state"`
	StateReason string     `json:"state_reason,omitempty"`
	Failures    int        `json:"tx_code_failures"`
	// Grant is the wallet access the offer turned into once redeemed.
	Grant string `json:"grant,omitempty"`
	// Message is the mail that carried the offer link, if it was sent.
	Message     string `json:"message,omitempty"`
	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// StateAt is the offer's state at t, counting expiry.
func (o *Offer) StateAt(t time.Time) OfferState {
	if o.State == OfferOpen && !t.Before(o.ExpiresAt) {
		return OfferExpired
	}
	return o.State
}

// Grant is a wallet's standing access to its registrant's credential: the
// redeemed offer's access token and refresh token (hashes only), and the
// holder key the wallet proved at its first credential request. A refresh
// token is only ever useful together with a proof made by that key.
type Grant struct {
	ID             string          `json:"id"`
	Registrant     string          `json:"registration_number"`
	Offer          string          `json:"offer"`
	AccessHash     string          `json:"access_token_hash"`
	AccessExpires  time.Time       `json:"access_expires_at"`
	RefreshHash    string          `json:"refresh_token_hash"`
	RefreshExpires time.Time       `json:"refresh_expires_at"`
	HolderJKT      string          `json:"holder_jkt,omitempty"`
	HolderJWK      json.RawMessage `json:"holder_jwk,omitempty"`
	// Credential is the credential issued under the current access token:
	// a second request under it (for the other format) shares its record.
	Credential   string    `json:"credential,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	RefreshedAt  time.Time `json:"refreshed_at,omitzero"`
	Revoked      bool      `json:"revoked,omitempty"`
	RevokedAt    time.Time `json:"revoked_at,omitzero"`
	RevokeReason string    `json:"revoke_reason,omitempty"`
	CreateIndex  uint64    `json:"create_index"`
	ModifyIndex  uint64    `json:"modify_index"`
}

// MessageState is where an outgoing mail is.
type MessageState string

// Message states.
const (
	MessageQueued MessageState = "queued"
	MessageSent   MessageState = "sent"
	MessageFailed MessageState = "failed"
)

// Message is the register's record of a mail to a registrant, or to an
// applicant: what it was for and whether it got out. Neither address nor
// body is kept.
type Message struct {
	ID         string `json:"id"`
	Registrant string `json:"registration_number,omitempty"`
	// Application is the application whose applicant the mail went to,
	// when it went to an applicant rather than a registrant.
	Application string       `json:"application,omitempty"`
	Purpose     string       `json:"purpose"`
	State       MessageState `json:"state"`
	Attempts    int          `json:"attempts"`
	LastError   string       `json:"last_error,omitempty"`
	Transport   string       `json:"transport,omitempty"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	CreateIndex uint64       `json:"create_index"`
	ModifyIndex uint64       `json:"modify_index"`
}
