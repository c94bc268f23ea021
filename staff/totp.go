package staff

import (
	"crypto/subtle"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// totpPeriod is the authenticator apps' usual 30 seconds.
const totpPeriod = 30

// newTOTP returns a new authenticator app key for an account.
func newTOTP(issuer, account string) (*otp.Key, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: totpPeriod, SecretSize: 20})
	if err != nil {
		return nil, fmt.Errorf("staff: making an authenticator key: %w", err)
	}
	return k, nil
}

// checkTOTP returns the time step of code if it is right at t, allowing
// one step of clock drift either way, and 0 if it is not.
func checkTOTP(code, secret string, t time.Time) uint64 {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 {
		return 0
	}
	now := uint64(t.Unix()) / totpPeriod
	for _, step := range []uint64{now, now - 1, now + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(int64(step*totpPeriod), 0),
			totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step
		}
	}
	return 0
}
