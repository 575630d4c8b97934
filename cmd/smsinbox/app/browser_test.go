package app_test

// Browser tests of the Messages page (adapters/web/README.md is their
// contract): a headless Chromium signs in and works the inbox as a person
// would, while texts arrive through Twilio's webhook. Each test has its own
// smsinbox (newEnv) and its own browser (newPage).

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// errorMessage is the message of the error shape (api/openapi.yaml).
func errorMessage(t *testing.T, r response) string {
	t.Helper()
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	r.json(t, &e)
	if e.Error.Message == "" {
		t.Fatalf("no error message in %d: %s", r.status, r.body)
	}
	return e.Error.Message
}

// newTenantIn is newTenant for a company in a time zone.
func (e *env) newTenantIn(name, number, zone string) tenant {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/api/admin/companies", token: adminTok,
		body: map[string]any{"name": name, "messaging_number": number, "time_zone": zone}})
	expect(e.t, r, http.StatusCreated, "")
	var c company
	r.json(e.t, &c)
	return tenant{company: c, agent: e.addUser(c.ID, "agent")}
}

// rowSel is the Inbox / Archived list's item of a thread.
func rowSel(threadID string) string {
	return `ul#threads li.thread[data-thread-id="` + threadID + `"]`
}

var nonDigits = regexp.MustCompile(`\D`)

// digits keeps a text's digits (phone numbers may be shown formatted).
func digits(s string) string { return nonDigits.ReplaceAllString(s, "") }

// signInLive signs in and waits until the page shows the app and its live
// stream is connected.
func (p *page) signInLive(token string) {
	p.t.Helper()
	p.signIn(token)
	p.waitVisible("main#app")
	p.waitAttr("#live", "data-state", "live")
}

// openThread clicks a thread in the list and waits until it is open.
func (p *page) openThread(threadID string) {
	p.t.Helper()
	p.click(rowSel(threadID) + " button.thread-open")
	p.waitVisible(`section#thread[data-thread-id="` + threadID + `"]`)
	p.waitVisible(`section#thread ol#messages li.message`)
}

// checkBadge checks a consent badge's state and its words.
func (p *page) checkBadge(sel, want string) {
	p.t.Helper()
	p.waitAttr(sel, "data-consent", want)
	words := map[string]string{"yes": "Yes", "no": "No", "pending": "Pending"}[want]
	if got := p.text(sel); got != words {
		p.fail("%s says %q, want %q", sel, got, words)
	}
}

// checkBold checks that a thread's row looks unread (bold) or read.
func (p *page) checkBold(threadID string, unread bool) {
	p.t.Helper()
	row := rowSel(threadID)
	p.waitAttr(row, "data-unread", fmt.Sprint(unread))
	hasClass := eval[bool](p, `document.querySelector(`+js(row)+`).classList.contains("unread")`)
	weight := p.fontWeight(row + " .thread-name")
	switch {
	case hasClass != unread:
		p.fail("%s: class unread is %v, want %v", row, hasClass, unread)
	case unread && weight < 600:
		p.fail("%s is unread but its name's font-weight is %d (< 600): not bold", row, weight)
	case !unread && weight >= 600:
		p.fail("%s is read but its name's font-weight is %d (>= 600): still bold", row, weight)
	}
}

// The harness catches what the page logs: an uncaught exception, a
// rejected promise and console.error would each fail a test.
func TestBrowserHarnessCatchesPageErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := newPage(t, e)
	p.open()
	p.waitVisible("form#signin")
	eval[bool](p, `setTimeout(() => { throw new Error("thrown") }); Promise.reject(new Error("rejected")); console.error("logged"); true`)
	deadline := time.After(uiWait)
	var got []string
	for waiting := true; waiting; {
		noted := p.problemNoted()
		if got = append(got, p.takeProblems()...); len(got) >= 3 {
			break
		}
		select {
		case <-noted:
		case <-deadline:
			waiting = false
		}
	}
	joined := strings.Join(got, "\n")
	for _, want := range []string{"thrown", "rejected", "logged"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the harness missed %q; it caught:\n%s", want, joined)
		}
	}
}

// Sign-in: a refused token says why (the API's words) and the form stays;
// a good token opens the app with the user and the company; signing out
// forgets the token, also across a reload.
func TestBrowserSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	p := newPage(t, e)

	want := errorMessage(t, e.do(req{method: "GET", path: "/api/me", token: "not-a-token"}))
	p.submitToken("not-a-token")
	p.waitText("#signin-error", want)
	if role := p.attr("#signin-error", "role"); role != "alert" {
		p.fail(`#signin-error has role %q, want "alert"`, role)
	}
	p.waitGone("main#app")
	p.waitVisible("form#signin")

	p.typeInto("form#signin input#token", a.agent)
	p.click(`form#signin button[type=submit], form#signin button:not([type]), form#signin input[type=submit]`)
	p.waitVisible("main#app")
	p.waitText("#company-name", "Acme Dental")
	p.waitText("#user-name", "A agent")
	p.waitGone("form#signin")
	p.waitAttr("#live", "data-state", "live")
	if label := eval[string](p, `(i => (i.labels && i.labels[0] ? i.labels[0].textContent : i.getAttribute("aria-label") || "").trim())(document.querySelector("#token"))`); !strings.Contains(label, "User token") {
		t.Errorf(`input#token is labelled %q, want "User token"`, label)
	}

	p.reload() // the token is in sessionStorage
	p.waitVisible("main#app")

	p.click("#signout")
	p.waitVisible("form#signin")
	p.waitGone("main#app")
	if tok := eval[string](p, `JSON.stringify(Object.assign({}, sessionStorage))`); strings.Contains(tok, a.agent) {
		p.fail("signed out, sessionStorage still holds the token: %s", tok)
	}
	p.reload()
	p.waitVisible("form#signin")
	p.waitGone("main#app")
}

// Messages closed: a company with SMS off, and a role without Messages,
// each see why instead of the app.
func TestBrowserBlocked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	off := e.newTenant("Acme", numA)
	expect(t, e.do(req{method: "PATCH", path: "/api/admin/companies/" + off.ID, token: adminTok,
		body: map[string]any{"sms_enabled": false}}), http.StatusOK, "")
	on := e.newTenant("Bolt", numB)
	light := e.addUser(on.ID, "light")
	p := newPage(t, e)

	for _, c := range []struct{ token, reason string }{{off.agent, "sms_disabled"}, {light, "forbidden"}} {
		p.signIn(c.token)
		p.waitVisible(`section#blocked[data-reason="` + c.reason + `"]`)
		p.waitGone("main#app")
		if n := p.count("section#blocked h1, section#blocked h2, section#blocked h3"); n == 0 {
			p.fail("section#blocked[data-reason=%s] has no heading", c.reason)
		}
		if words := p.text("section#blocked"); len(words) < 20 {
			p.fail("section#blocked[data-reason=%s] says only %q", c.reason, words)
		}
		p.click("#signout")
		p.waitVisible("form#signin")
		p.waitGone("section#blocked")
	}
}

// The Inbox: threads with their names, badges and bold unread rows; a text
// arriving live at the top, unread; opening it (aria-current) makes it read
// in the page and on the server.
func TestBrowserInboxLiveTextAndOpen(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenantIn("Acme Dental", numA, "America/New_York") // 15:00 UTC is 10:00 there
	e.text(numA, cust1, "Is Tuesday at 3 still ok?")
	e.clock.Advance(time.Minute)
	e.submitForm(a.agent, formBody(cust2, true)) // Ada Lovelace, pending
	e.clock.Advance(time.Minute)
	e.giveConsent(a.ID, numA, cust3, true)
	e.text(numA, cust3, "Thanks, see you then")
	e.clock.Advance(time.Minute)
	th1, th2, th3 := e.mustThread(a.agent, cust1), e.mustThread(a.agent, cust2), e.mustThread(a.agent, cust3)

	p := newPage(t, e)
	p.signInLive(a.agent)
	p.waitAttr("#tab-inbox", "aria-selected", "true")
	p.waitVisible(rowSel(th1.ID))
	if n := p.count("ul#threads li.thread"); n != 3 {
		p.fail("%d threads listed, want 3", n)
	}
	p.checkBold(th1.ID, true)
	p.checkBold(th3.ID, true)
	// A number is shown as the company's country writes it (US: national).
	if got := p.text(rowSel(th1.ID) + " .thread-name"); got != "(202) 555-0187" {
		p.fail("a thread without a lead is named %q, want its phone %s as (202) 555-0187", got, cust1)
	}
	p.waitText(rowSel(th2.ID)+" .thread-name", "Ada Lovelace")
	p.checkBadge(rowSel(th1.ID)+" .consent-badge", "no")
	p.checkBadge(rowSel(th2.ID)+" .consent-badge", "pending")
	p.checkBadge(rowSel(th3.ID)+" .consent-badge", "yes")
	p.waitText(rowSel(th1.ID)+" .thread-preview", "Is Tuesday at 3 still ok?")
	if got := p.text(rowSel(th1.ID) + " .thread-time"); !strings.Contains(got, "10:00") {
		p.fail("%s .thread-time says %q: the last reply (15:00 UTC) is 10:00 in the company's America/New_York", rowSel(th1.ID), got)
	}

	// A text arrives: its thread comes to the top, unread, without a reload.
	e.text(numA, cust4, "Can I move my cleaning to Friday?")
	th4 := e.mustThread(a.agent, cust4)
	p.waitVisible(rowSel(th4.ID))
	p.waitAttr("ul#threads li.thread:first-child", "data-thread-id", th4.ID)
	p.waitText(rowSel(th4.ID)+" .thread-preview", "Can I move my cleaning to Friday?")
	p.checkBold(th4.ID, true)
	p.screenshot("inbox")

	// Open it: the bold goes, it is the current one, its messages show.
	p.openThread(th4.ID)
	p.waitText("section#thread ol#messages", "Can I move my cleaning to Friday?")
	p.waitAttr(`section#thread li.message[data-direction="inbound"]`, "data-automated", "false")
	p.waitAttr(rowSel(th4.ID), "aria-current", "true")
	p.checkBold(th4.ID, false)
	if n := p.count(`ul#threads li.thread[aria-current="true"]`); n != 1 {
		p.fail("%d threads are aria-current, want 1", n)
	}
	if got := p.text(`section#thread li.message .message-time`); !strings.Contains(got, "10:03") {
		p.fail("the message's time says %q: 15:03 UTC is 10:03 in the company's America/New_York", got)
	}
	if th := e.mustThread(a.agent, cust4); th.Unread {
		t.Fatalf("the page opened the thread but the server still has it unread")
	}
	if n := p.count("section#audit"); n != 0 {
		p.fail("an agent sees the consent audit (admin and compliance only)")
	}

	// Another: the current one moves, the first stays read.
	p.openThread(th1.ID)
	p.waitAttr(rowSel(th1.ID), "aria-current", "true")
	p.waitFor(rowSel(th4.ID)+" no longer aria-current",
		`document.querySelector(`+js(rowSel(th4.ID))+`).getAttribute("aria-current") !== "true"`)
	p.checkBold(th1.ID, false)
	p.checkBold(th4.ID, false)
	p.checkBold(th3.ID, true)
}

// Mark unread makes the row bold again; Archive takes it out of the Inbox
// into Archived; the customer's reply brings it back to the Inbox, unread.
func TestBrowserMarkUnreadArchiveAndReplyBringsBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.text(numA, cust1, "Do you take walk-ins?")
	e.clock.Advance(time.Minute)
	e.text(numA, cust2, "Running 5 minutes late")
	th, other := e.mustThread(a.agent, cust1), e.mustThread(a.agent, cust2)

	p := newPage(t, e)
	p.signInLive(a.agent)
	p.openThread(th.ID)
	p.checkBold(th.ID, false)

	p.click("#mark-unread")
	p.checkBold(th.ID, true)
	if !e.mustThread(a.agent, cust1).Unread {
		t.Fatalf("Mark unread: the server has the thread read")
	}
	p.openThread(th.ID)
	p.checkBold(th.ID, false)

	p.waitAttr("#archive", "data-action", "archive")
	p.waitText("#archive", "Archive")
	p.click("#archive")
	p.waitGone(rowSel(th.ID))
	if got, ok := threadByPhone(e.archived(a.agent), cust1); !ok || !got.Archived {
		t.Fatalf("Archive: the server's Archived folder lacks the thread")
	}

	p.click("#tab-archived")
	p.waitAttr("#tab-archived", "aria-selected", "true")
	p.waitAttr("#tab-inbox", "aria-selected", "false")
	p.waitVisible(rowSel(th.ID))
	p.openThread(th.ID)
	p.waitAttr("#archive", "data-action", "unarchive")
	p.waitText("#archive", "Unarchive")

	p.click("#tab-inbox")
	p.waitAttr("#tab-inbox", "aria-selected", "true")
	p.waitVisible(rowSel(other.ID))
	p.waitGone(rowSel(th.ID))

	// The customer answers: back in the Inbox, on top, unread.
	e.clock.Advance(time.Minute)
	e.text(numA, cust1, "Also, is parking free?")
	p.waitVisible(rowSel(th.ID))
	p.waitAttr("ul#threads li.thread:first-child", "data-thread-id", th.ID)
	p.waitText(rowSel(th.ID)+" .thread-preview", "Also, is parking free?")
	p.checkBold(th.ID, true)

	p.click("#tab-archived")
	p.waitAttr("#tab-archived", "aria-selected", "true")
	p.waitGone(rowSel(th.ID))
}

// A reply without the customer's consent is refused with the API's words,
// and the text stays to send later; once consent is yes it goes out and its
// status follows live.
func TestBrowserReplyRefusedWithoutConsent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	const markup = `Can you call me back? <b>now</b> <img src=x onerror="console.error('injected')">`
	e.text(numA, cust1, markup)
	th := e.mustThread(a.agent, cust1)
	want := errorMessage(t, e.reply(a.agent, th.ID, map[string]any{"body": "probe"})) // 409, records nothing

	p := newPage(t, e)
	p.signInLive(a.agent)
	p.openThread(th.ID)
	// A customer's text is text, never markup.
	if got := eval[string](p, `document.querySelector("ol#messages li.message .message-body").textContent`); got != markup {
		p.fail("the message body shows %q, want the text as sent %q", got, markup)
	}
	if n := p.count("ol#messages .message-body *, ul#threads .thread-preview *"); n != 0 {
		p.fail("a customer's text became %d elements in the page", n)
	}
	p.checkBadge("section#thread .consent-badge", "no")
	p.typeInto("form#reply textarea#reply-body", "Sure, at 4pm")
	p.click("#reply-send")
	p.waitText("#reply-error", want)
	if role := p.attr("#reply-error", "role"); role != "alert" {
		p.fail(`#reply-error has role %q, want "alert"`, role)
	}
	if v := eval[string](p, `document.querySelector("#reply-body").value`); v != "Sure, at 4pm" {
		p.fail("after the refusal the reply box holds %q, want the text kept", v)
	}
	if n := p.count(`ol#messages li.message[data-direction="outbound"]`); n != 0 {
		p.fail("a refused reply is shown in the thread")
	}
	if msgs := e.get(a.agent, th.ID).Messages; len(msgs) != 1 {
		t.Fatalf("a refused reply was recorded: %+v", msgs)
	}

	// Consent given: the badge turns live, and the same text goes out.
	e.giveConsent(a.ID, numA, cust1, true)
	p.checkBadge("section#thread .consent-badge", "yes")
	// A text that comes while the thread is open leaves it unread; answering
	// the thread reads it.
	item := `ul#threads li.thread[data-thread-id="` + th.ID + `"]`
	e.text(numA, cust1, "Is parking free?")
	p.waitAttr(item, "data-unread", "true")
	p.click("#reply-send")
	p.waitText(`ol#messages li.message[data-direction="outbound"] .message-body`, "Sure, at 4pm")
	p.waitGone("#reply-error")
	p.waitAttr(`ol#messages li.message[data-direction="outbound"]`, "data-status", "sent")
	p.waitAttr(item, "data-unread", "false")
	after := e.get(a.agent, th.ID)
	if msgs := after.Messages; len(msgs) != 3 || msgs[2].Body != "Sure, at 4pm" {
		t.Fatalf("messages after the reply: %+v", msgs)
	}
	if after.Unread {
		t.Fatalf("the thread is unread after the agent answered it")
	}
}

// A reply's delivery, live, through Twilio (a fake REST API and its status
// callbacks): queued, sent, delivered; another one undelivered with
// Twilio's error code.
func TestBrowserDeliveryStatusLive(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenant("Acme", numA)
	threadID := e.consentingThread(a, cust1)
	p := newPage(t, e.env)
	p.signInLive(a.agent)
	p.openThread(threadID)
	p.checkBadge("section#thread .consent-badge", "yes")

	send := func(text string) (id, sid string) {
		t.Helper()
		p.typeInto("form#reply textarea#reply-body", text)
		p.click("#reply-send")
		sel := `ol#messages li.message[data-direction="outbound"]:last-child`
		p.waitText(sel+" .message-body", text)
		id = p.attr(sel, "data-message-id")
		return id, e.waitSent(a.ID, cust1, id)
	}
	msg := func(id string) string { return `ol#messages li.message[data-message-id="` + id + `"]` }

	id, sid := send("See you Tuesday at 3")
	m, _ := e.messageIn(a.agent, threadID, id) // Twilio took it: its answer's status
	t.Logf("after Twilio's answer the API says %q", m.Status)
	p.waitAttr(msg(id), "data-status", m.Status)
	expect(t, e.statusCallback(sid, "sent", 0), http.StatusOK, "")
	p.waitAttr(msg(id), "data-status", "sent")
	expect(t, e.statusCallback(sid, "delivered", 0), http.StatusOK, "")
	p.waitAttr(msg(id), "data-status", "delivered")
	if got := p.text(msg(id) + " .message-status"); got == "" {
		p.fail("%s .message-status is empty", msg(id))
	}

	id2, sid2 := send("Are you there?")
	expect(t, e.statusCallback(sid2, "undelivered", 30003), http.StatusOK, "")
	p.waitAttr(msg(id2), "data-status", "undelivered")
	p.waitText(msg(id2)+" .message-error", "30003")
	if n := p.count(msg(id) + " .message-error"); n != 0 && p.text(msg(id)+" .message-error") != "" {
		p.fail("a delivered message shows an error: %q", p.text(msg(id)+" .message-error"))
	}
}

// The live stream resumes: the connection drops, the page says it is
// reconnecting, a text arrives meanwhile; back live, the page asks for what
// came after the last id it saw (Last-Event-ID) and shows the text.
func TestBrowserLiveReconnects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.text(numA, cust1, "First")
	p := newPage(t, e)
	p.signInLive(a.agent)

	ctx, cancel := context.WithTimeout(p.ctx, 3*uiWait)
	defer cancel()
	requests := chromedp.Events(ctx, network.RequestWillBeSent) // from now on
	e.srv.CloseClientConnections()
	p.waitAttr("#live", "data-state", "reconnecting")
	e.clock.Advance(time.Minute)
	e.text(numA, cust2, "Sent while the page was away")
	th := e.mustThread(a.agent, cust2)
	p.waitAttr("#live", "data-state", "live")
	p.waitVisible(rowSel(th.ID))
	p.checkBold(th.ID, true)

	for ev, err := range requests {
		if err != nil {
			t.Fatalf("no request to /api/events with Last-Event-ID after the drop: %v", err)
		}
		if !strings.HasSuffix(ev.Request.URL, "/api/events") {
			continue
		}
		for k, v := range ev.Request.Headers {
			if strings.EqualFold(k, "Last-Event-ID") {
				if id := fmt.Sprint(v); digits(id) != id || id == "" {
					t.Fatalf("Last-Event-ID %q is not a position", id)
				}
				t.Logf("the page resumed with Last-Event-ID: %v", v)
				return
			}
		}
		t.Fatalf("the page reconnected to /api/events without Last-Event-ID: %v", ev.Request.Headers)
	}
}

// The double opt-in, live: an app form ticks the box (Pending, and the
// automated confirmation request shows in the open thread, marked), the
// customer answers YES (Yes). The thread, with an MMS's media link and the
// automated text, is screenshot.
func TestBrowserDoubleOptInBadgeLive(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	const mediaURL = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
	mms := e.inboundParams(numA, cust1, "Here is the photo of the crown")
	mms.Set("NumMedia", "1")
	mms.Set("MediaUrl0", mediaURL)
	mms.Set("MediaContentType0", "image/jpeg")
	e.deliver(mms)
	th := e.mustThread(a.agent, cust1)

	p := newPage(t, e)
	p.signInLive(a.agent)
	p.openThread(th.ID)
	p.waitAttr(`ol#messages li.message a.media`, "href", mediaURL)
	p.checkBadge(rowSel(th.ID)+" .consent-badge", "no")
	p.checkBadge("section#thread .consent-badge", "no")

	e.clock.Advance(time.Minute)
	e.submitForm(a.agent, formBody(cust1, true))
	p.checkBadge(rowSel(th.ID)+" .consent-badge", "pending")
	p.checkBadge("section#thread .consent-badge", "pending")
	automated := `ol#messages li.message[data-direction="outbound"][data-automated="true"]`
	p.waitVisible(automated)
	p.waitText(automated+" .message-body", "YES")
	p.waitText("section#thread .thread-title", "Ada Lovelace") // the form's lead

	e.clock.Advance(time.Minute)
	e.text(numA, cust1, "YES")
	p.checkBadge(rowSel(th.ID)+" .consent-badge", "yes")
	p.checkBadge("section#thread .consent-badge", "yes")
	p.waitFor("the customer's YES in the thread",
		`Array.from(document.querySelectorAll('ol#messages li.message[data-direction="inbound"] .message-body')).some(b => b.textContent.trim() === "YES")`)
	if n := p.count(`ol#messages li.message[data-direction="inbound"][data-automated="true"]`); n != 0 {
		p.fail("a customer's message is marked automated")
	}
	p.screenshot("thread")

	// A new messaging number: consent does not follow it, every badge
	// turns No (the stream's reload frame).
	expect(t, e.do(req{method: "PUT", path: "/api/admin/companies/" + a.ID + "/messaging-number", token: adminTok,
		body: map[string]any{"messaging_number": numA2}}), http.StatusOK, "")
	p.checkBadge(rowSel(th.ID)+" .consent-badge", "no")
	p.checkBadge("section#thread .consent-badge", "no")
}

// An MMS's media are links only when they are on Twilio's media hosts: an
// inbound text whose MediaUrl points anywhere else (a webhook is signed, but
// what it carries is the sender's to choose) shows the address as plain
// text, never as something to click. The page's own rule, tried here on
// every shape it must refuse.
func TestBrowserForeignMediaIsNotALink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	const twilioURL = "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/MM0123456789abcdef0123456789abcdef/Media/ME0123456789abcdef0123456789abcdef"
	foreign := []string{
		"https://evil.example/phish.jpg",
		"http://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", // not https
		"https://api.twilio.com.evil.example/x.jpg",
		"https://user@api.twilio.com/2010-04-01/x",
		"https://api.twilio.com:8443/2010-04-01/x",
		"https://twiliocdn.com.evil.example/x.jpg",
	}
	mms := e.inboundParams(numA, cust1, "Here is the photo of the crown")
	media := append([]string{twilioURL}, foreign...)
	mms.Set("NumMedia", fmt.Sprint(len(media)))
	for i, u := range media {
		mms.Set(fmt.Sprintf("MediaUrl%d", i), u)
		mms.Set(fmt.Sprintf("MediaContentType%d", i), "image/jpeg")
	}
	e.deliver(mms)
	th := e.mustThread(a.agent, cust1)

	p := newPage(t, e)
	p.signInLive(a.agent)
	p.openThread(th.ID)
	items := `ol#messages li.message .media-list li`
	p.waitFor("every media item shown", fmt.Sprintf(`document.querySelectorAll(%s).length === %d`, js(items), len(media)))
	links := eval[[]string](p, `Array.from(document.querySelectorAll("ol#messages li.message a")).map(a => a.href)`)
	if !slices.Equal(links, []string{twilioURL}) {
		p.fail("links in the thread: %q, want only Twilio's %q", links, twilioURL)
	}
	texts := eval[[]string](p, `Array.from(document.querySelectorAll(`+js(items)+`)).map(li => li.textContent)`)
	for i, u := range foreign {
		if !strings.Contains(texts[i+1], u) {
			p.fail("media item %d shows %q, want the address %q as text", i+1, texts[i+1], u)
		}
	}
}

// The consent audit, for compliance: the history replayed, the status at a
// past instant; no reply, no thread commands.
func TestBrowserComplianceAudit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	compliance := e.addUser(a.ID, "compliance")
	e.text(numA, cust1, "Hello")
	e.clock.Advance(time.Minute)
	e.submitForm(a.agent, formBody(cust1, true)) // 15:01 pending
	e.clock.Advance(time.Minute)
	e.text(numA, cust1, "YES") // 15:02 yes
	th := e.mustThread(a.agent, cust1)

	p := newPage(t, e)
	p.signInLive(compliance)
	p.openThread(th.ID)
	p.waitVisible("section#audit")
	p.waitAttr("#audit-status", "data-consent", "yes")
	p.waitVisible(`ol#audit-events li[data-type="ConsentRequested"]`)
	p.waitVisible(`ol#audit-events li[data-type="ConsentConfirmed"]`)
	if typ := p.attr("input#audit-at", "type"); typ != "datetime-local" {
		p.fail(`input#audit-at has type %q, want "datetime-local"`, typ)
	}
	for _, sel := range []string{"form#reply", "#mark-unread", "#archive", "#create-lead"} {
		if n := p.count(sel); n != 0 {
			p.fail("compliance (read only) is shown %s", sel)
		}
	}
	// Between the form (15:01) and the YES (15:02): pending.
	eval[bool](p, `(i => { i.value = "2030-03-04T15:01:30"; i.dispatchEvent(new Event("change", {bubbles: true})); return true })(document.querySelector("#audit-at"))`)
	p.waitAttr("#audit-status", "data-consent", "pending")
}

// Create Lead: a field the API refuses says why next to the field; then the
// name is on the thread (list and title, live) and Lead Details shows the
// lead with its journey.
func TestBrowserCreateLeadAndDetails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	e.text(numA, cust1, "Hi, I'd like to book a check-up")
	th := e.mustThread(a.agent, cust1)
	bad := map[string]any{"first_name": "Ann", "last_name": "Lee", "email": "ann@localhost"}
	r := e.do(req{method: "POST", path: "/api/threads/" + th.ID + "/lead", token: a.agent, body: bad}) // 400, records nothing
	expect(t, r, http.StatusBadRequest, "")
	var fe struct {
		Error struct {
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	r.json(t, &fe)

	p := newPage(t, e)
	p.signInLive(a.agent)
	p.openThread(th.ID)
	p.waitGone("#show-lead")
	p.click("#create-lead")
	p.waitVisible("form#lead-form")
	for _, id := range []string{"lead-first-name", "lead-last-name", "lead-email"} {
		if !eval[bool](p, `(i => !!i && !!i.labels && i.labels.length > 0 && i.labels[0].textContent.trim() !== "")(document.getElementById(`+js(id)+`))`) {
			p.fail("#%s has no label", id)
		}
	}
	p.typeInto("#lead-first-name", "Ann")
	p.typeInto("#lead-last-name", "Lee")
	p.typeInto("#lead-email", "ann@localhost")
	submit := `form#lead-form button[type=submit], form#lead-form input[type=submit]`
	p.click(submit)
	p.waitText("#lead-email-error", fe.Error.Fields["email"])
	p.waitVisible("form#lead-form")
	p.waitGone("#show-lead")

	p.typeInto("#lead-email", "ann@example.com")
	p.click(submit)
	p.waitText("section#thread .thread-title", "Ann Lee")
	p.waitText(rowSel(th.ID)+" .thread-name", "Ann Lee")
	p.waitGone("#create-lead")
	p.click("#show-lead")
	p.waitVisible("section#lead-details")
	p.waitText("section#lead-details .lead-name", "Ann Lee")
	p.waitText("section#lead-details .lead-email", "ann@example.com")
	if got := digits(p.text("section#lead-details .lead-phone")); !strings.HasSuffix(got, digits(cust1)) {
		p.fail("Lead Details' phone %q, want %s", p.text("section#lead-details .lead-phone"), cust1)
	}
	p.checkBadge("section#lead-details .consent-badge", "no")
	p.waitVisible(`section#lead-details ol#journey li[data-type="LeadCreated"]`)
	p.waitVisible(`section#lead-details ol#journey li[data-type="MessageReceived"]`)
	p.screenshot("lead-details")

	leadID := e.mustThread(a.agent, cust1).LeadID
	if leadID == nil || e.lead(a.agent, *leadID).Email != "ann@example.com" {
		t.Fatalf("the server has no lead with the page's email on the thread")
	}
}

// Download All saves the company's every message as the API's CSV; the
// open thread's download saves that thread's.
func TestBrowserDownloadAll(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.newTenant("Bolt", numB) // its messages are not Acme's
	e.text(numA, cust1, "First question")
	e.clock.Advance(time.Minute)
	e.text(numA, cust1, "=2+3 and a second, with a comma")
	e.clock.Advance(time.Minute)
	e.text(numA, cust2, "Another customer")
	e.text(numB, cust3, "Another company's customer")
	th := e.mustThread(a.agent, cust1)
	e.giveConsent(a.ID, numA, cust1, true)
	e.waitStatus(a.agent, th.ID, e.mustReply(a.agent, th.ID, "Answered"), "sent") // the sandbox sends it
	_, all := e.export(a.agent, "/api/messages/export.csv")
	if len(all) != 4 {
		t.Fatalf("the API's Download All has %d rows, want 4", len(all))
	}
	_, one := e.export(a.agent, "/api/threads/"+th.ID+"/export.csv")

	p := newPage(t, e)
	p.signInLive(a.agent)
	checkCSV := func(what string, file []byte, want [][]string) {
		t.Helper()
		if !strings.HasPrefix(string(file), exportHeaderLine) {
			t.Fatalf("%s: the file starts %q, want the header row %q", what, file[:min(len(file), 120)], exportHeaderLine)
		}
		rows, err := csv.NewReader(strings.NewReader(string(file))).ReadAll()
		if err != nil {
			t.Fatalf("%s: not CSV (%v): %s", what, err, file)
		}
		rows = rows[1:]
		if len(rows) != len(want) {
			t.Fatalf("%s: %d rows, want %d:\n%q", what, len(rows), len(want), rows)
		}
		key := func(r []string) string { return r[0] }
		sortRows := func(rs [][]string) [][]string {
			rs = slices.Clone(rs)
			slices.SortFunc(rs, func(x, y []string) int { return strings.Compare(key(x), key(y)) })
			return rs
		}
		if got, w := sortRows(rows), sortRows(want); !slices.EqualFunc(got, w, slices.Equal) {
			t.Fatalf("%s: rows\n%q\nwant the API's\n%q", what, got, w)
		}
		t.Logf("%s: %d bytes, header and %d rows as the API's", what, len(file), len(rows))
	}
	checkCSV("Download All", p.download("#download-all"), all)

	p.openThread(th.ID)
	checkCSV("Download Message", p.download("#download-thread"), one)
}

// seedThreads records n inbound texts, each from its own customer, a
// minute apart and before the clock's now, and returns once every read model
// has applied them. The conversation decider decides each text on its new
// stream, as the webhook's command does; the events go to the PostgreSQL
// event store through its own group-commit function, es_append_batch, 500
// streams a call: under -race, 10,000 separate Appends take half a minute
// here, this takes a second (the projectors then do the same work as for
// texts that came one by one).
func seedThreads(t *testing.T, e *env, companyID, number string, n int) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	base := e.clock.Now().Add(-time.Duration(n+1) * time.Minute)
	const batch = 500
	for from := 0; from < n; from += batch {
		var streams, ids, types, data, metadata []string
		var expected []int64
		var counts, versions []int32
		var occurred []time.Time
		for i := from; i < min(from+batch, n); i++ {
			sid := fmt.Sprintf("SM%032d", i)
			customer := phone.Number(fmt.Sprintf("+1202556%04d", i))
			events, err := conversation.Decide(conversation.State{}, conversation.ReceiveMessage{
				MessageID: commands.InboundMessageID(sid), CompanyID: companyID, CustomerPhone: customer,
				MessagingNumber: phone.Number(number), MessageSID: sid, NumSegments: 1,
				Body:       fmt.Sprintf("Seeded text number %d: is my appointment still on?", i),
				ReceivedAt: base.Add(time.Duration(i) * time.Minute),
			})
			if err != nil || len(events) != 1 {
				t.Fatalf("decide text %d: %v %v", i, events, err)
			}
			ev := events[0]
			body, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			meta, err := json.Marshal(eventstore.Metadata{CorrelationID: sid, Actor: "customer:" + string(customer)})
			if err != nil {
				t.Fatal(err)
			}
			streams = append(streams, string(conversation.StreamID(companyID, customer)))
			expected = append(expected, -2) // no stream
			counts = append(counts, 1)
			ids = append(ids, conversation.InboundEventID(sid).String())
			types = append(types, ev.EventType())
			versions = append(versions, int32(conversation.SchemaVersion))
			data = append(data, string(body))
			metadata = append(metadata, string(meta))
			occurred = append(occurred, ev.OccurredAt())
		}
		rows, err := e.pool.Query(ctx, `SELECT status FROM es_append_batch($1, $2, $3, $4::uuid[], $5, $6, $7, $8, $9)`,
			streams, expected, counts, ids, types, versions, data, metadata, occurred)
		if err != nil {
			t.Fatalf("append: %v", err)
		}
		statuses, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("append: %v", err)
		}
		for k, st := range statuses {
			if st != "ok" {
				t.Fatalf("append of text %d: %s", from+k, st)
			}
		}
	}
	recorded := time.Since(start)
	head, err := e.app.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	if err := e.app.Progress.WaitFor(wctx, head); err != nil {
		t.Fatalf("projectors: %v", err)
	}
	t.Logf("seeded %d threads: recorded in %v, projected %v later", n, recorded.Round(time.Millisecond), (time.Since(start) - recorded).Round(time.Millisecond))
}

// loadBreakdownJS says where a load's time went: the document, then each
// request (start → end, ms since navigation start), then inbox-ready.
const loadBreakdownJS = `(() => {
  const f = (x) => x.toFixed(1);
  const nav = performance.getEntriesByType("navigation")[0];
  const parts = ["document " + f(nav.requestStart) + "→" + f(nav.responseEnd)];
  for (const r of performance.getEntriesByType("resource")) {
    if (r.name.includes("/api/events")) continue;
    parts.push(new URL(r.name).pathname.replace("/assets/", "") + " " + f(r.startTime) + "→" + f(r.responseEnd));
  }
  parts.push("DOMContentLoaded " + f(nav.domContentLoadedEventEnd));
  const ready = performance.getEntriesByName("inbox-ready")[0];
  parts.push("inbox-ready " + (ready ? f(ready.startTime) : "none"));
  return parts.join(", ");
})()`

// loadAverage is the machine's load (1, 5, 15 minutes), for the figures'
// reader: the tests share the machine.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// median and maximum of durations in milliseconds.
func medianMax(ms []float64) (median, maximum float64) {
	s := slices.Clone(ms)
	slices.Sort(s)
	return s[len(s)/2], s[len(s)-1]
}

// A company with 10,000 threads: the page loads, pages on with Load more
// without listing a thread twice, and opens thread after thread. The page's
// own performance marks (first load, thread switch) are logged as figures,
// never asserted: speed is shown by benchmarks and the load tool, and a
// timing threshold here failed whenever the shared machine was busy. Not
// parallel, so the figures logged are the page's and not the neighbours'.
func TestBrowser10000Threads(t *testing.T) {
	const threads = 10000
	e := newEnv(t)
	a := e.newTenant("Big Dental Group", numA)
	seedThreads(t, e, a.ID, numA, threads)
	if got := len(e.list(a.agent, "?limit=200", "").Threads); got != 200 {
		t.Fatalf("the API lists %d threads on a page of 200", got)
	}
	// The server's part, from Go: the page's two first reads.
	var api []float64
	for range 5 {
		t0 := time.Now()
		e.do(req{method: "GET", path: "/api/me", token: a.agent})
		e.list(a.agent, "?folder=inbox&limit=50", "")
		api = append(api, float64(time.Since(t0).Microseconds())/1000)
	}
	apiMed, _ := medianMax(api)
	t.Logf("GET /api/me then GET /api/threads?limit=50 from Go: median %.1f ms (all: %v ms); load average %s", apiMed, api, loadAverage())

	p := newPage(t, e)
	p.signInLive(a.agent)
	p.waitVisible("ul#threads li.thread")
	// 10,000 threads do not fit one page: the next one comes on demand.
	listed := `document.querySelectorAll("ul#threads li.thread").length`
	first := eval[int](p, listed)
	p.click("button#threads-more")
	p.waitFor("a second page of threads", listed+` > `+fmt.Sprint(first))
	if dup := eval[bool](p, `(ids => new Set(ids).size !== ids.length)(Array.from(document.querySelectorAll("ul#threads li.thread")).map(li => li.dataset.threadId))`); dup {
		p.fail("a thread is listed twice after Load more")
	}
	p.waitVisible("button#threads-more")

	// First loads: the token comes from sessionStorage, nothing is cached
	// but the page's files (revalidated: Cache-Control no-cache).
	readyJS := `(e => e ? e.startTime : -1)(performance.getEntriesByName("inbox-ready")[0])`
	var loads []float64
	for len(loads) < 3 {
		p.reload()
		p.waitFor(`performance mark "inbox-ready"`, readyJS+` >= 0`)
		p.waitVisible("ul#threads li.thread")
		loads = append(loads, eval[float64](p, readyJS))
		t.Logf("load %d: %s", len(loads), eval[string](p, loadBreakdownJS))
	}
	t.Logf("first load (inbox-ready startTime) with %d threads: %.1f ms, best %.1f ms (loads: %v ms; load average %s)", threads, loads[0], slices.Min(loads), loads, loadAverage())
	p.waitAttr("#live", "data-state", "live")

	// Thread switches: open threads down the first page, one after the other.
	ids := eval[[]string](p, `Array.from(document.querySelectorAll("ul#threads li.thread")).map(li => li.dataset.threadId)`)
	if len(ids) < 20 {
		p.fail("only %d threads on the first page", len(ids))
	}
	switchJS := `performance.getEntriesByName("thread-switch")`
	var switches []float64
	for i, k := range []int{1, 3, 5, 8, 12, 2, 15, 19} {
		id := ids[k]
		p.click(rowSel(id) + " button.thread-open")
		p.waitFor(fmt.Sprintf("thread-switch measure #%d", i+1), switchJS+`.length >= `+fmt.Sprint(i+1))
		p.waitVisible(`section#thread[data-thread-id="` + id + `"] ol#messages li.message`)
		switches = append(switches, eval[float64](p, switchJS+`[`+fmt.Sprint(i)+`].duration`))
	}
	med, worst := medianMax(switches)
	t.Logf("thread switch with %d threads: median %.1f ms, max %.1f ms (all: %v ms)", threads, med, worst, switches)
	p.waitText("section#thread ol#messages", "Seeded text number")
}

// A live frame that comes while the list is read again (here a tab switch)
// is not lost under that read: the list read before the change answers
// after the frame, and the frame's newer state must stay. The page's fetch
// is wrapped so that the list's answer, read by the server before the text
// came, is held until the text's frame has arrived.
func TestBrowserFrameDuringReloadStays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.text(numA, cust1, "first text")
	th := e.mustThread(a.agent, cust1)
	p := newPage(t, e)
	p.signInLive(a.agent)
	preview := rowSel(th.ID) + " .thread-preview"
	p.waitText(preview, "first text")

	eval[bool](p, `(() => {
		const plain = window.fetch;
		window.__holdNextList = false;
		window.fetch = async (...args) => {
			// Decided when the request leaves, held once its answer is back.
			const hold = window.__holdNextList && String(args[0]).startsWith("/api/threads?");
			if (hold) window.__holdNextList = false;
			const answer = await plain(...args);
			if (hold) {
				window.__listHeld = true;
				await new Promise((release) => { window.__releaseList = release; });
			}
			return answer;
		};
		return true;
	})()`)
	p.click("#tab-archived")
	p.waitAttr("#tab-archived", "aria-selected", "true")
	p.waitFor("the Archived list rendered", `document.querySelector("ul#threads").getAttribute("aria-busy") === null`)
	eval[bool](p, `window.__holdNextList = true`)
	p.click("#tab-inbox")
	p.waitFor("the Inbox's list answered and held", `window.__listHeld === true`)

	// The server has answered the list (with "first text"); now the
	// customer writes again, and its frame reaches the page.
	e.text(numA, cust1, "second text")
	p.waitText(preview, "second text")
	eval[bool](p, `(window.__releaseList(), true)`)
	p.waitFor("the held list rendered", `document.querySelector("ul#threads").getAttribute("aria-busy") === null`)
	// A later change, on another thread, reaches the page: whatever the
	// held list would still have done to the first thread is done by then.
	e.text(numA, cust2, "later text")
	p.waitText(rowSel(e.mustThread(a.agent, cust2).ID)+" .thread-preview", "later text")
	if got := p.text(preview); got != "second text" {
		p.fail("after the list read before the change, the thread shows %q, want the newer %q", got, "second text")
	}
}
