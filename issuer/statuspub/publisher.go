// Package statuspub publishes the register's status lists: it keeps a
// signed Status List Token for every list, built from the committed state,
// so that serving one is a map lookup. Compressing and signing happen here,
// never on the request path.
package statuspub

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/statuslist"
)

// Typ is the JOSE "typ" of a Status List Token.
const Typ = "statuslist+jwt"

// URI is where status list id of the register at issuerURL is published.
func URI(issuerURL, id string) string { return issuerURL + "/status/" + id }

// List is a signed Status List Token, ready to serve.
type List struct {
	ID       string
	URI      string
	Token    []byte
	ETag     string
	IssuedAt time.Time
	TTL      time.Duration
}

// Config is what the publisher needs from the register.
type Config struct {
	// State returns the current state store. It is called for every
	// rebuild because a snapshot restore replaces the store.
	State func() *state.Store
	// Signer returns the signer of the register's active signing key.
	Signer func() (keys.Signer, error)
	// Clock is the register's clock.
	Clock func() time.Time
	// TTL is how long verifiers may cache a token; tokens are re-signed
	// every half TTL even when nothing changed.
	TTL time.Duration
	// Validity is how long a token is valid (its exp).
	Validity time.Duration
	// Logger receives publishing failures.
	Logger *slog.Logger
	// Active, in a cluster, says whether this node signs: only the leader
	// does. The others serve the tokens the leader wrote to the log
	// (state.PublishedList), so every node serves the same token. Nil
	// means always (a register of one).
	Active func() bool
	// Replicate, in a cluster, writes freshly signed tokens to the log;
	// the leader serves them only once it has, so that a token it served
	// is never lost with it. index and built are what the tokens reflect.
	Replicate func(lists []*List, index, built uint64) error
	// Changes, if set, tells the publisher which status list entries the
	// log entries since its last build set (the FSM's journal), so that it
	// updates its lists in place instead of reading every credential of
	// every list. Nil means a full read at every build.
	Changes Changes
	// Coalesce is how long the publisher waits after a change that needs
	// signing before it signs, to take a burst in one build; 10 ms when
	// zero, none when negative. A change that leaves every list as served
	// is published at once.
	Coalesce time.Duration
}

// Changes is where the publisher learns what the log changed in its lists.
type Changes interface {
	// StatusChanges returns the entries set by the log entries after
	// `after` up to upto in store st, in log order, or false when it no
	// longer has them all.
	StatusChanges(st *state.Store, after, upto uint64) ([]fsm.StatusChange, bool)
	// TrimStatusChanges says changes up to upto are no longer needed.
	TrimStatusChanges(upto uint64)
}

// ErrClockBehind means the register's clock reads earlier than the last
// committed change or the last published list: a list signed now would be
// dated in the past, and could be expired on arrival.
var ErrClockBehind = errors.New("the register's clock is behind")

// ErrNotPublished means a change was committed but no list carrying it
// was published in time.
var ErrNotPublished = errors.New("status list not yet published")

// published is what is being served: the tokens, and the log index they
// are current for.
type published struct {
	lists map[string]*List
	// index is the last log index the lists reflect: every change at or
	// before it is in them.
	index uint64
	// built is the state's status index the lists were built from; a
	// later change that leaves it alone only moves index on.
	built uint64
	// at is when the lists were signed (their iat).
	at    time.Time
	store *state.Store
}

// Publisher keeps a signed Status List Token for every list. It rebuilds
// from one read transaction and watches from that same transaction, so a
// change committed while it rebuilds wakes it again: none is missed.
type Publisher struct {
	cfg Config
	cur atomic.Pointer[published]

	mu       sync.Mutex // serialises publishing
	encoders map[string]*statuslist.Encoder
	// lists are the entries of every list as of log index listsAt of
	// store listsOf, kept between builds so that a build sets only what
	// changed since (Config.Changes). Nil until the first build, and
	// after a failed one.
	lists    map[string]*statuslist.List
	listsAt  uint64
	listsOf  *state.Store
	basis    *basis // of the tokens built last
	refusing string // the refusal last logged, so each is logged once
	failures uint64 // failed attempts to publish, for the metrics

	nmu    sync.Mutex
	notify chan struct{} // closed and replaced at each publication
}

// New returns a publisher that has published nothing yet; call Rebuild
// before serving.
func New(cfg Config) *Publisher {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Publisher{cfg: cfg, encoders: map[string]*statuslist.Encoder{}, notify: make(chan struct{})}
}

// Published returns the current token of list id.
func (p *Publisher) Published(id string) (*List, bool) {
	if p.following() {
		// Straight from the register, so a follower serves a token as
		// soon as it holds it, as it does every other read.
		for _, l := range p.fromState() {
			if l.ID == id {
				return l, true
			}
		}
		return nil, false
	}
	cur := p.cur.Load()
	if cur == nil {
		return nil, false
	}
	l, ok := cur.lists[id]
	return l, ok
}

// Lists returns every current token, in list order.
func (p *Publisher) Lists() []*List {
	var out []*List
	if p.following() {
		out = p.fromState()
	} else {
		cur := p.cur.Load()
		if cur == nil {
			return nil
		}
		out = make([]*List, 0, len(cur.lists))
		for _, l := range cur.lists {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.Atoi(out[i].ID)
		b, _ := strconv.Atoi(out[j].ID)
		return a < b
	})
	return out
}

// Index returns the last log index the served lists reflect, and when
// they were signed.
func (p *Publisher) Index() (uint64, time.Time) {
	cur := p.cur.Load()
	if cur == nil {
		return 0, time.Time{}
	}
	return cur.index, cur.at
}

// Wait returns once the served lists reflect log index idx, with the time
// they were signed, or fails when ctx ends first.
func (p *Publisher) Wait(ctx context.Context, idx uint64) (time.Time, error) {
	for {
		p.nmu.Lock()
		ch := p.notify
		p.nmu.Unlock()
		if cur := p.cur.Load(); cur != nil && cur.index >= idx {
			return cur.at, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			have, _ := p.Index()
			return time.Time{}, fmt.Errorf("%w: the change at log index %d is committed, but the served status lists reflect only index %d: %v", ErrNotPublished, idx, have, ctx.Err())
		}
	}
}

func (p *Publisher) store(next *published) {
	p.cur.Store(next)
	p.nmu.Lock()
	close(p.notify)
	p.notify = make(chan struct{})
	p.nmu.Unlock()
}

// Rebuild signs a fresh token for every list from the committed state.
func (p *Publisher) Rebuild() error {
	_, _, err := p.publish(publishForce)
	return err
}

// How far publish may go.
type publishMode int

const (
	// publishDue signs when what the lists are built from changed, or
	// they are half way through their ttl.
	publishDue publishMode = iota
	// publishForce signs whatever changed.
	publishForce
	// publishUnsigned publishes only what needs no signing: changes that
	// leave every list as served (a credential issued into an entry that
	// reads valid already, say). It reports whether signing is pending.
	publishUnsigned
	// publishPolish signs as publishDue does, and also when lists served
	// were compressed quickly, to serve them at their smallest.
	publishPolish
)

// publish brings the served lists up to the committed state, re-signing
// them if anything they say changed, if they are half way through their
// ttl, or if forced. It returns a watch set, from the same read
// transaction, that fires on the next committed change, and whether
// changes wait to be signed (publishUnsigned only).
func (p *Publisher) publish(mode publishMode) (memdb.WatchSet, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.cfg.State()
	tx := st.ReadTxn()
	ws := memdb.NewWatchSet()
	if err := tx.WatchAny(ws); err != nil {
		return nil, false, err
	}
	idx, built := tx.Index(), tx.StatusIndex()
	if p.following() {
		// The leader signs: the lists this node kept (and the changes it
		// would need to bring them up to date) grow stale.
		p.lists = nil
		if p.cfg.Changes != nil {
			p.cfg.Changes.TrimStatusChanges(idx)
		}
		return ws, false, p.follow(tx, st, idx, built)
	}
	now := p.cfg.Clock()
	cur := p.cur.Load()
	if mode != publishForce && cur != nil && cur.store == st && now.Sub(cur.at) < p.cfg.TTL/2 &&
		(cur.built == built || p.unchanged(st, tx)) {
		// The served tokens say what a rebuild would: they reflect idx.
		if idx > cur.index {
			next := *cur
			next.index, next.built = idx, built
			p.store(&next)
		}
		if mode != publishPolish || !p.quick() {
			return ws, false, nil
		}
	}
	if mode == publishUnsigned {
		return ws, true, nil
	}
	// A change is served quickly: every write that changed a list waits
	// for it, and level 9 takes tens of milliseconds a dirty chunk, which
	// under a burst of re-issues is every chunk of every list. The lists
	// are compressed again at their smallest once the writes pause.
	err := p.sign(st, tx, now, cur, idx, built, mode == publishDue)
	return ws, false, err
}

// quick reports whether a list served was compressed quickly.
func (p *Publisher) quick() bool {
	for _, enc := range p.encoders {
		if enc.Quick() {
			return true
		}
	}
	return false
}

// sign signs and serves a token for every list of tx.
func (p *Publisher) sign(st *state.Store, tx *state.ReadTxn, now time.Time, cur *published, idx, built uint64, quick bool) error {
	// Never sign a list dated before what the register has already done
	// or published: with the clock set back it would be stale, or expired,
	// on arrival, and a verifier would drop a good list for it.
	if last := tx.LastAt(); now.Before(last) {
		return fmt.Errorf("%w: it reads %s, earlier than the last committed change at %s; keeping the lists published before until it is right", ErrClockBehind, now.UTC().Format(time.RFC3339), last.UTC().Format(time.RFC3339))
	}
	if cur != nil && now.Before(cur.at) {
		return fmt.Errorf("%w: it reads %s, earlier than the lists published at %s; keeping those until it is right", ErrClockBehind, now.UTC().Format(time.RFC3339), cur.at.Format(time.RFC3339))
	}
	next, err := p.build(st, tx, now, quick)
	if err != nil {
		return err
	}
	next.index, next.built, next.store = idx, built, st
	if p.cfg.Replicate != nil && len(next.lists) > 0 {
		lists := make([]*List, 0, len(next.lists))
		for _, l := range next.lists {
			lists = append(lists, l)
		}
		sort.Slice(lists, func(i, j int) bool { return lists[i].ID < lists[j].ID })
		if err := p.cfg.Replicate(lists, idx, built); err != nil {
			return fmt.Errorf("writing the signed status lists to the log: %w", err)
		}
	}
	p.store(next)
	return nil
}

// unchanged reports whether the tokens built last still say what a build
// from tx would: the same lists, issuer and signing key, and every status
// list entry set since reading as served. It then takes those changes
// into p.lists. Only a register of one asks: in a cluster, followers
// serve what the leader writes to the log, so the leader signs afresh.
func (p *Publisher) unchanged(st *state.Store, tx *state.ReadTxn) bool {
	b := p.basis
	if p.cfg.Replicate != nil || p.cfg.Changes == nil || p.lists == nil || p.listsOf != st || b == nil || b.store != st {
		return false
	}
	recs, err := tx.StatusLists()
	if err != nil || len(recs) != len(b.lists) {
		return false
	}
	for i, l := range recs {
		if k := b.lists[i]; l.ID != k.ID || l.Size != k.Size || l.Bits != k.Bits {
			return false
		}
	}
	if tx.Settings().IssuerURL != b.issuer {
		return false
	}
	if sg, err := p.cfg.Signer(); err != nil || sg.KeyID() != b.kid || sg.Algorithm() != b.alg {
		return false
	}
	idx := tx.Index()
	changes, ok := p.cfg.Changes.StatusChanges(st, p.listsAt, idx)
	if !ok {
		return false
	}
	for _, c := range changes {
		list := p.lists[c.List]
		if list == nil {
			return false
		}
		if v, err := list.Get(int(c.Idx)); err != nil || v != c.Value {
			return false
		}
	}
	p.listsAt = idx
	p.cfg.Changes.TrimStatusChanges(idx)
	return true
}

// basis is what the tokens built last were built from, besides the
// entries.
type basis struct {
	store    *state.Store
	lists    []register.StatusList
	issuer   string
	kid, alg string
}

// following reports whether this node serves the leader's tokens rather
// than signing its own.
func (p *Publisher) following() bool { return p.cfg.Active != nil && !p.cfg.Active() }

// fromState returns the tokens the leader last wrote to the log.
func (p *Publisher) fromState() []*List {
	recs, err := p.cfg.State().ReadTxn().PublishedLists()
	if err != nil {
		return nil
	}
	out := make([]*List, 0, len(recs))
	for _, r := range recs {
		out = append(out, listOf(r))
	}
	return out
}

func listOf(r *state.PublishedList) *List {
	return &List{ID: r.ID, URI: r.URI, Token: r.Token, ETag: r.ETag, IssuedAt: r.IssuedAt, TTL: r.TTL}
}

// follow serves the tokens the leader last wrote to the log. They reflect
// every later change too while nothing a list is built from has changed
// since they were built.
func (p *Publisher) follow(tx *state.ReadTxn, st *state.Store, idx, built uint64) error {
	recs, err := tx.PublishedLists()
	if err != nil {
		return err
	}
	next := &published{lists: make(map[string]*List, len(recs)), store: st}
	if len(recs) == 0 {
		// Nothing published yet: current only while there is no list.
		if lists, err := tx.StatusLists(); err != nil || len(lists) > 0 {
			return err
		}
		next.index = idx
		if cur := p.cur.Load(); cur == nil || cur.index != idx {
			p.store(next)
		}
		return nil
	}
	for _, r := range recs {
		next.lists[r.ID] = listOf(r)
		if r.Index > next.index {
			next.index, next.built, next.at = r.Index, r.Built, r.IssuedAt
		}
	}
	if built <= next.built {
		next.index = idx
	}
	if cur := p.cur.Load(); cur != nil && cur.store == st && cur.index == next.index && cur.at.Equal(next.at) && len(cur.lists) == len(next.lists) {
		return nil
	}
	p.store(next)
	return nil
}

// entries brings p.lists to the state of every list in tx (of store st)
// and returns them with their records: by setting the entries the log
// changed since the last build when Config.Changes has them, otherwise by
// reading every credential of every list.
func (p *Publisher) entries(st *state.Store, tx *state.ReadTxn) ([]*register.StatusList, error) {
	recs, err := tx.StatusLists()
	if err != nil {
		return nil, err
	}
	idx := tx.Index()
	if p.lists != nil && p.listsOf == st && p.listsAt <= idx && p.cfg.Changes != nil {
		if changes, ok := p.cfg.Changes.StatusChanges(st, p.listsAt, idx); ok {
			if err := p.apply(recs, changes); err == nil {
				p.listsAt = idx
				p.cfg.Changes.TrimStatusChanges(idx)
				return recs, nil
			}
			// A change the kept lists cannot take: read everything.
		}
	}
	p.lists = nil
	lists := make(map[string]*statuslist.List, len(recs))
	for _, l := range recs {
		list, err := statuslist.New(l.Bits, l.Size)
		if err != nil {
			return nil, fmt.Errorf("status list %s: %w", l.ID, err)
		}
		err = tx.EachEntryInList(l.ID, func(idx uint64, status register.CredentialStatus) error {
			if v := status.StatusValue(); v != 0 {
				return list.Set(int(idx), v)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("status list %s: %w", l.ID, err)
		}
		lists[l.ID] = list
	}
	p.lists, p.listsAt, p.listsOf = lists, idx, st
	if p.cfg.Changes != nil {
		p.cfg.Changes.TrimStatusChanges(idx)
	}
	return recs, nil
}

// apply sets changes in p.lists, opening the lists of recs it does not
// have yet (every entry of a list opened since the last build is among
// the changes). On an error p.lists is dropped.
func (p *Publisher) apply(recs []*register.StatusList, changes []fsm.StatusChange) error {
	for _, l := range recs {
		if p.lists[l.ID] == nil {
			list, err := statuslist.New(l.Bits, l.Size)
			if err != nil {
				p.lists = nil
				return err
			}
			p.lists[l.ID] = list
		}
	}
	for _, c := range changes {
		list := p.lists[c.List]
		if list == nil {
			p.lists = nil
			return fmt.Errorf("status list %s: not recorded", c.List)
		}
		if err := list.Set(int(c.Idx), c.Value); err != nil {
			p.lists = nil
			return fmt.Errorf("status list %s: %w", c.List, err)
		}
	}
	return nil
}

// build signs a token for every list in tx, of store st.
func (p *Publisher) build(st *state.Store, tx *state.ReadTxn, now time.Time, quick bool) (*published, error) {
	lists, err := p.entries(st, tx)
	if err != nil {
		return nil, err
	}
	signer, err := p.cfg.Signer()
	if err != nil {
		return nil, err
	}
	issuerURL := tx.Settings().IssuerURL
	b := &basis{store: st, issuer: issuerURL, kid: signer.KeyID(), alg: signer.Algorithm(), lists: make([]register.StatusList, len(lists))}
	for i, l := range lists {
		b.lists[i] = *l
	}
	p.basis = nil
	iat := now.UTC().Truncate(time.Second)
	// The log index of the snapshot the lists are built from: it orders
	// two tokens signed in the same second (verifiers refuse a list whose
	// seq goes down).
	seq := tx.Index()
	out := make(map[string]*List, len(lists))
	for _, l := range lists {
		list := p.lists[l.ID]
		enc := p.encoders[l.ID]
		if enc == nil {
			enc = statuslist.NewEncoder()
			p.encoders[l.ID] = enc
		}
		claim := enc.Claim
		if quick {
			claim = enc.ClaimQuick
		}
		lst, err := claim(list)
		if err != nil {
			return nil, fmt.Errorf("status list %s: %w", l.ID, err)
		}
		uri := URI(issuerURL, l.ID)
		tok, err := sign(signer, statuslist.TokenClaims{
			Subject: uri, Issuer: issuerURL, IssuedAt: iat, Expiry: iat.Add(p.cfg.Validity), TTL: p.cfg.TTL, StatusList: &lst, Sequence: seq,
		})
		if err != nil {
			return nil, fmt.Errorf("signing status list %s: %w", l.ID, err)
		}
		sum := sha256.Sum256(tok)
		out[l.ID] = &List{ID: l.ID, URI: uri, Token: tok, ETag: `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`, IssuedAt: iat, TTL: p.cfg.TTL}
	}
	p.basis = b
	return &published{lists: out, at: iat}, nil
}

// sign signs a Status List Token as a compact JWS.
func sign(signer keys.Signer, claims statuslist.TokenClaims) ([]byte, error) {
	header, err := json.Marshal(map[string]string{"alg": signer.Algorithm(), "kid": signer.KeyID(), "typ": Typ})
	if err != nil {
		return nil, err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	enc := base64.RawURLEncoding
	input := make([]byte, 0, enc.EncodedLen(len(header))+1+enc.EncodedLen(len(payload))+1+enc.EncodedLen(64))
	input = enc.AppendEncode(input, header)
	input = append(input, '.')
	input = enc.AppendEncode(input, payload)
	sig, err := signer.Sign(input)
	if err != nil {
		return nil, err
	}
	input = append(input, '.')
	return enc.AppendEncode(input, sig), nil
}

// Run keeps the served lists current until ctx ends: it publishes after
// every committed change (re-signing only when a change touched what the
// lists are built from), and re-signs every half ttl.
func (p *Publisher) Run(ctx context.Context) {
	// A short pause after a change lets a burst land in one rebuild; it is
	// small against the one second a change may take to be served.
	coalesce := p.cfg.Coalesce
	if coalesce == 0 {
		coalesce = 10 * time.Millisecond
	}
	// Publishing is retried at least this often, which also notices a
	// snapshot restore (a new store, whose changes the old watch misses)
	// and a clock that has caught up.
	const poll = time.Second
	mode := publishDue
	for {
		ws, _, err := p.publish(mode)
		p.report(err)
		if ws == nil {
			ws = memdb.NewWatchSet()
		}
		wctx, cancel := context.WithTimeout(ctx, poll)
		fired := ws.WatchCtx(wctx) == nil
		cancel()
		if ctx.Err() != nil {
			return
		}
		// A poll without a change polishes what was served quickly.
		mode = publishDue
		if !fired {
			mode = publishPolish
		}
		if !fired || coalesce < 0 {
			continue
		}
		// What needs no signing is served at once; a change that does
		// waits a moment for the rest of its burst.
		if _, pending, err := p.publish(publishUnsigned); err != nil || pending {
			time.Sleep(coalesce)
		}
	}
}

// Failures says how many attempts to publish have failed, and whether the
// last one did.
func (p *Publisher) Failures() (n uint64, failing bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failures, p.refusing != ""
}

// report logs a failure to publish once, and its end.
func (p *Publisher) report(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.failures++
	}
	switch {
	case err == nil && p.refusing != "":
		p.refusing = ""
		p.cfg.Logger.Info("publishing status lists again")
	case err != nil && err.Error() != p.refusing:
		// Only the first of a run of identical failures is logged; a
		// clock behind by days would otherwise log every second.
		if p.refusing == "" || !errors.Is(err, ErrClockBehind) {
			p.cfg.Logger.Error("publishing status lists failed; serving the previous tokens", "err", err)
		}
		p.refusing = err.Error()
	}
}
