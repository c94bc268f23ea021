package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/nalw/linkpass/issuer/register"
)

// The API's answers must stay byte for byte what json.Indent made of them.
func checkIndented(t *testing.T, v any) {
	t.Helper()
	src, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := json.Indent(&want, src, "", "  "); err != nil {
		t.Fatal(err)
	}
	if got := appendIndented(nil, src); !bytes.Equal(got, want.Bytes()) {
		t.Errorf("indented\n%s\nwant\n%s", got, want.Bytes())
	}
}

func TestAppendIndentedIsWhatJSONIndentWrites(t *testing.T) {
	for _, v := range []any{
		nil, 1.5, "", `a "quoted" \ back\\slash\\"`, `\`, `\\`, `"`, "<script>&</script>", "Siân Ó Súilleabháin\u2028",
		[]any{}, map[string]any{}, []any{[]any{}, map[string]any{}, []any{map[string]any{"a": []any{}}}},
		map[string]any{"a": map[string]any{"b": []any{1, "x,y:z{}[]", true, nil}}, `k"\`: `v\"`},
		&IssueResponse{JWT: "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJodHRwczovL3JlZ2lzdGVyIn0.c2ln", JTI: "j", Registrant: "LW1000015",
			IssuedAt: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC), StatusList: StatusListEntry{URI: "https://register.example.org/status/1", Idx: 7}},
		&register.Registrant{Number: "LW1000015", Given: "Siân", Family: "O'Neill", CPD: []register.CPD{{Year: 2026, Hours: 21}},
			Qualifications: []register.Qualification{{Title: "Level 4 <Certificate>", Level: 4}}},
	} {
		checkIndented(t, v)
	}
}

func FuzzAppendIndented(f *testing.F) {
	for _, s := range []string{"", `"`, `\`, `\"`, "a\\\\\"b", "{}[],:", "\x00\xff"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, k, v string) {
		checkIndented(t, []any{v, map[string]any{k: []any{v, map[string]any{}}, v: k}})
	})
}
