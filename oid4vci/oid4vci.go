// Package oid4vci issues the register's credentials to wallets over
// OpenID for Verifiable Credential Issuance 1.0, pre-authorised code flow:
// credential offers made by registrars, the token, nonce, credential and
// notification endpoints, refresh of a wallet's credential, and the
// metadata wallets discover them by. Each wallet receives the credential in
// two formats that share one record and one status entry: an SD-JWT VC
// (dc+sd-jwt) bound to the wallet's key, and the compact vc+jwt the QR code
// carries. docs/oid4vci.md is the profile.
//
// Everything it changes goes through the register's log (issuer.Server's
// Apply and IssueWith); only proof nonces are kept in memory.
package oid4vci

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/mail"
)

// Paths of the protocol endpoints, relative to the issuer URL.
const (
	PathOffer        = "/oid4vci/offers/"
	PathToken        = "/oid4vci/token"
	PathNonce        = "/oid4vci/nonce"
	PathCredential   = "/oid4vci/credential"
	PathNotification = "/oid4vci/notification"
	PathVCT          = "/vct/link-worker-registration"
	// PathWallet is the register's own web wallet.
	PathWallet = "/wallet"
)

// Credential configuration identifiers and formats.
const (
	ConfigSDJWT = "link-worker-registration-sd-jwt"
	ConfigVCJWT = "link-worker-registration-vc-jwt"

	FormatSDJWT = "dc+sd-jwt"
	// FormatVCJWT is an extension format identifier: OpenID4VCI 1.0
	// defines none for a W3C VCDM 2.0 credential secured as a JWT
	// (vc+jwt), so the register names its own (docs/oid4vci.md).
	FormatVCJWT = "urn:nalw:linkpass:vc+jwt"

	// ProofTyp is the typ of a key proof JWT.
	ProofTyp = "openid4vci-proof+jwt"
	// PreAuthGrant is the pre-authorised code grant type.
	PreAuthGrant = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
)

// Config tunes issuance; zero values take the defaults.
type Config struct {
	// OfferTTL is how long an offer stays open (72 hours).
	OfferTTL time.Duration
	// AccessTTL is how long an access token lasts (10 minutes).
	AccessTTL time.Duration
	// RefreshTTL is how long a refresh token lasts (400 days: past a
	// yearly renewal).
	RefreshTTL time.Duration
	// NonceTTL is how long a c_nonce may wait for its proof (5 minutes).
	NonceTTL time.Duration
	// ProofMaxAge bounds how old a proof's iat may be (5 minutes).
	ProofMaxAge time.Duration
	// Mailer sends offer links; nil sends none.
	Mailer *mail.Mailer
	Logger *slog.Logger
}

func (c *Config) init() {
	if c.OfferTTL == 0 {
		c.OfferTTL = 72 * time.Hour
	}
	if c.AccessTTL == 0 {
		c.AccessTTL = 10 * time.Minute
	}
	if c.RefreshTTL == 0 {
		c.RefreshTTL = 400 * 24 * time.Hour
	}
	if c.NonceTTL == 0 {
		c.NonceTTL = 5 * time.Minute
	}
	if c.ProofMaxAge == 0 {
		c.ProofMaxAge = 5 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Service is OpenID4VCI issuance over one register.
type Service struct {
	reg    *issuer.Server
	cfg    Config
	nonces *nonces
}

// New returns issuance over reg. reg may be nil only to list routes.
func New(reg *issuer.Server, cfg Config) *Service {
	cfg.init()
	return &Service{reg: reg, cfg: cfg, nonces: newNonces(cfg.NonceTTL)}
}

func (s *Service) issuerURL() string { return s.reg.State().Settings().IssuerURL }

// newSecret returns 256 random bits, base64url.
func newSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// newID returns a short random identifier with a prefix, for records
// registrars name (offers, grants, messages); not a secret.
func newID(prefix string) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return prefix + hex.EncodeToString(b[:])
}

// newTxCode returns 6 random digits.
func newTxCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// hash is how every secret is stored: SHA-256, hex. The secrets are 256
// random bits, so no slow hash is needed.
func hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// txHash binds the 6-digit code to the offer's code, so a stolen snapshot
// does not let anyone test codes offline without the link.
func txHash(code, tx string) string { return hash(code + ":" + tx) }
