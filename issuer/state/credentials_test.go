package state

import (
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
