package conversation_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/phone"
)

const company = "company-1"

var (
	customer = phone.MustParse("+1 202 555 0123", "")
	ourNum   = phone.MustParse("+1 202 555 0199", "")
	t0       = time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC) // 10:00 in Washington, D.C. (the customer)
	thread   = conversation.Thread{
		ThreadID:      conversation.ThreadID(company, customer),
		CompanyID:     company,
		CustomerPhone: customer,
	}
)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func msgID(sid string) uuid.UUID { return uuid.NewSHA1(uuid.NameSpaceOID, []byte(sid)) }

// receive is the command for an inbound message with SID sid at minute min.
func receive(sid string, min int) conversation.ReceiveMessage {
	return conversation.ReceiveMessage{
		MessageID:       msgID(sid),
		CompanyID:       company,
		CustomerPhone:   customer,
		MessagingNumber: ourNum,
		MessageSID:      sid,
		Body:            "hello " + sid,
		App:             "sms",
		ReceivedAt:      at(min),
	}
}

// received is the event that receive(sid, min) records.
func received(sid string, min int) conversation.MessageReceived {
	return conversation.MessageReceived{
		MessageID:       msgID(sid),
		Thread:          thread,
		MessagingNumber: ourNum,
		MessageSID:      sid,
		Body:            "hello " + sid,
		App:             "sms",
		ReceivedAt:      at(min),
	}
}

func read(min int) conversation.Event { return conversation.ThreadRead{Thread: thread, At: at(min)} }
func unread(min int) conversation.Event {
	return conversation.ThreadMarkedUnread{Thread: thread, At: at(min)}
}
func archived(min int) conversation.Event {
	return conversation.ThreadArchived{Thread: thread, At: at(min)}
}
func unarchived(min int) conversation.Event {
	return conversation.ThreadUnarchived{Thread: thread, At: at(min)}
}

func given(events ...conversation.Event) conversation.State {
	var s conversation.State
	for _, e := range events {
		s = conversation.Evolve(s, e)
	}
	return s
}

func TestDecide(t *testing.T) {
	withMedia := receive("SM2", 5)
	withMedia.Media = []conversation.Media{{URL: "https://api.twilio.com/m/1", ContentType: "image/jpeg"}}
	withMedia.NumSegments = 2
	withMedia.App = ""
	withMediaEvent := received("SM2", 5)
	withMediaEvent.Media = withMedia.Media
	withMediaEvent.NumSegments = 2

	tests := []struct {
		name  string
		given []conversation.Event
		when  conversation.Command
		then  []conversation.Event
		err   error
	}{
		// An inbound message opens the thread, unread.
		{"first message opens the thread", nil, receive("SM1", 0), []conversation.Event{received("SM1", 0)}, nil},
		{"media, segments, default app", []conversation.Event{received("SM1", 0)}, withMedia, []conversation.Event{withMediaEvent}, nil},
		{"a message on a read thread", []conversation.Event{received("SM1", 0), read(1)}, receive("SM2", 2), []conversation.Event{received("SM2", 2)}, nil},
		// Its effect (unread, back to Inbox) rides on MessageReceived; see TestEvolve.
		{"a message on an archived thread", []conversation.Event{received("SM1", 0), read(1), archived(2)}, receive("SM2", 3), []conversation.Event{received("SM2", 3)}, nil},
		// A repeat of a known MessageSid records nothing.
		{"repeat of the last SID", []conversation.Event{received("SM1", 0)}, receive("SM1", 0), nil, nil},
		{"repeat of an old SID, later", []conversation.Event{received("SM1", 0), received("SM2", 1), read(2)}, receive("SM1", 9), nil, nil},
		{"repeat on an archived thread", []conversation.Event{received("SM1", 0), archived(1)}, receive("SM1", 2), nil, nil},

		// Mark read.
		{"read an unread thread", []conversation.Event{received("SM1", 0)}, conversation.MarkRead{At: at(1)}, []conversation.Event{read(1)}, nil},
		{"read a read thread", []conversation.Event{received("SM1", 0), read(1)}, conversation.MarkRead{At: at(2)}, nil, nil},
		{"read an archived unread thread", []conversation.Event{received("SM1", 0), archived(1)}, conversation.MarkRead{At: at(2)}, []conversation.Event{read(2)}, nil},
		{"read a missing thread", nil, conversation.MarkRead{At: at(0)}, nil, conversation.ErrThreadNotFound},

		// Mark unread.
		{"unread a read thread", []conversation.Event{received("SM1", 0), read(1)}, conversation.MarkUnread{At: at(2)}, []conversation.Event{unread(2)}, nil},
		{"unread an unread thread", []conversation.Event{received("SM1", 0)}, conversation.MarkUnread{At: at(1)}, nil, nil},
		{"unread a thread marked unread", []conversation.Event{received("SM1", 0), read(1), unread(2)}, conversation.MarkUnread{At: at(3)}, nil, nil},
		{"unread a missing thread", nil, conversation.MarkUnread{At: at(0)}, nil, conversation.ErrThreadNotFound},

		// Archive.
		{"archive an inbox thread", []conversation.Event{received("SM1", 0)}, conversation.Archive{At: at(1)}, []conversation.Event{archived(1)}, nil},
		{"archive an archived thread", []conversation.Event{received("SM1", 0), archived(1)}, conversation.Archive{At: at(2)}, nil, nil},
		{"archive a thread an inbound message unarchived", []conversation.Event{received("SM1", 0), archived(1), received("SM2", 2)}, conversation.Archive{At: at(3)}, []conversation.Event{archived(3)}, nil},
		{"archive a missing thread", nil, conversation.Archive{At: at(0)}, nil, conversation.ErrThreadNotFound},

		// Unarchive.
		{"unarchive an archived thread", []conversation.Event{received("SM1", 0), archived(1)}, conversation.Unarchive{At: at(2)}, []conversation.Event{unarchived(2)}, nil},
		{"unarchive an inbox thread", []conversation.Event{received("SM1", 0)}, conversation.Unarchive{At: at(1)}, nil, nil},
		{"unarchive after an inbound message returned it", []conversation.Event{received("SM1", 0), archived(1), received("SM2", 2)}, conversation.Unarchive{At: at(3)}, nil, nil},
		{"unarchive a missing thread", nil, conversation.Unarchive{At: at(0)}, nil, conversation.ErrThreadNotFound},

		// Commands that lack what they need.
		{"no message ID", nil, func() conversation.Command { c := receive("SM1", 0); c.MessageID = uuid.Nil; return c }(), nil, conversation.ErrInvalidCommand},
		{"no company", nil, func() conversation.Command { c := receive("SM1", 0); c.CompanyID = ""; return c }(), nil, conversation.ErrInvalidCommand},
		{"no customer", nil, func() conversation.Command { c := receive("SM1", 0); c.CustomerPhone = ""; return c }(), nil, conversation.ErrInvalidCommand},
		{"no messaging number", nil, func() conversation.Command { c := receive("SM1", 0); c.MessagingNumber = ""; return c }(), nil, conversation.ErrInvalidCommand},
		{"no SID", nil, func() conversation.Command { c := receive("SM1", 0); c.MessageSID = ""; return c }(), nil, conversation.ErrInvalidCommand},
		{"no time", nil, func() conversation.Command { c := receive("SM1", 0); c.ReceivedAt = time.Time{}; return c }(), nil, conversation.ErrInvalidCommand},
		{"negative segments", nil, func() conversation.Command { c := receive("SM1", 0); c.NumSegments = -1; return c }(), nil, conversation.ErrInvalidCommand},
		{"message for another thread", []conversation.Event{received("SM1", 0)}, func() conversation.Command { c := receive("SM2", 1); c.CustomerPhone = ourNum; return c }(), nil, conversation.ErrInvalidCommand},
		{"read without time", []conversation.Event{received("SM1", 0)}, conversation.MarkRead{}, nil, conversation.ErrInvalidCommand},
		{"unread without time", []conversation.Event{received("SM1", 0), read(1)}, conversation.MarkUnread{}, nil, conversation.ErrInvalidCommand},
		{"archive without time", []conversation.Event{received("SM1", 0)}, conversation.Archive{}, nil, conversation.ErrInvalidCommand},
		{"unarchive without time", []conversation.Event{received("SM1", 0), archived(1)}, conversation.Unarchive{}, nil, conversation.ErrInvalidCommand},
		{"nil command", nil, nil, nil, conversation.ErrInvalidCommand},
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

func TestEvolve(t *testing.T) {
	tests := []struct {
		name                   string
		given                  []conversation.Event
		unread, archived       bool
		activity, lastCustomer time.Time
		messages               int
	}{
		{"no event: no thread", nil, false, false, time.Time{}, time.Time{}, 0},
		{"a message: unread in the Inbox", []conversation.Event{received("SM1", 0)}, true, false, at(0), at(0), 1},
		{"read", []conversation.Event{received("SM1", 0), read(1)}, false, false, at(0), at(0), 1},
		{"marked unread", []conversation.Event{received("SM1", 0), read(1), unread(2)}, true, false, at(0), at(0), 1},
		{"archived, still unread", []conversation.Event{received("SM1", 0), archived(1)}, true, true, at(0), at(0), 1},
		{"read and archived", []conversation.Event{received("SM1", 0), read(1), archived(2)}, false, true, at(0), at(0), 1},
		{"unarchived", []conversation.Event{received("SM1", 0), read(1), archived(2), unarchived(3)}, false, false, at(0), at(0), 1},
		{"a message returns an archived read thread to the Inbox, unread",
			[]conversation.Event{received("SM1", 0), read(1), archived(2), received("SM2", 3)}, true, false, at(3), at(3), 2},
		{"activity never moves back", []conversation.Event{received("SM1", 5), received("SM2", 4)}, true, false, at(5), at(5), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := given(tt.given...)
			if s.Exists() != (len(tt.given) > 0) {
				t.Errorf("Exists = %v", s.Exists())
			}
			if len(tt.given) > 0 && s.Thread != thread {
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

// A State is a value: evolving it twice from the same point gives two
// independent states.
func TestEvolveDoesNotShareSIDs(t *testing.T) {
	base := given(received("SM1", 0))
	a := conversation.Evolve(base, received("SMa", 1))
	b := conversation.Evolve(base, received("SMb", 1))
	switch {
	case base.HasMessage("SMa") || base.HasMessage("SMb"):
		t.Fatal("evolving changed the original state")
	case !a.HasMessage("SM1") || !a.HasMessage("SMa") || a.HasMessage("SMb"):
		t.Fatal("branch a is wrong")
	case !b.HasMessage("SM1") || !b.HasMessage("SMb") || b.HasMessage("SMa"):
		t.Fatal("branch b is wrong")
	}
}

type alien struct{}

func (alien) EventType() string     { return "Alien" }
func (alien) OccurredAt() time.Time { return t0 }

func TestEvolveIgnoresUnknownEvents(t *testing.T) {
	s := given(received("SM1", 0))
	if got := conversation.Evolve(s, alien{}); !reflect.DeepEqual(got, s) {
		t.Fatalf("unknown event changed the state: %+v", got)
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	withMedia := received("SM1", 0)
	withMedia.Media = []conversation.Media{{URL: "https://x/1", ContentType: "image/png"}, {URL: "https://x/2", ContentType: "video/mp4"}}
	withMedia.NumSegments = 3
	for _, e := range []conversation.Event{received("SM1", 0), withMedia, read(1), unread(2), archived(3), unarchived(4)} {
		t.Run(e.EventType(), func(t *testing.T) {
			data, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			got, err := conversation.Decode(e.EventType(), data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, e) {
				t.Fatalf("round trip\n got %#v\nwant %#v", got, e)
			}
			if !got.OccurredAt().Equal(e.OccurredAt()) || got.OccurredAt().IsZero() {
				t.Fatalf("OccurredAt %v", got.OccurredAt())
			}
		})
	}
}

func TestEventTypes(t *testing.T) {
	want := map[string]conversation.Event{
		"MessageReceived":    conversation.MessageReceived{},
		"ThreadRead":         conversation.ThreadRead{},
		"ThreadMarkedUnread": conversation.ThreadMarkedUnread{},
		"ThreadArchived":     conversation.ThreadArchived{},
		"ThreadUnarchived":   conversation.ThreadUnarchived{},

		"OutboundMessageQueued":        conversation.OutboundMessageQueued{},
		"OutboundSendAttempted":        conversation.OutboundSendAttempted{},
		"OutboundSendDeferred":         conversation.OutboundSendDeferred{},
		"OutboundMessageSent":          conversation.OutboundMessageSent{},
		"OutboundMessageStatusChanged": conversation.OutboundMessageStatusChanged{},
		"OutboundMessageFailed":        conversation.OutboundMessageFailed{},
		"OutboundSendOutcomeUnknown":   conversation.OutboundSendOutcomeUnknown{},
		"OutboundMessageScheduled":     conversation.OutboundMessageScheduled{},
		"OutboundMessageCanceled":      conversation.OutboundMessageCanceled{},

		"ThreadAssigned":   conversation.ThreadAssigned{},
		"ThreadUnassigned": conversation.ThreadUnassigned{},
		"NoteAdded":        conversation.NoteAdded{},
	}
	types := conversation.EventTypes()
	if len(types) != len(want) {
		t.Fatalf("EventTypes = %v", types)
	}
	for _, typ := range types {
		if e, ok := want[typ]; !ok || e.EventType() != typ {
			t.Errorf("type %q", typ)
		}
	}
}

func TestEventJSON(t *testing.T) {
	e := received("SM1", 0)
	e.Media = []conversation.Media{{URL: "https://x/1", ContentType: "image/png"}}
	e.NumSegments = 1
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"message_id", "thread_id", "company_id", "customer_phone", "messaging_number", "message_sid", "body", "media", "num_segments", "app", "received_at"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("MessageReceived JSON lacks %q: %s", k, data)
		}
	}
	if len(fields) != 11 {
		t.Errorf("MessageReceived JSON has %d fields: %s", len(fields), data)
	}
	if m := fields["media"].([]any)[0].(map[string]any); m["url"] != "https://x/1" || m["content_type"] != "image/png" {
		t.Errorf("media JSON %v", m)
	}
	data, _ = json.Marshal(read(1))
	if want := `{"thread_id":"` + thread.ThreadID.String() + `","company_id":"company-1","customer_phone":"+12025550123","occurred_at":"2026-11-24T15:01:00Z"}`; string(data) != want {
		t.Errorf("ThreadRead JSON\n got %s\nwant %s", data, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	if _, err := conversation.Decode("Nope", []byte(`{}`)); !errors.Is(err, conversation.ErrUnknownEvent) {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := conversation.Decode(conversation.TypeThreadRead, []byte(`{`)); err == nil {
		t.Error("bad JSON decoded")
	}
	e, err := conversation.Decode(conversation.TypeThreadRead, []byte(`{"thread_id":"`+thread.ThreadID.String()+`","future_field":1}`))
	if err != nil || e.(conversation.ThreadRead).ThreadID != thread.ThreadID {
		t.Errorf("unknown fields: %v %v", e, err)
	}
}

func TestIDs(t *testing.T) {
	if got := conversation.StreamID(company, customer); got != "conversation-company-1-+12025550123" {
		t.Errorf("StreamID = %q", got)
	}
	if !strings.HasPrefix(string(conversation.StreamID(company, customer)), conversation.StreamPrefix) {
		t.Error("StreamID lacks StreamPrefix")
	}
	id := conversation.ThreadID(company, customer)
	if id.Version() != 5 || id != conversation.ThreadID(company, customer) {
		t.Errorf("ThreadID %v is not a stable UUID v5", id)
	}
	// Pinned: stored thread IDs must never change.
	if got := conversation.ThreadID("company-1", "+12025550123").String(); got != "9faeef4b-1e6c-5ad0-b74e-d25b6f03e03e" {
		t.Errorf("ThreadID changed: %s", got)
	}
	if got := conversation.InboundEventID("SM1").String(); got != "0cba42f9-4392-57d4-9b46-202a7e77a8ff" {
		t.Errorf("InboundEventID changed: %s", got)
	}
	for _, other := range []uuid.UUID{
		conversation.ThreadID("company-2", customer),
		conversation.ThreadID(company, ourNum),
		conversation.ThreadID(company+":", customer),
	} {
		if other == id {
			t.Errorf("ThreadID collides: %v", other)
		}
	}
	ev := conversation.InboundEventID("SM1")
	if ev.Version() != 5 || ev != conversation.InboundEventID("SM1") || ev == conversation.InboundEventID("SM2") {
		t.Errorf("InboundEventID %v is not a stable per-SID UUID v5", ev)
	}
}

// The command handler's retry of a decision: given the events a decision
// appended, the same command decides nothing.
func TestDecideThenEvolveIsIdempotent(t *testing.T) {
	cmds := []conversation.Command{
		receive("SM1", 0), conversation.MarkRead{At: at(1)}, conversation.Archive{At: at(2)},
		receive("SM2", 3), conversation.MarkUnread{At: at(4)}, conversation.MarkRead{At: at(5)},
		conversation.Archive{At: at(6)}, conversation.Unarchive{At: at(7)},
	}
	var s conversation.State
	for _, c := range cmds {
		events, err := conversation.Decide(s, c)
		if err != nil {
			t.Fatalf("%T: %v", c, err)
		}
		for _, e := range events {
			s = conversation.Evolve(s, e)
		}
		again, err := conversation.Decide(s, c)
		if err != nil || len(again) != 0 {
			t.Fatalf("%T decided again: %v %v", c, again, err)
		}
	}
}

// Text that JSON or PostgreSQL would alter is recorded as it will be
// replayed, so a repeated webhook still matches its MessageSid.
func TestReceiveCleansText(t *testing.T) {
	c := receive("SM\xff1", 0)
	c.Body = "hi\x00there\xfe\xff"
	c.App = "sms\xff"
	c.Media = []conversation.Media{{URL: "https://x/\xff", ContentType: "image/png\x00"}}
	got, err := conversation.Decide(conversation.State{}, c)
	if err != nil || len(got) != 1 {
		t.Fatalf("%v %v", got, err)
	}
	e := got[0].(conversation.MessageReceived)
	if e.MessageSID != "SM\uFFFD1" || e.Body != "hi\uFFFDthere\uFFFD" || e.App != "sms\uFFFD" ||
		e.Media[0].URL != "https://x/\uFFFD" || e.Media[0].ContentType != "image/png\uFFFD" {
		t.Fatalf("not cleaned: %#v", e)
	}
	data, _ := json.Marshal(e)
	back, err := conversation.Decode(e.EventType(), data)
	if err != nil || !reflect.DeepEqual(back, got[0]) {
		t.Fatalf("round trip %#v %v", back, err)
	}
	again, err := conversation.Decide(conversation.Evolve(conversation.State{}, back), c)
	if err != nil || len(again) != 0 {
		t.Fatalf("repeat decided %v %v", again, err)
	}
}
