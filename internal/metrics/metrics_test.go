package metrics

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

const alertsFile = "../../docs/monitoring/linkpass-alerts.yaml"

// TestAlertRulesNameOnlyExportedMetrics parses the alert rules operators
// load and checks every linkpass metric an expression names is exported,
// so a renamed metric cannot silently disarm an alert.
func TestAlertRulesNameOnlyExportedMetrics(t *testing.T) {
	b, err := os.ReadFile(alertsFile)
	require.NoError(t, err)
	var doc struct {
		Groups []struct {
			Rules []struct{ Alert, Expr string }
		}
	}
	require.NoError(t, yaml.Unmarshal(b, &doc))
	exported := map[string]bool{}
	for _, n := range New().Names() {
		exported[n] = true
	}
	require.Contains(t, exported, "linkpass_raft_state")
	name := regexp.MustCompile(`linkpass_[a-z_]+`)
	alerts := map[string]bool{}
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			require.NotEmpty(t, r.Alert)
			require.NotEmpty(t, r.Expr, r.Alert)
			alerts[r.Alert] = true
			names := name.FindAllString(r.Expr, -1)
			assert.NotEmpty(t, names, "%s names no linkpass metric", r.Alert)
			for _, n := range names {
				base := regexp.MustCompile(`_(bucket|sum|count)$`).ReplaceAllString(n, "")
				assert.True(t, exported[n] || exported[base], "alert %s names %s, which linkpass does not export", r.Alert, n)
			}
		}
	}
	for _, a := range []string{"LinkpassNoLeader", "LinkpassStatusListOlderThanTTL", "LinkpassBackupFailing", "LinkpassDiskAlmostFull", "LinkpassNodeBehind"} {
		assert.True(t, alerts[a], "the rules lack %s", a)
	}
}

// TestMethodsOutsideTheStandardAreOneLabel keeps a client's made-up
// methods from growing the label set without bound.
func TestMethodsOutsideTheStandardAreOneLabel(t *testing.T) {
	assert.Equal(t, "GET", normalMethod("GET"))
	assert.Equal(t, "other", normalMethod("NALW-123456"))
}
