// Package trustbundle defines the trust bundle: everything an offline
// verifier needs to check the register's credentials with no connection:
// the issuer's metadata, its public keys (JWKS) and every current Token
// Status List, each still signed by the register.
//
// The register serves it at GET /trust-bundle; `linkpass verify sync`
// fetches, checks and stores it. Nothing in it is taken on the word of
// whoever served it: the keys, the metadata and the Quality Mark standing
// are in a trust statement signed by the register's root key, and each
// status list is signed by a key the statement names. A verifier pins the
// root at its first sync (or is given its fingerprint) and from then on
// refuses a bundle that another root signed, or that is older than the
// one it holds (Checked.Follows). The bundle file is the verifier's
// memory of the register: protect it like a trust store.
package trustbundle

import "time"

// Format is the version of the bundle layout. Format 1 bundles carried
// unsigned keys and metadata; they are refused.
const Format = 2

// MediaType is the Content-Type of a bundle.
const MediaType = "application/vnd.linkpass.trust-bundle+json"

// Bundle is a trust bundle.
type Bundle struct {
	Format int `json:"format"`
	// Issuer is the issuer URL credentials name in "iss".
	Issuer string `json:"issuer"`
	// Statement is the register's trust statement (a compact JWS of type
	// StatementTyp, signed by its root key): its keys, retired keys and
	// metadata.
	Statement string `json:"statement"`
	// StatusLists are the signed Status List Tokens, one per list.
	StatusLists []StatusList `json:"status_lists"`
	// CreatedAt is when the register made the bundle. It is not signed
	// and is for people only: every decision uses the signed times.
	CreatedAt time.Time `json:"created_at"`
}

// StatusList is one Status List Token and where it is published.
type StatusList struct {
	// URI is the list's "sub", the "uri" credentials point at.
	URI string `json:"uri"`
	// Token is the compact JWS (typ "statuslist+jwt") exactly as served.
	Token string `json:"token"`
}
