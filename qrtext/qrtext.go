// Package qrtext turns a compact JWS into a shorter text that fits a QR code
// of low version, and back, without losing a byte.
//
// A credential travels whole in the QR code so that a practice can verify it
// offline, which means the verifier must rebuild the exact signing input
// base64url(header) "." base64url(payload) and check the original
// signature. The compact form therefore carries the decoded header, payload
// and signature bytes, compressed with DEFLATE against a preset dictionary
// of the credential's vocabulary, and spells the result in base45 (RFC 9285)
// so that the QR encoder can use alphanumeric mode:
//
//	"LP1:" base45( version || uvarint(len s) || s || deflate-raw(dict, uvarint(len h) h uvarint(len p) p) )
//
// The signature stays outside the compressed stream because its random
// bytes would only make DEFLATE's literal codes longer for everything else.
//
// Because unpadded base64url is canonical (RFC 7515 section 2), re-encoding
// the bytes yields the original JWS exactly; Encode refuses any input that
// is not canonical, so that promise holds for everything it accepts.
// docs/qr-format.md specifies the format byte by byte.
package qrtext

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Prefix starts every text in the compact form. All its characters are in
// the QR alphanumeric set, so the whole text stays in one alphanumeric
// segment. "1" is the version of the text layer (base45 over a packing);
// the packing carries its own version byte for the dictionary and layout.
const Prefix = "LP1:"

// formatVersion is the first byte of every packing this package writes.
const formatVersion = 1

// Limits on what Decode accepts. They are far above any real credential and
// exist so that a hostile QR code cannot make a verifier allocate or
// decompress without bound.
const (
	// MaxTextLen is the longest text Decode accepts, in bytes. The largest
	// QR code (version 40, ECC L) holds 4,296 alphanumeric characters or
	// 2,953 bytes, so no scanned code comes close.
	MaxTextLen = 8 << 10

	maxHeaderLen    = 2 << 10  // a JOSE header with a kid is ~100 bytes
	maxPayloadLen   = 12 << 10 // the standard credential is ~1.2 KiB
	maxSignatureLen = 1 << 10  // RSA-8192; EdDSA and ES256 are 64 bytes
	// maxInflatedLen bounds the decompressed stream: header and payload
	// with their length prefixes.
	maxInflatedLen = maxHeaderLen + maxPayloadLen + 2*binary.MaxVarintLen16
)

// ErrMalformed is wrapped by every error of Encode and Decode about their
// input: the text is neither a valid compact form nor a compact JWS, or the
// JWS is not one this package can carry. A verifier reports it as the
// outcome "malformed".
var ErrMalformed = errors.New("qrtext: malformed credential text")

// ErrTooLarge is returned when the input, its decompressed content or one of
// its fields exceeds the limits. It matches ErrMalformed under errors.Is.
var ErrTooLarge = fmt.Errorf("%w: too large", ErrMalformed)

// ErrUnsupportedVersion is returned for a compact text whose packing was
// written by a newer format version; an out-of-date verifier should say so
// rather than call the card forged. It matches ErrMalformed under errors.Is.
var ErrUnsupportedVersion = fmt.Errorf("%w: unsupported format version", ErrMalformed)

// dictionaries maps each format version to its preset dictionary. Decoding
// must keep every published version (see dict.go).
var dictionaries = map[byte][]byte{
	formatVersion: dictV1,
}

// fieldNames and fieldLimits describe the three parts of a JWS, in order.
var (
	fieldNames  = [3]string{"header", "payload", "signature"}
	fieldLimits = [3]int{maxHeaderLen, maxPayloadLen, maxSignatureLen}
)

// jwsParts is a compact JWS split into its decoded parts.
type jwsParts struct {
	header, payload, signature []byte
}

// Encode returns the compact QR text for compactJWS. The JWS must have
// three non-empty parts in canonical unpadded base64url (a detached or
// unsecured JWS has no place in a QR credential); leading and trailing
// whitespace is ignored. The result contains only QR alphanumeric
// characters and never starts or ends with a space.
func Encode(compactJWS string) (string, error) {
	parts, err := splitJWS(strings.TrimSpace(compactJWS))
	if err != nil {
		return "", err
	}
	packed, err := pack(parts)
	if err != nil {
		return "", err
	}
	out := make([]byte, 0, len(Prefix)+base45EncodedLen(len(packed)))
	out = append(out, Prefix...)
	out = appendBase45(out, packed)
	if len(out) > MaxTextLen {
		return "", fmt.Errorf("%w: compact text of %d bytes exceeds %d", ErrTooLarge, len(out), MaxTextLen)
	}
	return string(out), nil
}

// Decode returns the compact JWS carried by text, which may be the compact
// form written by Encode, its URL form (VerifyURL), or a plain compact JWS,
// bare or in the fragment of a link. Surrounding
// whitespace, as scanners and copy-paste add it, is ignored. Every failure
// wraps ErrMalformed; Decode never panics, whatever the input.
func Decode(text string) (string, error) {
	if len(text) > MaxTextLen {
		return "", fmt.Errorf("%w: text of %d bytes exceeds %d", ErrTooLarge, len(text), MaxTextLen)
	}
	text = strings.TrimSpace(text)
	if inner, isURL, err := fromURL(text); err != nil {
		return "", err
	} else if isURL {
		text = inner
	}
	if !strings.HasPrefix(text, Prefix) {
		// Validate a plain JWS just as strictly, so that callers can rely on
		// Decode's result being a well-formed compact JWS either way.
		if _, err := splitJWS(text); err != nil {
			return "", err
		}
		return text, nil
	}
	packed, err := decodeBase45(text[len(Prefix):])
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	parts, err := unpack(packed)
	if err != nil {
		return "", err
	}
	return joinJWS(parts), nil
}

// IsCompact reports whether text looks like the compact form: the prefix
// followed only by base45 characters. It does not decompress anything, so a
// text for which it returns true may still fail to Decode.
func IsCompact(text string) bool {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, Prefix) {
		return false
	}
	for i := len(Prefix); i < len(text); i++ {
		if base45Values[text[i]] == 0xff {
			return false
		}
	}
	return true
}

// splitJWS splits a compact JWS and decodes its parts, refusing anything
// that would not re-encode to the same string.
func splitJWS(s string) (jwsParts, error) {
	fields := strings.Split(s, ".")
	if len(fields) != 3 {
		return jwsParts{}, fmt.Errorf("%w: compact JWS has %d parts, want 3", ErrMalformed, len(fields))
	}
	var out [3][]byte
	for i, f := range fields {
		if f == "" {
			return jwsParts{}, fmt.Errorf("%w: empty %s", ErrMalformed, fieldNames[i])
		}
		if base64.RawURLEncoding.DecodedLen(len(f)) > fieldLimits[i] {
			return jwsParts{}, fmt.Errorf("%w: %s longer than %d bytes", ErrTooLarge, fieldNames[i], fieldLimits[i])
		}
		// Strict rejects non-zero padding bits and RawURLEncoding rejects
		// '=' and the standard alphabet, which together make the decoded
		// bytes re-encode to exactly f.
		b, err := base64.RawURLEncoding.Strict().DecodeString(f)
		if err != nil {
			return jwsParts{}, fmt.Errorf("%w: %s is not canonical base64url: %w", ErrMalformed, fieldNames[i], err)
		}
		out[i] = b
	}
	return jwsParts{header: out[0], payload: out[1], signature: out[2]}, nil
}

// joinJWS is the inverse of splitJWS.
func joinJWS(p jwsParts) string {
	enc := base64.RawURLEncoding
	var b strings.Builder
	b.Grow(enc.EncodedLen(len(p.header)) + enc.EncodedLen(len(p.payload)) + enc.EncodedLen(len(p.signature)) + 2)
	buf := make([]byte, enc.EncodedLen(max(len(p.header), len(p.payload), len(p.signature))))
	for i, part := range [][]byte{p.header, p.payload, p.signature} {
		if i > 0 {
			b.WriteByte('.')
		}
		n := enc.EncodedLen(len(part))
		enc.Encode(buf[:n], part)
		b.Write(buf[:n])
	}
	return b.String()
}

// pack writes the packing: version, signature, compressed header and
// payload.
func pack(p jwsParts) ([]byte, error) {
	var out bytes.Buffer
	out.WriteByte(formatVersion)
	out.Write(binary.AppendUvarint(nil, uint64(len(p.signature))))
	out.Write(p.signature)
	// Level 9 costs little here: the input is ~1.5 KiB and encoding happens
	// once per card, while every saved byte can lower the QR version.
	w, err := flate.NewWriterDict(&out, flate.BestCompression, dictionaries[formatVersion])
	if err != nil {
		return nil, fmt.Errorf("qrtext: start compressor: %w", err)
	}
	var raw []byte
	for _, f := range [][]byte{p.header, p.payload} {
		raw = binary.AppendUvarint(raw, uint64(len(f)))
		raw = append(raw, f...)
	}
	if _, err := w.Write(raw); err != nil {
		return nil, fmt.Errorf("qrtext: compress: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("qrtext: compress: %w", err)
	}
	return out.Bytes(), nil
}

// unpack is the bounded inverse of pack.
func unpack(packed []byte) (jwsParts, error) {
	if len(packed) == 0 {
		return jwsParts{}, fmt.Errorf("%w: empty packing", ErrMalformed)
	}
	dict, ok := dictionaries[packed[0]]
	if !ok {
		return jwsParts{}, fmt.Errorf("%w: version %d", ErrUnsupportedVersion, packed[0])
	}
	sig, rest, err := lengthPrefixed(packed[1:], 2)
	if err != nil {
		return jwsParts{}, err
	}

	src := bytes.NewReader(rest)
	zr := flate.NewReaderDict(src, dict)
	defer zr.Close()
	// Read one byte past the limit: getting it proves the stream is too
	// long without ever holding more than maxInflatedLen+1 bytes.
	raw, err := io.ReadAll(io.LimitReader(zr, maxInflatedLen+1))
	if err != nil {
		return jwsParts{}, fmt.Errorf("%w: decompress: %w", ErrMalformed, err)
	}
	if len(raw) > maxInflatedLen {
		return jwsParts{}, fmt.Errorf("%w: decompressed content exceeds %d bytes", ErrTooLarge, maxInflatedLen)
	}
	// bytes.Reader is an io.ByteReader, so flate reads no further than the
	// end of the final block; anything left over was appended to the code.
	if src.Len() != 0 {
		return jwsParts{}, fmt.Errorf("%w: %d bytes after the compressed stream", ErrMalformed, src.Len())
	}

	header, raw, err := lengthPrefixed(raw, 0)
	if err != nil {
		return jwsParts{}, err
	}
	payload, raw, err := lengthPrefixed(raw, 1)
	if err != nil {
		return jwsParts{}, err
	}
	if len(raw) != 0 {
		return jwsParts{}, fmt.Errorf("%w: %d bytes after the payload", ErrMalformed, len(raw))
	}
	return jwsParts{header: header, payload: payload, signature: sig}, nil
}

// lengthPrefixed splits a uvarint-prefixed, non-empty field of kind
// fieldNames[field] off the front of b.
func lengthPrefixed(b []byte, field int) (value, rest []byte, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return nil, nil, fmt.Errorf("%w: bad length of %s", ErrMalformed, fieldNames[field])
	}
	b = b[k:]
	switch {
	case n > uint64(fieldLimits[field]):
		return nil, nil, fmt.Errorf("%w: %s of %d bytes exceeds %d", ErrTooLarge, fieldNames[field], n, fieldLimits[field])
	case n == 0:
		return nil, nil, fmt.Errorf("%w: empty %s", ErrMalformed, fieldNames[field])
	case n > uint64(len(b)):
		return nil, nil, fmt.Errorf("%w: %s truncated", ErrMalformed, fieldNames[field])
	}
	return b[:n], b[n:], nil
}
