package staff

import (
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/nalw/linkpass/issuer/register"
)

// Session timeouts.
const (
	// IdleTimeout ends a signed-in session not used for this long.
	IdleTimeout = 30 * time.Minute
	// AbsoluteTimeout ends a signed-in session this long after sign-in,
	// however busy.
	AbsoluteTimeout = 12 * time.Hour
	// PendingTimeout bounds the steps between a password and a second
	// factor, and account setup.
	PendingTimeout = 15 * time.Minute
)

// Stage is how far a session has got.
type Stage int

// Stages. Only StageSignedIn may use the console.
const (
	// StageSetup: a valid setup link was opened.
	StageSetup Stage = iota + 1
	// StageSecondFactor: the password was right; the second factor is
	// next.
	StageSecondFactor
	// StageSignedIn: signed in with both factors.
	StageSignedIn
	// StageSetupDone: setup finished; the recovery codes wait to be shown
	// once.
	StageSetupDone
)

// Session is a browser's session, held on the server. The browser holds
// only a random id; the store keys sessions by its hash, so a memory dump
// of the store does not give working cookies.
type Session struct {
	key       string
	AccountID string
	// Epoch is the account's session epoch when the session started.
	Epoch    uint64
	Stage    Stage
	Created  time.Time
	LastSeen time.Time
	// CSRF is the per-session token every state-changing form carries.
	CSRF string

	// Setup: the link's hash, the chosen password's hash and the second
	// factor being registered.
	setupHash    []byte
	passwordHash string
	totpSecret   string
	totpURL      string
	ceremony     *webauthn.SessionData
	// RecoveryCodes are shown once, right after setup.
	RecoveryCodes []string
}

// expired reports whether s has ended at now.
func (s *Session) expired(now time.Time) bool {
	if s.Stage != StageSignedIn {
		return now.Sub(s.Created) >= PendingTimeout
	}
	return now.Sub(s.LastSeen) >= IdleTimeout || now.Sub(s.Created) >= AbsoluteTimeout
}

// maxSessions bounds the store, so that a flood of sign-in attempts
// cannot exhaust memory.
const maxSessions = 50000

// sessions is the in-memory session store.
//
// Where sessions live: on the node that serves the console, in memory.
// Sign-out of all sessions, disabling and resets are written to the
// register (Account.SessionEpoch), so they hold on every node and
// survive a restart; a restart itself signs everyone out, which staff
// notice only as a sign-in page. A cluster (issue 14) serves the console
// from the leader, as it takes the writes, and a new leader signs staff
// out once; see docs/threat-model.md.
type sessions struct {
	mu   sync.Mutex
	byID map[string]*Session
}

func newSessions() *sessions { return &sessions{byID: map[string]*Session{}} }

func sessionKey(id string) string { return hex.EncodeToString(hashSecret("session:" + id)) }

// create stores a new session and returns its id, the cookie's value.
func (ss *sessions) create(s *Session, now time.Time) (string, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.byID) >= maxSessions {
		for k, old := range ss.byID {
			if old.expired(now) {
				delete(ss.byID, k)
			}
		}
		if len(ss.byID) >= maxSessions {
			return "", fmt.Errorf("%w: too many sessions; try again later", register.ErrUnavailable)
		}
	}
	id := newSecret()
	s.key, s.Created, s.LastSeen, s.CSRF = sessionKey(id), now, now, newSecret()
	ss.byID[s.key] = s
	return id, nil
}

// get returns a copy of the session with id, if it exists and has not
// expired; touch records its use.
func (ss *sessions) get(id string, now time.Time, touch bool) (*Session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	k := sessionKey(id)
	s, ok := ss.byID[k]
	if !ok {
		return nil, false
	}
	if s.expired(now) {
		delete(ss.byID, k)
		return nil, false
	}
	if touch {
		s.LastSeen = now
	}
	c := *s
	return &c, true
}

// update changes the session with id in place.
func (ss *sessions) update(id string, fn func(s *Session)) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if s, ok := ss.byID[sessionKey(id)]; ok {
		fn(s)
	}
}

// delete ends one session.
func (ss *sessions) delete(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byID, sessionKey(id))
}

// deleteAccount ends every session of an account on this node.
func (ss *sessions) deleteAccount(accountID string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for k, s := range ss.byID {
		if s.AccountID == accountID {
			delete(ss.byID, k)
		}
	}
}
