// Package web serves the dashboard's Messages page: one HTML document, its
// script and its style sheet, embedded in the binary (static/). The page is
// a client of the public API like any other; this package serves files and
// nothing else.
//
// Every file is read once at start: its body, its content type and a strong
// ETag from its SHA-256. Answers carry Cache-Control: no-cache, so a browser
// asks again each time (If-None-Match → 304 while the binary is the same)
// and a new binary's page is picked up at once.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// ContentSecurityPolicy is the page's policy: everything from smsinbox
// itself, no inline script or style, no framing.
const ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// AssetsPrefix is where the page's script and style sheet are served.
const AssetsPrefix = "/assets/"

// asset is one embedded file, ready to serve.
type asset struct {
	name        string
	body        []byte
	contentType string
	etag        string
}

// contentTypes are the types of the files the page is made of; the
// platform's MIME table is not relied on (it differs between machines).
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".json": "application/json",
}

// Handler serves GET and HEAD of / (the page) and /assets/<file> (every
// other file of static/). Any other path is 404, any other method 405.
func Handler() http.Handler {
	h, err := newHandler(static)
	if err != nil {
		// The files are compiled in: failing here is a build mistake.
		panic(err)
	}
	return h
}

type handler struct {
	byPath map[string]*asset
}

func newHandler(files embed.FS) (*handler, error) {
	root, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	h := &handler{byPath: map[string]*asset{}}
	err = fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(root, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		a := &asset{name: name, body: body, contentType: contentType(name), etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
		if name == "index.html" {
			h.byPath["/"] = a
			return nil
		}
		h.byPath[AssetsPrefix+name] = a
		return nil
	})
	return h, err
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", ContentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY")

	a, ok := h.byPath[r.URL.Path]
	if !ok {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("ETag", a.etag)
	hdr.Set("Cache-Control", "no-cache")
	// ServeContent answers If-None-Match with 304, HEAD without a body and
	// ranges; the zero time leaves Last-Modified out (the ETag decides).
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
}
