package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/bulkimport"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

func importBody(t *testing.T, dryRun bool, recs ...register.Imported) string {
	t.Helper()
	b, err := json.Marshal(importRequest{Records: recs, Options: bulkimport.Options{DryRun: dryRun}})
	require.NoError(t, err)
	return string(b)
}

func importRec(line int, ref, given, family string) register.Imported {
	return register.Imported{Line: line, ExternalRef: ref, Given: given, Family: family, Nation: "scotland",
		Email: strings.ToLower(given) + "@example.org", RegisteredFrom: "2020-01-01", RegisteredUntil: "2027-01-01", Status: register.Registered}
}

func decodeImport(t *testing.T, r response) importResponse {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	var res importResponse
	require.NoError(t, json.Unmarshal(r.body, &res))
	return res
}

func TestImportDryRunReportsEveryBadRecordAndChangesNothing(t *testing.T) {
	f := newFixture(t)
	before := f.index()
	bad := importRec(3, "X2", "Eilidh", "")
	worse := importRec(5, "X3", "Morag", "Campbell")
	worse.RegisteredUntil = "31/01/2027"
	res := decodeImport(t, f.post("/v1/registrants/import", f.admin, importBody(t, true, importRec(2, "X1", "Ada", "Lovelace"), bad, worse)))
	require.Len(t, res.Problems, 2)
	assert.Equal(t, 3, res.Problems[0].Line)
	assert.Contains(t, res.Problems[0].Message, "family name is required")
	assert.Equal(t, 5, res.Problems[1].Line)
	assert.Contains(t, res.Problems[1].Message, "YYYY-MM-DD")
	assert.Equal(t, before, f.index(), "a dry run writes nothing")

	// Without dry_run the same records are refused whole.
	r := f.post("/v1/registrants/import", f.admin, importBody(t, false, importRec(2, "X1", "Ada", "Lovelace"), bad))
	requireError(t, r, http.StatusBadRequest, "invalid", "line 3", "none were")
	assert.Equal(t, before, f.index())
}

func TestImportAppliesInBatchesAndIsIdempotent(t *testing.T) {
	f := newFixture(t)
	n := bulkimport.BatchSize + 7 // two log entries
	recs := make([]register.Imported, n)
	for i := range recs {
		recs[i] = importRec(i+2, fmt.Sprintf("OLD-%05d", i), "Person", fmt.Sprintf("Number%d", i))
	}
	before := f.index()
	res := decodeImport(t, f.post("/v1/registrants/import", f.admin, importBody(t, false, recs...)))
	assert.Empty(t, res.Problems)
	assert.Equal(t, n, res.Count(fsm.ImportAdded))
	assert.Equal(t, before+2, f.index(), "one log entry per batch of %d", bulkimport.BatchSize)

	evs, err := f.srv.State().Audit(state.AuditFilter{After: before})
	require.NoError(t, err)
	assert.Len(t, evs, n)

	res = decodeImport(t, f.post("/v1/registrants/import", f.admin, importBody(t, false, recs...)))
	assert.Equal(t, n, res.Count(fsm.ImportExisting))
	regs, err := f.srv.State().Registrants("")
	require.NoError(t, err)
	assert.Len(t, regs, n)
}

func TestImportIsForAdminsOnly(t *testing.T) {
	f := newFixture(t)
	r := f.post("/v1/registrants/import", f.registrar, importBody(t, true, importRec(2, "X1", "Ada", "Lovelace")))
	requireError(t, r, http.StatusForbidden, "forbidden")
}

// TestImportTakesASnapshotAtTheEnd: the last call of an import leaves a
// snapshot on disk holding the whole import, so that the next start
// restores it instead of replaying the import from the log.
func TestImportTakesASnapshotAtTheEnd(t *testing.T) {
	f := newFixture(t)
	b, err := json.Marshal(importRequest{Records: []register.Imported{importRec(2, "X1", "Ada", "Lovelace")}})
	require.NoError(t, err)
	res := decodeImport(t, f.post("/v1/registrants/import", f.admin, string(b)))
	assert.False(t, res.Snapshot, "not the last call")
	b, err = json.Marshal(importRequest{Records: []register.Imported{importRec(3, "X2", "Mary", "Seacole")}, Last: true})
	require.NoError(t, err)
	res = decodeImport(t, f.post("/v1/registrants/import", f.admin, string(b)))
	assert.True(t, res.Snapshot)
	imported := f.srv.State().Index("")

	// The snapshot is taken in the background.
	metas := filepath.Join(filepath.Dir(f.srv.AdminTokenPath), "raft", "snapshots", "*", "meta.json")
	var newest uint64
	deadline := time.Now().Add(30 * time.Second)
	for newest < imported && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		found, err := filepath.Glob(metas)
		require.NoError(t, err)
		for _, m := range found {
			var meta struct{ Index uint64 }
			if b, err := os.ReadFile(m); err == nil && json.Unmarshal(b, &meta) == nil {
				newest = max(newest, meta.Index)
			}
		}
	}
	require.GreaterOrEqual(t, newest, imported, "a snapshot on disk holds the import (%s)", metas)
}

func TestAddRegistrantRefusesALikelyDuplicateUnlessAllowed(t *testing.T) {
	f := newFixture(t)
	first := f.add("Siobhan", "O'Neill", "")
	body := `{"given_name":"SIOBHAN","family_name":"ONeill","nation":"england","email":"siobhan@example.org"}`
	r := f.post("/v1/registrants", f.registrar, body)
	requireError(t, r, http.StatusConflict, "conflict", first.Number, "same name and email", "--allow-duplicate")

	r = f.post("/v1/registrants", f.registrar, strings.TrimSuffix(body, "}")+`,"allow_duplicate":true}`)
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.body)
}
