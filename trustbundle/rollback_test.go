package trustbundle

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/credential/credentialtest"
	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/verifier"
)

// checkAt checks b at now and requires it to pass on its own.
func checkAt(t *testing.T, b *Bundle, now time.Time) *Checked {
	t.Helper()
	c, err := b.Check(now)
	require.NoError(t, err)
	return c
}

// TestAVerifierNeverMovesBackwards: each bundle below is genuine (signed by
// the register's own root and keys) but older, in some part, than the one
// the verifier holds. Replacing the held bundle with it would let a
// suspended credential read valid again, or a retired key be trusted
// again. Each is refused, saying what went backwards.
func TestAVerifierNeverMovesBackwards(t *testing.T) {
	f := newFixture(t, nil, testNow)
	suspendedList := signList(t, f.key, listClaims(t, testListURI, newList(t, entries), testNow))
	oldList := signList(t, f.key, listClaims(t, testListURI, newList(t, nil), testNow.Add(-time.Hour)))
	retiredKey, _ := newKey(t)
	bothPub := func() []byte {
		a, err := f.key.PublicJWK()
		require.NoError(t, err)
		b, err := retiredKey.PublicJWK()
		require.NoError(t, err)
		set, err := keys.JWKS(a, b)
		require.NoError(t, err)
		return set
	}()

	// What the verifier holds: sequence 5, the key retiredKey retired,
	// the list showing the suspension.
	heldStatement := f.statement(t, func(st *Statement) {
		st.Seq = 5
		st.Retired = []RetiredKey{{KID: retiredKey.KeyID(), RetiredAt: testNow.Add(-2 * time.Hour)}}
	})
	held := checkAt(t, f.bundleWith(t, heldStatement, suspendedList), testNow)

	cases := map[string]*Bundle{
		"an older statement (lower sequence), before the key was retired": f.bundleWith(t, f.statement(t, func(st *Statement) {
			st.Seq = 4
			st.Keys = bothPub
		}), suspendedList),
		"a newer statement carrying an older status list": f.bundleWith(t, f.statement(t, func(st *Statement) {
			st.Seq = 6
			st.Retired = heldStatement.Retired
		}), oldList),
		"a newer statement that trusts the retired key again": f.bundleWith(t, f.statement(t, func(st *Statement) {
			st.Seq = 6
			st.Keys = bothPub
		}), suspendedList),
		"a newer statement that forgets the retirement": f.bundleWith(t, f.statement(t, func(st *Statement) {
			st.Seq = 6
		}), suspendedList),
		"a bundle without the list held": func() *Bundle {
			b := f.bundleWith(t, f.statement(t, func(st *Statement) { st.Seq = 6; st.Retired = heldStatement.Retired }), suspendedList)
			b.StatusLists[0].URI = testIssuer + "/status/2"
			b.StatusLists[0].Token = signList(t, f.key, listClaims(t, b.StatusLists[0].URI, newList(t, nil), testNow))
			return b
		}(),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			next := checkAt(t, b, testNow) // each checks out on its own
			err := next.Follows(held, "")
			require.ErrorIs(t, err, ErrRollback)
			t.Log(err)
		})
	}

	// The same bundle again, the same statement signed again (earlier, by
	// a register whose clock went back), and a newer one, are accepted.
	require.NoError(t, held.Follows(held, ""))
	resigned := checkAt(t, f.bundleWith(t, f.statement(t, func(st *Statement) {
		st.Seq = 5
		st.IssuedAt = testNow.Add(-time.Hour).Unix()
		st.Retired = heldStatement.Retired
	}), suspendedList), testNow)
	require.NoError(t, resigned.Follows(held, ""))
	newer := checkAt(t, f.bundleWith(t, f.statement(t, func(st *Statement) {
		st.Seq = 7
		st.IssuedAt = testNow.Unix()
		st.Retired = heldStatement.Retired
	}), signList(t, f.key, listClaims(t, testListURI, newList(t, entries), testNow.Add(time.Second)))), testNow.Add(time.Second))
	require.NoError(t, newer.Follows(held, ""))
	assert.Equal(t, uint64(7), newer.Sequence())
	assert.Equal(t, []string{retiredKey.KeyID()}, newer.Retired())
}

// TestARetiredKeyStaysRetired: once a verifier holds a statement retiring
// a key, credentials that key signed are unknown, and no genuine older
// bundle brings the key back.
func TestARetiredKeyStaysRetired(t *testing.T) {
	f := newFixture(t, nil, testNow)
	oldKey, _ := newKey(t)
	both := func() []byte {
		a, _ := f.key.PublicJWK()
		b, _ := oldKey.PublicJWK()
		set, err := keys.JWKS(a, b)
		require.NoError(t, err)
		return set
	}()
	list := signList(t, f.key, listClaims(t, testListURI, newList(t, nil), testNow))
	before := checkAt(t, f.bundleWith(t, f.statement(t, func(st *Statement) { st.Seq = 1; st.Keys = both }), list), testNow)
	res := verifierAt(t, before, testNow).Verify(t.Context(), credentialToken(t, oldKey, idxValid))
	require.Equal(t, verifier.OutcomeValid, res.Outcome, res.Reason)

	after := checkAt(t, f.bundleWith(t, f.statement(t, func(st *Statement) {
		st.Seq = 2
		st.Retired = []RetiredKey{{KID: oldKey.KeyID(), RetiredAt: testNow}}
	}), list), testNow)
	require.NoError(t, after.Follows(before, ""))
	res = verifierAt(t, after, testNow).Verify(t.Context(), credentialToken(t, oldKey, idxValid))
	assert.Equal(t, verifier.OutcomeUnknownKey, res.Outcome)

	assert.ErrorIs(t, before.Follows(after, ""), ErrRollback, "the bundle from before the retirement is refused")
}

// TestAnotherRootIsRefusedUnlessConfirmed: a bundle under another root
// (a mirror's own, say) is refused by a verifier holding the register's;
// a practice that has confirmed a new root with NALW can move to it.
func TestAnotherRootIsRefusedUnlessConfirmed(t *testing.T) {
	f := newFixture(t, nil, testNow)
	held := checkAt(t, f.bundle, testNow)
	other := &fixture{key: f.key, jwks: f.jwks}
	other.root, _ = newKey(t)
	next := checkAt(t, other.bundleWith(t, other.statement(t, func(st *Statement) { st.Seq = 2 }), f.bundle.StatusLists[0].Token), testNow)
	err := next.Follows(held, "")
	require.ErrorIs(t, err, ErrRootChanged)
	assert.Contains(t, err.Error(), "--anchor "+other.root.KeyID())
	assert.NoError(t, next.Follows(held, other.root.KeyID()))
	assert.Equal(t, other.root.KeyID(), next.RootFingerprint())
}

// TestABundleWithAnExpiredListIsNotFitToStore: a register whose clock is
// behind publishes lists that have already expired; a sync must not swap
// good status for none.
func TestABundleWithAnExpiredListIsNotFitToStore(t *testing.T) {
	f := newFixture(t, nil, testNow.Add(-40*time.Hour)) // exp is iat + 36 h
	c := checkAt(t, f.bundle, testNow)
	assert.ErrorIs(t, c.Usable(testNow), ErrStatusList)
	fresh := newFixture(t, nil, testNow)
	assert.NoError(t, checkAt(t, fresh.bundle, testNow).Usable(testNow))
}

func TestStatusAsOfIsTheOldestSignedListTime(t *testing.T) {
	f := newFixture(t, nil, testNow.Add(-3*time.Hour))
	c := checkAt(t, f.bundle, testNow)
	b := *f.bundle
	b.CreatedAt = testNow.Add(time.Hour) // unsigned, and so not believed
	c2 := checkAt(t, &b, testNow)
	assert.Equal(t, testNow.Add(-3*time.Hour), c.StatusAsOf())
	assert.Equal(t, c.StatusAsOf(), c2.StatusAsOf())
}

// TestACredentialWithoutStatusFromTheRegisterIsRefused: the register's
// signed statement says all its credentials carry status, so one without
// (or with "status": null) is refused, even with status lists loaded.
func TestACredentialWithoutStatusFromTheRegisterIsRefused(t *testing.T) {
	f := newFixture(t, nil, testNow)
	c := checkAt(t, f.bundle, testNow)
	claims := credentialtest.Claims(testNow.Add(-time.Hour))
	claims.Status = nil
	tok, err := credential.Sign(claims, f.key)
	require.NoError(t, err)
	res := verifierAt(t, c, testNow).Verify(t.Context(), tok)
	assert.Equal(t, verifier.OutcomeMissingClaim, res.Outcome, res.Reason)
	assert.False(t, res.Valid)
}

// TestListsOfTheSameSecondAreOrderedBySequence: the register can sign a
// list twice in one second (a suspension just after a re-sign); the one
// with the lower seq, served after the other, is refused.
func TestListsOfTheSameSecondAreOrderedBySequence(t *testing.T) {
	f := newFixture(t, nil, testNow)
	list := func(seq uint64, set map[int]uint8) string {
		c := listClaims(t, testListURI, newList(t, set), testNow)
		c.Sequence = seq
		return signList(t, f.key, c)
	}
	held := checkAt(t, f.bundleWith(t, f.statement(t, nil), list(11, entries)), testNow)
	earlier := checkAt(t, f.bundleWith(t, f.statement(t, nil), list(10, nil)), testNow)
	later := checkAt(t, f.bundleWith(t, f.statement(t, nil), list(12, entries)), testNow)
	assert.ErrorIs(t, earlier.Follows(held, ""), ErrRollback)
	assert.NoError(t, later.Follows(held, ""))

	noSeqHeld := checkAt(t, f.bundleWith(t, f.statement(t, nil), list(0, entries)), testNow)
	noSeqOther := checkAt(t, f.bundleWith(t, f.statement(t, nil), list(0, nil)), testNow)
	assert.ErrorIs(t, noSeqOther.Follows(noSeqHeld, ""), ErrRollback, "same second, other content, no seq: cannot tell, keep the held one")
	assert.NoError(t, noSeqHeld.Follows(noSeqHeld, ""))
}
