package applications

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"time"
)

// One-time codes prove an applicant's email: before they apply (the code
// is sent to the address they give) and when they sign in to follow their
// application at /apply/status (sent to the address on the application).
//
// The register keeps a code's hash, salt, expiry and count of wrong tries
// in its log, not in the memory of the node that sent it. An applicant who
// was emailed a code a minute before a restart, or whose next request
// reaches another member of a cluster, can still use it; and five wrong
// tries end it wherever they were made, so a restart or a second node
// gives a guesser no fresh tries. The cost is a log entry per code sent
// and per code typed, both rate-limited. A code is six digits, so its hash
// is no secret from someone who reads the log or a snapshot: they could
// find a live code by trying the million. They already hold every
// application in full; see docs/threat-model.md.
const (
	// CodeTTL is how long a code works.
	CodeTTL = 30 * time.Minute
	// MaxCodeAttempts is how many wrong codes end a code.
	MaxCodeAttempts = 5
)

// Code is a one-time code sent and not yet used, as the register keeps it.
type Code struct {
	// Key names what the code is for: CodeKey's result.
	Key      string    `json:"key"`
	Salt     string    `json:"salt"`
	Hash     string    `json:"hash"`
	Expires  time.Time `json:"expires"`
	Failures int       `json:"failures"`

	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// Code purposes.
const (
	// CodeToApply proves the email given on the form.
	CodeToApply = "apply"
	// CodeToSignIn signs in to an application's status page.
	CodeToSignIn = "status"
)

// CodeKey is the key of a code for purpose and subject (the folded email
// of CodeToApply, the reference of CodeToSignIn). It is a hash, so that the
// log does not keep the address of someone who asked for a code and never
// applied.
func CodeKey(purpose, subject string) string {
	h := sha256.Sum256([]byte("applicant-code\x00" + purpose + "\x00" + subject))
	return purpose + ":" + hex.EncodeToString(h[:16])
}

// HashCode is the hash of code under salt, as Code.Hash keeps it.
func HashCode(salt, code string) string {
	h := sha256.Sum256([]byte(salt + "\x00" + code))
	return hex.EncodeToString(h[:])
}

// CodeCheck is the outcome of trying a code.
type CodeCheck struct {
	// OK: the code is right (and, if it was used, gone).
	OK bool `json:"ok"`
	// Missing: no code is waiting (never sent, used, or ended).
	Missing bool `json:"missing,omitempty"`
	// Expired: the code ran out of time.
	Expired bool `json:"expired,omitempty"`
	// Left is how many wrong tries remain after a wrong one; 0 means the
	// code no longer works.
	Left int `json:"left"`
}

// Try checks hash, the typed code's hash under c.Salt, at time at. It
// returns the code as it is afterwards (nil when it must be deleted) and
// the outcome; used says whether a right code is spent by this try.
func (c *Code) Try(hash string, used bool, at time.Time, idx uint64) (*Code, CodeCheck) {
	if !at.Before(c.Expires) {
		return nil, CodeCheck{Expired: true}
	}
	if subtle.ConstantTimeCompare([]byte(hash), []byte(c.Hash)) == 1 {
		if used {
			return nil, CodeCheck{OK: true}
		}
		return c, CodeCheck{OK: true, Left: MaxCodeAttempts - c.Failures}
	}
	n := *c
	n.Failures++
	n.ModifyIndex = idx
	if n.Failures >= MaxCodeAttempts {
		return nil, CodeCheck{}
	}
	return &n, CodeCheck{Left: MaxCodeAttempts - n.Failures}
}
