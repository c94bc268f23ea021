package issuer_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/register"
)

// Issuance probes random entries of the newest list and opens another
// when the list is nearly full: every credential gets an entry of its own,
// and no list is overfilled.
func TestIssuanceOpensANewListWhenTheNewestFillsUp(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.StatusListSize = 8
	srv, err := issuer.Open(cfg)
	require.NoError(t, err)
	defer srv.Close()
	admin := adminActor(t, srv)
	type slot struct {
		list string
		idx  uint64
	}
	seen := map[slot]bool{}
	for i := 0; i < 30; i++ {
		r := addRegistrant(t, srv, admin, register.NewRegistrant{Given: "Entry", Family: fmt.Sprint("Person", i), Nation: "wales"})
		iss, err := srv.IssueCredential(context.Background(), admin, r.Number)
		require.NoError(t, err)
		s := slot{iss.Record.List, iss.Record.Idx}
		require.False(t, seen[s], "entry %v given twice", s)
		require.Less(t, iss.Record.Idx, uint64(8))
		seen[s] = true
	}
	lists, err := srv.State().StatusLists()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(lists), 4, "30 credentials need at least four lists of 8")
}
