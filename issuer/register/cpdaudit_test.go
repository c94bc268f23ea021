package register

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func population20() []string {
	var pop []string
	for i := range 20 {
		pop = append(pop, fmt.Sprintf("LW%07d", 1000000+i))
	}
	return pop
}

// TestCPDAuditDrawMatchesAnIndependentImplementation: the expected draw and
// digest were computed with Python's hmac and hashlib from the rule in the
// docs (rank by HMAC-SHA256(seed, "YEAR:NUMBER"), take ceil(share x n)), so
// an assessor can re-run a draw without linkpass.
func TestCPDAuditDrawMatchesAnIndependentImplementation(t *testing.T) {
	seed := make([]byte, 32)
	for i := range seed {
		seed[i] = byte(i)
	}
	pop := population20()
	got, err := DrawCPDAudit(2026, pop, 0.1, seed)
	require.NoError(t, err)
	assert.Equal(t, []string{"LW1000012", "LW1000017"}, got)
	assert.Equal(t, "b49bf6ed1d5a0dc29a05356e27587033f40678a96d15252e647f6c512045142f", PopulationDigest(pop))

	// The order and duplicates of the population do not matter.
	rev := slices.Clone(pop)
	slices.Reverse(rev)
	again, err := DrawCPDAudit(2026, append(rev, pop[3], pop[5]), 0.1, seed)
	require.NoError(t, err)
	assert.Equal(t, got, again)
	assert.Equal(t, PopulationDigest(pop), PopulationDigest(append(rev, pop[3])))

	// Another seed or year draws differently (with this population, surely).
	seed2 := slices.Clone(seed)
	seed2[0] ^= 1
	other, err := DrawCPDAudit(2026, pop, 0.5, seed2)
	require.NoError(t, err)
	same, err := DrawCPDAudit(2026, pop, 0.5, seed)
	require.NoError(t, err)
	assert.NotEqual(t, same, other)
	assert.Len(t, same, 10)
}

func TestCPDAuditShareRoundsUpAndIsChecked(t *testing.T) {
	seed := make([]byte, 16)
	got, err := DrawCPDAudit(2026, population20(), 0.025, seed)
	require.NoError(t, err)
	assert.Len(t, got, 1, "2.5% of 20 rounds up to one: a small register is still audited")
	all, err := DrawCPDAudit(2026, population20(), 1, seed)
	require.NoError(t, err)
	assert.Len(t, all, 20)
	none, err := DrawCPDAudit(2026, nil, 0.5, seed)
	require.NoError(t, err)
	assert.Empty(t, none)
	for _, s := range []float64{0, -0.1, 1.5} {
		_, err := DrawCPDAudit(2026, population20(), s, seed)
		assert.ErrorIs(t, err, ErrInvalid, "%g", s)
	}
	_, err = DrawCPDAudit(2026, population20(), 0.1, []byte("short"))
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestCPDAuditOutcome(t *testing.T) {
	a := &CPDAudit{Year: 2026, Registrant: "LW1000015", State: CPDAuditRequested}
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	_, err := a.Decide(false, "  ", "staff:ann", at, 9)
	assert.ErrorIs(t, err, ErrInvalid, "a failure says what was missing")
	p, err := a.Decide(true, "", "staff:ann", at, 9)
	require.NoError(t, err)
	assert.Equal(t, CPDAuditPassed, p.State)
	assert.Equal(t, CPDAuditRequested, a.State, "the stored value is not changed in place")
	_, err = p.Decide(false, "late", "staff:bob", at, 10)
	assert.ErrorIs(t, err, ErrConflict, "decided once")
}
