package staff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/nalw/linkpass/issuer/register"
)

// SetupValidity is how long a setup link works.
const SetupValidity = 24 * time.Hour

// Reader is what the service reads of the register's state.
type Reader interface {
	StaffAccount(id string) (*Account, error)
	StaffAccountByEmail(email string) (*Account, error)
	StaffAccountBySetupHash(hash []byte) (*Account, error)
	StaffAccounts() ([]*Account, error)
}

// Config configures a Service.
type Config struct {
	// State returns the current state for reads (it changes after a
	// snapshot restore, so it is fetched for each use).
	State func() Reader
	// Apply writes a change to the register's log on behalf of actor and
	// returns the applied result (an *Account).
	Apply func(ctx context.Context, actor register.Actor, ch Change) (any, error)
	// Clock is the register's clock; tests move it.
	Clock func() time.Time
	// IssuerURL is the register's public base URL: setup links start with
	// it, and passkeys are bound to its host.
	IssuerURL string
	// RegisterName names the register in authenticator apps.
	RegisterName string
	// Password is argon2id's cost; zero means DefaultPasswordParams.
	Password PasswordParams
	// Lockout is the failed sign-in policy; zero means DefaultLockout.
	Lockout LockoutPolicy
}

// Validate returns the first problem with c.
func (c Config) Validate() error {
	if c.State == nil || c.Apply == nil {
		return errors.New("staff: config: State and Apply are required")
	}
	if err := register.ValidateIssuerURL(c.IssuerURL); err != nil {
		return fmt.Errorf("staff: config: %w", err)
	}
	return nil
}

// Service is the one set of staff account operations: the API, the CLI
// (through the API) and the console all call it. It is safe for concurrent
// use.
type Service struct {
	cfg      Config
	sessions *sessions
	limiter  *limiter
	hashing  chan struct{}
	// dummy is hashed against when the email is unknown, so that a wrong
	// email takes as long as a wrong password.
	dummy     string
	dummyOnce sync.Once
	webauthn  *webauthn.WebAuthn
	// noPasskeys says why passkeys are not available, if they are not.
	noPasskeys string
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Password == (PasswordParams{}) {
		cfg.Password = DefaultPasswordParams
	}
	if cfg.Lockout == (LockoutPolicy{}) {
		cfg.Lockout = DefaultLockout
	}
	if cfg.RegisterName == "" {
		cfg.RegisterName = register.DefaultRegisterName
	}
	s := &Service{cfg: cfg, sessions: newSessions(), limiter: newLimiter(cfg.Lockout), hashing: make(chan struct{}, 2)}
	u, _ := url.Parse(cfg.IssuerURL)
	if net.ParseIP(u.Hostname()) != nil {
		s.noPasskeys = "passkeys need the register to be reached by a host name (such as localhost), not an IP address"
	} else {
		wa, err := webauthn.New(&webauthn.Config{
			RPID: u.Hostname(), RPDisplayName: cfg.RegisterName, RPOrigins: []string{u.Scheme + "://" + u.Host},
			AttestationPreference: protocol.PreferNoAttestation,
			AuthenticatorSelection: protocol.AuthenticatorSelection{
				ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationPreferred,
			},
		})
		if err != nil {
			return nil, fmt.Errorf("staff: passkeys: %w", err)
		}
		s.webauthn = wa
	}
	return s, nil
}

// PasskeysAvailable says whether passkeys can be registered here, and if
// not, why.
func (s *Service) PasskeysAvailable() (bool, string) { return s.webauthn != nil, s.noPasskeys }

// Secure reports whether the register is served over https, which decides
// the session cookie's name and Secure flag.
func (s *Service) Secure() bool { return strings.HasPrefix(s.cfg.IssuerURL, "https://") }

// ActorFor is the actor a staff member's changes are recorded under.
func ActorFor(a *Account) register.Actor {
	return register.Actor{Staff: a.ID, Role: a.Role}
}

func (s *Service) now() time.Time { return s.cfg.Clock() }

func (s *Service) apply(ctx context.Context, actor register.Actor, ch Change) (*Account, error) {
	res, err := s.cfg.Apply(ctx, actor, ch)
	if err != nil {
		return nil, err
	}
	a, ok := res.(*Account)
	if !ok {
		return nil, fmt.Errorf("staff: applying %T returned %T", ch, res)
	}
	return a, nil
}

// Accounts returns every account.
func (s *Service) Accounts() ([]*Account, error) { return s.cfg.State().StaffAccounts() }

// Account returns one account.
func (s *Service) Account(id string) (*Account, error) { return s.cfg.State().StaffAccount(id) }

func (s *Service) newSetup() (token string, hash []byte, expires time.Time) {
	token = newSecret()
	return token, setupHash(token), s.now().Add(SetupValidity)
}

func setupHash(token string) []byte { return hashSecret("setup:" + token) }

func (s *Service) setupURL(token string) string { return s.cfg.IssuerURL + "/setup/" + token }

// Add creates an account and returns it with its setup link, which is
// shown once and never stored.
func (s *Service) Add(ctx context.Context, actor register.Actor, n NewAccount) (*Account, string, error) {
	n.Email = NormalEmail(n.Email)
	if err := n.Validate(); err != nil {
		return nil, "", err
	}
	if _, err := s.cfg.State().StaffAccountByEmail(n.Email); err == nil {
		return nil, "", fmt.Errorf("%w: there is already a staff account for %s", register.ErrConflict, n.Email)
	}
	token, hash, exp := s.newSetup()
	a, err := s.apply(ctx, actor, Add{Account: Account{
		ID: newID(), Name: strings.TrimSpace(n.Name), Email: n.Email, Role: n.Role, Provider: n.Provider,
		SetupHash: hash, SetupExpires: exp, WebAuthnID: randomBytes(32),
	}})
	if err != nil {
		return nil, "", err
	}
	return a, s.setupURL(token), nil
}

// Disable disables an account and ends its sessions.
func (s *Service) Disable(ctx context.Context, actor register.Actor, id, reason string) (*Account, error) {
	if actor.Staff == id {
		return nil, fmt.Errorf("%w: you cannot disable your own account; ask another admin", register.ErrConflict)
	}
	a, err := s.apply(ctx, actor, Disable{ID: id, Reason: reason})
	if err != nil {
		return nil, err
	}
	s.sessions.deleteAccount(id)
	return a, nil
}

// ResetSecondFactor clears an account's password and second factor, ends
// its sessions and returns a new setup link.
func (s *Service) ResetSecondFactor(ctx context.Context, actor register.Actor, id, reason string) (*Account, string, error) {
	token, hash, exp := s.newSetup()
	a, err := s.apply(ctx, actor, ResetSecondFactor{ID: id, Reason: reason, SetupHash: hash, SetupExpires: exp})
	if err != nil {
		return nil, "", err
	}
	s.sessions.deleteAccount(id)
	return a, s.setupURL(token), nil
}

// Setup.

// OpenSetup starts account setup from the secret of a setup link and
// returns the setup session's id.
func (s *Service) OpenSetup(token string) (string, *Account, error) {
	if token == "" || len(token) > 100 {
		return "", nil, ErrSetupLink
	}
	h := setupHash(token)
	a, err := s.cfg.State().StaffAccountBySetupHash(h)
	if err != nil || a.Status != Invited || !s.now().Before(a.SetupExpires) {
		return "", nil, ErrSetupLink
	}
	id, err := s.sessions.create(&Session{AccountID: a.ID, Stage: StageSetup, setupHash: h}, s.now())
	return id, a, err
}

// ErrNoSession is wrapped when a session is missing, expired or at
// another stage.
var ErrNoSession = fmt.Errorf("%w: your session has ended; sign in again", register.ErrUnauthenticated)

// SetupSession returns a setup session and its account.
func (s *Service) SetupSession(sid string) (*Session, *Account, error) {
	ss, ok := s.sessions.get(sid, s.now(), false)
	if !ok || ss.Stage != StageSetup {
		return nil, nil, ErrNoSession
	}
	a, err := s.cfg.State().StaffAccount(ss.AccountID)
	if err != nil || a.Status != Invited || !bytes.Equal(a.SetupHash, ss.setupHash) {
		return nil, nil, ErrSetupLink
	}
	return ss, a, nil
}

// HasPassword reports whether the setup session has a chosen password.
func (ss *Session) HasPassword() bool { return ss.passwordHash != "" }

// hash runs argon2id with at most a few hashes at once.
func (s *Service) hash(ctx context.Context, fn func()) error {
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%w: %v", register.ErrUnavailable, ctx.Err())
	}
	defer func() { <-s.hashing }()
	fn()
	return nil
}

// ChoosePassword records the password chosen at setup (its hash, in the
// session until the second factor is registered).
func (s *Service) ChoosePassword(ctx context.Context, sid, password, confirm string) error {
	_, a, err := s.SetupSession(sid)
	if err != nil {
		return err
	}
	if err := CheckPassword(password); err != nil {
		return err
	}
	if password != confirm {
		return fmt.Errorf("%w: the two passwords are not the same; type it again in both boxes", register.ErrInvalid)
	}
	if strings.EqualFold(password, a.Email) {
		return fmt.Errorf("%w: the password must not be your email address", register.ErrInvalid)
	}
	var h string
	if err := s.hash(ctx, func() { h = HashPassword(password, s.cfg.Password) }); err != nil {
		return err
	}
	s.sessions.update(sid, func(ss *Session) { ss.passwordHash = h })
	return nil
}

// TOTPSetup is what an authenticator app needs.
type TOTPSetup struct {
	// Secret is the key in base32, for typing in.
	Secret string
	// URL is the otpauth:// URL a QR code carries.
	URL string
}

// BeginTOTP returns the authenticator app key for the setup session,
// making one the first time.
func (s *Service) BeginTOTP(sid string) (TOTPSetup, error) {
	ss, a, err := s.SetupSession(sid)
	if err != nil {
		return TOTPSetup{}, err
	}
	if !ss.HasPassword() {
		return TOTPSetup{}, fmt.Errorf("%w: choose a password first", register.ErrConflict)
	}
	if ss.totpSecret != "" {
		return TOTPSetup{Secret: ss.totpSecret, URL: ss.totpURL}, nil
	}
	k, err := newTOTP(s.cfg.RegisterName, a.Email)
	if err != nil {
		return TOTPSetup{}, err
	}
	s.sessions.update(sid, func(ss *Session) { ss.totpSecret, ss.totpURL = k.Secret(), k.URL() })
	return TOTPSetup{Secret: k.Secret(), URL: k.URL()}, nil
}

// FinishTOTP checks a code from the authenticator app and activates the
// account. It returns the recovery codes, to be shown once.
func (s *Service) FinishTOTP(ctx context.Context, sid, code string) ([]string, error) {
	ss, a, err := s.SetupSession(sid)
	if err != nil {
		return nil, err
	}
	if !ss.HasPassword() || ss.totpSecret == "" {
		return nil, fmt.Errorf("%w: choose a password and add the key to your app first", register.ErrConflict)
	}
	step := checkTOTP(code, ss.totpSecret, s.now())
	if step == 0 {
		return nil, fmt.Errorf("%w: that code is not right: type the 6-digit code your app shows now for this account (check the phone's clock is set automatically)", register.ErrInvalid)
	}
	codes, hashes := newRecoveryCodes()
	_, err = s.apply(ctx, ActorFor(a), Activate{ID: a.ID, SetupHash: ss.setupHash, PasswordHash: ss.passwordHash,
		Factor: FactorTOTP, TOTPSecret: ss.totpSecret, TOTPStep: step, RecoveryHashes: hashes})
	if err != nil {
		return nil, err
	}
	s.setupDone(sid, codes)
	return codes, nil
}

// setupDone keeps the recovery codes in the session until they are shown.
func (s *Service) setupDone(sid string, codes []string) {
	s.sessions.update(sid, func(ss *Session) {
		ss.Stage, ss.RecoveryCodes = StageSetupDone, codes
		ss.passwordHash, ss.totpSecret, ss.totpURL, ss.ceremony = "", "", "", nil
	})
}

// TakeRecoveryCodes returns the recovery codes of a finished setup, once,
// and ends the setup session.
func (s *Service) TakeRecoveryCodes(sid string) ([]string, *Account, error) {
	ss, ok := s.sessions.get(sid, s.now(), false)
	if !ok || ss.Stage != StageSetupDone {
		return nil, nil, ErrNoSession
	}
	s.sessions.delete(sid)
	a, err := s.cfg.State().StaffAccount(ss.AccountID)
	if err != nil {
		return nil, nil, err
	}
	return ss.RecoveryCodes, a, nil
}

// waUser adapts an account to go-webauthn.
type waUser struct {
	a     *Account
	creds []webauthn.Credential
}

func newWAUser(a *Account) (*waUser, error) {
	u := &waUser{a: a}
	for _, p := range a.Passkeys {
		var c webauthn.Credential
		if err := json.Unmarshal(p.Credential, &c); err != nil {
			return nil, fmt.Errorf("staff: passkey record of %s: %w", a.ID, err)
		}
		u.creds = append(u.creds, c)
	}
	return u, nil
}

func (u *waUser) WebAuthnID() []byte                         { return u.a.WebAuthnID }
func (u *waUser) WebAuthnName() string                       { return u.a.Email }
func (u *waUser) WebAuthnDisplayName() string                { return u.a.Name }
func (u *waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func (s *Service) needPasskeys() error {
	if s.webauthn == nil {
		return fmt.Errorf("%w: %s; use an authenticator app instead", register.ErrConflict, s.noPasskeys)
	}
	return nil
}

// BeginPasskeySetup starts registering a passkey and returns the options
// for navigator.credentials.create, as JSON.
func (s *Service) BeginPasskeySetup(sid string) ([]byte, error) {
	if err := s.needPasskeys(); err != nil {
		return nil, err
	}
	ss, a, err := s.SetupSession(sid)
	if err != nil {
		return nil, err
	}
	if !ss.HasPassword() {
		return nil, fmt.Errorf("%w: choose a password first", register.ErrConflict)
	}
	u, err := newWAUser(a)
	if err != nil {
		return nil, err
	}
	creation, cer, err := s.webauthn.BeginRegistration(u)
	if err != nil {
		return nil, fmt.Errorf("staff: starting passkey registration: %w", err)
	}
	s.sessions.update(sid, func(ss *Session) { ss.ceremony = cer })
	return json.Marshal(creation)
}

// FinishPasskeySetup checks the browser's answer to BeginPasskeySetup and
// activates the account. It returns the recovery codes.
func (s *Service) FinishPasskeySetup(ctx context.Context, sid string, body []byte) ([]string, error) {
	if err := s.needPasskeys(); err != nil {
		return nil, err
	}
	ss, a, err := s.SetupSession(sid)
	if err != nil {
		return nil, err
	}
	if !ss.HasPassword() || ss.ceremony == nil {
		return nil, fmt.Errorf("%w: start adding the passkey again", register.ErrConflict)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return nil, fmt.Errorf("%w: the browser's passkey answer could not be read: %v", register.ErrInvalid, err)
	}
	u, err := newWAUser(a)
	if err != nil {
		return nil, err
	}
	cred, err := s.webauthn.CreateCredential(u, *ss.ceremony, parsed)
	if err != nil {
		return nil, fmt.Errorf("%w: the passkey was not accepted: %v", register.ErrInvalid, err)
	}
	pk, err := passkeyOf(cred, s.now())
	if err != nil {
		return nil, err
	}
	codes, hashes := newRecoveryCodes()
	_, err = s.apply(ctx, ActorFor(a), Activate{ID: a.ID, SetupHash: ss.setupHash, PasswordHash: ss.passwordHash,
		Factor: FactorPasskey, Passkey: pk, RecoveryHashes: hashes})
	if err != nil {
		return nil, err
	}
	s.setupDone(sid, codes)
	return codes, nil
}

func passkeyOf(c *webauthn.Credential, at time.Time) (*Passkey, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("staff: encoding passkey: %w", err)
	}
	return &Passkey{ID: c.ID, Credential: b, AddedAt: at}, nil
}

// Sign-in.

// SignInPassword checks an email and password. On success it returns a
// session that still needs the second factor, and which factor that is.
func (s *Service) SignInPassword(ctx context.Context, email, password string) (string, Factor, error) {
	key := NormalEmail(email)
	now := s.now()
	if err := s.limiter.check(key, now); err != nil {
		return "", "", err
	}
	if len(password) > MaxPasswordLen*4 {
		password = password[:MaxPasswordLen*4]
	}
	a, err := s.cfg.State().StaffAccountByEmail(key)
	// An account made by single sign-on has no password: like an unknown
	// email, it is hashed against the dummy and refused.
	if err != nil || a.Status != Active || a.PasswordHash == "" {
		_ = s.hash(ctx, func() {
			s.dummyOnce.Do(func() { s.dummy = HashPassword(newSecret(), s.cfg.Password) })
			_, _ = VerifyPassword(password, s.dummy)
		})
		return "", "", s.failed(ctx, key, nil)
	}
	if a.Locked(now) {
		return "", "", lockedErr(a.LockedUntil)
	}
	var ok bool
	var verr error
	if err := s.hash(ctx, func() { ok, verr = VerifyPassword(password, a.PasswordHash) }); err != nil {
		return "", "", err
	}
	if verr != nil {
		return "", "", fmt.Errorf("staff: account %s: %w", a.ID, verr)
	}
	if !ok {
		return "", "", s.failed(ctx, key, a)
	}
	id, err := s.sessions.create(&Session{AccountID: a.ID, Stage: StageSecondFactor}, now)
	return id, a.Factor, err
}

func lockedErr(until time.Time) error {
	return fmt.Errorf("%w until %s UTC. Wait until then, or ask an admin to reset your second factor", ErrLocked, until.UTC().Format("15:04"))
}

// failed counts a failure; after enough of them in a row it locks the
// account in the register.
func (s *Service) failed(ctx context.Context, key string, a *Account) error {
	now := s.now()
	n := s.limiter.fail(key, now)
	p := s.cfg.Lockout
	if n >= p.LockAfter {
		until := now.Add(p.LockFor)
		if a != nil {
			if _, err := s.apply(ctx, register.System, Lock{ID: a.ID, Until: until, Failures: n}); err != nil {
				return err
			}
		}
		return lockedErr(until)
	}
	if left := p.LockAfter - n; left <= p.LockAfter-p.FreeFailures {
		return fmt.Errorf("%w. After %d more failed attempts the account is locked for %s", ErrSignIn, left, waitWords(p.LockFor))
	}
	return ErrSignIn
}

// PendingSignIn returns a session waiting for its second factor.
func (s *Service) PendingSignIn(sid string) (*Session, *Account, error) {
	ss, ok := s.sessions.get(sid, s.now(), false)
	if !ok || ss.Stage != StageSecondFactor {
		return nil, nil, ErrNoSession
	}
	a, err := s.cfg.State().StaffAccount(ss.AccountID)
	if err != nil || a.Status != Active {
		return nil, nil, ErrNoSession
	}
	return ss, a, nil
}

// looksLikeRecoveryCode tells a recovery code from a 6-digit code.
func looksLikeRecoveryCode(code string) bool {
	return len(strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, code)) == 16
}

// SignInCode completes sign-in with a code from the authenticator app or a
// recovery code. It returns the new signed-in session's id; the pending
// session ends.
func (s *Service) SignInCode(ctx context.Context, sid, code string) (string, error) {
	_, a, err := s.PendingSignIn(sid)
	if err != nil {
		return "", err
	}
	if err := s.limiter.check(a.Email, s.now()); err != nil {
		return "", err
	}
	ch := SignIn{ID: a.ID, Factor: a.Factor}
	if looksLikeRecoveryCode(code) {
		ch.RecoveryHash = hashRecoveryCode(code)
	} else if a.Factor == FactorTOTP {
		ch.TOTPStep = checkTOTP(code, a.TOTPSecret, s.now())
		if ch.TOTPStep == 0 {
			return "", s.failed(ctx, a.Email, a)
		}
	} else {
		return "", s.failed(ctx, a.Email, a)
	}
	return s.complete(ctx, sid, a, ch)
}

// complete records a sign-in and swaps the pending session for a new
// signed-in one, so that an id seen before sign-in is worth nothing after.
func (s *Service) complete(ctx context.Context, sid string, a *Account, ch SignIn) (string, error) {
	n, err := s.apply(ctx, ActorFor(a), ch)
	if errors.Is(err, ErrSignIn) {
		return "", s.failed(ctx, a.Email, a)
	}
	if err != nil {
		return "", err
	}
	s.limiter.succeed(a.Email)
	s.sessions.delete(sid)
	return s.sessions.create(&Session{AccountID: n.ID, Epoch: n.SessionEpoch, Stage: StageSignedIn}, s.now())
}

// BeginPasskeySignIn returns the options for navigator.credentials.get.
func (s *Service) BeginPasskeySignIn(sid string) ([]byte, error) {
	if err := s.needPasskeys(); err != nil {
		return nil, err
	}
	_, a, err := s.PendingSignIn(sid)
	if err != nil {
		return nil, err
	}
	u, err := newWAUser(a)
	if err != nil {
		return nil, err
	}
	if len(u.creds) == 0 {
		return nil, fmt.Errorf("%w: this account has no passkey; use your authenticator app or a recovery code", register.ErrConflict)
	}
	assertion, cer, err := s.webauthn.BeginLogin(u)
	if err != nil {
		return nil, fmt.Errorf("staff: starting passkey sign-in: %w", err)
	}
	s.sessions.update(sid, func(ss *Session) { ss.ceremony = cer })
	return json.Marshal(assertion)
}

// FinishPasskeySignIn checks the browser's answer and completes sign-in.
func (s *Service) FinishPasskeySignIn(ctx context.Context, sid string, body []byte) (string, error) {
	if err := s.needPasskeys(); err != nil {
		return "", err
	}
	ss, a, err := s.PendingSignIn(sid)
	if err != nil {
		return "", err
	}
	if err := s.limiter.check(a.Email, s.now()); err != nil {
		return "", err
	}
	if ss.ceremony == nil {
		return "", fmt.Errorf("%w: start signing in with the passkey again", register.ErrConflict)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return "", s.failed(ctx, a.Email, a)
	}
	u, err := newWAUser(a)
	if err != nil {
		return "", err
	}
	cred, err := s.webauthn.ValidateLogin(u, *ss.ceremony, parsed)
	if err != nil {
		return "", s.failed(ctx, a.Email, a)
	}
	pk, err := passkeyOf(cred, time.Time{})
	if err != nil {
		return "", err
	}
	for _, old := range a.Passkeys {
		if bytes.Equal(old.ID, pk.ID) {
			pk.AddedAt = old.AddedAt
		}
	}
	return s.complete(ctx, sid, a, SignIn{ID: a.ID, Factor: FactorPasskey, Passkey: pk})
}

// Session returns the signed-in session with id and its account, and
// records its use. A session has ended if it is idle or old, if the account
// is no longer active, or if its owner signed out everywhere since.
func (s *Service) Session(sid string) (*Session, *Account, error) {
	if sid == "" {
		return nil, nil, ErrNoSession
	}
	ss, ok := s.sessions.get(sid, s.now(), true)
	if !ok || ss.Stage != StageSignedIn {
		return nil, nil, ErrNoSession
	}
	a, err := s.cfg.State().StaffAccount(ss.AccountID)
	if err != nil || a.Status != Active || a.SessionEpoch != ss.Epoch {
		s.sessions.delete(sid)
		return nil, nil, ErrNoSession
	}
	return ss, a, nil
}

// SignOut ends one session.
func (s *Service) SignOut(sid string) { s.sessions.delete(sid) }

// SignOutAll ends every session of the signed-in account, on every node.
func (s *Service) SignOutAll(ctx context.Context, sid string) error {
	_, a, err := s.Session(sid)
	if err != nil {
		return err
	}
	if _, err := s.apply(ctx, ActorFor(a), SignOutAll{ID: a.ID}); err != nil {
		return err
	}
	s.sessions.deleteAccount(a.ID)
	return nil
}
