// Package wallet holds a link worker's credentials on their own device and
// presents them, as a QR code or a file.
//
// Credentials are kept one file each (mode 0600) in a directory of the
// user's (0700). The wallet imports nothing of the register: it checks
// what it stores with the verifier library when it has trust material, and
// otherwise only reads the credential's shape.
package wallet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/qrtext"
	"github.com/nalw/linkpass/verifier"
)

// ExpiryWarning is how far ahead the wallet warns of a credential's expiry.
const ExpiryWarning = 30 * 24 * time.Hour

// fileSuffix ends every stored credential's file name.
const fileSuffix = ".jwt"

var (
	// ErrNotACredential means the input is not a linkpass credential.
	ErrNotACredential = errors.New("wallet: not a linkpass credential")
	// ErrRejected means the credential did not verify, so it was not stored.
	ErrRejected = errors.New("wallet: credential did not verify")
	// ErrNotFound means the wallet holds no matching credential.
	ErrNotFound = errors.New("wallet: no such credential")
	// ErrAmbiguous means more than one registration number matches.
	ErrAmbiguous = errors.New("wallet: more than one registrant's credentials; name the registration number")
)

// Wallet is a directory of credentials.
type Wallet struct {
	dir string
}

// DefaultDir is the wallet's folder in the user's data directory:
// $XDG_DATA_HOME/linkpass/wallet, ~/.local/share/linkpass/wallet on Linux,
// or the user config directory elsewhere.
func DefaultDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "linkpass", "wallet"), nil
	}
	if runtime.GOOS == "linux" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("wallet: finding the home directory: %w", err)
		}
		return filepath.Join(home, ".local", "share", "linkpass", "wallet"), nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("wallet: finding the user directory: %w", err)
	}
	return filepath.Join(d, "linkpass", "wallet"), nil
}

// Open opens the wallet in dir, creating it (mode 0700) if needed.
func Open(dir string) (*Wallet, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("wallet: creating %s: %w", dir, err)
	}
	return &Wallet{dir: dir}, nil
}

// Dir is where the wallet keeps its credentials.
func (w *Wallet) Dir() string { return w.dir }

// Entry is a stored credential.
type Entry struct {
	JTI                string    `json:"jti"`
	RegistrationNumber string    `json:"registration_number"`
	Name               string    `json:"name"`
	Issuer             string    `json:"issuer"`
	IssuedAt           time.Time `json:"issued_at"`
	ExpiresAt          time.Time `json:"expires_at"`
	File               string    `json:"file"`
	// Token is the credential itself (compact JWS).
	Token  string             `json:"-"`
	Claims *credential.Claims `json:"-"`
}

// ExpiresSoon reports whether the credential expires within ExpiryWarning
// of now (or has expired).
func (e *Entry) ExpiresSoon(now time.Time) bool { return e.ExpiresAt.Sub(now) < ExpiryWarning }

// Expired reports whether the credential has expired at now.
func (e *Entry) Expired(now time.Time) bool { return !now.Before(e.ExpiresAt) }

// Add checks a credential (a token or its QR text) and stores it. With a
// verifier, only a credential that verifies as valid, or as genuine and
// current with its status not checked (verifier.OutcomeStatusNotChecked:
// the verifier was asked for a signature-only check), is stored, and the
// result says why not otherwise; without one, only its shape is checked
// and the returned result is nil.
func (w *Wallet) Add(ctx context.Context, text string, v *verifier.Verifier) (*Entry, *verifier.Result, error) {
	token, err := qrtext.Decode(strings.TrimSpace(text))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrNotACredential, err)
	}
	var res *verifier.Result
	var claims *credential.Claims
	if v != nil {
		res = v.Verify(ctx, token)
		if !res.Valid && res.Outcome != verifier.OutcomeStatusNotChecked {
			return nil, res, fmt.Errorf("%w: %s", ErrRejected, res.Reason)
		}
		claims = res.Claims
	} else {
		if claims, err = verifier.ParseUnverifiedClaims(token); err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrNotACredential, err)
		}
	}
	e, err := entryOf(token, claims)
	if err != nil {
		return nil, res, err
	}
	e.File = filepath.Join(w.dir, e.JTI+fileSuffix)
	if err := writeFile(e.File, []byte(token+"\n")); err != nil {
		return nil, res, err
	}
	return e, res, nil
}

func entryOf(token string, c *credential.Claims) (*Entry, error) {
	if c.Jti == "" || strings.ContainsAny(c.Jti, `/\.`) || len(c.Jti) > 64 {
		return nil, fmt.Errorf("%w: its jti %q cannot name a file", ErrNotACredential, c.Jti)
	}
	return &Entry{
		JTI: c.Jti, RegistrationNumber: c.CredentialSubject.RegistrationNumber, Name: c.CredentialSubject.Name,
		Issuer: c.Iss, IssuedAt: time.Unix(c.Iat, 0).UTC(), ExpiresAt: time.Unix(c.Exp, 0).UTC(), Token: token, Claims: c,
	}, nil
}

// writeFile writes a credential file atomically with mode 0600.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("wallet: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("wallet: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("wallet: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	return nil
}

// List returns the stored credentials, newest first. Files that are not
// credentials are skipped and reported in the second result.
func (w *Wallet) List() ([]*Entry, []error) {
	files, err := filepath.Glob(filepath.Join(w.dir, "*"+fileSuffix))
	if err != nil {
		return nil, []error{err}
	}
	var out []*Entry
	var bad []error
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			bad = append(bad, fmt.Errorf("wallet: %s: %w", f, err))
			continue
		}
		token := strings.TrimSpace(string(b))
		c, err := verifier.ParseUnverifiedClaims(token)
		if err != nil {
			bad = append(bad, fmt.Errorf("wallet: %s is not a credential: %w", f, err))
			continue
		}
		e, err := entryOf(token, c)
		if err != nil {
			bad = append(bad, fmt.Errorf("wallet: %s: %w", f, err))
			continue
		}
		e.File = f
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].IssuedAt.After(out[j].IssuedAt) })
	return out, bad
}

// Find returns the newest credential for a registration number, or the
// newest credential if regno is empty and the wallet holds one person's
// credentials.
func (w *Wallet) Find(regno string) (*Entry, error) {
	all, _ := w.List()
	if len(all) == 0 {
		return nil, fmt.Errorf("%w: the wallet in %s is empty; add one with `linkpass wallet add FILE`", ErrNotFound, w.dir)
	}
	regno = strings.ToUpper(strings.TrimSpace(regno))
	if regno == "" {
		for _, e := range all[1:] {
			if e.RegistrationNumber != all[0].RegistrationNumber {
				return nil, ErrAmbiguous
			}
		}
		return all[0], nil
	}
	for _, e := range all {
		if e.RegistrationNumber == regno {
			return e, nil
		}
	}
	return nil, fmt.Errorf("%w: none for %s in %s", ErrNotFound, regno, w.dir)
}
