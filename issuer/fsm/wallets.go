package fsm

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

// Message types of OpenID4VCI issuance and mail (90-109 are theirs).
const (
	MsgOfferCreate          MessageType = 90
	MsgOfferWithdraw        MessageType = 91
	MsgOfferRedeem          MessageType = 92
	MsgGrantRefresh         MessageType = 93
	MsgGrantRevoke          MessageType = 94
	MsgGrantCredentialIssue MessageType = 95
	MsgMessageRecord        MessageType = 96
)

func init() {
	appliers[MsgOfferCreate] = decode(applyCreateOffer)
	appliers[MsgOfferWithdraw] = decode(applyWithdrawOffer)
	appliers[MsgOfferRedeem] = decode(applyRedeemOffer)
	appliers[MsgGrantRefresh] = decode(applyRefreshGrant)
	appliers[MsgGrantRevoke] = decode(applyRevokeGrant)
	appliers[MsgGrantCredentialIssue] = decode(applyIssueGrantCredential)
	appliers[MsgMessageRecord] = decode(applyRecordMessage)
}

// CreateOffer records a credential offer the leader made (hashes only).
type CreateOffer struct {
	Offer register.Offer `json:"offer"`
}

// WithdrawOffer withdraws an open offer.
type WithdrawOffer struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// RedeemOffer exchanges an offer's pre-authorised code and transaction
// code for a wallet grant. A wrong transaction code is itself a change: the
// failure is counted (and the offer locked at the limit) in the same entry,
// so attempts cannot race past the limit.
type RedeemOffer struct {
	Offer    string         `json:"offer"`
	CodeHash string         `json:"code_hash"`
	TxHash   string         `json:"tx_code_hash"`
	Grant    register.Grant `json:"grant"`
}

// RedeemResult is what RedeemOffer returns when it committed: either the
// grant, or a counted failure.
type RedeemResult struct {
	Grant     *register.Grant
	Failed    bool
	Remaining int
}

// RefreshGrant gives a grant a new access token against its refresh token.
type RefreshGrant struct {
	Grant         string    `json:"grant"`
	RefreshHash   string    `json:"refresh_token_hash"`
	AccessHash    string    `json:"access_token_hash"`
	AccessExpires time.Time `json:"access_expires_at"`
}

// RevokeGrant revokes a wallet's refresh token; its credentials stay as
// they are.
type RevokeGrant struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// IssueGrantCredential records a credential issued to a wallet under its
// current access token, bound to the holder key it proved.
type IssueGrantCredential struct {
	Credential register.IssuedCredential `json:"credential"`
	ListSize   int                       `json:"list_size"`
	AccessHash string                    `json:"access_token_hash"`
	HolderJWK  json.RawMessage           `json:"holder_jwk"`
}

// RecordMessage records what became of a mail to a registrant.
type RecordMessage struct {
	Message register.Message `json:"message"`
	// Offer links the message to the offer it carried, if any.
	Offer string `json:"offer,omitempty"`
	// Once refuses a message whose id is already recorded
	// (ErrMessageExists): a reminder must go once only.
	Once bool `json:"once,omitempty"`
}

// ErrMessageExists refuses a RecordMessage with Once whose message is
// already recorded.
var ErrMessageExists = fmt.Errorf("%w: that message was already sent", register.ErrConflict)

func (CreateOffer) MessageType() MessageType          { return MsgOfferCreate }
func (WithdrawOffer) MessageType() MessageType        { return MsgOfferWithdraw }
func (RedeemOffer) MessageType() MessageType          { return MsgOfferRedeem }
func (RefreshGrant) MessageType() MessageType         { return MsgGrantRefresh }
func (RevokeGrant) MessageType() MessageType          { return MsgGrantRevoke }
func (IssueGrantCredential) MessageType() MessageType { return MsgGrantCredentialIssue }
func (RecordMessage) MessageType() MessageType        { return MsgMessageRecord }

func applyCreateOffer(tx *state.Txn, env *envelope, cmd *CreateOffer) (any, error) {
	o := cmd.Offer
	if o.ID == "" || o.CodeHash == "" || o.TxHash == "" || !o.ExpiresAt.After(env.At) {
		return nil, fmt.Errorf("%w: offer record incomplete", register.ErrInvalid)
	}
	r, err := tx.Registrant(o.Registrant)
	if err != nil {
		return nil, err
	}
	if !r.GoodStanding(register.DateOf(env.At)) {
		return nil, fmt.Errorf("%w: %s is %s (registered until %s); only registrants in good standing can be offered a credential", register.ErrConflict, r.Number, r.Status, r.RegisteredUntil)
	}
	if _, err := tx.Offer(o.ID); err == nil {
		return nil, fmt.Errorf("%w: offer %s exists", register.ErrConflict, o.ID)
	}
	o.State, o.Failures, o.CreatedAt = register.OfferOpen, 0, env.At
	o.CreateIndex, o.ModifyIndex = tx.Index(), tx.Index()
	if err := tx.PutOffer(&o); err != nil {
		return nil, err
	}
	return &o, audit(tx, env, "offer.create", o.Registrant, o.ID, "", map[string]string{"expires_at": o.ExpiresAt.UTC().Format(time.RFC3339)})
}

func applyWithdrawOffer(tx *state.Txn, env *envelope, cmd *WithdrawOffer) (any, error) {
	if err := register.CheckReason(cmd.Reason); err != nil {
		return nil, err
	}
	old, err := tx.Offer(cmd.ID)
	if err != nil {
		return nil, err
	}
	if st := old.StateAt(env.At); st != register.OfferOpen {
		return nil, fmt.Errorf("%w: offer %s is %s; only an open offer can be withdrawn", register.ErrConflict, old.ID, st)
	}
	o := *old
	o.State, o.StateReason, o.ModifyIndex = register.OfferWithdrawn, cmd.Reason, tx.Index()
	if err := tx.PutOffer(&o); err != nil {
		return nil, err
	}
	return &o, audit(tx, env, "offer.withdraw", o.Registrant, o.ID, cmd.Reason, nil)
}

func applyRedeemOffer(tx *state.Txn, env *envelope, cmd *RedeemOffer) (any, error) {
	old, err := tx.Offer(cmd.Offer)
	if err != nil {
		return nil, err
	}
	if old.CodeHash != cmd.CodeHash {
		return nil, fmt.Errorf("%w: the pre-authorised code does not belong to offer %s", register.ErrNotFound, old.ID)
	}
	if st := old.StateAt(env.At); st != register.OfferOpen {
		return nil, fmt.Errorf("%w: the offer is %s; ask the registrar for a new one", register.ErrConflict, st)
	}
	o := *old
	o.ModifyIndex = tx.Index()
	if o.TxHash != cmd.TxHash {
		o.Failures++
		action := "offer.tx_code_failed"
		if o.Failures >= register.MaxTxCodeFailures {
			o.State, o.StateReason, action = register.OfferLocked, "too many wrong transaction codes", "offer.locked"
		}
		if err := tx.PutOffer(&o); err != nil {
			return nil, err
		}
		return &RedeemResult{Failed: true, Remaining: register.MaxTxCodeFailures - o.Failures},
			audit(tx, env, action, o.Registrant, o.ID, "", map[string]string{"failures": strconv.Itoa(o.Failures)})
	}
	r, err := tx.Registrant(o.Registrant)
	if err != nil {
		return nil, err
	}
	if !r.GoodStanding(register.DateOf(env.At)) {
		return nil, fmt.Errorf("%w: %s is %s; the register no longer issues them a credential", register.ErrConflict, r.Number, r.Status)
	}
	g := cmd.Grant
	if g.ID == "" || g.AccessHash == "" || g.RefreshHash == "" || !g.AccessExpires.After(env.At) {
		return nil, fmt.Errorf("%w: grant record incomplete", register.ErrInvalid)
	}
	g.Registrant, g.Offer, g.CreatedAt = o.Registrant, o.ID, env.At
	g.HolderJKT, g.HolderJWK, g.Credential, g.Revoked = "", nil, "", false
	g.CreateIndex, g.ModifyIndex = tx.Index(), tx.Index()
	o.State, o.Grant = register.OfferRedeemed, g.ID
	if err := tx.PutOffer(&o); err != nil {
		return nil, err
	}
	if err := tx.PutGrant(&g); err != nil {
		return nil, err
	}
	return &RedeemResult{Grant: &g}, audit(tx, env, "offer.redeem", o.Registrant, o.ID, "", map[string]string{"grant": g.ID})
}

func applyRefreshGrant(tx *state.Txn, env *envelope, cmd *RefreshGrant) (any, error) {
	old, err := tx.Grant(cmd.Grant)
	if err != nil {
		return nil, err
	}
	if old.RefreshHash != cmd.RefreshHash {
		return nil, fmt.Errorf("%w: the refresh token does not belong to this grant", register.ErrNotFound)
	}
	if old.Revoked {
		return nil, fmt.Errorf("%w: the registrar revoked this wallet's access (%s); ask for a new offer", register.ErrConflict, old.RevokeReason)
	}
	if !old.RefreshExpires.After(env.At) {
		return nil, fmt.Errorf("%w: the refresh token expired; ask the registrar for a new offer", register.ErrConflict)
	}
	if cmd.AccessHash == "" || !cmd.AccessExpires.After(env.At) {
		return nil, fmt.Errorf("%w: access token incomplete", register.ErrInvalid)
	}
	g := *old
	g.AccessHash, g.AccessExpires, g.Credential, g.RefreshedAt, g.ModifyIndex = cmd.AccessHash, cmd.AccessExpires, "", env.At, tx.Index()
	if err := tx.PutGrant(&g); err != nil {
		return nil, err
	}
	return &g, audit(tx, env, "grant.refresh", g.Registrant, g.ID, "", nil)
}

func applyRevokeGrant(tx *state.Txn, env *envelope, cmd *RevokeGrant) (any, error) {
	if err := register.CheckReason(cmd.Reason); err != nil {
		return nil, err
	}
	old, err := tx.Grant(cmd.ID)
	if err != nil {
		return nil, err
	}
	if old.Revoked {
		return nil, fmt.Errorf("%w: wallet grant %s is already revoked", register.ErrConflict, old.ID)
	}
	g := *old
	g.Revoked, g.RevokedAt, g.RevokeReason, g.ModifyIndex = true, env.At, cmd.Reason, tx.Index()
	if err := tx.PutGrant(&g); err != nil {
		return nil, err
	}
	return &g, audit(tx, env, "grant.revoke", g.Registrant, g.ID, cmd.Reason, nil)
}

func applyIssueGrantCredential(tx *state.Txn, env *envelope, cmd *IssueGrantCredential) (any, error) {
	c := cmd.Credential
	old, err := tx.Grant(c.Grant)
	if err != nil {
		return nil, err
	}
	if old.Revoked {
		return nil, fmt.Errorf("%w: the registrar revoked this wallet's access", register.ErrUnauthenticated)
	}
	if old.AccessHash != cmd.AccessHash || !old.AccessExpires.After(env.At) {
		return nil, fmt.Errorf("%w: the access token is not current", register.ErrUnauthenticated)
	}
	if old.Registrant != c.Registrant || c.Holder == "" {
		return nil, fmt.Errorf("%w: credential record does not match its grant", register.ErrInvalid)
	}
	if old.HolderJKT != "" && old.HolderJKT != c.Holder {
		return nil, fmt.Errorf("%w: the proof is made with another key than the one this wallet is bound to", register.ErrForbidden)
	}
	if old.Credential != "" {
		return nil, fmt.Errorf("%w: a credential was already issued under this access token", register.ErrConflict)
	}
	// A wallet's new credential supersedes only that wallet's older ones:
	// two wallets of one registrant must not revoke each other's.
	rec, err := issueCredential(tx, env, c, cmd.ListSize, func(o *register.IssuedCredential) bool { return o.Grant == c.Grant })
	if err != nil {
		return nil, err
	}
	g := *old
	g.Credential, g.ModifyIndex = rec.JTI, tx.Index()
	if g.HolderJKT == "" {
		g.HolderJKT, g.HolderJWK = c.Holder, cmd.HolderJWK
	}
	if err := tx.PutGrant(&g); err != nil {
		return nil, err
	}
	return rec, nil
}

func applyRecordMessage(tx *state.Txn, env *envelope, cmd *RecordMessage) (any, error) {
	m := cmd.Message
	if m.ID == "" || m.Registrant == "" {
		return nil, fmt.Errorf("%w: message record incomplete", register.ErrInvalid)
	}
	if prev, err := tx.Message(m.ID); err == nil {
		if cmd.Once {
			return nil, ErrMessageExists
		}
		m.CreatedAt, m.CreateIndex = prev.CreatedAt, prev.CreateIndex
	} else {
		m.CreatedAt, m.CreateIndex = env.At, tx.Index()
	}
	m.UpdatedAt, m.ModifyIndex = env.At, tx.Index()
	if err := tx.PutMessage(&m); err != nil {
		return nil, err
	}
	if cmd.Offer != "" {
		if o, err := tx.Offer(cmd.Offer); err == nil && o.Message != m.ID {
			oc := *o
			oc.Message, oc.ModifyIndex = m.ID, tx.Index()
			if err := tx.PutOffer(&oc); err != nil {
				return nil, err
			}
		}
	}
	details := map[string]string{"message": m.ID, "purpose": m.Purpose, "attempts": strconv.Itoa(m.Attempts)}
	return &m, audit(tx, env, mailAction(m), m.Registrant, m.ID, m.LastError, details)
}
