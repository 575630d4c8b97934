package app_test

// Browser test: a session that ends while a dialog is open (the token was
// rotated, the user removed) closes it, so the sign-in form is usable. A
// modal dialog left open makes the rest of the document inert, even once
// its own view is hidden: the person could not sign in again.

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestBrowserSessionEndClosesDialogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	admin := e.newUser(a.ID, "admin")
	token := admin.Token

	p := newPage(t, e)
	p.signInLive(token)
	for _, d := range []struct{ open, dialog string }{
		{"#templates-open", "dialog#templates-dialog"},
		{"#settings-open", "dialog#settings-dialog"},
	} {
		p.click(d.open)
		p.waitVisible(d.dialog)
		// The token is rotated elsewhere: the live stream ends, its
		// reconnect is refused (401) and the page signs out.
		r := e.rotateToken(a.ID, admin.ID)
		expect(t, r, http.StatusOK, "")
		var rotated struct {
			Token string `json:"token"`
		}
		r.json(t, &rotated)
		token = rotated.Token
		p.waitVisible("form#signin input#token")
		p.waitFor("no dialog open", `!document.querySelector("dialog[open]")`)
		// Signing in again, in the same page, as a person would.
		p.run("type the new token", chromedp.SendKeys(chromedp.CSS("form#signin input#token"), token))
		p.click(`form#signin button[type=submit]`)
		p.waitVisible("main#app")
		p.waitAttr("#live", "data-state", "live")
	}
}
