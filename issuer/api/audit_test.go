package api

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/audit"
)

// auditActions lists the action and actor name of each event of a page.
func (f *fixture) auditActions(query string) []string {
	f.t.Helper()
	res := f.get("/v1/audit?"+query, f.auditor)
	require.Equal(f.t, http.StatusOK, res.status, "body: %s", res.body)
	var out []string
	for _, ev := range res.json(f.t)["events"].([]any) {
		ev := ev.(map[string]any)
		out = append(out, fmt.Sprintf("%s by %s about %v", ev["action"], ev["actor_name"], ev["registrant"]))
	}
	return out
}

func TestAuditFiltersByActorActionRegistrantAndDates(t *testing.T) {
	f := newFixture(t)
	// Day 1: the admin adds Ada; day 2 the registrar integration suspends
	// her and adds Bo; day 3 it reinstates her.
	ada := f.add("Ada", "Lovelace", "")
	f.clock.Advance(24 * time.Hour)
	res := f.post("/v1/registrants/"+ada.Number+"/suspend", f.registrar, `{"reason":"interim order"}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	res = f.post("/v1/registrants", f.registrar, `{"given_name":"Bo","family_name":"Diddley","nation":"wales","email":"bo@example.org"}`)
	require.Equal(t, http.StatusCreated, res.status, "body: %s", res.body)
	bo := res.json(t)["registration_number"].(string)
	f.clock.Advance(24 * time.Hour)
	res = f.post("/v1/registrants/"+ada.Number+"/reinstate", f.registrar, `{"reason":"order lifted"}`)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)

	day2 := f.clock.Now().Add(-24 * time.Hour).Format(time.DateOnly)
	reg := "registrar (integration)"
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"actor=registrar", []string{"registrant.suspend by " + reg + " about " + ada.Number, "registrant.add by " + reg + " about " + bo, "registrant.reinstate by " + reg + " about " + ada.Number}},
		{"actor=REGISTRAR&registrant=" + ada.Number, []string{"registrant.suspend by " + reg + " about " + ada.Number, "registrant.reinstate by " + reg + " about " + ada.Number}},
		{"actor=registrar&action=registrant.add", []string{"registrant.add by " + reg + " about " + bo}},
		{"action=registrant.add&from=" + day2, []string{"registrant.add by " + reg + " about " + bo}},
		{"from=" + day2 + "&to=" + day2 + "&registrant=" + ada.Number, []string{"registrant.suspend by " + reg + " about " + ada.Number}},
		{"to=" + day2 + "&action=registrant.reinstate", nil},
		{"actor=nobody+of+that+name", nil},
		{"action=registrant.remove", nil},
	} {
		t.Run(c.query, func(t *testing.T) {
			assert.Equal(t, c.want, f.auditActions(c.query))
		})
	}

	t.Run("the export takes the same filter, as CSV too", func(t *testing.T) {
		res := f.get("/v1/audit/export?format=csv&actor=registrar&registrant="+ada.Number, f.auditor)
		require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
		assert.Equal(t, "text/csv; charset=utf-8", res.header.Get("Content-Type"))
		rows, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 3)
		assert.Equal(t, audit.CSVHeader, rows[0])
		assert.Equal(t, []string{"registrant.suspend", ada.Number, "interim order"}, []string{rows[1][7], rows[1][8], rows[1][10]})
		assert.Equal(t, reg, rows[1][3])
	})
}

func TestAuditCSVExportDefusesFormulas(t *testing.T) {
	f := newFixture(t)
	// Names and reasons are typed by people; some begin like a formula.
	res := f.post("/v1/registrants", f.registrar, `{"given_name":"=HYPERLINK(\"http://evil.example\")","family_name":"Smith","nation":"england","email":"x@example.org"}`)
	require.Equal(t, http.StatusCreated, res.status, "body: %s", res.body)
	n := res.json(t)["registration_number"].(string)
	for _, reason := range []string{"+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "plain reason"} {
		res = f.post("/v1/registrants/"+n+"/suspend", f.registrar, fmt.Sprintf(`{"reason":%q}`, reason))
		require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
		res = f.post("/v1/registrants/"+n+"/reinstate", f.registrar, `{"reason":"ok"}`)
		require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	}
	res = f.get("/v1/audit/export?format=csv&registrant="+n, f.auditor)
	require.Equal(t, http.StatusOK, res.status)
	rows, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll()
	require.NoError(t, err)
	var reasons []string
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && bytes.ContainsAny([]byte{cell[0]}, "=+-@\t\r") {
				t.Errorf("cell %q would be read as a formula", cell)
			}
		}
		if row[7] == "registrant.suspend" {
			reasons = append(reasons, row[10])
		}
	}
	assert.Equal(t, []string{"'+1+cmd|' /C calc'!A0", "'-2+3", "'@SUM(A1:A9)", "plain reason"}, reasons)
}

func TestAuditFilterValidation(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ query, says string }{
		{"from=yesterday", "YYYY-MM-DD"},
		{"to=2026-13-01", "YYYY-MM-DD"},
		{"from=2026-03-02&to=2026-03-01", "swap them"},
		{"action=" + url.QueryEscape("Registrant Suspend!"), "action"},
	} {
		for _, path := range []string{"/v1/audit", "/v1/audit/export"} {
			requireError(t, f.get(path+"?"+c.query, f.auditor), 400, "invalid", c.says)
		}
	}
	requireError(t, f.get("/v1/audit/export?format=xlsx", f.auditor), 400, "invalid", "jsonl or csv")
}
