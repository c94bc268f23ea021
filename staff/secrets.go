package staff

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/nalw/linkpass/issuer/register"
)

// MinPasswordLen is the shortest password accepted, in characters. Length
// is the only rule: no composition rules, as NIST SP 800-63B advises.
const MinPasswordLen = 12

// MaxPasswordLen bounds what is hashed, so a huge body cannot make hashing
// slow.
const MaxPasswordLen = 256

// PasswordParams are argon2id's cost parameters.
type PasswordParams struct {
	Time    uint32 // passes
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultPasswordParams is RFC 9106's second recommended option (64 MiB,
// 3 passes, 4 lanes): around a tenth of a second on a small server. The
// service hashes at most a few passwords at once, so sign-in floods cannot
// exhaust memory.
var DefaultPasswordParams = PasswordParams{Time: 3, Memory: 64 * 1024, Threads: 4}

// CheckPassword checks a new password against the rules and says what is
// wrong.
func CheckPassword(pw string) error {
	switch n := utf8.RuneCountInString(pw); {
	case !utf8.ValidString(pw):
		return fmt.Errorf("%w: the password is not valid text", register.ErrInvalid)
	case n < MinPasswordLen:
		return fmt.Errorf("%w: choose a password of at least %d characters (this one has %d); a few unrelated words make a good one", register.ErrInvalid, MinPasswordLen, n)
	case n > MaxPasswordLen:
		return fmt.Errorf("%w: the password is longer than %d characters", register.ErrInvalid, MaxPasswordLen)
	}
	return nil
}

// HashPassword returns the argon2id hash of pw in PHC string form, with a
// fresh random salt.
func HashPassword(pw string, p PasswordParams) string {
	salt := randomBytes(16)
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

var errHashFormat = errors.New("staff: malformed password hash")

// VerifyPassword reports whether pw matches hash, comparing in constant
// time. The cost parameters are the hash's own, so raising the defaults
// leaves existing passwords working.
func VerifyPassword(pw, hash string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errHashFormat
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errHashFormat
	}
	var p PasswordParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, errHashFormat
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || p.Memory > 1<<21 || p.Time > 100 {
		return false, errHashFormat
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // no safe fallback
	}
	return b
}

// newID returns a new account id.
func newID() string { return "st_" + hex.EncodeToString(randomBytes(8)) }

// hashSecret hashes a high-entropy secret (a setup link, a session id, a
// recovery code). SHA-256 is enough for secrets of 80 bits or more.
func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// newSecret returns 256 random bits, URL-safe.
func newSecret() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }

// RecoveryCodeCount is how many recovery codes a person gets.
const RecoveryCodeCount = 10

var codeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newRecoveryCodes returns codes to show once and their hashes to store.
// Each code is 80 random bits written as four groups of four letters and
// digits.
func newRecoveryCodes() (codes []string, hashes [][]byte) {
	for range RecoveryCodeCount {
		s := strings.ToLower(codeEncoding.EncodeToString(randomBytes(10)))
		code := s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
		codes = append(codes, code)
		hashes = append(hashes, hashRecoveryCode(code))
	}
	return codes, hashes
}

// hashRecoveryCode hashes a code as typed: case, spaces and dashes do not
// matter.
func hashRecoveryCode(code string) []byte {
	c := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(code)))
	return hashSecret("recovery:" + c)
}
