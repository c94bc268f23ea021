package register

import "errors"

// Sentinel errors of the register. Every error the register returns wraps one
// of them, so that the HTTP layer can map it to a status code with errors.Is
// while the message keeps the detail a person needs.
var (
	// ErrInvalid means the request itself is wrong: a missing reason, a bad
	// date, an unknown nation. Nothing was changed.
	ErrInvalid = errors.New("invalid request")
	// ErrNotFound means the registrant, token or key does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the request is well formed but the register's rules
	// forbid it in the current state, e.g. reinstating someone who is not
	// suspended. Nothing was changed.
	ErrConflict = errors.New("not allowed in the current state")
	// ErrUnauthenticated means no valid API token was presented.
	ErrUnauthenticated = errors.New("not authenticated")
	// ErrForbidden means the token's role may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrUnavailable means the register cannot take changes right now (not
	// the leader, shutting down, or not yet caught up).
	ErrUnavailable = errors.New("register unavailable")
	// ErrDiskFull means the register's disk is full: the change was not
	// written, so nothing was changed. Changes are taken again by
	// themselves once space is freed.
	ErrDiskFull = errors.New("the register's disk is full")
)
