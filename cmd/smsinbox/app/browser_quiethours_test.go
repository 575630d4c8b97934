package app_test

import (
	"testing"
	"time"
)

// A reply refused for quiet hours: the composer shows the refusal and the
// next allowed time in the company's time zone (here Pacific, while the
// customer is in Florida), keeps the text, and sends it once the window
// opens.
func TestBrowserQuietHoursRefusal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenantIn("Acme", numA, "America/Los_Angeles")
	e.clock.set(wall(t, "America/New_York", 4, 10, 0)) // Monday
	e.text(numA, floridaCust, "Is my order ready?")
	e.giveConsent(a.ID, numA, floridaCust, true)
	th := e.mustThread(a.agent, floridaCust)
	// Tuesday 21:30 in Florida (18:30 in the company's zone), 35 hours on.
	e.clock.set(wall(t, "America/New_York", 5, 21, 30))
	next := wall(t, "America/New_York", 6, 8, 0) // 05:00 Pacific

	p := newPage(t, e)
	p.signInLive(a.agent)
	p.openThread(th.ID)
	p.typeInto("form#reply textarea#reply-body", "Yes, come by tomorrow")
	p.click("#reply-send")
	p.waitText("#reply-error", "Outside the hours this customer may be texted")
	if got := p.attr("#reply-error time", "datetime"); got != next.UTC().Format(time.RFC3339) {
		p.fail("the refusal's time is %q, want %s", got, next.UTC().Format(time.RFC3339))
	}
	p.waitText("#reply-error", "5:00") // 08:00 Eastern, shown in Pacific time
	p.waitText("#reply-error", "(America/Los_Angeles)")
	if v := eval[string](p, `document.querySelector("#reply-body").value`); v != "Yes, come by tomorrow" {
		p.fail("after the refusal the reply box holds %q, want the text kept", v)
	}
	if n := p.count(`ol#messages li.message[data-direction="outbound"]`); n != 0 {
		p.fail("a refused reply is shown in the thread")
	}
	p.screenshot("quiet-hours-refusal")

	// The window opens: the same text goes out, and the refusal is gone.
	e.clock.set(next)
	p.click("#reply-send")
	p.waitText(`ol#messages li.message[data-direction="outbound"] .message-body`, "Yes, come by tomorrow")
	p.waitGone("#reply-error")
}
