package web

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

func get(t *testing.T, h http.Handler, method, path string, header http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestServesThePageAndItsAssets(t *testing.T) {
	h := Handler()
	for _, tc := range []struct {
		path, contentType, contains string
	}{
		{"/", "text/html; charset=utf-8", `<main id="app"`},
		{"/assets/app.js", "text/javascript; charset=utf-8", "function wire()"},
		{"/assets/state.js", "text/javascript; charset=utf-8", "export const state"},
		{"/assets/api.js", "text/javascript; charset=utf-8", "export async function api("},
		{"/assets/session.js", "text/javascript; charset=utf-8", "performance.mark(\"inbox-ready\")"},
		{"/assets/views.js", "text/javascript; charset=utf-8", "export function gate("},
		{"/assets/list.js", "text/javascript; charset=utf-8", "export function applyThread("},
		{"/assets/thread.js", "text/javascript; charset=utf-8", "export async function openThread("},
		{"/assets/messages.js", "text/javascript; charset=utf-8", "export function renderMessages("},
		{"/assets/team.js", "text/javascript; charset=utf-8", "export function renderNotes("},
		{"/assets/leads.js", "text/javascript; charset=utf-8", "export async function submitLead("},
		{"/assets/audit.js", "text/javascript; charset=utf-8", "export async function loadAudit("},
		{"/assets/download.js", "text/javascript; charset=utf-8", "export function downloadAll("},
		{"/assets/live.js", "text/javascript; charset=utf-8", "export function connectLive("},
		{"/assets/words.js", "text/javascript; charset=utf-8", "export function words("},
		{"/assets/media.js", "text/javascript; charset=utf-8", "export function twilioMediaURL("},
		{"/assets/sse.js", "text/javascript; charset=utf-8", "export class SSEParser"},
		{"/assets/time.js", "text/javascript; charset=utf-8", "export function zonedToUTC"},
		{"/assets/dom.js", "text/javascript; charset=utf-8", "export function h("},
		{"/assets/boot.js", "text/javascript; charset=utf-8", "smsinboxEarly"},
		{"/assets/app.css", "text/css; charset=utf-8", ".consent-badge"},
	} {
		res := get(t, h, http.MethodGet, tc.path, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", tc.path, res.StatusCode)
		}
		if got := res.Header.Get("Content-Type"); got != tc.contentType {
			t.Errorf("GET %s: Content-Type %q, want %q", tc.path, got, tc.contentType)
		}
		if b := body(t, res); !strings.Contains(b, tc.contains) {
			t.Errorf("GET %s: body lacks %q", tc.path, tc.contains)
		}
		if got := res.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q", tc.path, got)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := Handler()
	for _, path := range []string{"/", "/assets/app.js", "/assets/nope.js"} {
		res := get(t, h, http.MethodGet, path, nil)
		want := map[string]string{
			"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
		}
		for k, v := range want {
			if got := res.Header.Get(k); got != v {
				t.Errorf("GET %s: %s %q, want %q", path, k, got, v)
			}
		}
	}
}

func TestStrongETagAndNotModified(t *testing.T) {
	h := Handler()
	first := get(t, h, http.MethodGet, "/assets/app.js", nil)
	etag := first.Header.Get("ETag")
	if !regexp.MustCompile(`^"[0-9a-f]{32}"$`).MatchString(etag) {
		t.Fatalf("ETag %q is not a strong hash tag", etag)
	}
	again := get(t, h, http.MethodGet, "/assets/app.js", nil)
	if again.Header.Get("ETag") != etag {
		t.Fatalf("ETag changed between requests: %q, %q", etag, again.Header.Get("ETag"))
	}
	res := get(t, h, http.MethodGet, "/assets/app.js", http.Header{"If-None-Match": {etag}})
	if res.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match with the current ETag: %d, want 304", res.StatusCode)
	}
	if b := body(t, res); b != "" {
		t.Fatalf("304 with a body of %d bytes", len(b))
	}
	res = get(t, h, http.MethodGet, "/assets/app.js", http.Header{"If-None-Match": {`"stale"`}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("If-None-Match with another ETag: %d, want 200", res.StatusCode)
	}
	page := get(t, h, http.MethodGet, "/", nil).Header.Get("ETag")
	css := get(t, h, http.MethodGet, "/assets/app.css", nil).Header.Get("ETag")
	if page == etag || css == etag || page == css {
		t.Fatalf("files share an ETag: page %s, js %s, css %s", page, etag, css)
	}
}

func TestHead(t *testing.T) {
	h := Handler()
	full := get(t, h, http.MethodGet, "/", nil)
	n := len(body(t, full))
	res := get(t, h, http.MethodHead, "/", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("HEAD /: %d", res.StatusCode)
	}
	if b := body(t, res); b != "" {
		t.Fatalf("HEAD / answered a body")
	}
	if res.Header.Get("Content-Type") != "text/html; charset=utf-8" || res.Header.Get("ETag") == "" {
		t.Fatalf("HEAD / headers: %v", res.Header)
	}
	if got := res.Header.Get("Content-Length"); got != strconv.Itoa(n) {
		t.Fatalf("HEAD / Content-Length %q, want %d", got, n)
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	h := Handler()
	for _, path := range []string{"/assets/nope.js", "/assets/", "/assets/index.html", "/index.html", "/assets/../app.js"} {
		if res := get(t, h, http.MethodGet, path, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, res.StatusCode)
		}
	}
	res := get(t, h, http.MethodPost, "/", nil)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("POST /: %d Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
}

// The page must not reach for another host, nor hold inline script or
// style (the policy would block them).
func TestPageIsSelfContained(t *testing.T) {
	h := Handler()
	html := body(t, get(t, h, http.MethodGet, "/", nil))
	for _, bad := range []string{"http://", "https://", "//cdn", " style=", "<style", "onclick=", "javascript:"} {
		if strings.Contains(html, bad) {
			t.Errorf("index.html holds %q", bad)
		}
	}
	for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(html, -1) {
		if !strings.Contains(m, `src="/assets/`) {
			t.Errorf("inline or foreign script: %s", m)
		}
	}
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(html, -1) {
		ref := m[1]
		if ref == "data:," {
			continue
		}
		if res := get(t, h, http.MethodGet, ref, nil); res.StatusCode != http.StatusOK {
			t.Errorf("index.html refers to %s, which answers %d", ref, res.StatusCode)
		}
	}
	scripts, err := fs.Glob(static, "static/*.js")
	if err != nil || len(scripts) < 2 {
		t.Fatalf("the page's scripts: %q, %v", scripts, err)
	}
	for _, name := range scripts {
		js := AssetsPrefix + path.Base(name)
		src := body(t, get(t, h, http.MethodGet, js, nil))
		if strings.Contains(src, "innerHTML") || strings.Contains(src, "insertAdjacentHTML") {
			t.Errorf("%s writes HTML from strings", js)
		}
	}
}

// The DOM hooks of README.md that are in the document from the start.
func TestPageHasTheContractHooks(t *testing.T) {
	html := body(t, get(t, Handler(), http.MethodGet, "/", nil))
	for _, hook := range []string{
		`<form id="signin"`, `id="token"`, `<label for="token">User token</label>`, `id="signin-error"`,
		`<section id="blocked"`, `<main id="app"`, `id="company-name"`, `id="user-name"`, `id="signout"`,
		`id="live" data-state="connecting"`, `role="tablist"`, `id="tab-inbox"`, `id="tab-archived"`,
		`<ul id="threads"`, `id="download-all"`, `<section id="thread"`, `class="thread-title"`,
		`id="mark-unread"`, `id="archive" type="button" data-action="archive"`, `id="download-thread"`,
		`<ol id="messages"`, `<form id="reply"`, `<textarea id="reply-body"`, `id="reply-send"`,
		`id="reply-error" class="error" role="alert"`, `<form id="lead-form"`, `id="lead-first-name"`,
		`id="lead-last-name"`, `id="lead-email"`, `id="lead-first-name-error"`, `id="lead-last-name-error"`,
		`id="lead-email-error"`, `id="lead-form-error"`, `<section id="lead-details"`, `class="lead-name"`,
		`class="lead-email"`, `class="lead-phone"`, `<ol id="journey"`, `<section id="audit"`,
		`id="audit-at" type="datetime-local"`, `id="audit-status"`, `<ol id="audit-events"`,
	} {
		if !strings.Contains(html, hook) {
			t.Errorf("index.html lacks %s", hook)
		}
	}
	for _, id := range []string{"signin-error", "reply-error"} {
		if !regexp.MustCompile(`id="` + id + `"[^>]*role="alert"`).MatchString(html) {
			t.Errorf("#%s is not role=alert", id)
		}
	}
}

// The page names its files by hash: those answers are cached for good; a
// module's imports are named by hash too, and the names change with the
// content (a new binary's page asks for new files).
func TestVersionedAssets(t *testing.T) {
	h := Handler()
	html := body(t, get(t, h, http.MethodGet, "/", nil))
	if got := get(t, h, http.MethodGet, "/", nil).Header.Get("Cache-Control"); got != "no-cache" {
		t.Fatalf("the page's Cache-Control is %q, want no-cache", got)
	}
	refs := regexp.MustCompile(`"(/assets/[a-z]+\.(?:js|css))\?v=([0-9a-f]{32})"`).FindAllStringSubmatch(html, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html names %d versioned files: %q", len(refs), refs)
	}
	for _, ref := range refs {
		res := get(t, h, http.MethodGet, ref[1]+"?v="+ref[2], nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s?v=%s: %d", ref[1], ref[2], res.StatusCode)
		}
		if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s with its version: Cache-Control %q", ref[1], got)
		}
		if etag := res.Header.Get("ETag"); etag != `"`+ref[2]+`"` {
			t.Errorf("GET %s: ETag %s, want the version %s", ref[1], etag, ref[2])
		}
		if got := get(t, h, http.MethodGet, ref[1]+"?v=0123", nil).Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s with another version: Cache-Control %q, want no-cache", ref[1], got)
		}
	}
	// Every module the page imports, app.js's imports and theirs, is
	// named by its version and preloaded by index.html at that version:
	// the browser asks for them all at once, not one level at a time.
	importRef := regexp.MustCompile(`from "\./([a-z]+\.js)(\?v=([0-9a-f]{32}))?"`)
	seen := map[string]bool{"app.js": true}
	for queue := []string{"app.js"}; len(queue) > 0; queue = queue[1:] {
		mod := queue[0]
		src := body(t, get(t, h, http.MethodGet, "/assets/"+mod, nil))
		imports := importRef.FindAllStringSubmatch(src, -1)
		if mod == "app.js" && len(imports) == 0 {
			t.Fatal("app.js imports nothing")
		}
		for _, imp := range imports {
			if imp[2] == "" {
				t.Errorf("%s imports %s without its version", mod, imp[1])
				continue
			}
			res := get(t, h, http.MethodGet, "/assets/"+imp[1], nil)
			if etag := res.Header.Get("ETag"); etag != `"`+imp[3]+`"` {
				t.Errorf("%s imports %s?v=%s, but its ETag is %s", mod, imp[1], imp[3], etag)
			}
			if !strings.Contains(html, `/assets/`+imp[1]+`?v=`+imp[3]) {
				t.Errorf("index.html does not preload %s at the version %s imports", imp[1], mod)
			}
			if !seen[imp[1]] {
				seen[imp[1]] = true
				queue = append(queue, imp[1])
			}
		}
	}
}

func TestVersionsFollowContent(t *testing.T) {
	fsys := fstest.MapFS{
		"static/index.html": {Data: []byte(`<script type="module" src="/assets/a.js"></script>`)},
		"static/a.js":       {Data: []byte(`import { b } from "./b.js";`)},
		"static/b.js":       {Data: []byte(`export const b = 1;`)},
	}
	one, err := newHandler(fsys)
	if err != nil {
		t.Fatal(err)
	}
	fsys["static/b.js"] = &fstest.MapFile{Data: []byte(`export const b = 2;`)}
	two, err := newHandler(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", "/assets/a.js", "/assets/b.js"} {
		if one.byPath[p].version == two.byPath[p].version {
			t.Errorf("%s keeps its version when a file it refers to changes", p)
		}
	}
	fsys["static/a.js"] = &fstest.MapFile{Data: []byte(`import { c } from "./c.js";`)}
	if _, err := newHandler(fsys); err == nil {
		t.Errorf("a reference to a missing file is not an error")
	}
}

// The page's pure modules, run with Node when it is installed (the browser
// tests cover the rest of the page).
func TestScriptsWithNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	for _, tz := range []string{"UTC", "Asia/Tokyo", "America/Los_Angeles"} {
		cmd := exec.Command(node, "testdata/scripts_test.mjs")
		cmd.Env = append(os.Environ(), "TZ="+tz)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("TZ=%s node testdata/scripts_test.mjs: %v\n%s", tz, err, out)
		}
	}
}
