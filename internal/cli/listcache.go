package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
)

// fileListCache keeps fetched status lists between runs of `verify
// --online`, one file per list in the user's cache directory, so that a
// list within its ttl costs no request and an older one only a 304. The
// verifier re-verifies everything it loads, so a damaged or altered file
// is simply fetched again.
type fileListCache struct{ dir string }

// newFileListCache returns the cache in the user's cache directory, or
// nil if there is none (the verifier then simply fetches every time).
func newFileListCache() *fileListCache {
	d, err := os.UserCacheDir()
	if err != nil {
		return nil
	}
	return &fileListCache{dir: filepath.Join(d, "linkpass", "status-lists")}
}

type cachedList struct {
	URI   string `json:"uri"`
	Token string `json:"token"`
	ETag  string `json:"etag"`
}

func (c *fileListCache) path(uri string) string {
	sum := sha256.Sum256([]byte(uri))
	return filepath.Join(c.dir, hex.EncodeToString(sum[:16])+".json")
}

func (c *fileListCache) Load(uri string) (token, etag string, ok bool) {
	b, err := os.ReadFile(c.path(uri))
	if err != nil {
		return "", "", false
	}
	var e cachedList
	if json.Unmarshal(b, &e) != nil || e.URI != uri {
		return "", "", false
	}
	return e.Token, e.ETag, true
}

// Store writes the entry; failures only cost a fetch next time.
func (c *fileListCache) Store(uri, token, etag string) {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return
	}
	b, err := json.Marshal(cachedList{URI: uri, Token: token, ETag: etag})
	if err != nil {
		return
	}
	tmp, err := os.CreateTemp(c.dir, ".tmp-*")
	if err != nil {
		return
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return
	}
	if tmp.Close() != nil {
		return
	}
	_ = os.Rename(tmp.Name(), c.path(uri))
}
