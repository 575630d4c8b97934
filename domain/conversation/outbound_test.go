package conversation_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
)

// outID is the ID of the outbound message called name.
func outID(name string) uuid.UUID { return uuid.NewSHA1(uuid.NameSpaceURL, []byte(name)) }

// queueMsg is the command that queues staff message name at minute min.
func queueMsg(name string, min int) conversation.QueueMessage {
	return conversation.QueueMessage{
		MessageID: outID(name), CompanyID: company, CustomerPhone: customer, From: ourNum,
		Body: "reply " + name, App: "dashboard", At: at(min),
	}
}

// queued is the event queueMsg(name, min) records.
func queued(name string, min int) conversation.OutboundMessageQueued {
	return conversation.OutboundMessageQueued{
		MessageID: outID(name), Thread: thread, From: ourNum, To: customer,
		Body: "reply " + name, App: "dashboard", QueuedAt: at(min),
	}
}

func hiddenQueued(name string, min int) conversation.OutboundMessageQueued {
	e := queued(name, min)
	e.App, e.Automated, e.Hidden = "automated", true, true
	return e
}

func attempted(name string, n, min int) conversation.OutboundSendAttempted {
	return conversation.OutboundSendAttempted{MessageID: outID(name), Thread: thread, Attempt: n, At: at(min)}
}

func deferred(name string, n, min int) conversation.OutboundSendDeferred {
	return conversation.OutboundSendDeferred{MessageID: outID(name), Thread: thread, Attempt: n, HTTPStatus: 503, Reason: "Twilio answered 503",
		RetryAt: at(min), At: at(min)}
}

// start is StartSend of message name at minute min, with checks that let
// every text go (consent yes on ourNum).
func start(name string, min int) conversation.StartSend {
	return conversation.StartSend{MessageID: outID(name), Checks: allowed, At: at(min)}
}

// allowed are checks that let a staff text from ourNum go.
var allowed = conversation.SendChecks{CompanyFound: true, MessagingNumber: ourNum, SMSEnabled: true,
	Consent: consent.State{CompanyID: company, CustomerPhone: customer, MessagingNumber: ourNum, Status: consent.StatusYes}}

func sent(name, sid, twilioStatus string, status conversation.OutboundStatus, min int) conversation.OutboundMessageSent {
	return conversation.OutboundMessageSent{MessageID: outID(name), Thread: thread, TwilioSID: sid, TwilioStatus: twilioStatus, Status: status, At: at(min)}
}

func changed(name, sid, twilioStatus string, status conversation.OutboundStatus, code, min int) conversation.OutboundMessageStatusChanged {
	return conversation.OutboundMessageStatusChanged{MessageID: outID(name), Thread: thread, TwilioSID: sid, TwilioStatus: twilioStatus, Status: status, ErrorCode: code, At: at(min)}
}

func failed(name string, code int, reason string, min int) conversation.OutboundMessageFailed {
	return conversation.OutboundMessageFailed{MessageID: outID(name), Thread: thread, ErrorCode: code, Reason: reason, At: at(min)}
}

func callback(name, sid, twilioStatus string, code, min int) conversation.ApplyStatus {
	return conversation.ApplyStatus{MessageID: outID(name), TwilioSID: sid, TwilioStatus: twilioStatus, ErrorCode: code, At: at(min)}
}

func events(es ...conversation.Event) []conversation.Event { return es }

func TestDecideOutbound(t *testing.T) {
	hidden := queueMsg("M1", 1)
	hidden.App, hidden.Automated, hidden.Hidden = "automated", true, true
	longest := queueMsg("M1", 1)
	longest.Body = strings.Repeat("é", conversation.MaxBodyLength)
	longestEvent := queued("M1", 1)
	longestEvent.Body = longest.Body
	with := func(f func(*conversation.QueueMessage)) conversation.Command {
		c := queueMsg("M1", 1)
		f(&c)
		return c
	}
	inFlight := events(received("SM1", 0), queued("M1", 1), attempted("M1", 1, 2))
	sentM1 := append(slices.Clone(inFlight), sent("M1", "SMa", "queued", conversation.StatusSending, 3))
	delivered := append(slices.Clone(sentM1), changed("M1", "SMa", "delivered", conversation.StatusDelivered, 0, 4))
	carrierOptOut := failed("M1", 21610, "Twilio refused: the customer opted out", 3)
	carrierOptOut.CarrierOptOut = true
	tmpl := uuid.MustParse("0190a0b0-0000-7000-8000-0000000000aa")
	fromTemplate := with(func(c *conversation.QueueMessage) { c.TemplateID = &tmpl })
	fromTemplateEvent := queued("M1", 1)
	fromTemplateEvent.TemplateID = &tmpl

	tests := []struct {
		name  string
		given []conversation.Event
		when  conversation.Command
		then  []conversation.Event
		err   error
	}{
		// Queue: recorded first, status queued; the thread opens if needed.
		{"queue opens a new thread", nil, queueMsg("M1", 1), events(queued("M1", 1)), nil},
		{"queue on a thread", events(received("SM1", 0)), queueMsg("M1", 1), events(queued("M1", 1)), nil},
		{"queue a hidden automated text", events(received("SM1", 0)), hidden, events(hiddenQueued("M1", 1)), nil},
		{"queue the longest text", nil, longest, events(longestEvent), nil},
		{"queue a text filled from a template: it names the template", nil, fromTemplate, events(fromTemplateEvent), nil},
		// The caller's ID makes a retry record nothing.
		{"queue the same ID again", events(queued("M1", 1)), queueMsg("M1", 2), nil, nil},
		{"queue the same ID after it was sent", sentM1, queueMsg("M1", 5), nil, nil},
		{"queue a second message", events(queued("M1", 1)), queueMsg("M2", 2), events(queued("M2", 2)), nil},
		{"queue without ID", nil, with(func(c *conversation.QueueMessage) { c.MessageID = uuid.Nil }), nil, conversation.ErrInvalidCommand},
		{"queue without company", nil, with(func(c *conversation.QueueMessage) { c.CompanyID = "" }), nil, conversation.ErrInvalidCommand},
		{"queue without customer", nil, with(func(c *conversation.QueueMessage) { c.CustomerPhone = "" }), nil, conversation.ErrInvalidCommand},
		{"queue without messaging number", nil, with(func(c *conversation.QueueMessage) { c.From = "" }), nil, conversation.ErrInvalidCommand},
		{"queue an empty text", nil, with(func(c *conversation.QueueMessage) { c.Body = "" }), nil, conversation.ErrInvalidCommand},
		{"queue white space", nil, with(func(c *conversation.QueueMessage) { c.Body = " \n\t " }), nil, conversation.ErrInvalidCommand},
		{"queue a text too long", nil, with(func(c *conversation.QueueMessage) { c.Body = strings.Repeat("a", conversation.MaxBodyLength+1) }), nil, conversation.ErrInvalidCommand},
		{"queue without app", nil, with(func(c *conversation.QueueMessage) { c.App = "" }), nil, conversation.ErrInvalidCommand},
		{"queue without time", nil, with(func(c *conversation.QueueMessage) { c.At = time.Time{} }), nil, conversation.ErrInvalidCommand},
		{"queue for another thread", events(received("SM1", 0)), with(func(c *conversation.QueueMessage) { c.CustomerPhone = ourNum }), nil, conversation.ErrInvalidCommand},

		// StartSend: only a message waiting to be sent is attempted.
		{"start a queued message", events(queued("M1", 1)), start("M1", 2), events(attempted("M1", 1, 2)), nil},
		{"start again after a deferral", append(slices.Clone(inFlight), deferred("M1", 1, 3)), start("M1", 4), events(attempted("M1", 2, 4)), nil},
		{"start while an attempt is in flight", inFlight, start("M1", 3), nil, nil},
		{"start a message Twilio took", sentM1, start("M1", 4), nil, nil},
		{"start a failed message", events(queued("M1", 1), failed("M1", 0, "consent withdrawn", 2)), start("M1", 3), nil, nil},
		{"start a delivered message", delivered, start("M1", 5), nil, nil},
		{"start an unknown message", events(queued("M1", 1)), start("M9", 2), nil, conversation.ErrMessageNotFound},
		{"start on a missing thread", nil, start("M1", 2), nil, conversation.ErrThreadNotFound},
		{"start without time", events(queued("M1", 1)), conversation.StartSend{MessageID: outID("M1")}, nil, conversation.ErrInvalidCommand},

		// DeferSend: only the attempt in flight.
		{"defer the attempt in flight", inFlight, conversation.DeferSend{MessageID: outID("M1"), HTTPStatus: 503, Reason: "Twilio answered 503", At: at(3)}, events(deferred("M1", 1, 3)), nil},
		{"defer with no attempt in flight", events(queued("M1", 1)), conversation.DeferSend{MessageID: outID("M1"), Reason: "x", At: at(3)}, nil, nil},
		{"defer after Twilio took it", sentM1, conversation.DeferSend{MessageID: outID("M1"), Reason: "x", At: at(4)}, nil, nil},

		// RecordSent: Twilio's answer; at least sending whatever it said.
		{"Twilio's answer: queued", inFlight, conversation.RecordSent{MessageID: outID("M1"), TwilioSID: "SMa", TwilioStatus: "queued", At: at(3)}, events(sent("M1", "SMa", "queued", conversation.StatusSending, 3)), nil},
		{"the sandbox's answer: sent", inFlight, conversation.RecordSent{MessageID: outID("M1"), TwilioSID: "SMa", TwilioStatus: "sent", At: at(3)}, events(sent("M1", "SMa", "sent", conversation.StatusSent, 3)), nil},
		{"the same answer again", sentM1, conversation.RecordSent{MessageID: outID("M1"), TwilioSID: "SMa", TwilioStatus: "queued", At: at(4)}, nil, nil},
		{"another SID", sentM1, conversation.RecordSent{MessageID: outID("M1"), TwilioSID: "SMb", At: at(4)}, nil, conversation.ErrInvalidCommand},
		{"an answer without SID", inFlight, conversation.RecordSent{MessageID: outID("M1"), At: at(3)}, nil, conversation.ErrInvalidCommand},
		// A callback that names the SID (applied before the answer) records it.
		{"the answer after a callback said delivered",
			append(slices.Clone(inFlight), changed("M1", "SMa", "delivered", conversation.StatusDelivered, 0, 3)),
			conversation.RecordSent{MessageID: outID("M1"), TwilioSID: "SMa", TwilioStatus: "queued", At: at(4)}, nil, nil},

		// FailSend: final, once.
		{"fail a queued message (consent withdrawn)", events(queued("M1", 1)), conversation.FailSend{MessageID: outID("M1"), Reason: "consent withdrawn", At: at(2)}, events(failed("M1", 0, "consent withdrawn", 2)), nil},
		{"fail the attempt in flight (outcome unknown)", inFlight, conversation.FailSend{MessageID: outID("M1"), Reason: "outcome unknown", At: at(3)}, events(failed("M1", 0, "outcome unknown", 3)), nil},
		{"Twilio refuses: 21610", inFlight, conversation.FailSend{MessageID: outID("M1"), ErrorCode: 21610, Reason: "Twilio refused: the customer opted out", CarrierOptOut: true, At: at(3)}, events(carrierOptOut), nil},
		{"fail a failed message", events(queued("M1", 1), failed("M1", 0, "x", 2)), conversation.FailSend{MessageID: outID("M1"), Reason: "y", At: at(3)}, nil, nil},
		{"fail a delivered message", delivered, conversation.FailSend{MessageID: outID("M1"), Reason: "y", At: at(5)}, nil, nil},
		{"fail without reason", events(queued("M1", 1)), conversation.FailSend{MessageID: outID("M1"), Reason: " ", At: at(2)}, nil, conversation.ErrInvalidCommand},

		// ApplyStatus: a status only climbs; a final one stands.
		{"callback sent", sentM1, callback("M1", "SMa", "sent", 0, 4), events(changed("M1", "SMa", "sent", conversation.StatusSent, 0, 4)), nil},
		{"callback delivered after sent",
			append(slices.Clone(sentM1), changed("M1", "SMa", "sent", conversation.StatusSent, 0, 4)),
			callback("M1", "SMa", "delivered", 0, 5), events(changed("M1", "SMa", "delivered", conversation.StatusDelivered, 0, 5)), nil},
		{"callback delivered before sent", sentM1, callback("M1", "SMa", "delivered", 0, 4), events(changed("M1", "SMa", "delivered", conversation.StatusDelivered, 0, 4)), nil},
		{"late sent after delivered", delivered, callback("M1", "SMa", "sent", 0, 5), nil, nil},
		{"late queued after sending", sentM1, callback("M1", "SMa", "queued", 0, 4), nil, nil},
		{"undelivered after delivered", delivered, callback("M1", "SMa", "undelivered", 30003, 5), nil, nil},
		{"the same status twice",
			append(slices.Clone(sentM1), changed("M1", "SMa", "sent", conversation.StatusSent, 0, 4)),
			callback("M1", "SMa", "sent", 0, 5), nil, nil},
		{"undelivered with Twilio's code", sentM1, callback("M1", "SMa", "undelivered", 30003, 4), events(changed("M1", "SMa", "undelivered", conversation.StatusUndelivered, 30003, 4)), nil},
		{"failed with Twilio's code", sentM1, callback("M1", "SMa", "failed", 30007, 4), events(changed("M1", "SMa", "failed", conversation.StatusFailed, 30007, 4)), nil},
		{"read is delivered", sentM1, callback("M1", "SMa", "read", 0, 4), events(changed("M1", "SMa", "read", conversation.StatusDelivered, 0, 4)), nil},
		{"an inbound status", sentM1, callback("M1", "SMa", "received", 0, 4), nil, nil},
		{"an unknown status", sentM1, callback("M1", "SMa", "bogus", 0, 4), nil, nil},
		{"a callback kept before the answer", inFlight, callback("M1", "SMa", "sent", 0, 3), events(changed("M1", "SMa", "sent", conversation.StatusSent, 0, 3)), nil},
		{"a callback for another SID", sentM1, callback("M1", "SMb", "sent", 0, 4), nil, conversation.ErrInvalidCommand},
		{"a callback without SID", sentM1, callback("M1", "", "sent", 0, 4), nil, conversation.ErrInvalidCommand},
		{"a callback for an unknown message", sentM1, callback("M9", "SMa", "sent", 0, 4), nil, conversation.ErrMessageNotFound},
		{"a callback on a missing thread", nil, callback("M1", "SMa", "sent", 0, 4), nil, conversation.ErrThreadNotFound},
		{"a callback after smsinbox failed it", append(slices.Clone(inFlight), failed("M1", 0, "outcome unknown", 3)), callback("M1", "SMa", "delivered", 0, 4), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := conversation.Decide(given(tt.given...), tt.when)
			if !errors.Is(err, tt.err) || (err != nil) != (tt.err != nil) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if !reflect.DeepEqual(got, tt.then) {
				t.Fatalf("events\n got %#v\nwant %#v", got, tt.then)
			}
		})
	}
}

func TestEvolveOutbound(t *testing.T) {
	tests := []struct {
		name                   string
		given                  []conversation.Event
		unread, archived       bool
		activity, lastCustomer time.Time
		messages               int
	}{
		// Outbound messages move the activity time, never the unread flag.
		{"a reply leaves an unread thread unread", events(received("SM1", 0), queued("M1", 1)), true, false, at(1), at(0), 2},
		{"a reply leaves a read thread read", events(received("SM1", 0), read(1), queued("M1", 2)), false, false, at(2), at(0), 2},
		{"a reply leaves an archived thread archived", events(received("SM1", 0), archived(1), queued("M1", 2)), true, true, at(2), at(0), 2},
		{"a text opens a thread, read, with no customer reply", events(queued("M1", 1)), false, false, at(1), time.Time{}, 1},
		{"a hidden text does not move the activity", events(received("SM1", 0), read(1), hiddenQueued("M1", 2)), false, false, at(0), at(0), 2},
		{"an older reply does not move the activity back", events(received("SM1", 5), queued("M1", 3)), true, false, at(5), at(5), 2},
		{"status events move nothing of the thread", events(received("SM1", 0), read(1), queued("M1", 2), attempted("M1", 1, 3),
			sent("M1", "SMa", "queued", conversation.StatusSending, 4), changed("M1", "SMa", "delivered", conversation.StatusDelivered, 0, 9)), false, false, at(2), at(0), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := given(tt.given...)
			if s.Thread != thread {
				t.Errorf("Thread = %+v, want %+v", s.Thread, thread)
			}
			if s.Unread != tt.unread || s.Archived != tt.archived {
				t.Errorf("unread %v archived %v, want %v %v", s.Unread, s.Archived, tt.unread, tt.archived)
			}
			if !s.LastActivityAt.Equal(tt.activity) || !s.LastCustomerReplyAt.Equal(tt.lastCustomer) {
				t.Errorf("activity %v customer %v, want %v %v", s.LastActivityAt, s.LastCustomerReplyAt, tt.activity, tt.lastCustomer)
			}
			if s.Messages != tt.messages {
				t.Errorf("Messages = %d, want %d", s.Messages, tt.messages)
			}
		})
	}
}

// The message as its events describe it, step by step.
func TestEvolveOutboundMessage(t *testing.T) {
	type view struct {
		status    conversation.OutboundStatus
		sid       string
		code      int
		attempts  int
		inFlight  bool
		waitsSend bool
	}
	steps := []struct {
		event conversation.Event
		want  view
	}{
		{queued("M1", 1), view{conversation.StatusQueued, "", 0, 0, false, true}},
		{attempted("M1", 1, 2), view{conversation.StatusSending, "", 0, 1, true, false}},
		{deferred("M1", 1, 3), view{conversation.StatusSending, "", 0, 1, false, true}},
		{attempted("M1", 2, 4), view{conversation.StatusSending, "", 0, 2, true, false}},
		{sent("M1", "SMa", "queued", conversation.StatusSending, 5), view{conversation.StatusSending, "SMa", 0, 2, false, false}},
		{changed("M1", "SMa", "delivered", conversation.StatusDelivered, 0, 7), view{conversation.StatusDelivered, "SMa", 0, 2, false, false}},
		// Replayed events that would move it back (recorded by older code,
		// or in a race) change nothing either.
		{changed("M1", "SMa", "sent", conversation.StatusSent, 0, 8), view{conversation.StatusDelivered, "SMa", 0, 2, false, false}},
		{failed("M1", 21610, "x", 9), view{conversation.StatusDelivered, "SMa", 0, 2, false, false}},
	}
	var s conversation.State
	for i, st := range steps {
		s = conversation.Evolve(s, st.event)
		m, ok := s.Outbound(outID("M1"))
		if !ok {
			t.Fatalf("step %d: no message", i)
		}
		got := view{m.Status, m.SID, m.ErrorCode, m.Attempts, m.InFlight, m.WaitsToBeSent()}
		if got != st.want {
			t.Fatalf("step %d (%s): %+v, want %+v", i, st.event.EventType(), got, st.want)
		}
	}
	m, _ := s.Outbound(outID("M1"))
	if m.From != ourNum || m.To != customer || m.Body != "reply M1" || m.App != "dashboard" || m.Automated || m.Hidden || !m.QueuedAt.Equal(at(1)) {
		t.Fatalf("message %+v", m)
	}
	if _, ok := s.Outbound(outID("M2")); ok {
		t.Fatal("an unknown message was found")
	}
	// Failed with a code, and an event for a message never queued.
	s = given(queued("M2", 1), attempted("M2", 1, 2), failed("M2", 21610, "refused", 3), attempted("M3", 1, 4))
	if m, _ := s.Outbound(outID("M2")); m.Status != conversation.StatusFailed || m.ErrorCode != 21610 || m.InFlight {
		t.Fatalf("failed message %+v", m)
	}
	if _, ok := s.Outbound(outID("M3")); ok {
		t.Fatal("an attempt made a message up")
	}
}

// States are values: evolving one twice from the same point gives two
// independent states.
func TestEvolveOutboundDoesNotShare(t *testing.T) {
	base := given(queued("M1", 1))
	a := conversation.Evolve(base, attempted("M1", 1, 2))
	b := conversation.Evolve(base, failed("M1", 0, "x", 2))
	ma, _ := a.Outbound(outID("M1"))
	mb, _ := b.Outbound(outID("M1"))
	m0, _ := base.Outbound(outID("M1"))
	if m0.Status != conversation.StatusQueued || ma.Status != conversation.StatusSending || mb.Status != conversation.StatusFailed {
		t.Fatalf("base %s, a %s, b %s", m0.Status, ma.Status, mb.Status)
	}
}

func TestOutboundStatusOrder(t *testing.T) {
	ranks := map[conversation.OutboundStatus]int{
		conversation.StatusQueued: 0, conversation.StatusSending: 1, conversation.StatusSent: 2,
		conversation.StatusDelivered: 3, conversation.StatusUndelivered: 3, conversation.StatusFailed: 3, "bogus": -1,
		conversation.StatusScheduled: 0, conversation.StatusCanceled: 3,
	}
	for s, r := range ranks {
		if s.Rank() != r || s.Final() != (r == 3) {
			t.Errorf("%s: rank %d final %v", s, s.Rank(), s.Final())
		}
	}
	twilio := map[string]conversation.OutboundStatus{
		"accepted": conversation.StatusQueued, "scheduled": conversation.StatusQueued, "queued": conversation.StatusQueued,
		"sending": conversation.StatusSending, "sent": conversation.StatusSent, "Delivered": conversation.StatusDelivered,
		"read": conversation.StatusDelivered, "undelivered": conversation.StatusUndelivered, "failed": conversation.StatusFailed,
		" canceled ": conversation.StatusFailed,
	}
	for in, want := range twilio {
		if got, ok := conversation.FromTwilio(in); !ok || got != want {
			t.Errorf("FromTwilio(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"received", "receiving", "", "bogus"} {
		if got, ok := conversation.FromTwilio(in); ok {
			t.Errorf("FromTwilio(%q) = %q", in, got)
		}
	}
}

// Callbacks in any order end where the highest one says, and the first final
// status stands.
func TestCallbacksInAnyOrder(t *testing.T) {
	base := events(queued("M1", 1), attempted("M1", 1, 2), sent("M1", "SMa", "queued", conversation.StatusSending, 3))
	for _, tc := range []struct {
		statuses []string
		want     conversation.OutboundStatus
	}{
		{[]string{"queued", "sending", "sent", "delivered"}, conversation.StatusDelivered},
		{[]string{"sent", "undelivered"}, conversation.StatusUndelivered},
		{[]string{"sending", "sent", "failed"}, conversation.StatusFailed},
	} {
		permute(tc.statuses, func(order []string) {
			s := given(base...)
			for i, st := range order {
				evs, err := conversation.Decide(s, callback("M1", "SMa", st, 0, 4+i))
				if err != nil {
					t.Fatalf("%v: %v", order, err)
				}
				for _, e := range evs {
					s = conversation.Evolve(s, e)
				}
			}
			if m, _ := s.Outbound(outID("M1")); m.Status != tc.want {
				t.Errorf("order %v: %s, want %s", order, m.Status, tc.want)
			}
		})
	}
}

func permute(xs []string, f func([]string)) {
	var rec func(int)
	xs = slices.Clone(xs)
	rec = func(k int) {
		if k == len(xs) {
			f(xs)
			return
		}
		for i := k; i < len(xs); i++ {
			xs[k], xs[i] = xs[i], xs[k]
			rec(k + 1)
			xs[k], xs[i] = xs[i], xs[k]
		}
	}
	rec(0)
}

// The sender's retry of each step: given what the step appended, the same
// command decides nothing.
func TestOutboundDecideThenEvolveIsIdempotent(t *testing.T) {
	cmds := []conversation.Command{
		queueMsg("M1", 1),
		start("M1", 2),
		conversation.DeferSend{MessageID: outID("M1"), HTTPStatus: 500, Reason: "500", At: at(3)},
		start("M1", 4),
		conversation.RecordSent{MessageID: outID("M1"), TwilioSID: "SMa", TwilioStatus: "queued", At: at(5)},
		callback("M1", "SMa", "sent", 0, 6),
		callback("M1", "SMa", "undelivered", 30003, 7),
		conversation.FailSend{MessageID: outID("M1"), Reason: "x", At: at(8)},
	}
	var s conversation.State
	for i, c := range cmds {
		evs, err := conversation.Decide(s, c)
		if err != nil {
			t.Fatalf("%d %T: %v", i, c, err)
		}
		for _, e := range evs {
			s = conversation.Evolve(s, e)
		}
		again, err := conversation.Decide(s, c)
		if err != nil || len(again) != 0 {
			t.Fatalf("%d %T decided again: %v %v", i, c, again, err)
		}
	}
	if m, _ := s.Outbound(outID("M1")); m.Status != conversation.StatusUndelivered || m.ErrorCode != 30003 {
		t.Fatalf("end state %+v", m)
	}
}

func TestOutboundDecodeRoundTrip(t *testing.T) {
	carrier := failed("M1", 21610, "refused", 3)
	carrier.CarrierOptOut = true
	all := []conversation.Event{
		queued("M1", 1), hiddenQueued("M2", 1), attempted("M1", 1, 2), deferred("M1", 1, 2),
		sent("M1", "SMa", "queued", conversation.StatusSending, 3), changed("M1", "SMa", "undelivered", conversation.StatusUndelivered, 30003, 4),
		failed("M1", 0, "consent withdrawn", 3), carrier,
		scheduled("M3", noon, noon+60), released("M3", noon+60, noon+60), canceledBy("M3", conversation.CancelStaff, noon),
	}
	for _, e := range all {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := conversation.Decode(e.EventType(), data)
		if err != nil || !reflect.DeepEqual(got, e) {
			t.Fatalf("%s round trip\n got %#v\nwant %#v (%v)", e.EventType(), got, e, err)
		}
	}
	data, _ := json.Marshal(queued("M1", 1))
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"message_id", "thread_id", "company_id", "customer_phone", "from", "to", "body", "app", "automated", "hidden", "queued_at"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("OutboundMessageQueued JSON lacks %q: %s", k, data)
		}
	}
}

func TestOutboundCleansText(t *testing.T) {
	c := queueMsg("M1", 1)
	c.Body, c.App = "hi\x00there\xff", "dash\xfe"
	got, err := conversation.Decide(conversation.State{}, c)
	if err != nil || len(got) != 1 {
		t.Fatalf("%v %v", got, err)
	}
	e := got[0].(conversation.OutboundMessageQueued)
	if e.Body != "hi\uFFFDthere\uFFFD" || e.App != "dash\uFFFD" {
		t.Fatalf("not cleaned: %q %q", e.Body, e.App)
	}
}

func TestOutboundEventID(t *testing.T) {
	id := conversation.OutboundEventID(outID("M1"))
	if id.Version() != 5 || id != conversation.OutboundEventID(outID("M1")) || id == conversation.OutboundEventID(outID("M2")) {
		t.Fatalf("OutboundEventID %v is not a stable per-message UUID v5", id)
	}
	// Pinned: stored event IDs must never change.
	if got := conversation.OutboundEventID(uuid.MustParse("00000000-0000-0000-0000-000000000001")).String(); got != "c7b58d51-3feb-51b0-9f37-9e3752ede8d5" {
		t.Errorf("OutboundEventID changed: %s", got)
	}
}
