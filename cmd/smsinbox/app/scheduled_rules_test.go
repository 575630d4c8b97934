package app_test

// End-to-end tests through HTTP of scheduled messages beside the other
// rules of a staff text: a STOP cancels every text Twilio has not been
// handed, a scheduled text from a template keeps it and is filled when
// scheduled, scheduling assigns an unassigned thread to its sender, and
// Messages turned off before a text is due cancels it. Twilio is the fake;
// the clock is the test's.

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// A STOP cancels every text of the customer that Twilio has not been handed:
// a text Twilio refused for now (429, try again in 5 minutes), the text
// queued behind it in the customer's lane, and two scheduled ones; each
// shows canceled, reason consent, and none is sent, not even once the
// scheduled ones are due and the 5 minutes are over.
func TestStopCancelsEveryTextNotHandedToTwilio(t *testing.T) {
	t.Parallel()
	e, a, threadID, now := newScheduling(t)
	// Another customer's text, due last, shows when the due ones were looked at.
	other := e.consentingThread(a, cust3)
	e.mustSchedule(a.agent, other, "Your table is ready.", now.Add(3*time.Hour))

	e.fake.FailNextRetryAfter(1, http.StatusTooManyRequests, 20429, "too many requests", "300", time.Time{})
	refused := e.mustReply(a.agent, threadID, "First.")
	e.waitFake(t, "the refused attempt", func() bool { return len(e.fake.Requests()) == 1 })
	e.waitScheduledStatus(a.agent, threadID, refused, "sending")
	behind := e.mustReply(a.agent, threadID, "Second.")
	soon := e.mustSchedule(a.agent, threadID, "Third.", now.Add(time.Hour))
	later := e.mustSchedule(a.agent, threadID, "Fourth.", now.Add(2*time.Hour))
	if m := e.scheduledMessage(a.agent, threadID, behind); m.Status != "queued" {
		t.Fatalf("the text behind the refused one, before the STOP: %+v", m)
	}

	e.customerTexts(a.MessagingNumber, cust1, "STOP")
	for _, id := range []string{refused, behind, soon, later} {
		if m := e.scheduledMessage(a.agent, threadID, id); m.Status != "canceled" || m.CancelReason == nil || *m.CancelReason != "consent" {
			t.Fatalf("message %s after the STOP: %+v", id, m)
		}
	}
	e.clock.Advance(3 * time.Hour)
	e.waitSentTo(t, cust3, 1)
	e.waitSentTo(t, cust1, 1) // the opt-out confirmation
	if got := bodies(e.fake.Requests()); len(got) != 3 || got[0] != "First." || !slices.Contains(got, "Your table is ready.") {
		t.Fatalf("requests to Twilio %q", got)
	}
	if got := e.sentTo(cust1); len(got) != 1 || !strings.Contains(got[0], "unsubscribed") {
		t.Fatalf("texts sent to the customer who opted out: %q", got)
	}
}

// A scheduled text from a template: filled when it is scheduled, it keeps
// the template's ID, scheduled and once sent. Scheduling is a staff reply,
// so it assigns the unassigned thread to the user who scheduled it.
func TestScheduledFromTemplateAssignsTheThread(t *testing.T) {
	t.Parallel()
	e, a, threadID, now := newScheduling(t)
	ann := e.newUser(a.ID, "agent")
	tmpl := e.mustSaveTemplate(ann.Token, "tomorrow", "{{company_name}}: see you tomorrow at 10.")

	r := e.reply(ann.Token, threadID, map[string]any{"template_id": tmpl, "send_at": now.Add(time.Hour).Format(time.RFC3339)})
	expect(t, r, http.StatusAccepted, "")
	var answer struct {
		MessageID string `json:"message_id"`
	}
	r.json(t, &answer)
	expect(t, e.reply(ann.Token, threadID, map[string]any{"template_id": tmpl, "body": "x", "send_at": now.Add(time.Hour).Format(time.RFC3339)}),
		http.StatusBadRequest, "invalid_request")

	if th := e.teamDetail(ann.Token, threadID); assigneeOf(th) != ann.ID {
		t.Fatalf("after scheduling, the thread is assigned to %s, want %s", assigneeOf(th), ann.ID)
	}
	m := e.scheduledMessage(ann.Token, threadID, answer.MessageID)
	if m.Status != "scheduled" || m.Body != "Acme: see you tomorrow at 10." || m.TemplateID == nil || *m.TemplateID != tmpl {
		t.Fatalf("scheduled from a template: %+v", m)
	}

	e.clock.Advance(time.Hour)
	e.waitSentTo(t, cust1, 1)
	if got := e.sentTo(cust1); !slices.Equal(got, []string{"Acme: see you tomorrow at 10."}) {
		t.Fatalf("sent %q", got)
	}
	e.waitScheduledStatus(ann.Token, threadID, answer.MessageID, "sending")
	if m := e.scheduledMessage(ann.Token, threadID, answer.MessageID); m.TemplateID == nil || *m.TemplateID != tmpl {
		t.Fatalf("once sent: %+v", m)
	}
}

// When a scheduled text is due, Messages must still be on for the company:
// turned off meanwhile, the text is canceled, reason not_allowed, and
// nothing is sent. (With Messages off the thread cannot be read: the test
// waits for the cancel in the log, then turns Messages on to read it.)
func TestScheduledCanceledWhenDueWithMessagesOff(t *testing.T) {
	t.Parallel()
	e, a, threadID, now := newScheduling(t)
	id := e.mustSchedule(a.agent, threadID, "Your order is ready.", now.Add(time.Hour))
	messages := func(on bool) {
		t.Helper()
		expect(t, e.do(req{method: "PATCH", path: "/api/admin/companies/" + a.ID, token: adminTok, body: map[string]any{"sms_enabled": on}}), http.StatusOK, "")
	}
	messages(false)
	e.clock.Advance(time.Hour)
	e.waitEvent(conversation.TypeOutboundMessageCanceled, id)
	messages(true)
	if m := e.scheduledMessage(a.agent, threadID, id); m.Status != "canceled" || m.CancelReason == nil || *m.CancelReason != "not_allowed" {
		t.Fatalf("due with Messages off: %+v", m)
	}
	if sent := e.fake.Sent(); len(sent) != 0 {
		t.Fatalf("sent %q", bodies(sent))
	}
}

// waitEvent waits until the log holds an event of type eventType about
// message id.
func (e *env) waitEvent(eventType, id string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for rec, err := range e.app.Store.Subscribe(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			e.t.Fatalf("no %s of message %s: %v", eventType, id, err)
		}
		var m struct {
			MessageID string `json:"message_id"`
		}
		if rec.Type == eventType && json.Unmarshal(rec.Data, &m) == nil && m.MessageID == id {
			return
		}
	}
	e.t.Fatalf("the log ended before a %s of message %s", eventType, id)
}
