package statuspub_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/statuspub"
	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/verifier"
)

const (
	issuerURL = "https://register.example.org"
	listSize  = 4096
)

// register is an FSM applied to directly, as Raft would, with a signing
// key: enough to run a publisher without a server.
type reg struct {
	t    testing.TB
	f    *fsm.FSM
	key  *keys.Key
	jwks []byte

	mu  sync.Mutex // Raft applies one entry at a time
	idx uint64
}

func newReg(t testing.TB) *reg {
	t.Helper()
	f, err := fsm.New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	k, err := keys.Generate(keys.AlgEdDSA)
	require.NoError(t, err)
	pub, err := k.PublicJWK()
	require.NoError(t, err)
	jwks, err := keys.JWKS(pub)
	require.NoError(t, err)
	r := &reg{t: t, f: f, key: k, jwks: jwks}
	u := issuerURL
	r.apply(fsm.SetSettings{IssuerURL: &u})
	r.apply(fsm.AddKey{Key: register.SigningKey{KID: k.KeyID(), Alg: k.Algorithm(), PublicJWK: pub}})
	return r
}

// apply commits cmd at the next index and returns its index and result.
func (r *reg) apply(cmd fsm.Command) (uint64, any) {
	r.t.Helper()
	data, err := fsm.Encode(cmd, register.System, time.Now())
	if err != nil {
		r.t.Error(err)
		return 0, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.idx++
	res := r.f.Apply(&raft.Log{Index: r.idx, Term: 1, Type: raft.LogCommand, Data: data})
	if err, ok := res.(error); ok {
		r.t.Errorf("%T refused: %v", cmd, err)
	}
	if a, ok := res.(fsm.Applied); ok {
		return r.idx, a.Result
	}
	return r.idx, res
}

// addHolder adds a registrant holding one credential at entry idx.
func (r *reg) addHolder(name string, idx uint64) (string, string) {
	_, res := r.apply(fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "Test", Family: name, Nation: "england"}})
	n := res.(fsm.Result).Registrant.Number
	jti, _ := r.issue(n, idx)
	return n, jti
}

// issue issues a credential at entry idx and returns it with the log
// index of the issuance.
func (r *reg) issue(number string, idx uint64) (string, uint64) {
	return r.issueIn(number, idx, listSize)
}

func (r *reg) issueIn(number string, idx uint64, size int) (string, uint64) {
	now := time.Now().UTC()
	jti := fmt.Sprintf("%s-%d", number, idx)
	at, _ := r.apply(fsm.IssueCredential{ListSize: size, Credential: register.IssuedCredential{
		JTI: jti, Registrant: number, KID: r.key.KeyID(), IssuedAt: now, ExpiresAt: now.Add(time.Hour), List: "1", Idx: idx}})
	return jti, at
}

// signer signs as the register's key and calls during (if set) in the
// middle of every rebuild, to commit changes while a rebuild runs.
type signer struct {
	*keys.Key
	mu     sync.Mutex
	during func()
}

func (s *signer) Sign(in []byte) ([]byte, error) {
	s.mu.Lock()
	fn := s.during
	s.mu.Unlock()
	if fn != nil {
		fn()
	}
	return s.Key.Sign(in)
}

func (r *reg) publisher(sg keys.Signer) *statuspub.Publisher {
	return statuspub.New(statuspub.Config{
		State:   r.f.State,
		Changes: r.f,
		Signer:  func() (keys.Signer, error) { return sg, nil },
		Clock:   time.Now,
		// Long enough that the periodic refresh cannot hide a missed
		// change within the test.
		TTL: time.Hour, Validity: 24 * time.Hour,
	})
}

// served decodes the served token of list 1, checking its signature.
func (r *reg) served(p *statuspub.Publisher) (*statuspub.List, func(idx uint64) uint8) {
	r.t.Helper()
	l, ok := p.Published("1")
	require.True(r.t, ok, "list 1 is not published")
	trust := verifier.NewTrust()
	require.NoError(r.t, trust.AddIssuer(issuerURL, r.jwks))
	_, list, err := verifier.VerifyStatusListToken(trust, issuerURL, l.URI, string(l.Token), time.Now())
	require.NoError(r.t, err)
	return l, func(idx uint64) uint8 {
		v, err := list.Get(int(idx))
		require.NoError(r.t, err)
		return v
	}
}

// mismatches lists the credentials whose served entry differs from the
// committed state.
func (r *reg) mismatches(p *statuspub.Publisher, jtis []string) []string {
	_, get := r.served(p)
	var bad []string
	for _, jti := range jtis {
		c, err := r.f.State().Credential(jti)
		require.NoError(r.t, err)
		if got, want := get(c.Idx), c.Status.StatusValue(); got != want {
			bad = append(bad, fmt.Sprintf("%s (entry %d): served %d, committed %d at index %d", jti, c.Idx, got, want, c.ModifyIndex))
		}
	}
	return bad
}

// TestEveryCommittedChangeIsServed hammers a running publisher with
// concurrent writers committing bursts of suspensions, reinstatements,
// revocations and re-issues, plus a change committed in the middle of
// every rebuild. After each burst its writer waits until the publisher has
// published the burst's last index and then checks every credential it
// owns against the served, signed token.
func TestEveryCommittedChangeIsServed(t *testing.T) {
	r := newReg(t)
	sg := &signer{Key: r.key}
	p := r.publisher(sg)
	const writers, holders, rounds = 4, 6, 12

	// One registrant is toggled during every rebuild.
	rebuildNo, rebuildJTI := r.addHolder("Rebuild", 0)
	var all []string
	owned := make([][]string, writers)
	numbers := make([][]string, writers)
	for w := 0; w < writers; w++ {
		for h := 0; h < holders; h++ {
			n, jti := r.addHolder(fmt.Sprintf("W%dH%d", w, h), uint64(1+w*1000+h))
			numbers[w] = append(numbers[w], n)
			owned[w] = append(owned[w], jti)
		}
	}
	require.NoError(t, p.Rebuild())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()

	var toggles int
	sg.mu.Lock()
	sg.during = func() {
		op := fsm.OpSuspend
		if toggles%2 == 1 {
			op = fsm.OpReinstate
		}
		toggles++
		r.apply(fsm.ChangeRegistrant{Number: rebuildNo, Op: op, Reason: "changed during a rebuild"})
	}
	sg.mu.Unlock()

	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w), 9))
			next := uint64(1 + w*1000 + holders)
			for round := 0; round < rounds && !t.Failed(); round++ {
				var last uint64
				for b := 1 + rnd.IntN(6); b > 0; b-- {
					h := rnd.IntN(holders)
					n := numbers[w][h]
					reg, err := r.f.State().Registrant(n)
					require.NoError(t, err)
					switch {
					case reg.Status == register.Suspended:
						last, _ = r.apply(fsm.ChangeRegistrant{Number: n, Op: fsm.OpReinstate, Reason: "hammer"})
					case rnd.IntN(3) == 0:
						// Re-issue: the new credential supersedes (revokes) the old.
						var jti string
						jti, last = r.issue(n, next)
						owned[w] = append(owned[w], jti)
						next++
					default:
						last, _ = r.apply(fsm.ChangeRegistrant{Number: n, Op: fsm.OpSuspend, Reason: "hammer"})
					}
				}
				awaitPublished(t, p, last)
				if bad := r.mismatches(p, owned[w]); len(bad) > 0 {
					t.Errorf("writer %d round %d: published index %d but the served list misses committed changes:\n%v", w, round, last, bad)
				}
			}
		}(w)
	}
	wg.Wait()
	sg.mu.Lock()
	sg.during = nil
	sg.mu.Unlock()
	for _, o := range owned {
		all = append(all, o...)
	}
	all = append(all, rebuildJTI)
	final, _ := r.apply(fsm.ChangeRegistrant{Number: rebuildNo, Op: fsm.OpRestrict, Text: "none", Reason: "last write"})
	awaitPublished(t, p, final)
	if bad := r.mismatches(p, all); len(bad) > 0 {
		t.Errorf("after the last write the served list misses committed changes:\n%v", bad)
	}
	require.Greater(t, toggles, 0, "no change was committed during a rebuild")
	cancel()
	<-done
}

// awaitPublished waits until the served list carries log index idx.
func awaitPublished(t testing.TB, p *statuspub.Publisher, idx uint64) {
	t.Helper()
	// A generous bound: a missed change would otherwise wait for the
	// hour-long refresh.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	at, err := p.Wait(ctx, idx)
	if err != nil {
		t.Error(err)
		return
	}
	if l, ok := p.Published("1"); ok && !l.IssuedAt.Equal(at) {
		t.Errorf("Wait says the list was published at %s, the served one at %s", at, l.IssuedAt)
	}
}

// TestWaitFailsClearlyWhenNothingIsPublished: a change the publisher
// cannot publish (here it has no signer) makes Wait fail at its deadline
// with an error naming the index, and the previous lists stay served.
func TestWaitFailsClearlyWhenNothingIsPublished(t *testing.T) {
	r := newReg(t)
	r.addHolder("Wait", 1)
	var broken bool
	var mu sync.Mutex
	p := statuspub.New(statuspub.Config{State: r.f.State, Clock: time.Now, TTL: time.Hour, Validity: 24 * time.Hour,
		Signer: func() (keys.Signer, error) {
			mu.Lock()
			defer mu.Unlock()
			if broken {
				return nil, fmt.Errorf("no signing key")
			}
			return r.key, nil
		}})
	require.NoError(t, p.Rebuild())
	before, _ := p.Published("1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx)
	mu.Lock()
	broken = true
	mu.Unlock()
	n, _ := r.f.State().Registrants(register.Registered)
	idx, _ := r.apply(fsm.ChangeRegistrant{Number: n[0].Number, Op: fsm.OpSuspend, Reason: "test"})
	wctx, wcancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer wcancel()
	_, err := p.Wait(wctx, idx)
	require.ErrorIs(t, err, statuspub.ErrNotPublished)
	require.ErrorContains(t, err, fmt.Sprintf("index %d is committed", idx))
	after, _ := p.Published("1")
	require.Equal(t, before.Token, after.Token, "the previous list is still served")
}

// TestNoListDatedBeforeTheLastOneIsPublished: with the clock moved back,
// a rebuild is refused and the list published before stays served.
func TestNoListDatedBeforeTheLastOneIsPublished(t *testing.T) {
	r := newReg(t)
	r.addHolder("Clock", 1)
	var mu sync.Mutex
	now := time.Now().Add(time.Hour) // ahead of the log, so only the last list matters
	p := statuspub.New(statuspub.Config{State: r.f.State, TTL: time.Hour, Validity: 24 * time.Hour,
		Signer: func() (keys.Signer, error) { return r.key, nil },
		Clock:  func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	require.NoError(t, p.Rebuild())
	before, _ := p.Published("1")
	mu.Lock()
	now = now.Add(-30 * time.Minute)
	mu.Unlock()
	err := p.Rebuild()
	require.ErrorIs(t, err, statuspub.ErrClockBehind)
	require.ErrorContains(t, err, "earlier than the lists published at")
	after, _ := p.Published("1")
	require.Equal(t, before.Token, after.Token)
}
