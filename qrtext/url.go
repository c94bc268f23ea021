package qrtext

import (
	"fmt"
	"net/url"
	"strings"
)

// VerifyPath is the page of the register that checks a credential carried
// in its URL fragment.
const VerifyPath = "/verify"

// The URL form is what the QR code carries so that any phone camera opens
// it: base + "/verify#" + FragmentMarker + the compact text, with "%" and " " (both base45
// characters, both special in a URL) written "%25" and "%20". Those escapes
// are themselves QR alphanumeric characters, so the fragment stays in one
// alphanumeric segment and only the short prefix needs byte mode. The text
// travels in the fragment, which browsers never send: it appears in no
// request line and no server log.
var fragmentEscaper = strings.NewReplacer("%", "%25", " ", "%20")

// FragmentMarker opens the fragment, before the compact text. It is there
// for the QR code's size alone: skip2/go-qrcode chooses segments greedily,
// and its byte-mode segment ("verify#") swallows every following run of
// fewer than six alphanumeric characters. The compact text starts "LP1:"
// and its base45 has digits throughout, so in about one credential in six
// hundred the byte segment ran on long enough to need version 16. Six
// digit-free alphanumeric characters end it at once (measured: 0 of 3,000
// at version 16, against 5 of 3,000 without). Readers accept the fragment
// with or without it.
const FragmentMarker = "CHECK/"

// VerifyURL returns the URL form of the compact text for the register at
// base (an https origin such as https://register.nalw.org.uk, or http for a
// loopback test server).
func VerifyURL(base, text string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("register address %q: want https://host, with no query or fragment", base)
	}
	if !IsCompact(text) {
		return "", fmt.Errorf("%w: the URL form carries only the compact text", ErrMalformed)
	}
	// Scheme and host are case-insensitive (RFC 3986 section 6.2.2.1) and
	// in capitals they too are QR alphanumeric: measured, that keeps the
	// standard credential at version 15 instead of 16 at ECC M. Browsers
	// show the address in lower case again.
	return strings.ToUpper(u.Scheme) + "://" + strings.ToUpper(u.Host) + strings.TrimRight(u.Path, "/") +
		VerifyPath + "#" + FragmentMarker + fragmentEscaper.Replace(text), nil
}

// fromURL returns the text carried in the fragment of a URL form, and
// whether text was a URL at all. Any host is accepted: the signature, not
// the address, says whether a credential is genuine.
func fromURL(text string) (string, bool, error) {
	lower := strings.ToLower(text[:min(len(text), 8)])
	if !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "http://") {
		return "", false, nil
	}
	_, frag, ok := strings.Cut(text, "#")
	if !ok || frag == "" {
		return "", true, fmt.Errorf("%w: the link has no credential after #; scan the code again or paste the whole link", ErrMalformed)
	}
	s, err := url.PathUnescape(frag)
	if err != nil {
		return "", true, fmt.Errorf("%w: the credential in the link is badly escaped: %v", ErrMalformed, err)
	}
	return strings.TrimPrefix(s, FragmentMarker), true, nil
}

// Link returns what a credential's QR code carries: the URL form of the
// compact text of compactJWS, on the /verify page of the register at
// issuerURL (the credential's iss). The CLI's wallet and card and the web
// wallet all draw their codes from it.
func Link(compactJWS, issuerURL string) (string, error) {
	text, err := Encode(compactJWS)
	if err != nil {
		return "", fmt.Errorf("encoding the credential for a QR code: %w", err)
	}
	link, err := VerifyURL(issuerURL, text)
	if err != nil {
		return "", fmt.Errorf("making the QR link from the credential's issuer: %w", err)
	}
	return link, nil
}
