package app_test

import (
	"net/http"
	"testing"
)

// The page follows the server's closed frame: closed as the oldest of too
// many streams, it stops following (a reconnection would close another of
// the user's streams); signed out (the user removed), its reconnection gets
// 401 and it shows the sign-in form.
func TestBrowserLiveStreamClosed(t *testing.T) {
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	ann := e.newUser(a.ID, "agent")
	p := newPage(t, e)
	p.open()
	p.signInLive(ann.Token)
	for range maxStreams {
		e.events(ann.Token, "", nil).start()
	}
	p.waitAttr("#live", "data-state", "closed")
	p.screenshot("live-closed")

	p.reload()
	p.waitAttr("#live", "data-state", "live") // the page's stream is the newest again
	expect(t, e.removeUser(a.ID, ann.ID), http.StatusOK, "")
	p.waitVisible("form#signin")
}

// maxStreams is the server's cap on one user's live streams.
const maxStreams = 5
