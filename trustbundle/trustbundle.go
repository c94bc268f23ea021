// Package trustbundle defines the trust bundle: everything an offline
// verifier needs to check the register's credentials with no connection:
// the issuer's metadata, its public keys (JWKS) and every current Token
// Status List, each still signed by the register.
//
// The register serves it at GET /trust-bundle; `linkpass verify sync`
// fetches, checks and stores it. The bundle as a whole is not signed: each
// status list inside is, by a key of the bundle's own JWKS, and the JWKS is
// the verifier's trust anchor, fetched from the issuer URL the practice
// chose. A bundle file is a trust store: protect it like one.
package trustbundle

import (
	"encoding/json"
	"time"
)

// Format is the version of the bundle layout.
const Format = 1

// MediaType is the Content-Type of a bundle.
const MediaType = "application/vnd.linkpass.trust-bundle+json"

// Bundle is a trust bundle.
type Bundle struct {
	Format int `json:"format"`
	// Issuer is the issuer URL credentials name in "iss".
	Issuer string `json:"issuer"`
	// Metadata is the issuer metadata document (/.well-known/jwt-vc-issuer).
	Metadata json.RawMessage `json:"metadata"`
	// JWKS is the issuer's public key set (/.well-known/jwks.json).
	JWKS json.RawMessage `json:"jwks"`
	// StatusLists are the signed Status List Tokens, one per list.
	StatusLists []StatusList `json:"status_lists"`
	// CreatedAt is when the register made the bundle.
	CreatedAt time.Time `json:"created_at"`
}

// StatusList is one Status List Token and where it is published.
type StatusList struct {
	// URI is the list's "sub", the "uri" credentials point at.
	URI string `json:"uri"`
	// Token is the compact JWS (typ "statuslist+jwt") exactly as served.
	Token string `json:"token"`
}
