package app_test

// Browser tests of the team inbox on the Messages page: the assignee
// picker, the Mine / Unassigned / All filter, and notes that never show as
// texts.

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// pick chooses value in the select sel as a person would (the option
// becomes the value, and the select says it changed).
func (p *page) pick(sel, value string) {
	p.t.Helper()
	opt := sel + ` option[value="` + value + `"]`
	p.waitFor(opt+" in the list", `document.querySelector(`+js(opt)+`)`)
	eval[bool](p, `(s => { s.focus(); s.value = `+js(value)+`; s.dispatchEvent(new Event("change", {bubbles: true})); return s.value === `+js(value)+` })(document.querySelector(`+js(sel)+`))`)
}

// filterList presses one of the list's Mine / Unassigned / All buttons.
func (p *page) filterList(assignee string) {
	p.t.Helper()
	b := `#assignee-filter button[data-assignee="` + assignee + `"]`
	p.click(b)
	p.waitAttr(b, "aria-pressed", "true")
}

func TestBrowserAssignAndFilter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.createCompany("Acme Dental", numA)
	ann, bob := e.newUser(a.ID, "agent"), e.newUser(a.ID, "agent")
	e.text(numA, cust1, "Is Tuesday free?")
	e.clock.Advance(time.Minute)
	e.text(numA, cust2, "Running late")
	th1, th2 := e.mustThread(ann.Token, cust1), e.mustThread(ann.Token, cust2)
	tm := &team{e: e}

	p := newPage(t, e)
	p.signInLive(ann.Token)
	p.waitAttr(`#assignee-filter button[data-assignee=""]`, "aria-pressed", "true")
	p.openThread(th1.ID)
	p.waitAttr("#assignee", "data-assignee", "")

	// Ann gives the first thread to Bob: the server has it, the picker says so.
	p.pick("#assignee", bob.ID)
	p.waitAttr("#assignee", "data-assignee", bob.ID)
	if got := tm.detail(ann.Token, th1.ID); assigneeOf(got) != bob.ID {
		t.Fatalf("the page assigned the thread to %s, want Bob %s", assigneeOf(got), bob.ID)
	}

	// Mine: none of Ann's. Unassigned: the second only.
	p.filterList("me")
	p.waitGone(rowSel(th1.ID))
	p.waitGone(rowSel(th2.ID))
	p.waitVisible("#threads-empty")
	p.filterList("unassigned")
	p.waitVisible(rowSel(th2.ID))
	p.waitGone(rowSel(th1.ID))

	// Bob, elsewhere, gives the second thread to Ann: it leaves Unassigned
	// live, and is in Mine.
	expect(t, tm.assign(bob.Token, th2.ID, &ann.ID), http.StatusOK, "")
	p.waitGone(rowSel(th2.ID))
	p.filterList("me")
	p.waitVisible(rowSel(th2.ID))
	p.waitGone(rowSel(th1.ID))
	p.screenshot("inbox-mine")

	// Ann takes the first thread back (from All, where it is): it joins Mine live.
	p.filterList("")
	p.waitVisible(rowSel(th1.ID))
	p.openThread(th1.ID)
	p.waitAttr("#assignee", "data-assignee", bob.ID)
	if got := p.text(`#assignee option[value="` + bob.ID + `"]`); got != "A agent" {
		p.fail("the picker names Bob %q, want his name", got)
	}
	p.pick("#assignee", ann.ID)
	p.waitAttr("#assignee", "data-assignee", ann.ID)
	p.filterList("me")
	p.waitVisible(rowSel(th1.ID))
	p.waitVisible(rowSel(th2.ID))

	// Unassigning from the picker takes it out of Mine.
	p.openThread(th1.ID)
	p.pick("#assignee", "")
	p.waitAttr("#assignee", "data-assignee", "")
	p.waitGone(rowSel(th1.ID))
	if got := tm.detail(ann.Token, th1.ID); got.AssigneeID != nil {
		t.Fatalf("the page unassigned the thread, but the server has %s", *got.AssigneeID)
	}
}

func TestBrowserNoteNeverShowsAsAText(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.createCompany("Acme Dental", numA)
	ann, bob := e.newUser(a.ID, "agent"), e.newUser(a.ID, "agent")
	compliance := e.newUser(a.ID, "compliance")
	e.text(numA, cust1, "Is Tuesday free?")
	th := e.mustThread(ann.Token, cust1)
	const secret = "Prefers mornings; do not mention the invoice"

	p := newPage(t, e)
	p.signInLive(ann.Token)
	p.openThread(th.ID)
	p.typeInto("#note-body", secret)
	p.click("#note-add")
	p.waitText("#notes-list li.note .note-body", secret)
	p.waitText("#notes-list li.note .note-author", "A agent")
	p.waitFor("the note box emptied", `document.querySelector("#note-body").value === ""`)
	p.screenshot("thread-with-note")

	// A note from a colleague arrives live.
	r := e.do(req{method: "POST", path: "/api/threads/" + th.ID + "/notes", token: bob.Token, body: map[string]any{"body": "Called her back at 9."}})
	expect(t, r, http.StatusCreated, "")
	p.waitFor("the colleague's note", `document.querySelectorAll("#notes-list li.note").length === 2`)

	// Never a text: not among the messages, not the list's preview, not the
	// thread's unread, not queued, not exported.
	if n := p.count("ol#messages li.message"); n != 1 {
		p.fail("%d messages shown, want the customer's one", n)
	}
	if got := p.text("ol#messages"); strings.Contains(got, "mornings") || strings.Contains(got, "Called her") {
		p.fail("a note shows among the texts: %q", got)
	}
	if got := p.text(rowSel(th.ID) + " .thread-preview"); got != "Is Tuesday free?" {
		p.fail("the list's preview is %q, want the customer's text", got)
	}
	if q := e.queued(a.ID, cust1); len(q) != 0 {
		t.Fatalf("a note was queued as a text: %+v", q)
	}
	if r, _ := e.export(ann.Token, "/api/threads/"+th.ID+"/export.csv"); strings.Contains(string(r.body), "mornings") {
		t.Fatalf("the export shows the note: %s", r.body)
	}
	// The notes are styled apart from the texts: no bubble, the note pad.
	if n := p.count("#notes-list .bubble"); n != 0 {
		p.fail("notes are drawn as text bubbles")
	}
	if p.count("ol#messages li.note") != 0 || p.count("#notes ol#messages") != 0 {
		p.fail("notes and messages share a list")
	}

	// A compliance officer reads the notes but writes none and assigns no one.
	p2 := newPage(t, e)
	p2.signInLive(compliance.Token)
	p2.openThread(th.ID)
	p2.waitText("#notes-list", secret)
	if p2.count("#note-form") != 0 {
		p2.fail("a compliance officer has the note composer")
	}
	if !eval[bool](p2, `document.querySelector("#assignee").disabled`) {
		p2.fail("a compliance officer can use the assignee picker")
	}
}
