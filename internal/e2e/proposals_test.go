package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
)

// solo turns the two-person rule off, for the tests of removal and
// restriction by one registrar that were written before it.
func (s *server) solo(t *testing.T) {
	t.Helper()
	r := s.run(t, "", "settings", "set", "--two-person-remove=false", "--two-person-restrict=false")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "one registrar alone")
}

// The two-person rule through the CLI: `registrant remove` proposes, the
// proposer's own approval is refused, a second registrar's approval
// removes; a restriction proposed is rejected with a reason.
func TestTwoPersonRuleThroughCLI(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "reg"))
	var one, two struct{ Token string }
	s.runJSON(t, 0, &one, "token", "create", "--role", "registrar", "--name", "Registrar One")
	s.runJSON(t, 0, &two, "token", "create", "--role", "registrar", "--name", "Registrar Two")
	n := strings.TrimSpace(s.run(t, one.Token, "registrant", "add", "--given", "Amara", "--family", "Nwosu", "--nation", "wales").stdout)

	r := s.run(t, one.Token, "registrant", "remove", n, "--reason", "struck off by panel", "--yes")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Proposed, not yet done")
	var p struct {
		PendingApproval bool               `json:"pending_approval"`
		Proposal        *register.Proposal `json:"proposal"`
	}
	r = s.run(t, one.Token, "registrant", "restrict", n, "--text", "Supervised practice only.", "--reason", "panel", "--review", "2099-01-01", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	decodeOne(t, r.stdout, &p)
	require.True(t, p.PendingApproval)
	restriction := p.Proposal.ID

	var list struct {
		Proposals []*register.Proposal `json:"proposals"`
	}
	s.runJSON(t, 0, &list, "proposal", "list", "--state", "pending")
	require.Len(t, list.Proposals, 2)
	removal := list.Proposals[0].ID
	assert.Equal(t, register.ProposeRemove, list.Proposals[0].Change)

	own := s.run(t, one.Token, "proposal", "approve", removal, "--json")
	assert.Equal(t, 1, own.code, "refused: %s", own.stdout)
	assert.Contains(t, own.stdout, "second registrar must approve")

	r = s.run(t, two.Token, "proposal", "approve", removal)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "is done")
	var got register.Registrant
	s.runJSON(t, 0, &got, "registrant", "show", n)
	assert.Equal(t, register.Removed, got.Status)

	bad := s.run(t, two.Token, "proposal", "reject", restriction, "--reason", "", "--json")
	assert.Equal(t, 1, bad.code, "refused: %s", bad.stdout)
	assert.Contains(t, bad.stdout, "reason is required")
	r = s.run(t, two.Token, "proposal", "reject", restriction, "--reason", "the registrant was removed")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "will not be made")
	s.runJSON(t, 0, &list, "proposal", "list", "--state", "pending")
	assert.Empty(t, list.Proposals)

	audit := s.run(t, "", "audit", "list", "--registrant", n, "--json")
	require.Equal(t, 0, audit.code, audit.stderr)
	for _, a := range []string{"proposal.create", "proposal.approve", "registrant.remove", "proposal.reject"} {
		assert.Contains(t, audit.stdout, `"`+a+`"`)
	}
}
