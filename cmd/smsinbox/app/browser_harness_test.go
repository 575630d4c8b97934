package app_test

// The browser harness: a headless Chromium, driven by chromedp (pure Go,
// run by go test), pointed at an env's server. One browser per test: its
// own profile, so its own sessionStorage and downloads. The contract the
// tests hold the page to is adapters/web/README.md.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// uiWait is how long the tests wait for the page to show something before
// they give up. It bounds a wait for a signal, it measures nothing: the page
// usually answers in milliseconds, and how fast it does is the load tool's
// and the benchmarks' business. It is generous so that a machine busy with
// other builds cannot fail a test that would pass on a quiet one.
const uiWait = 30 * time.Second

// findChromium is the browser to drive: CHROMIUM_PATH (cmd/testenv sets it),
// else chromium, chromium-browser or google-chrome on PATH.
func findChromium() (string, error) {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("CHROMIUM_PATH=%s: %w", p, err)
		}
		return path, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", errors.New("no chromium, chromium-browser or google-chrome on PATH, and CHROMIUM_PATH is not set")
}

// screenshotDir is where screenshots go: testdata/screenshots/ at the
// repository's root, which .gitignore ignores.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "screenshots")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// page is one browser tab on an env's server.
type page struct {
	t   *testing.T
	e   *env
	ctx context.Context // the tab
	// downloads is where the browser saves files (named by download GUID).
	downloads string

	mu       sync.Mutex
	problems []string // JavaScript errors the page logged
	// noted is closed, and replaced, when a problem is logged.
	noted   chan struct{}
	network []string // failed requests the browser logged (expected ones too)
	output  *tailBuffer
}

// tailBuffer keeps the end of the browser's own output, for a failure.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for line := range strings.Lines(string(p)) {
		// A container has no D-Bus; Chromium says so at every start.
		if !strings.Contains(line, "dbus") && !strings.Contains(line, "unexpected operator") {
			b.buf = append(b.buf, line...)
		}
	}
	if over := len(b.buf) - 16<<10; over > 0 {
		b.buf = b.buf[over:]
	}
	return len(p), nil
}

// Reset forgets what a failed start wrote.
func (b *tailBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// newPage starts a headless Chromium with one tab for the test, on e's
// server. When the test ends it fails the test if the page logged a
// JavaScript error (an uncaught exception, a rejected promise, console.error,
// a CSP violation), then stops the browser (before e's server stops).
func newPage(t *testing.T, e *env) *page {
	t.Helper()
	path, err := findChromium()
	if err != nil {
		t.Fatalf("the browser tests need Chromium: %v; install chromium (apt-get install chromium) or run the tests through go run ./cmd/testenv", err)
	}
	p := &page{t: t, e: e, downloads: t.TempDir(), output: &tailBuffer{}, noted: make(chan struct{})}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 800),
		chromedp.CombinedOutput(p.output),
	)
	// Chromium on a loaded machine now and then dies while it starts (a
	// crash report, no DevTools address), before the page exists: that is
	// the browser's launch, not the product, so the start is tried again,
	// three times at most, and every failed start's output is kept.
	var (
		ctx                    context.Context
		cancelTab, cancelAlloc context.CancelFunc
		failed                 []string
	)
	for attempt := 1; ; attempt++ {
		allocCtx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
		tab, cancelT := chromedp.NewContext(allocCtx)
		err := chromedp.Do(tab) // starts the browser, opens the tab
		if err == nil {
			ctx, cancelTab, cancelAlloc = tab, cancelT, cancelA
			break
		}
		cancelT()
		cancelA()
		failed = append(failed, fmt.Sprintf("attempt %d: %v\n%s", attempt, err, p.output.String()))
		if attempt == 3 {
			t.Fatalf("start %s:\n%s", path, strings.Join(failed, "\n"))
		}
		p.output.Reset()
	}
	p.ctx = ctx
	// Subscribe before anything loads, so that no message is lost.
	messages := chromedp.Console(ctx)
	consoleDone := make(chan struct{})
	go func() {
		defer close(consoleDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			p.note(m)
		}
	}()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: p.downloads, EventsEnabled: new(true),
	}); err != nil {
		t.Fatalf("download behaviour: %v", err)
	}
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		<-consoleDone
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.network) > 0 && testing.Verbose() {
			t.Logf("requests the browser saw fail (expected ones included):\n  %s", strings.Join(p.network, "\n  "))
		}
		if len(p.problems) > 0 {
			t.Errorf("the page logged JavaScript errors:\n  %s", strings.Join(p.problems, "\n  "))
		}
		if t.Failed() {
			if out := strings.TrimSpace(p.output.String()); out != "" {
				t.Logf("the browser's output (end):\n%s", out)
			}
		}
	})
	return p
}

// takeProblems returns the JavaScript errors logged so far and forgets
// them (for the harness's own test).
func (p *page) takeProblems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.problems
	p.problems = nil
	return out
}

// problemNoted returns a channel closed when the page next logs a
// JavaScript error.
func (p *page) problemNoted() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.noted
}

// addProblem records a JavaScript error and wakes whoever waits for one;
// p.mu is held.
func (p *page) addProblem(problem string) {
	p.problems = append(p.problems, problem)
	close(p.noted)
	p.noted = make(chan struct{})
}

// note sorts a console message: JavaScript errors fail the test; failed
// requests (a refused token's 401, a refused reply's 409) are expected by
// some tests and only reported.
func (p *page) note(m chromedp.ConsoleMessage) {
	where := ""
	if m.URL != "" {
		where = fmt.Sprintf(" (%s:%d)", m.URL, m.Line+1)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case m.IsException():
		p.addProblem(m.String() + where)
	case m.Type != chromedp.ConsoleError:
	case m.Source == "network":
		p.network = append(p.network, m.Text)
	default: // console.error, or the browser's log: security (CSP), javascript, ...
		p.addProblem(m.String() + where + sourceOf(m))
	}
}

func sourceOf(m chromedp.ConsoleMessage) string {
	if m.Source == "" {
		return ""
	}
	return " [" + m.Source + "]"
}

// run runs actions on the tab, with uiWait as their limit.
func (p *page) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, uiWait)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fail("%s: %v", what, err)
	}
}

// fail ends the test with what the page shows, and a screenshot of it.
func (p *page) fail(format string, args ...any) {
	p.t.Helper()
	msg := fmt.Sprintf(format, args...)
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	if text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 1500) : "(no body)"`)); err == nil {
		msg += "\n--- the page shows ---\n" + text
	}
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		name := "failed-" + strings.NewReplacer("/", "-", " ", "_").Replace(p.t.Name()) + ".png"
		if path, err := p.writeScreenshot(name, png); err == nil {
			msg += "\n--- screenshot: " + path
		}
	}
	p.t.Fatal(msg)
}

// open loads the page at / .
func (p *page) open() {
	p.t.Helper()
	p.run("load "+p.e.srv.URL+"/", chromedp.Navigate(p.e.srv.URL+"/"))
}

// reload loads the page again (the token stays in sessionStorage).
func (p *page) reload() {
	p.t.Helper()
	p.run("reload", chromedp.Reload())
}

// signIn opens the page and signs in with token through form#signin; it
// returns once main#app (or, for a user the page closes, section#blocked)
// is on screen.
func (p *page) signIn(token string) {
	p.t.Helper()
	p.submitToken(token)
	p.waitVisible("#app, #blocked")
}

// submitToken opens the page and submits token in form#signin.
func (p *page) submitToken(token string) {
	p.t.Helper()
	p.open()
	p.waitVisible("form#signin input#token")
	p.run("type the token", chromedp.SendKeys(chromedp.CSS("form#signin input#token"), token))
	p.click(`form#signin button[type=submit], form#signin button:not([type]), form#signin input[type=submit]`)
}

// js is a selector as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// visibleJS is a JavaScript function that tells whether an element is on
// screen (rendered, not hidden).
const visibleJS = `(el => !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden")`

// waitFor waits (uiWait at most) until the JavaScript expression cond is
// truthy, evaluating it again every 20 ms (it survives reloads).
func (p *page) waitFor(what, cond string) {
	p.t.Helper()
	if err := p.poll(cond, uiWait); err != nil {
		p.fail("waited %v for %s: %v", uiWait, what, err)
	}
}

// poll evaluates cond until it is truthy or limit passes.
func (p *page) poll(cond string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for {
		ctx, cancel := context.WithTimeout(p.ctx, time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		cancel()
		if err == nil && ok {
			return nil
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			if last != nil {
				return fmt.Errorf("not true (last error: %v)", last)
			}
			return errors.New("not true")
		}
		// The pace of the poll: the page's state lives in another process
		// (Chromium), which tells the test nothing when it changes, and
		// evaluating again must survive reloads and navigations.
		time.Sleep(20 * time.Millisecond)
	}
}

// waitVisible waits until an element matching sel is on screen.
func (p *page) waitVisible(sel string) {
	p.t.Helper()
	p.waitFor(sel+" on screen", `Array.from(document.querySelectorAll(`+js(sel)+`)).some(`+visibleJS+`)`)
}

// waitGone waits until no element matching sel is on screen.
func (p *page) waitGone(sel string) {
	p.t.Helper()
	p.waitFor(sel+" gone", `!Array.from(document.querySelectorAll(`+js(sel)+`)).some(`+visibleJS+`)`)
}

// waitText waits until the first element matching sel is on screen and its
// text contains want (white space runs compared as one space).
func (p *page) waitText(sel, want string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf("%s to say %q", sel, want),
		`(el => `+visibleJS+`(el) && el.textContent.replace(/\s+/g, " ").includes(`+js(want)+`))(document.querySelector(`+js(sel)+`))`)
}

// waitAttr waits until the first element matching sel has attribute name = want.
func (p *page) waitAttr(sel, name, want string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf("%s[%s=%q]", sel, name, want),
		`(el => !!el && el.getAttribute(`+js(name)+`) === `+js(want)+`)(document.querySelector(`+js(sel)+`))`)
}

// eval evaluates a JavaScript expression into T.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, uiWait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.fail("evaluate %s: %v", expr, err)
	}
	return v
}

// text is the text of the first element matching sel ("" when none), its
// white space runs made one space.
func (p *page) text(sel string) string {
	p.t.Helper()
	return eval[string](p, `(el => el ? el.textContent.replace(/\s+/g, " ").trim() : "")(document.querySelector(`+js(sel)+`))`)
}

// attr is an attribute of the first element matching sel (null → "").
func (p *page) attr(sel, name string) string {
	p.t.Helper()
	return eval[string](p, `(el => (el && el.getAttribute(`+js(name)+`)) || "")(document.querySelector(`+js(sel)+`))`)
}

// count is how many elements match sel.
func (p *page) count(sel string) int {
	p.t.Helper()
	return eval[int](p, `document.querySelectorAll(`+js(sel)+`).length`)
}

// fontWeight is the computed font-weight of the first element matching sel.
func (p *page) fontWeight(sel string) int {
	p.t.Helper()
	return eval[int](p, `(el => el ? parseInt(getComputedStyle(el).fontWeight, 10) : -1)(document.querySelector(`+js(sel)+`))`)
}

// click waits until sel is on screen, then clicks it with the mouse.
func (p *page) click(sel string) {
	p.t.Helper()
	p.waitVisible(sel)
	p.run("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// typeInto empties a field (as selecting all and deleting would), then
// types text into it key by key.
func (p *page) typeInto(sel, text string) {
	p.t.Helper()
	p.waitVisible(sel)
	eval[bool](p, `(el => { el.focus(); el.value = ""; el.dispatchEvent(new Event("input", {bubbles: true})); return true })(document.querySelector(`+js(sel)+`))`)
	p.run("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// screenshot saves the viewport as testdata/screenshots/<name>.png at the
// repository's root.
func (p *page) screenshot(name string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, uiWait)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	path, err := p.writeScreenshot(name+".png", png)
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
	return path
}

func (p *page) writeScreenshot(file string, png []byte) (string, error) {
	dir := screenshotDir(p.t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, file)
	return path, os.WriteFile(path, png, 0o644)
}

// download clicks sel and returns the file the browser saved.
func (p *page) download(sel string) []byte {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, uiWait)
	defer cancel()
	progress := chromedp.BrowserEvents(ctx, browser.DownloadProgress) // before the click
	p.click(sel)
	for ev, err := range progress {
		if err != nil {
			p.fail("waited %v for the download of %s: %v", uiWait, sel, err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			b, err := os.ReadFile(filepath.Join(p.downloads, ev.GUID))
			if err != nil {
				p.t.Fatalf("downloaded file: %v", err)
			}
			return b
		case browser.DownloadProgressStateCanceled:
			p.fail("the download of %s was cancelled", sel)
		}
	}
	p.fail("no download from %s", sel)
	return nil
}
