package verifier

import (
	"errors"

	"github.com/nalw/linkpass/credential"
)

// Outcome names the result of a verification in one word a program can
// switch on; Result.Reason says the same to a person.
type Outcome string

// Outcomes of Verify. Only OutcomeValid means the credential may be relied on.
const (
	OutcomeValid Outcome = "valid"

	// Structure and header.
	OutcomeMalformed       Outcome = "malformed"
	OutcomeTooLarge        Outcome = "too-large"
	OutcomeUnsupportedAlg  Outcome = "unsupported-alg"
	OutcomeForbiddenHeader Outcome = "forbidden-header"
	OutcomeWrongType       Outcome = "wrong-type"

	// Key and signature.
	OutcomeUnknownKey   Outcome = "unknown-key"
	OutcomeBadSignature Outcome = "bad-signature"

	// Claims.
	OutcomeUntrustedIssuer     Outcome = "untrusted-issuer"
	OutcomeMissingClaim        Outcome = "missing-claim"
	OutcomeExpired             Outcome = "expired"
	OutcomeNotYetValid         Outcome = "not-yet-valid"
	OutcomeWrongCredentialType Outcome = "wrong-credential-type"

	// Status list.
	OutcomeSuspended     Outcome = "suspended"
	OutcomeRevoked       Outcome = "revoked"
	OutcomeStatusUnknown Outcome = "status-unknown"
	// OutcomeStatusNotChecked: the signature, issuer and dates are good,
	// but nobody checked whether the credential was suspended or revoked
	// (no status checker, a signature-only check asked for with
	// WithoutStatusCheck, or a credential with no status entry). It is not
	// valid: a suspended credential would look exactly like this.
	OutcomeStatusNotChecked Outcome = "status-not-checked"
)

// Sentinel errors, one per outcome other than valid: Result.Err wraps the
// one for its outcome, so errors.Is(res.Err(), verifier.ErrExpired) works.
var (
	ErrMalformed           = errors.New("credential malformed")
	ErrTooLarge            = errors.New("credential too large")
	ErrUnsupportedAlg      = errors.New("unsupported signing algorithm")
	ErrForbiddenHeader     = errors.New("forbidden header parameter")
	ErrWrongType           = errors.New("wrong token type")
	ErrUnknownKey          = errors.New("unknown signing key")
	ErrBadSignature        = errors.New("bad signature")
	ErrUntrustedIssuer     = errors.New("untrusted issuer")
	ErrMissingClaim        = errors.New("missing claim")
	ErrExpired             = errors.New("credential expired")
	ErrNotYetValid         = errors.New("credential not yet valid")
	ErrWrongCredentialType = errors.New("wrong credential type")
	ErrSuspended           = errors.New("credential suspended")
	ErrRevoked             = errors.New("credential revoked")
	ErrStatusUnknown       = errors.New("credential status unknown")
	ErrStatusNotChecked    = errors.New("credential status not checked")
)

var outcomeErrors = map[Outcome]error{
	OutcomeMalformed:           ErrMalformed,
	OutcomeTooLarge:            ErrTooLarge,
	OutcomeUnsupportedAlg:      ErrUnsupportedAlg,
	OutcomeForbiddenHeader:     ErrForbiddenHeader,
	OutcomeWrongType:           ErrWrongType,
	OutcomeUnknownKey:          ErrUnknownKey,
	OutcomeBadSignature:        ErrBadSignature,
	OutcomeUntrustedIssuer:     ErrUntrustedIssuer,
	OutcomeMissingClaim:        ErrMissingClaim,
	OutcomeExpired:             ErrExpired,
	OutcomeNotYetValid:         ErrNotYetValid,
	OutcomeWrongCredentialType: ErrWrongCredentialType,
	OutcomeSuspended:           ErrSuspended,
	OutcomeRevoked:             ErrRevoked,
	OutcomeStatusUnknown:       ErrStatusUnknown,
	OutcomeStatusNotChecked:    ErrStatusNotChecked,
}

// Result is what Verify found.
type Result struct {
	// Valid is true only when Outcome is OutcomeValid.
	Valid   bool
	Outcome Outcome
	// Reason is one sentence for a person saying what was wrong (or, when
	// valid, what was checked).
	Reason string
	// Claims is set once the signature has verified, even when the
	// credential is not valid for another reason (so a screen can say
	// whose credential expired); it is nil otherwise, because unverified
	// claims must not be shown as if they meant anything.
	Claims *credential.Claims
	// KeyID is the trusted key that verified the signature, when it did.
	KeyID string
	// Issuer is the trusted issuer of the key that verified the signature.
	Issuer string
	// Status is what the status step found; Status.Checked is false when
	// it did not run.
	Status StatusInfo

	cause error
}

// Err returns nil for a valid credential and otherwise an *Error wrapping
// the outcome's sentinel error (and the underlying cause, if any).
func (r *Result) Err() error {
	if r.Valid {
		return nil
	}
	return &Error{Outcome: r.Outcome, Reason: r.Reason, cause: r.cause}
}

// Error is the error form of an invalid Result.
type Error struct {
	Outcome Outcome
	Reason  string
	cause   error
}

func (e *Error) Error() string { return "verifier: " + string(e.Outcome) + ": " + e.Reason }

// Unwrap returns the outcome's sentinel error and the cause, if any.
func (e *Error) Unwrap() []error {
	errs := []error{outcomeErrors[e.Outcome]}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}
