package api

import (
	"fmt"
	"net/http"

	"github.com/nalw/linkpass/issuer/bulkimport"
	"github.com/nalw/linkpass/issuer/register"
)

// maxImportBodyBytes bounds one import call: bulkimport.MaxRecords records
// of a generous 2 KB each.
const maxImportBodyBytes = bulkimport.MaxRecords * 2 << 10

type importRequest struct {
	Records []register.Imported `json:"records"`
	bulkimport.Options
	// Last marks the final call of an import: the register then starts a
	// snapshot, so that its next start need not replay the import.
	Last bool `json:"last,omitempty"`
}

func (q *importRequest) Validate() error {
	if len(q.Records) > bulkimport.MaxRecords {
		return fmt.Errorf("%w: %d records in one call; send at most %d at a time", register.ErrInvalid, len(q.Records), bulkimport.MaxRecords)
	}
	return nil
}

type importResponse struct {
	bulkimport.Report
	// Snapshot says a snapshot was started.
	Snapshot bool `json:"snapshot"`
}

func (a *API) importRegistrants(r *http.Request, actor register.Actor) (int, any, error) {
	req := &importRequest{}
	if err := decodeLimit(r, req, maxImportBodyBytes); err != nil {
		return 0, nil, err
	}
	rep, err := bulkimport.Import(r.Context(), a.srv, actor, req.Records, req.Options)
	if err != nil {
		return 0, nil, err
	}
	res := importResponse{Report: rep}
	if req.Last && !req.DryRun {
		a.srv.SnapshotSoon()
		res.Snapshot = true
	}
	return http.StatusOK, res, nil
}
