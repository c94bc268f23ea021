// Package statuslist implements the status list of the IETF Token Status
// List (draft-ietf-oauth-status-list): a packed array of small status values,
// one per issued credential, compressed with DEFLATE in the ZLIB format and
// carried base64url-encoded in the status_list claim of a statuslist+jwt.
//
// The package is pure: it neither signs nor fetches. The register uses
// [List], [Encoder] and [IndexSet] to keep and publish its lists; a verifier
// uses [Decode] (or [Claim.Decode]) and [List.Get], after checking the
// signed token's claims with [TokenClaims.Validate].
//
// Encoded lists are always a single, standard ZLIB stream, so any RFC 1950
// decoder reads them. To keep re-publishing cheap, the encoder compresses
// the list in independent 64 KiB chunks at the highest level and reuses the
// output of chunks that did not change; see docs/status-list.md.
package statuslist
