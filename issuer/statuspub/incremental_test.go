package statuspub_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/issuer/statuspub"
	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/statuslist"
)

// flakyChanges is the FSM's journal, which now and then says it no longer
// has the changes asked for, as after a restore or a trim.
type flakyChanges struct {
	*fsm.FSM
	rnd         *rand.Rand
	used, downs int
}

func (c *flakyChanges) StatusChanges(st *state.Store, after, upto uint64) ([]fsm.StatusChange, bool) {
	if c.rnd.IntN(8) == 0 {
		c.downs++
		return nil, false
	}
	ch, ok := c.FSM.StatusChanges(st, after, upto)
	if ok && len(ch) > 0 {
		c.used++
	}
	return ch, ok
}

// TestListsKeptUpToDateMatchAFullRebuild drives random issues, re-issues
// (which supersede), suspensions, reinstatements, revocations and removals
// through the FSM, into lists small enough to fill and open new ones. After
// every few changes it compares the publisher that sets only the entries
// the log changed with one that reads every credential: they serve the
// same lists, and when both sign at the same moment, the same token byte
// for byte.
func TestListsKeptUpToDateMatchAFullRebuild(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(seed, 10))
			r := newReg(t)
			var mu sync.Mutex
			now := time.Now().Add(time.Hour).Truncate(time.Second) // ahead of the log
			cfg := statuspub.Config{State: r.f.State, TTL: time.Hour, Validity: 24 * time.Hour,
				Signer: func() (keys.Signer, error) { return r.key, nil },
				Clock:  func() time.Time { mu.Lock(); defer mu.Unlock(); return now }}
			changes := &flakyChanges{FSM: r.f, rnd: rand.New(rand.NewPCG(seed, 11))}
			kept := cfg
			kept.Changes = changes
			inc := statuspub.New(kept)
			require.NoError(t, inc.Rebuild())

			w := &world{t: t, r: r, rnd: rnd, size: 64, held: map[string]string{}}
			for step := 0; step < 400 && !t.Failed(); step++ {
				w.change()
				if rnd.IntN(3) != 0 {
					continue
				}
				mu.Lock()
				now = now.Add(time.Second)
				mu.Unlock()
				full := statuspub.New(cfg)
				require.NoError(t, full.Rebuild())
				signed := rnd.IntN(3) == 0
				if signed {
					require.NoError(t, inc.Rebuild())
				} else {
					require.NoError(t, inc.PublishDue())
				}
				// After a change lists are served compressed quickly, the
				// same entries in other bytes; a polish compresses them
				// as a full rebuild does.
				polished := !signed && rnd.IntN(2) == 0
				if polished {
					require.NoError(t, inc.Polish())
				}
				want := full.Lists()
				got := inc.Lists()
				require.Equal(t, len(want), len(got), "step %d: lists served", step)
				for i := range want {
					require.Equal(t, want[i].ID, got[i].ID)
					require.Equal(t, statusListEntries(t, want[i].Token), statusListEntries(t, got[i].Token),
						"step %d: list %s differs from a full rebuild", step, want[i].ID)
					if (signed || polished) && statusListClaim(t, want[i].Token) != statusListClaim(t, got[i].Token) {
						t.Fatalf("step %d: list %s is compressed otherwise than a full rebuild's", step, want[i].ID)
					}
					if signed && !bytes.Equal(want[i].Token, got[i].Token) {
						t.Fatalf("step %d: list %s signed at the same moment differs from a full rebuild's", step, want[i].ID)
					}
				}
			}
			require.Greater(t, len(w.lists), 2, "the lists filled and new ones opened")
			require.Greater(t, changes.used, 20, "lists were brought up to date from the journal")
			require.Greater(t, changes.downs, 5, "and read in full when it lacked the changes")
		})
	}
}

// statusListClaim returns the status_list member of a token's payload.
func statusListClaim(t *testing.T, tok []byte) string {
	t.Helper()
	parts := bytes.Split(tok, []byte("."))
	require.Len(t, parts, 3)
	payload, err := base64.RawURLEncoding.DecodeString(string(parts[1]))
	require.NoError(t, err)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(payload, &m))
	return string(m["status_list"])
}

// statusListEntries returns the entries of a token's list, compressed as
// a fresh encoder compresses them.
func statusListEntries(t *testing.T, tok []byte) string {
	t.Helper()
	var c statuslist.Claim
	require.NoError(t, json.Unmarshal([]byte(statusListClaim(t, tok)), &c))
	l, err := c.Decode()
	require.NoError(t, err)
	lst, err := l.EncodeString()
	require.NoError(t, err)
	return lst
}

// world is registrants and their credentials changing at random.
type world struct {
	t     *testing.T
	r     *reg
	rnd   *rand.Rand
	size  int
	lists []string
	n     int
	// held is each registrant's latest credential.
	held    map[string]string
	numbers []string
}

func (w *world) change() {
	st := w.r.f.State()
	if len(w.numbers) == 0 || w.rnd.IntN(4) == 0 {
		w.n++
		_, res := w.r.apply(fsm.AddRegistrant{NewRegistrant: register.NewRegistrant{Given: "Random", Family: fmt.Sprintf("Person%d", w.n), Nation: "wales"}})
		n := res.(fsm.Result).Registrant.Number
		w.numbers = append(w.numbers, n)
		w.issue(n)
		return
	}
	n := w.numbers[w.rnd.IntN(len(w.numbers))]
	reg, err := st.Registrant(n)
	require.NoError(w.t, err)
	switch reg.Status {
	case register.Removed:
		return
	case register.Suspended:
		if w.rnd.IntN(4) == 0 {
			w.r.apply(fsm.ChangeRegistrant{Number: n, Op: fsm.OpRemove, Reason: "random"})
		} else {
			w.r.apply(fsm.ChangeRegistrant{Number: n, Op: fsm.OpReinstate, Reason: "random"})
		}
		return
	}
	switch k := w.rnd.IntN(10); {
	case k < 4:
		w.issue(n) // supersedes the one held
	case k < 7:
		w.r.apply(fsm.ChangeRegistrant{Number: n, Op: fsm.OpSuspend, Reason: "random"})
	case k < 8:
		w.r.apply(fsm.ChangeRegistrant{Number: n, Op: fsm.OpCPD, CPD: &register.CPD{Year: 2026, Hours: 3}})
	default:
		jti := w.held[n]
		if c, err := st.Credential(jti); err == nil && c.Status != register.CredentialRevoked {
			w.r.apply(fsm.RevokeCredential{JTI: jti, Reason: "random"})
		}
	}
}

// issue issues a credential into a random free entry of the newest list,
// opening a new list when it is three quarters full.
func (w *world) issue(number string) {
	st := w.r.f.State()
	if len(w.lists) == 0 || w.used(w.lists[len(w.lists)-1]) >= w.size*3/4 {
		w.lists = append(w.lists, strconv.Itoa(len(w.lists)+1))
	}
	list := w.lists[len(w.lists)-1]
	var idx uint64
	for {
		idx = uint64(w.rnd.IntN(w.size))
		taken, err := st.SlotTaken(list, idx)
		require.NoError(w.t, err)
		if !taken {
			break
		}
	}
	now := time.Now().UTC()
	jti := fmt.Sprintf("%s-%s-%d", number, list, idx)
	w.r.apply(fsm.IssueCredential{ListSize: w.size, Credential: register.IssuedCredential{
		JTI: jti, Registrant: number, KID: w.r.key.KeyID(), IssuedAt: now, ExpiresAt: now.Add(time.Hour), List: list, Idx: idx}})
	w.held[number] = jti
}

func (w *world) used(list string) int {
	creds, err := w.r.f.State().CredentialsInList(list)
	require.NoError(w.t, err)
	return len(creds)
}

func TestPolishSignsAgainOnlyListsServedCompressedQuickly(t *testing.T) {
	r := newReg(t)
	var mu sync.Mutex
	now := time.Now().Add(time.Hour).Truncate(time.Second) // ahead of the log
	p := statuspub.New(statuspub.Config{State: r.f.State, Changes: r.f, TTL: time.Hour, Validity: 24 * time.Hour,
		Signer: func() (keys.Signer, error) { return r.key, nil },
		// Each signing a second later, so that a token signed again differs.
		Clock: func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(time.Second); return now }})
	_, jti := r.addHolder("Quick", 7)
	require.NoError(t, p.Rebuild())
	entry := func(tok []byte) uint8 {
		var c statuslist.Claim
		require.NoError(t, json.Unmarshal([]byte(statusListClaim(t, tok)), &c))
		l, err := c.Decode()
		require.NoError(t, err)
		v, err := l.Get(7)
		require.NoError(t, err)
		return v
	}
	served := func() []byte {
		l, ok := p.Published("1")
		require.True(t, ok)
		return l.Token
	}
	rebuilt := served()
	require.NoError(t, p.Polish())
	require.Equal(t, rebuilt, served(), "nothing was compressed quickly: nothing signed again")

	r.apply(fsm.RevokeCredential{JTI: jti, Reason: "lost"})
	require.NoError(t, p.PublishDue())
	quick := served()
	require.Equal(t, uint8(statuslist.Invalid), entry(quick))
	require.NoError(t, p.Polish())
	polished := served()
	require.NotEqual(t, quick, polished)
	require.Equal(t, uint8(statuslist.Invalid), entry(polished))
	full := statuspub.New(statuspub.Config{State: r.f.State, TTL: time.Hour, Validity: 24 * time.Hour,
		Signer: func() (keys.Signer, error) { return r.key, nil }, Clock: time.Now})
	require.NoError(t, full.Rebuild())
	want, _ := full.Published("1")
	require.Equal(t, statusListClaim(t, want.Token), statusListClaim(t, polished), "polished as a full rebuild compresses")
	require.NoError(t, p.Polish())
	require.Equal(t, polished, served(), "polished once")
}
