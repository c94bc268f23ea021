package state

import (
	"bytes"
	"testing"

	"github.com/hashicorp/go-memdb"
)

// TestStringKey indexes as memdb.StringFieldIndex does.
func TestStringKey(t *testing.T) {
	idx := stringKey[meta]{"Key", func(m *meta) string { return m.Key }}
	ref := &memdb.StringFieldIndex{Field: "Key"}
	for _, obj := range []any{&meta{Key: "index/*"}, &meta{}, meta{Key: "by value"}} {
		ok, v, err := idx.FromObject(obj)
		rok, rv, rerr := ref.FromObject(obj)
		if ok != rok || !bytes.Equal(v, rv) || (err == nil) != (rerr == nil) {
			t.Errorf("%#v: (%v, %q, %v), want (%v, %q, %v)", obj, ok, v, err, rok, rv, rerr)
		}
	}
	if v, err := idx.FromArgs("index/"); err != nil || string(v) != "index/\x00" {
		t.Errorf("FromArgs: %q, %v", v, err)
	}
	if v, err := idx.PrefixFromArgs("index/"); err != nil || string(v) != "index/" {
		t.Errorf("PrefixFromArgs: %q, %v", v, err)
	}
}
