package verifier

import (
	"context"
	"time"

	"github.com/nalw/linkpass/credential"
)

// StatusChecker looks up a credential's entry in its issuer's Token Status
// List (draft-ietf-oauth-status-list), online or from a synced bundle.
type StatusChecker interface {
	// CheckStatus returns the status of the entry ref of issuer's list.
	// An error means the status could not be established; the credential
	// is then not valid (OutcomeStatusUnknown).
	CheckStatus(ctx context.Context, issuer string, ref credential.StatusListRef) (StatusInfo, error)
}

// Status values of StatusInfo.Status.
const (
	StatusValid     = "valid"
	StatusSuspended = "suspended"
	StatusRevoked   = "revoked"
	StatusUnknown   = "unknown"
)

// StatusInfo is the result of a status check.
type StatusInfo struct {
	// Checked is true when a StatusChecker ran for this credential.
	Checked bool
	// Status is StatusValid, StatusSuspended, StatusRevoked or StatusUnknown.
	Status string
	// ListIssuedAt is when the status list consulted was issued.
	ListIssuedAt time.Time
	// Stale is true when the list consulted is older than its issuer's
	// stated time to live; the checker decides whether that is an error.
	Stale bool
	// Reason explains the status to a person, if the checker has more to say.
	Reason string
}

// checkStatus runs the StatusChecker for a credential whose signature and
// claims have passed.
func (v *Verifier) checkStatus(ctx context.Context, res *Result, c *credential.Claims) *Result {
	info, err := v.status.CheckStatus(ctx, c.Iss, c.Status.StatusList)
	info.Checked = true
	res.Status = info
	if err != nil {
		return res.fail(OutcomeStatusUnknown, err, "the credential's status could not be checked: %v", err)
	}
	switch info.Status {
	case StatusValid:
		res.ok()
		if info.Stale && info.Reason != "" {
			res.Reason += " (" + info.Reason + ")"
		}
		return res
	case StatusSuspended:
		return res.fail(OutcomeSuspended, nil, "the credential is suspended%s", since(info))
	case StatusRevoked:
		return res.fail(OutcomeRevoked, nil, "the credential has been revoked%s", since(info))
	default:
		return res.fail(OutcomeStatusUnknown, nil, "the credential's status is unknown%s", since(info))
	}
}

// since gives the checker's reason for a status (such as "status as of
// <iat>" from a stale list) or else which list the status came from.
func since(info StatusInfo) string {
	if info.Reason != "" {
		return " (" + info.Reason + ")"
	}
	if info.ListIssuedAt.IsZero() {
		return ""
	}
	return " (status list of " + formatTime(info.ListIssuedAt) + ")"
}
