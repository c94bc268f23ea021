package qrtext

import "strings"

// This file is the one place that holds the preset DEFLATE dictionary.
//
// A preset dictionary (RFC 1951 section 3.2.5 back-references into text the
// compressor and decompressor both know beforehand) lets the first
// occurrence of "credentialSubject" or of the context URL cost a three-byte
// back-reference instead of its literal bytes. It only changes how well a
// token compresses, never what it decodes to: a token that shares nothing
// with the dictionary still round-trips, merely larger.
//
// THE DICTIONARY OF A PUBLISHED VERSION MUST NEVER CHANGE. Every QR code
// already printed on a card was compressed against it, and a single changed
// byte makes those cards unreadable. To improve it, add dictV2 next to
// dictV1, bump formatVersion, and keep decoding version 1.
//
// How it is laid out, and why:
//   - DEFLATE back-references cost more extra bits the further back they
//     reach, so the text a token uses first (the JOSE header) sits at the
//     end, right before the token's first byte, and the payload template
//     sits just before it.
//   - The payload template follows the member order in which Go's
//     encoding/json writes the credential package's Claims struct, so long
//     runs ("],"type":["VerifiableCredential",...") match in one piece.
//   - Free text that varies per registrant (names, qualification titles,
//     providers) is represented only by generic words that many values
//     share; the dictionary must not be tuned to one sample credential.
//   - The issuer URL is configurable per deployment; the NALW host appears
//     here because it is the register's production issuer, and any other
//     issuer still works, just less compactly.

// dictV1 is the preset dictionary of format version 1.
var dictV1 = []byte(strings.Join([]string{
	// Rarely used vocabulary first (farthest from the data).
	`"registerStatus":"suspended""registerStatus":"lapsed""registerStatus":"removed"`,
	`"nation":"wales""nation":"scotland""nation":"northern-ireland"`,
	// The same vocabulary as registrars may type it.
	`"nation":"England""nation":"Wales""nation":"Scotland""nation":"Northern Ireland"`,
	`"accreditation":"NALW-accredited""accreditation":"NALW-aligned"`,
	`"restrictions":true`,
	`"nbf":17`,
	`{"alg":"ES256","typ":"vc+jwt","cty":"vc","kid":"`,
	`{"alg":"EdDSA","cty":"vc","kid":"`,
	`","typ":"vc+jwt"}`,
	`Level 3 Certificate in `, `Level 6 Degree in `, `Level 7 Master's in `, `Postgraduate Certificate in `,
	`BA (Hons) `, `BSc (Hons) `, `MSc `, `Community Development`, `Health and Wellbeing Coaching`,
	`Mental Health`, `Public Health`, `Personalised Care`, `Health and Social Care`,
	`College`, `University of `, `Open University`, `NHS England`, `Personalised Care Institute`,
	`"accreditation":"none"`,
	// Payload template, in encoding/json order of credential.Claims.
	`{"@context":["https://www.w3.org/ns/credentials/v2","https://register.nalw.org.uk/ns/link-worker/v1"],`,
	`"type":["VerifiableCredential","LinkWorkerRegistrationCredential"],`,
	`"id":"urn:uuid:`,
	`","issuer":"https://register.nalw.org.uk","validFrom":"202`,
	`T00:00:00Z","validUntil":"202`,
	`T23:59:59Z","credentialSubject":{"type":"LinkWorkerRegistration","registrationNumber":"LW1`,
	`","name":"`,
	`","role":"Social prescribing link worker","registerStatus":"registered","registeredUntil":"202`,
	`","nation":"england","restrictions":false,"publicRegister":"https://register.nalw.org.uk/register/LW1`,
	`","qualifications":[{"title":"Level 4 Certificate in Social Prescribing","level":4,"provider":"`,
	`","accreditation":"nalw-accredited","yearAwarded":20`,
	`},{"title":"Level 5 Diploma in `,
	`","level":5,"provider":"`,
	`","accreditation":"nalw-aligned","yearAwarded":20`,
	`}],"qualityMark":{"scheme":"PSA Accredited Registers","register":"NALW Register of Social Prescribing Link Workers","validUntil":"202`,
	`"}},"status":{"status_list":{"idx":`,
	`,"uri":"https://register.nalw.org.uk/status/`,
	`"}},"iss":"https://register.nalw.org.uk","iat":17`,
	`,"exp":18`,
	`,"jti":"`,
	`"}`,
	// JOSE header last: it is the first thing in every packing.
	`{"alg":"EdDSA","typ":"vc+jwt","cty":"vc","kid":"`,
}, ""))
