package app_test

import (
	"testing"
	"time"
)

// setInput sets a form field's value as the user's picker would, and tells
// the page (an input event).
func (p *page) setInput(sel, value string) {
	p.t.Helper()
	p.waitVisible(sel)
	eval[bool](p, `(el => { el.value = `+js(value)+`; el.dispatchEvent(new Event("input", {bubbles: true})); return true })(document.querySelector(`+js(sel)+`))`)
}

// newConsentingInNewYork is a company in New York whose customer cust1
// (+1 202, DC) texted and consented: the env, the tenant and the thread.
func newConsentingInNewYork(t *testing.T) (*env, tenant, thread) {
	t.Helper()
	e := newEnv(t)
	a := e.newTenantIn("Acme", numA, "America/New_York")
	e.text(numA, cust1, "Can you remind me the day before?")
	e.giveConsent(a.ID, numA, cust1, true)
	return e, a, e.mustThread(a.agent, cust1)
}

// The composer's "Send later": a time in the customer's quiet hours is
// refused beside the option, with the next allowed time, which one click
// takes; the text is then scheduled, shown with its time, and canceled with
// its Cancel button.
func TestBrowserScheduleRefusedThenScheduledAndCanceled(t *testing.T) {
	t.Parallel()
	e, a, th := newConsentingInNewYork(t)
	e.clock.Advance(25 * time.Hour) // no reply exemption: Tuesday 11:00 in New York and DC

	p := newPage(t, e)
	p.signInLive(a.agent)
	p.openThread(th.ID)
	if p.count("#schedule-fields:not([hidden])") != 0 || p.text("#reply-send") != "Send" {
		p.fail("the schedule option is open before it is chosen")
	}
	p.click("#schedule-on")
	p.waitVisible("#schedule-at")
	p.waitText("#reply-send", "Schedule")
	if z := p.text("#schedule-zone"); z != "(America/New_York)" {
		p.fail("the schedule's zone says %q", z)
	}

	// 22:00 in New York: the customer (+1 202, DC) may not be texted then.
	p.typeInto("#reply-body", "Reminder: your appointment is tomorrow at 10:00.")
	p.setInput("#schedule-at", "2030-03-05T22:00")
	p.click("#reply-send")
	p.waitText("#schedule-error", "Next allowed:")
	p.waitAttr("#schedule-next", "data-at", "2030-03-06T13:00:00Z")
	if got := p.text("#reply-error"); got != "" {
		p.fail("the refusal shows in the reply's error too: %q", got)
	}
	if v := eval[string](p, `document.querySelector("#reply-body").value`); v != "Reminder: your appointment is tomorrow at 10:00." {
		p.fail("after the refusal the reply box holds %q", v)
	}
	if n := len(e.get(a.agent, th.ID).Messages); n != 1 {
		t.Fatalf("a refused schedule recorded a message: %d messages", n)
	}
	p.screenshot("schedule-refused")

	// The next allowed time, taken with one click: 08:00 in New York.
	p.click("#schedule-next")
	if v := eval[string](p, `document.querySelector("#schedule-at").value`); v != "2030-03-06T08:00" {
		p.fail("the next allowed time put %q in the field", v)
	}
	p.click("#reply-send")
	scheduled := `ol#messages li.message[data-status="scheduled"]`
	p.waitText(scheduled+" .message-body", "Reminder: your appointment is tomorrow at 10:00.")
	p.waitText(scheduled+" .message-status", "Scheduled for")
	p.waitGone("#schedule-fields")
	if v := eval[string](p, `document.querySelector("#reply-body").value`); v != "" {
		p.fail("after scheduling the reply box holds %q", v)
	}
	msgs := e.get(a.agent, th.ID).Messages
	if len(msgs) != 2 || msgs[1].Status != "scheduled" {
		t.Fatalf("messages after scheduling: %+v", msgs)
	}
	p.screenshot("schedule-scheduled")

	// Cancel: the text says so, and can no longer be canceled.
	p.click(scheduled + " button.cancel-scheduled")
	canceled := `ol#messages li.message[data-status="canceled"]`
	p.waitText(canceled+" .message-status", "Canceled: canceled by staff")
	if n := p.count("button.cancel-scheduled"); n != 0 {
		p.fail("a canceled text still has %d Cancel buttons", n)
	}
	if m := e.scheduledMessage(a.agent, th.ID, msgs[1].ID); m.Status != "canceled" || m.CancelReason == nil || *m.CancelReason != "staff" {
		t.Fatalf("after Cancel: %+v", m)
	}
}

// A role that reads but does not write sees a scheduled text without its
// Cancel button.
func TestBrowserScheduledWithoutCancelForReaders(t *testing.T) {
	t.Parallel()
	e, a, th := newConsentingInNewYork(t)
	e.mustSchedule(a.agent, th.ID, "Your reminder.", e.clock.Now().Add(2*time.Hour))

	p := newPage(t, e)
	p.signInLive(e.addUser(a.ID, "compliance"))
	p.openThread(th.ID)
	p.waitText(`ol#messages li.message[data-status="scheduled"] .message-status`, "Scheduled for")
	if n := p.count("button.cancel-scheduled"); n != 0 {
		p.fail("a compliance user sees %d Cancel buttons", n)
	}
}
