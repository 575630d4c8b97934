package app_test

// Browser test of the composers' limits: a text and a note are limited in
// characters (Unicode code points), as the API counts them, not in the
// UTF-16 units a browser's maxlength counts, which would cut an emoji text at
// half the length the API takes.

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chromedp/chromedp"

	"github.com/smsinbox/smsinbox/domain/conversation"
)

// paste replaces the value of the field sel with text as a person's paste
// would (an edit of the user's, which a maxlength limits).
func (p *page) paste(sel, text string) {
	p.t.Helper()
	p.waitVisible(sel)
	if !eval[bool](p, `(el => { el.focus(); el.select(); return document.execCommand("insertText", false, `+js(text)+`) })(document.querySelector(`+js(sel)+`))`) {
		p.fail("could not paste into %s", sel)
	}
}

func TestBrowserComposerLimitsCountCharacters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.text(numA, cust1, "Hello")
	e.giveConsent(a.ID, numA, cust1, true)
	th := e.mustThread(a.agent, cust1)

	p := newPage(t, e)
	p.signInLive(a.agent)
	p.openThread(th.ID)

	// The count says what the cost line says: an emoji is one character.
	p.typeInto("#reply-body", "See you Tuesday")
	p.run("type an emoji", chromedp.SendKeys(chromedp.CSS("#reply-body"), " 😀"))
	p.waitText("#reply-segments", "17 characters")
	p.waitText("#reply-count", "17 / 1600")

	// The longest text the API takes, 1,600 emoji, can be written and sent
	// whole.
	longest := strings.Repeat("😀", conversation.MaxBodyLength)
	p.paste("#reply-body", longest)
	p.waitText("#reply-count", "1600 / 1600")
	if n := eval[int](p, `[...document.querySelector("#reply-body").value].length`); n != conversation.MaxBodyLength {
		p.fail("the box holds %d characters of the 1,600 pasted", n)
	}
	p.click("#reply-send")
	p.waitFor("the text sent", `document.querySelector("#reply-body").value === ""`)
	msgs := e.sentMessages(a.agent, th.ID)
	if last := msgs[len(msgs)-1]; last.Body != longest {
		t.Fatalf("the server recorded a text of %d characters, want the 1,600 emoji", utf8.RuneCountInString(last.Body))
	}

	// A note of 2,000 emoji, the longest the API takes, likewise.
	longestNote := strings.Repeat("😀", conversation.MaxNoteLength)
	p.paste("#note-body", longestNote)
	p.click("#note-add")
	p.waitFor("the note added", `document.querySelectorAll("#notes-list li.note").length === 1`)
	if notes := (&team{e: e}).detail(a.agent, th.ID).Notes; len(notes) != 1 || notes[0].Body != longestNote {
		t.Fatalf("the server recorded notes %d, the first of %d characters, want one of 2,000 emoji", len(notes), utf8.RuneCountInString(notes[0].Body))
	}

	// Over the limit: the count says so, and the API's refusal shows with the
	// text kept.
	p.paste("#reply-body", strings.Repeat("a", conversation.MaxBodyLength+1))
	p.waitText("#reply-count", "1601 / 1600")
	p.waitAttr("#reply-count", "data-over", "true")
	p.click("#reply-send")
	p.waitText("#reply-error", "at most 1600 characters")
	if n := eval[int](p, `document.querySelector("#reply-body").value.length`); n != conversation.MaxBodyLength+1 {
		p.fail("the refused text was not kept: %d characters", n)
	}
}
