package app_test

// Browser tests of the composer's templates and cost, and of the search box,
// in the real Chromium (adapters/web/README.md is the contract).

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/smsinbox/smsinbox/domain/segments"
)

func TestBrowserSendFromTemplate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	e.text(numA, cust1, "Is Tuesday free?")
	e.text(numA, cust2, "Hello?")
	e.giveConsent(a.ID, numA, cust1, true)
	th := e.mustThread(a.agent, cust1)
	other := e.mustThread(a.agent, cust2)
	expect(t, e.do(req{method: "POST", path: "/api/threads/" + th.ID + "/lead", token: a.agent,
		body: map[string]any{"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}}), 201, "")
	greet := e.mustSaveTemplate(a.agent, "Greeting", "Hi {{first_name}}, {{company_name}} here: Tuesday at 10 works.")

	p := newPage(t, e)
	p.signInLive(a.agent)
	// A number without a name shows as the company's country writes it.
	p.waitText(rowSel(other.ID)+" .thread-name", "(202) 555-0199")

	p.openThread(th.ID)
	p.typeInto("#reply-body", "my own words")
	p.pick("#reply-template", greet)
	p.waitText("#reply-template-note", "Greeting")
	if got := eval[string](p, `document.querySelector("#reply-body").value`); got != "Hi {{first_name}}, {{company_name}} here: Tuesday at 10 works." {
		p.fail("the box shows %q, want the template's text", got)
	}
	if !eval[bool](p, `document.querySelector("#reply-body").readOnly`) {
		p.fail("a template's text can be edited in the box: it would not be what is sent")
	}
	// Undoing the choice gives the typed words back.
	p.pick("#reply-template", "")
	p.waitFor("the typed words back", `document.querySelector("#reply-body").value === "my own words"`)
	p.pick("#reply-template", greet)
	p.click("#reply-send")

	want := "Hi Ada, Acme Dental here: Tuesday at 10 works."
	p.waitText(`ol#messages li.message[data-direction="outbound"] .message-body`, want)
	p.waitFor("the composer empty again", `document.querySelector("#reply-body").value === "" && !document.querySelector("#reply-body").readOnly && document.querySelector("#reply-template").value === ""`)
	msgs := e.sentMessages(a.agent, th.ID)
	last := msgs[len(msgs)-1]
	if last.Body != want || last.TemplateID == nil || *last.TemplateID != greet {
		p.fail("the server recorded %+v, want %q from template %s", last, want, greet)
	}
	p.screenshot("template-sent")

	// Without a lead, the server refuses the template and the page says why.
	e.giveConsent(a.ID, numA, cust2, true)
	p.openThread(other.ID)
	p.pick("#reply-template", greet)
	p.click("#reply-send")
	p.waitText("#reply-error", "{{first_name}}")
}

func TestBrowserSearchOpensThread(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	e.text(numA, cust1, "I booked the cleaning for Tuesday")
	for i := range 40 {
		e.text(numA, cust1, "filler text number "+strings.Repeat("x", i%5+1))
	}
	e.text(numA, cust2, `<img src=x onerror="document.body.dataset.pwned=1"> is my booking still on?`)
	th := e.mustThread(a.agent, cust1)
	found := e.get(a.agent, th.ID).Messages[0]

	p := newPage(t, e)
	p.signInLive(a.agent)
	p.typeInto("#search-q", "booking")
	p.click("#search-go")
	p.waitVisible("#search-panel")
	p.waitFor("two results", `document.querySelectorAll("#search-results li.search-result").length === 2`)
	if p.attr("#list-tools", "hidden") == "" && eval[bool](p, `!document.querySelector("#list-tools").hidden`) {
		p.fail("the folders show beside the results")
	}
	// A snippet is text: the markup a customer typed shows as typed.
	// (The texts may share an instant, so which comes first is not asserted.)
	other := `#search-results li.search-result:not([data-message-id="` + found.ID + `"]) .search-snippet`
	p.waitText(other, `<img src=x onerror="document.body.dataset.pwned=1"> is my booking still on?`)
	if p.count("#search-results img") != 0 || p.attr("body", "data-pwned") != "" {
		p.fail("a snippet was read as HTML")
	}
	p.screenshot("search-results")

	// The older match opens its thread at the message, scrolled into view.
	result := `#search-results li.search-result[data-message-id="` + found.ID + `"] button.search-open`
	p.waitText(result+" .search-snippet", "I booked the cleaning for Tuesday")
	p.click(result)
	p.waitVisible(`section#thread[data-thread-id="` + th.ID + `"]`)
	msg := `ol#messages li.message[data-message-id="` + found.ID + `"]`
	p.waitAttr(msg, "data-found", "true")
	p.waitFor("the message found in view", `(li => { const r = li.getBoundingClientRect(), o = document.querySelector("#messages").getBoundingClientRect(); return r.top >= o.top && r.bottom <= o.bottom })(document.querySelector(`+js(msg)+`))`)

	// Digits of a number find the customer; back to the conversations.
	p.typeInto("#search-q", "555-0199")
	p.click("#search-go")
	p.waitFor("one thread result", `document.querySelectorAll("#search-results li.search-result[data-message-id='']").length === 1`)
	p.waitText("#search-results .search-name", "(202) 555-0199")
	p.click("#search-clear")
	p.waitVisible("ul#threads")
	p.waitGone("#search-panel")
}

// TestBrowserSegmentCounter: the counter under the composer switches to
// UCS-2 on an emoji and names it; the page's count is the server's
// (domain/segments) on texts of every rule.
func TestBrowserSegmentCounter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.text(numA, cust1, "Hello")
	th := e.mustThread(a.agent, cust1)

	p := newPage(t, e)
	p.signInLive(a.agent)
	p.openThread(th.ID)
	p.typeInto("#reply-body", "See you Tuesday")
	p.waitText("#reply-segments", "15 characters · 1 segment · GSM-7")
	p.run("type an emoji", chromedp.SendKeys(chromedp.CSS("#reply-body"), " 😀"))
	p.waitText("#reply-segments", "17 characters · 1 segment · UCS-2 (because of “😀”)")
	p.typeInto("#reply-body", strings.Repeat("a", 161))
	p.waitText("#reply-segments", "161 characters · 2 segments · GSM-7")
	p.screenshot("segment-counter")

	texts := []string{
		"", "Hello", strings.Repeat("a", 160), strings.Repeat("a", 161), strings.Repeat("a", 306), strings.Repeat("a", 307),
		strings.Repeat("€", 80), strings.Repeat("€", 81), strings.Repeat("]", 153), "{[~^|\\]}\f",
		"Ça coûte 5€ à Zürich? ΔΦΓ", "We’re open", "tab\there", "`backtick`", "çà", "\x1b",
		strings.Repeat("😀", 35), strings.Repeat("😀", 36), "😀" + strings.Repeat("a", 69), strings.Repeat("a", 66) + "😀" + strings.Repeat("a", 70),
		"🇺🇸 flag", "e\u0301 combining", strings.Repeat("é", 1600), "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCZÄÖÑÜ§¿azäöñüà",
	}
	in, _ := json.Marshal(texts)
	ctx, cancel := context.WithTimeout(p.ctx, uiWait)
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`import("/assets/segments.js").then(m => JSON.stringify(`+string(in)+`.map(m.count)))`, chromedp.EvalAwaitPromise))
	cancel()
	if err != nil {
		p.fail("count in the page: %v", err)
	}
	var got []struct {
		Encoding   string `json:"encoding"`
		Characters int    `json:"characters"`
		Segments   int    `json:"segments"`
		Culprit    string `json:"culprit"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != len(texts) {
		p.fail("the page counted %s (%v)", out, err)
	}
	for i, text := range texts {
		w := segments.Count(text)
		g := got[i]
		if g.Encoding != string(w.Encoding) || g.Characters != w.Characters || g.Segments != w.Segments || g.Culprit != w.Culprit {
			t.Errorf("%q: the page counts %+v, the server %+v", text, g, w)
		}
	}
}
