package state

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

const tablePublished = "published_lists"

// PublishedList is a Status List Token the leader of a cluster signed and
// wrote to the log, so that every node serves the very same token: a
// verifier that meets several nodes never sees a list go back in time.
type PublishedList struct {
	ID       string        `json:"id"`
	URI      string        `json:"uri"`
	Token    []byte        `json:"token"`
	ETag     string        `json:"etag"`
	IssuedAt time.Time     `json:"issued_at"`
	TTL      time.Duration `json:"ttl"`
	// Index is the log index the token reflects: every change at or
	// before it is in it.
	Index uint64 `json:"index"`
	// Built is the status index (ReadTxn.StatusIndex) it was built from;
	// while the status index stays there, the token reflects later
	// changes too.
	Built uint64 `json:"built"`
}

func publishedTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tablePublished,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		},
	}
}

// PutPublishedList records a published token, replacing the list's last.
func (t *Txn) PutPublishedList(l *PublishedList) error { return t.insert(tablePublished, l) }

// PublishedLists returns the tokens the leader last published, in id
// order.
func (r *ReadTxn) PublishedLists() ([]*PublishedList, error) {
	it, err := r.tx.Get(tablePublished, indexID)
	if err != nil {
		return nil, err
	}
	var out []*PublishedList
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, obj.(*PublishedList))
	}
	return out, nil
}
