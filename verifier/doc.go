// Package verifier checks link worker registration credentials: W3C
// Verifiable Credentials 2.0 secured as JWTs (VC-JOSE-COSE, typ vc+jwt),
// signed by a register whose keys the verifier trusts.
//
// It is a small library for GP practices, employers and wallets, online or
// offline from a synced trust bundle. It imports nothing of the issuer,
// its state store, Raft or its HTTP server.
//
// Usage:
//
//	trust := verifier.NewTrust()
//	if err := trust.AddIssuer("https://register.nalw.org.uk", jwks); err != nil { ... }
//	v, err := verifier.New(trust, verifier.WithStatusChecker(checker))
//	res := v.Verify(ctx, token)
//	if !res.Valid { show(res.Outcome, res.Reason) }
//
// The verifier is secure by default, following RFC 8725: the algorithm
// comes from the trusted key, never from the token; only compact
// serialization is read; base64url and JSON are parsed strictly (no
// padding, no whitespace, no duplicate member names); keys are never
// fetched from or carried in a token; and nothing the token says is acted
// on before its signature has verified, except what is needed to find the
// key. Verify documents the exact order of the checks.
//
// A credential's "status" points at an entry of its issuer's Token Status
// List (draft-ietf-oauth-status-list). VerifyStatusListToken checks a
// Status List Token (typ statuslist+jwt) with the same discipline, and
// decodes its list within a bound. Two StatusCheckers answer from verified
// lists under one StatusPolicy (past ttl: answered, marked stale; past exp
// or a maximum age, 24 hours by default: no answer, unless stale status
// is explicitly allowed): Online fetches lists and keys from trusted
// issuers over HTTPS, and package trustbundle answers offline from a
// synced trust bundle. docs/verifier-guide.md describes both.
//
// Tokens with leading or trailing whitespace are refused as malformed, not
// trimmed: a caller reading a QR code or a text field trims first, so
// that what is verified is exactly what was given.
package verifier
