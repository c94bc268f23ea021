package state

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
)

// TestCredentialsByListAndKey reads credentials by status list through the
// slot index's prefix (list "1" must not take list "10"'s) and by signing
// key, and finds taken slots (the FSM refuses a second credential in one).
func TestCredentialsByListAndKey(t *testing.T) {
	s := newStore(t)
	put := func(idx uint64, jti, list string, slot uint64, kid string) error {
		return s.Write(idx, func(tx *Txn) error {
			return tx.PutCredential(&register.IssuedCredential{JTI: jti, Registrant: "LW1000015", KID: kid, IssuedAt: at, ExpiresAt: at.AddDate(1, 0, 0),
				Status: register.CredentialValid, StatusChangedAt: at, List: list, Idx: slot, CreateIndex: idx, ModifyIndex: idx})
		})
	}
	n := uint64(1)
	for _, c := range []struct {
		list string
		slot uint64
		kid  string
	}{{"1", 7, "ka"}, {"1", 70, "kb"}, {"10", 7, "ka"}, {"2", 1, "kb"}, {"1", 3, "ka"}} {
		require.NoError(t, put(n, fmt.Sprintf("jti-%s-%d", c.list, c.slot), c.list, c.slot, c.kid))
		n++
	}
	taken, err := s.SlotTaken("10", 7)
	require.NoError(t, err)
	assert.True(t, taken)
	taken, err = s.SlotTaken("1", 8)
	require.NoError(t, err)
	assert.False(t, taken)

	jtis := func(cs []*register.IssuedCredential, err error) []string {
		require.NoError(t, err)
		var out []string
		for _, c := range cs {
			out = append(out, c.JTI)
		}
		return out
	}
	assert.ElementsMatch(t, []string{"jti-1-7", "jti-1-70", "jti-1-3"}, jtis(s.CredentialsInList("1")))
	assert.ElementsMatch(t, []string{"jti-10-7"}, jtis(s.CredentialsInList("10")))
	assert.Empty(t, jtis(s.CredentialsInList("3")))
	assert.ElementsMatch(t, []string{"jti-1-70", "jti-2-1"}, jtis(s.CredentialsSignedBy("kb")))
	r := s.ReadTxn()
	assert.ElementsMatch(t, []string{"jti-2-1"}, jtis(r.CredentialsInList("2")))
}

// TestEachEntryInListReadsWhatDecodingWould holds the light reader a start
// rebuilds status lists with to the full decode: the same entries, in
// entry order, with their statuses, list "1" not taking list "10"'s, and
// a stop at fn's first error.
func TestEachEntryInListReadsWhatDecodingWould(t *testing.T) {
	s := newStore(t)
	statuses := []register.CredentialStatus{register.CredentialValid, register.CredentialRevoked, register.CredentialSuspended}
	n := uint64(1)
	for _, list := range []string{"1", "10", "2"} {
		for slot := uint64(0); slot < 40; slot += 3 {
			c := &register.IssuedCredential{JTI: fmt.Sprintf("jti-%s-%d", list, slot), Registrant: "LW1000015", KID: "ka", IssuedAt: at, ExpiresAt: at.AddDate(1, 0, 0),
				Status: statuses[int(slot/3)%len(statuses)], StatusReason: "a reason", StatusChangedAt: at, List: list, Idx: slot, Grant: "g", Holder: "h", CreateIndex: n, ModifyIndex: n}
			require.NoError(t, s.Write(n, func(tx *Txn) error { return tx.PutCredential(c) }))
			n++
		}
	}
	type entry struct {
		idx    uint64
		status register.CredentialStatus
	}
	for _, list := range []string{"1", "10", "2", "3"} {
		creds, err := s.CredentialsInList(list)
		require.NoError(t, err)
		var want, got []entry
		for _, c := range creds {
			want = append(want, entry{c.Idx, c.Status})
		}
		require.NoError(t, s.ReadTxn().EachEntryInList(list, func(idx uint64, st register.CredentialStatus) error {
			got = append(got, entry{idx, st})
			return nil
		}))
		assert.Equal(t, want, got, "list %s", list)
	}
	stop := errors.New("stop")
	calls := 0
	err := s.ReadTxn().EachEntryInList("1", func(uint64, register.CredentialStatus) error { calls++; return stop })
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 1, calls)
}
