// Package web serves the dashboard's Messages page: one HTML document, its
// script and its style sheet, embedded in the binary (static/). The page is
// a client of the public API like any other; this package serves files and
// nothing else.
//
// Every file is read once at start: its body, its content type and a strong
// ETag from its SHA-256. The page (/) is served with Cache-Control:
// no-cache, so a browser asks again each time (If-None-Match → 304 while
// the binary is the same) and a new binary's page is picked up at once. The
// page names its script and style sheet with their hash (?v=), and a module
// its imports likewise: an answer to such a URL is cached for good, so a
// reload costs one request. Without ?v= (or with another) an asset is
// no-cache too.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"slices"
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
	version     string // the hash of body, as ?v= names it
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

// References to the page's own files, which carry the file's hash (?v=):
// "/assets/app.css" in the HTML, "./sse.js" in a module's import.
var (
	htmlRef   = regexp.MustCompile(`"/assets/([A-Za-z0-9._-]+)"`)
	importRef = regexp.MustCompile(`from "\./([A-Za-z0-9._-]+)"`)
)

// newHandler reads the files once. A reference from one file to another
// gets the other's hash as ?v=, so that an answer to a versioned URL may be
// cached for good (a new binary's page names new versions) while the page
// itself is asked for again each time: a reload costs one request.
func newHandler(files fs.FS) (*handler, error) {
	root, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	raw := map[string][]byte{}
	err = fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw[name], err = fs.ReadFile(root, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	done := map[string]*asset{}
	var build func(name string, seen []string) (*asset, error)
	build = func(name string, seen []string) (*asset, error) {
		if a, ok := done[name]; ok {
			return a, nil
		}
		if slices.Contains(seen, name) {
			return nil, fmt.Errorf("web: %s refers to itself through %v", name, seen)
		}
		body, ok := raw[name]
		if !ok {
			return nil, fmt.Errorf("web: %s refers to %s, which is not in static/", seen[len(seen)-1], name)
		}
		ref := importRef
		if strings.HasSuffix(name, ".html") {
			ref = htmlRef
		} else if !strings.HasSuffix(name, ".js") {
			ref = nil
		}
		if ref != nil {
			var ferr error
			body = ref.ReplaceAllFunc(body, func(m []byte) []byte {
				dep := string(ref.FindSubmatch(m)[1])
				a, err := build(dep, append(seen, name))
				if err != nil {
					ferr = err
					return m
				}
				return []byte(strings.Replace(string(m), dep, dep+"?v="+a.version, 1))
			})
			if ferr != nil {
				return nil, ferr
			}
		}
		sum := sha256.Sum256(body)
		version := hex.EncodeToString(sum[:16])
		a := &asset{name: name, body: body, contentType: contentType(name), version: version, etag: `"` + version + `"`}
		done[name] = a
		return a, nil
	}
	h := &handler{byPath: map[string]*asset{}}
	for name := range raw {
		a, err := build(name, nil)
		if err != nil {
			return nil, err
		}
		if name == "index.html" {
			h.byPath["/"] = a
		} else {
			h.byPath[AssetsPrefix+name] = a
		}
	}
	return h, nil
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
	if v := r.URL.Query().Get("v"); v != "" && v == a.version && r.URL.Path != "/" {
		// This very content, named by its hash: it never changes.
		hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hdr.Set("Cache-Control", "no-cache")
	}
	// ServeContent answers If-None-Match with 304, HEAD without a body and
	// ranges; the zero time leaves Last-Modified out (the ETag decides).
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
}
