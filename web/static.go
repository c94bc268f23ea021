package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var staticFS embed.FS

// contentTypes names the type of every kind of static file; a file of any
// other kind is refused at startup, so nothing is served with a guessed
// type.
var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
	".png": "image/png",
	".txt": "text/plain; charset=utf-8",
	".md":  "text/plain; charset=utf-8",
	// The web wallet's manifest (https://www.w3.org/TR/appmanifest/).
	".webmanifest": "application/manifest+json",
}

// staticFile is one embedded asset, ready to serve.
type staticFile struct {
	body  []byte
	ctype string
	etag  string
}

// staticFiles serves the embedded assets under /static/. Each carries a
// strong ETag of its content and "Cache-Control: no-cache", so browsers
// revalidate cheaply and never run an old script after an upgrade.
type staticFiles struct {
	files map[string]*staticFile // by URL path, "/static/site.css"
}

func loadStatic() (*staticFiles, error) {
	s := &staticFiles{files: map[string]*staticFile{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ext := path.Ext(p)
		if strings.HasPrefix(path.Base(p), "LICENSE") {
			ext = ".txt"
		}
		ctype, ok := contentTypes[ext]
		if !ok {
			return fmt.Errorf("web: static file %s has no known content type", p)
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return fmt.Errorf("web: reading static file %s: %w", p, err)
		}
		sum := sha256.Sum256(b)
		s.files["/"+p] = &staticFile{body: b, ctype: ctype, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (s *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := s.files[r.URL.Path]
	if !ok {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}
