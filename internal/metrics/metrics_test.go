package metrics

import (
	"encoding/json"
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

const dashboardFile = "../../docs/monitoring/linkpass-dashboard.json"

// TestDashboardNamesOnlyExportedMetrics checks the Grafana dashboard as
// the alert rules are checked: every linkpass metric a panel queries is
// exported, and the figures the operator guide promises have a panel.
func TestDashboardNamesOnlyExportedMetrics(t *testing.T) {
	b, err := os.ReadFile(dashboardFile)
	require.NoError(t, err)
	var doc struct {
		UID    string
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	require.Equal(t, "linkpass", doc.UID)
	exported := map[string]bool{}
	for _, n := range New().Names() {
		exported[n] = true
	}
	name := regexp.MustCompile(`linkpass_[a-z_]+`)
	queried := map[string]bool{}
	for _, p := range doc.Panels {
		require.NotEmpty(t, p.Targets, p.Title)
		for _, tg := range p.Targets {
			for _, n := range name.FindAllString(tg.Expr, -1) {
				base := regexp.MustCompile(`_(bucket|sum|count)$`).ReplaceAllString(n, "")
				assert.True(t, exported[n] || exported[base], "panel %q queries %s, which linkpass does not export", p.Title, n)
				queried[base] = true
			}
		}
	}
	for _, n := range []string{"linkpass_raft_state", "linkpass_raft_applied_index", "linkpass_status_list_age_seconds", "linkpass_backup_last_success_timestamp_seconds",
		"linkpass_backup_offsite_last_success_timestamp_seconds", "linkpass_http_refused_total", "linkpass_registrants", "linkpass_data_disk_used_ratio", "linkpass_raft_apply_duration_seconds"} {
		assert.True(t, queried[n], "no panel shows %s", n)
	}
}
