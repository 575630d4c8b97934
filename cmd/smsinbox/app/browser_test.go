package app_test

// Browser tests of the Messages page (adapters/web/README.md is their
// contract): a headless Chromium signs in and works the inbox as a person
// would, while texts arrive through Twilio's webhook.

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// The harness itself: the browser starts, loads a page of the server and
// reads it.
func TestBrowserHarness(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := newPage(t, e)
	p.run("load /healthz", chromedp.Navigate(e.srv.URL+"/healthz"))
	p.waitText("body", "")
	t.Logf("healthz: %q", p.text("body"))
}
