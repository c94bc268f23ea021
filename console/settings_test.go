package console

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
)

func TestTheTwoPersonRuleIsSetWholeOrNotAtAll(t *testing.T) {
	sys := newSystem(t, "http")
	c, csrf, _ := sys.signedIn(register.RoleAdmin)
	idx := sys.srv.State().Index("")
	// A form that lost its marker (a hand-made post, a broken page) would
	// otherwise read as "both boxes unticked" and turn the rule off.
	res := sys.do(c, http.MethodPost, "/console/settings/two-person", url.Values{"csrf": {csrf}})
	assert.GreaterOrEqual(t, res.StatusCode, 400)
	assert.Contains(t, bodyOf(res), "sent incomplete")
	assert.Equal(t, idx, sys.srv.State().Index(""), "nothing was committed")

	res = sys.do(c, http.MethodPost, "/console/settings/two-person", url.Values{"csrf": {csrf}, "two_person": {"both"}, "two_person_remove": {"yes"}})
	require.Equal(t, http.StatusOK, res.StatusCode)
	rule := sys.srv.State().Settings().TwoPerson
	assert.True(t, rule.Applies(register.ProposeRemove))
	assert.False(t, rule.Applies(register.ProposeRestrict))

	res = sys.do(c, http.MethodPost, "/console/settings/two-person", url.Values{"csrf": {csrf}, "two_person": {"both"}, "two_person_remove": {"yes"}})
	assert.Contains(t, bodyOf(res), "Nothing changed")
}
