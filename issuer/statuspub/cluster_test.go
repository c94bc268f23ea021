package statuspub_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/issuer/statuspub"
	"github.com/nalw/linkpass/keys"
)

// TestFollowersServeTheTokensTheLeaderWroteToTheLog runs a leader's
// publisher that writes what it signs to the log, and a follower's that
// never signs: the follower serves the leader's very tokens, and says its
// lists reflect a change only once the leader's tokens carrying it are
// applied.
func TestFollowersServeTheTokensTheLeaderWroteToTheLog(t *testing.T) {
	r := newReg(t)
	follower := statuspub.New(statuspub.Config{
		State:  r.f.State,
		Signer: func() (keys.Signer, error) { t.Error("a follower signed"); return r.key, nil },
		Clock:  time.Now, TTL: time.Hour, Validity: 24 * time.Hour,
		Active: func() bool { return false },
	})
	leader := statuspub.New(statuspub.Config{
		State:  r.f.State,
		Signer: func() (keys.Signer, error) { return r.key, nil },
		Clock:  time.Now, TTL: time.Hour, Validity: 24 * time.Hour,
		Active: func() bool { return true },
		Replicate: func(lists []*statuspub.List, index, built uint64) error {
			cmd := fsm.PublishStatus{}
			for _, l := range lists {
				cmd.Lists = append(cmd.Lists, state.PublishedList{ID: l.ID, URI: l.URI, Token: l.Token, ETag: l.ETag, IssuedAt: l.IssuedAt, TTL: l.TTL, Index: index, Built: built})
			}
			r.apply(cmd)
			return nil
		},
	})
	number, jti := r.addHolder("Leader", 5)
	require.NoError(t, follower.Rebuild())
	_, ok := follower.Published("1")
	require.False(t, ok, "nothing published by the leader yet")

	require.NoError(t, leader.Rebuild())
	require.NoError(t, follower.Rebuild())
	lt, ok := leader.Published("1")
	require.True(t, ok)
	ft, ok := follower.Published("1")
	require.True(t, ok)
	assert.Equal(t, lt.Token, ft.Token, "every node serves the leader's token")
	assert.Equal(t, lt.ETag, ft.ETag)

	// A suspension: the follower's lists do not claim it until the
	// leader's tokens carrying it are in the log.
	idx, _ := r.apply(fsm.ChangeRegistrant{Number: number, Op: fsm.OpSuspend, Reason: "interim order"})
	require.NoError(t, follower.Rebuild())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, err := follower.Wait(ctx, idx)
	cancel()
	require.ErrorIs(t, err, statuspub.ErrNotPublished)
	require.NoError(t, leader.Rebuild())
	require.NoError(t, follower.Rebuild())
	ctx, cancel = context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = follower.Wait(ctx, idx)
	require.NoError(t, err)
	_, get := r.served(follower)
	c, err := r.f.State().Credential(jti)
	require.NoError(t, err)
	assert.Equal(t, uint8(2), get(c.Idx), "the follower serves the suspension")
}
