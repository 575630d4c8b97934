package app_test

// Quiet hours end to end (issue 14): staff texts through HTTP, twilio-go
// pointed at the fake Twilio, and a clock the test sets.

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/adapters/twilio/twiliofake"
	"github.com/smsinbox/smsinbox/domain/conversation"
)

// Customers by place (all valid numbers but the +1 555 one).
const (
	floridaCust    = "+13055550123" // Miami: 08:00–20:00 Eastern
	californiaCust = "+14155550177" // San Francisco: 08:00–21:00 Pacific
)

// set moves the clock to t (forward, as time goes).
func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// zone loads an IANA zone.
func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// The week of the tests: Monday 4 March 2030 to Saturday 9 March, before
// the clocks change on the 10th (Eastern UTC−5, Pacific UTC−8, Hawaii UTC−10).
// wall is hh:mm on that day of March 2030 in zone z.
func wall(t *testing.T, z string, day, hh, mm int) time.Time {
	return time.Date(2030, 3, day, hh, mm, 0, 0, zone(t, z))
}

// quietHoursRefusal checks a 409 quiet_hours and returns its
// next_allowed_at (nil for null).
func quietHoursRefusal(t *testing.T, r response) *time.Time {
	t.Helper()
	expect(t, r, http.StatusConflict, "quiet_hours")
	var body struct {
		Error map[string]any `json:"error"`
	}
	r.json(t, &body)
	v, ok := body.Error["next_allowed_at"]
	if !ok {
		t.Fatalf("no next_allowed_at in %s", r.body)
	}
	if v == nil {
		return nil
	}
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339, s)
	if err != nil || at.Location() != time.UTC {
		t.Fatalf("next_allowed_at %q is not RFC 3339 UTC: %v", s, err)
	}
	return &at
}

// wantNext checks a refusal's next allowed moment.
func wantNext(t *testing.T, r response, want time.Time) {
	t.Helper()
	if got := quietHoursRefusal(t, r); got == nil || !got.Equal(want) {
		t.Fatalf("next_allowed_at %v, want %v", got, want.UTC())
	}
}

// textedAt is a customer with consent yes whose only text in the thread
// was at the clock's time (the consent's YES is seeded in its own stream).
func (e *outEnv) textedAt(tn tenant, customer string, at time.Time) string {
	e.t.Helper()
	e.clock.set(at)
	return e.consentingThread(tn, customer)
}

// reachedTwilio reports whether a text to customer reached the fake.
func (e *outEnv) reachedTwilio(customer string) bool {
	return slices.ContainsFunc(e.fake.Arrived(), func(r twiliofake.Request) bool { return r.To == customer })
}

// Refused at 21:30 for a Florida number, allowed at 20:30 for a California
// one: the recipient's local time and state decide. A refusal records
// nothing, and nothing reaches Twilio.
func TestQuietHoursByTheRecipientsPlace(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenantIn("Acme", numA, "America/New_York")
	monday := wall(t, "America/New_York", 4, 10, 0)
	fl := e.textedAt(a, floridaCust, monday)
	ca := e.textedAt(a, californiaCust, monday)

	// Tuesday, more than 24 hours after their texts: no reply exemption.
	e.clock.set(wall(t, "America/New_York", 5, 21, 30))
	wantNext(t, e.reply(a.agent, fl, map[string]any{"body": "Your order is ready"}), wall(t, "America/New_York", 6, 8, 0))
	// Florida closes at 20:00, not 21:00.
	e.clock.set(wall(t, "America/New_York", 5, 20, 0).Add(24 * time.Hour)) // Wednesday 20:00
	wantNext(t, e.reply(a.agent, fl, map[string]any{"body": "Your order is ready"}), wall(t, "America/New_York", 7, 8, 0))
	if q := e.queued(a.ID, floridaCust); len(q) != 0 {
		t.Fatalf("a refused text was recorded: %+v", q)
	}

	// California, Wednesday 20:30 Pacific: inside 08:00–21:00.
	e.clock.set(wall(t, "America/Los_Angeles", 6, 20, 30))
	id := e.mustReply(a.agent, ca, "Your order is ready")
	e.waitSent(a.ID, californiaCust, id)
	// And 21:00 Pacific is outside it.
	e.clock.set(wall(t, "America/Los_Angeles", 6, 21, 0))
	wantNext(t, e.reply(a.agent, ca, map[string]any{"body": "One more thing"}), wall(t, "America/Los_Angeles", 7, 8, 0))
	if e.reachedTwilio(floridaCust) {
		t.Fatalf("a refused text reached Twilio: %q", bodies(e.fake.Arrived()))
	}
}

// A reply within 24 hours of the customer's last text goes out at any hour,
// counted to the moment it leaves; the customer's YES is a text like any
// other, and consent's automated texts are never held to the window.
func TestQuietHoursReplyWithin24Hours(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenantIn("Acme", numA, "America/New_York")
	th := e.textedAt(a, floridaCust, wall(t, "America/New_York", 5, 21, 0)) // "Is Tuesday OK?" at 21:00

	e.clock.set(wall(t, "America/New_York", 5, 23, 30))
	id := e.mustReply(a.agent, th, "Yes, Tuesday at 10")
	e.waitSent(a.ID, floridaCust, id)
	e.clock.set(wall(t, "America/New_York", 6, 20, 59)) // 23h59 after
	e.waitSent(a.ID, floridaCust, e.mustReply(a.agent, th, "See you tomorrow"))
	e.clock.set(wall(t, "America/New_York", 6, 21, 0)) // 24h after: over
	wantNext(t, e.reply(a.agent, th, map[string]any{"body": "Reminder"}), wall(t, "America/New_York", 7, 8, 0))

	// A form at 22:00 asks for consent (automated: sent at once); the YES
	// that answers it is the customer's last text.
	other := "+13055550144"
	e.clock.set(wall(t, "America/New_York", 6, 22, 0))
	e.submitForm(a.agent, map[string]any{"phone": other, "first_name": "Ada", "last_name": "Lovelace",
		"email": "ada@example.com", "opt_in": true, "app": "text_us_now"})
	e.waitFake(t, "the confirmation request at 22:00", func() bool { return e.reachedTwilio(other) })
	e.clock.set(wall(t, "America/New_York", 6, 22, 5))
	e.customerTexts(numA, other, "YES")
	e.clock.set(wall(t, "America/New_York", 6, 22, 10))
	otherThread := e.mustThread(a.agent, other).ID
	e.waitSent(a.ID, other, e.mustReply(a.agent, otherThread, "Thanks, see you Tuesday"))
}

// A company narrows its window, never widens it; the window is an event of
// the company, shown in its GET and its PATCH answer.
func TestQuietHoursCompanyWindow(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenantIn("Acme", numA, "America/Los_Angeles")
	th := e.textedAt(a, californiaCust, wall(t, "America/Los_Angeles", 4, 10, 0))
	path := "/api/admin/companies/" + a.ID
	type view struct {
		QuietHours *struct {
			Start string `json:"start"`
			End   string `json:"end"`
		} `json:"quiet_hours"`
	}
	read := func(r response) view {
		t.Helper()
		expect(t, r, http.StatusOK, "")
		var v view
		r.json(t, &v)
		return v
	}
	if v := read(e.do(req{method: "GET", path: path, token: adminTok})); v.QuietHours != nil {
		t.Fatalf("a new company has a window: %+v", v.QuietHours)
	}
	patch := func(body any) response {
		return e.do(req{method: "PATCH", path: path, token: adminTok, body: map[string]any{"quiet_hours": body}})
	}
	if v := read(patch(map[string]any{"start": "10:00", "end": "17:00"})); v.QuietHours == nil || v.QuietHours.Start != "10:00" || v.QuietHours.End != "17:00" {
		t.Fatalf("PATCH answered %+v", v.QuietHours)
	}
	if v := read(e.do(req{method: "GET", path: path, token: adminTok})); v.QuietHours == nil || v.QuietHours.Start != "10:00" {
		t.Fatalf("GET answered %+v", v.QuietHours)
	}
	for _, bad := range []any{
		map[string]any{"start": "25:00", "end": "17:00"},
		map[string]any{"start": "9:00", "end": "17:00"},
		map[string]any{"start": "17:00", "end": "10:00"},
		map[string]any{"start": "10:00"},
	} {
		expect(t, patch(bad), http.StatusBadRequest, "invalid_quiet_hours")
	}
	expect(t, patch(map[string]any{"start": "10:00", "end": "17:00", "x": 1}), http.StatusBadRequest, "unknown_field")

	// Wednesday 09:30 Pacific (two days on: no reply exemption): inside the
	// law's 08:00–21:00, outside 10:00–17:00.
	e.clock.set(wall(t, "America/Los_Angeles", 6, 9, 30))
	wantNext(t, e.reply(a.agent, th, map[string]any{"body": "Good morning"}), wall(t, "America/Los_Angeles", 6, 10, 0))
	e.clock.set(wall(t, "America/Los_Angeles", 6, 10, 0))
	e.waitSent(a.ID, californiaCust, e.mustReply(a.agent, th, "Good morning"))

	// A wider window than the law's widens nothing.
	read(patch(map[string]any{"start": "06:00", "end": "23:00"}))
	e.clock.set(wall(t, "America/Los_Angeles", 6, 21, 30))
	wantNext(t, e.reply(a.agent, th, map[string]any{"body": "Good night"}), wall(t, "America/Los_Angeles", 7, 8, 0))
	e.clock.set(wall(t, "America/Los_Angeles", 7, 7, 0))
	wantNext(t, e.reply(a.agent, th, map[string]any{"body": "Good morning"}), wall(t, "America/Los_Angeles", 7, 8, 0))

	// null drops it.
	if v := read(patch(nil)); v.QuietHours != nil {
		t.Fatalf("PATCH null answered %+v", v.QuietHours)
	}
}

// A +1 555 number end to end: its text reaches the inbox, its YES consents,
// a reply goes out within 24 hours at any hour, and afterwards its unknown
// zone and state take the strictest reading: 09:00 in Hawaii to 20:00
// Eastern time (19:00–01:00 UTC in winter), Monday to Saturday.
func TestQuietHoursPossibleNumberEndToEnd(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenantIn("Acme", numA, "America/New_York")
	e.clock.set(time.Date(2030, 3, 4, 15, 0, 0, 0, time.UTC)) // 05:00 in Hawaii, 10:00 Eastern
	e.customerTexts(numA, cust555, "Do you deliver?")
	th := e.mustThread(a.agent, cust555).ID
	e.submitForm(a.agent, map[string]any{"phone": cust555, "first_name": "Ada", "last_name": "Lovelace",
		"email": "ada@example.com", "opt_in": true, "app": "text_us_now"})
	e.customerTexts(numA, cust555, "YES")
	e.waitSent(a.ID, cust555, e.mustReply(a.agent, th, "We do, every weekday"))

	// Tuesday 16:00 UTC (11:00 Eastern, 06:00 in Hawaii), 25 hours on.
	e.clock.set(time.Date(2030, 3, 5, 16, 0, 0, 0, time.UTC))
	wantNext(t, e.reply(a.agent, th, map[string]any{"body": "Your delivery is booked"}), time.Date(2030, 3, 5, 19, 0, 0, 0, time.UTC))
	e.clock.set(time.Date(2030, 3, 5, 19, 0, 0, 0, time.UTC))
	e.waitSent(a.ID, cust555, e.mustReply(a.agent, th, "Your delivery is booked"))
	// 20:00 Eastern closes it.
	e.clock.set(time.Date(2030, 3, 6, 1, 0, 0, 0, time.UTC))
	wantNext(t, e.reply(a.agent, th, map[string]any{"body": "Late news"}), time.Date(2030, 3, 6, 19, 0, 0, 0, time.UTC))
}

// A number placed nowhere (international freephone: no time zone at all)
// has no allowed moment once the reply exemption is over: next_allowed_at is
// null.
func TestQuietHoursNoAllowedMoment(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenantIn("Acme", numA, "America/New_York")
	const freephone = "+80012345678"
	th := e.textedAt(a, freephone, wall(t, "America/New_York", 4, 12, 0))
	e.waitSent(a.ID, freephone, e.mustReply(a.agent, th, "Thanks for your message")) // a reply: exempt
	e.clock.set(wall(t, "America/New_York", 5, 12, 0))                               // 24 hours on
	if next := quietHoursRefusal(t, e.reply(a.agent, th, map[string]any{"body": "Any news?"})); next != nil {
		t.Fatalf("next_allowed_at %v, want null", next)
	}
}

// The law binds the moment a text leaves: a text accepted at 20:59 that
// Twilio does not take at once, and whose retry comes after 21:00, is not
// sent (failed, quiet_hours).
func TestQuietHoursCheckedAgainWhenItLeaves(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenantIn("Acme", numA, "America/Los_Angeles")
	th := e.textedAt(a, californiaCust, wall(t, "America/Los_Angeles", 4, 10, 0))
	e.clock.set(wall(t, "America/Los_Angeles", 5, 20, 59)) // Tuesday, 35 hours on
	e.fake.Script(californiaCust, twiliofake.Answer{Status: http.StatusServiceUnavailable, Code: 20503, Message: "Service unavailable"})
	id := e.mustReply(a.agent, th, "Your table is booked")
	e.until("the first attempt put off", func() bool {
		return slices.ContainsFunc(e.outboundEvents(a.ID, californiaCust, id), func(ev conversation.Event) bool {
			_, ok := ev.(conversation.OutboundSendDeferred)
			return ok
		})
	})
	e.clock.set(wall(t, "America/Los_Angeles", 5, 21, 1))
	e.until("the retry refused for quiet hours", func() bool {
		evs := e.outboundEvents(a.ID, californiaCust, id)
		f, ok := evs[len(evs)-1].(conversation.OutboundMessageFailed)
		return ok && f.ReasonCode == conversation.ReasonQuietHours
	})
	if got := e.fake.Arrived(); len(got) != 1 {
		t.Fatalf("Twilio got %q; want only the first attempt", bodies(got))
	}
}
