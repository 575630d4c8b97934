package conversation

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/phone"
)

// Event types, as stored in eventstore.EventData.Type.
const (
	TypeMessageReceived    = "MessageReceived"
	TypeThreadRead         = "ThreadRead"
	TypeThreadMarkedUnread = "ThreadMarkedUnread"
	TypeThreadArchived     = "ThreadArchived"
	TypeThreadUnarchived   = "ThreadUnarchived"

	TypeOutboundMessageQueued        = "OutboundMessageQueued"
	TypeOutboundSendAttempted        = "OutboundSendAttempted"
	TypeOutboundSendDeferred         = "OutboundSendDeferred"
	TypeOutboundMessageSent          = "OutboundMessageSent"
	TypeOutboundMessageStatusChanged = "OutboundMessageStatusChanged"
	TypeOutboundMessageFailed        = "OutboundMessageFailed"
	TypeOutboundSendOutcomeUnknown   = "OutboundSendOutcomeUnknown"
)

// EventTypes lists every event type of a conversation stream, for
// subscription filters. (The SID index's events are SIDEventTypes.)
func EventTypes() []string {
	return []string{TypeMessageReceived, TypeThreadRead, TypeThreadMarkedUnread, TypeThreadArchived, TypeThreadUnarchived,
		TypeOutboundMessageQueued, TypeOutboundSendAttempted, TypeOutboundSendDeferred, TypeOutboundMessageSent,
		TypeOutboundMessageStatusChanged, TypeOutboundMessageFailed, TypeOutboundSendOutcomeUnknown,
		TypeOutboundMessageScheduled, TypeOutboundMessageCanceled,
		TypeThreadAssigned, TypeThreadUnassigned, TypeNoteAdded}
}

// Event is one fact about a thread. Its JSON document (encoding/json,
// snake_case fields) is what the store keeps.
type Event interface {
	// EventType is the stored type name, such as "MessageReceived".
	EventType() string
	// OccurredAt is when it happened (eventstore.EventData.OccurredAt).
	OccurredAt() time.Time
}

// Thread identifies the thread an event belongs to. Every event carries it, so
// a projector needs nothing but the event.
type Thread struct {
	ThreadID      uuid.UUID    `json:"thread_id"`
	CompanyID     string       `json:"company_id"`
	CustomerPhone phone.Number `json:"customer_phone"`
}

// EventThread is t: an event that embeds Thread (every event of a thread's
// stream does) answers its thread by it.
func (t Thread) EventThread() Thread { return t }

// Media is one attachment of an MMS, as Twilio hosts it.
type Media struct {
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
}

// MessageReceived records an inbound message from the customer. It also makes
// the thread unread and, if it was archived, returns it to the Inbox: no
// separate ThreadMarkedUnread or ThreadUnarchived event is recorded, so a
// projector applies those two effects from this event.
type MessageReceived struct {
	MessageID uuid.UUID `json:"message_id"`
	Thread
	// MessagingNumber is the company number the customer texted (Twilio's To).
	MessagingNumber phone.Number `json:"messaging_number"`
	// MessageSID is Twilio's MessageSid, which identifies the message.
	MessageSID string  `json:"message_sid"`
	Body       string  `json:"body"`
	Media      []Media `json:"media,omitempty"`
	// NumSegments is Twilio's NumSegments, 0 when it was not given.
	NumSegments int `json:"num_segments,omitempty"`
	// App is the app the message came through ("sms" for a plain text).
	App string `json:"app"`
	// OptOutType is Twilio's OptOutType ("STOP", "START", "HELP"), empty when
	// Twilio's Advanced Opt-Out did not act (and in events recorded before it
	// was kept).
	OptOutType string    `json:"opt_out_type,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
}

// ThreadRead: a user opened the thread or marked it read.
type ThreadRead struct {
	Thread
	At time.Time `json:"occurred_at"`
}

// ThreadMarkedUnread: a user marked the thread unread.
type ThreadMarkedUnread struct {
	Thread
	At time.Time `json:"occurred_at"`
}

// ThreadArchived: a user moved the thread to Archived.
type ThreadArchived struct {
	Thread
	At time.Time `json:"occurred_at"`
}

// ThreadUnarchived: a user moved the thread back to the Inbox.
type ThreadUnarchived struct {
	Thread
	At time.Time `json:"occurred_at"`
}

func (MessageReceived) EventType() string    { return TypeMessageReceived }
func (ThreadRead) EventType() string         { return TypeThreadRead }
func (ThreadMarkedUnread) EventType() string { return TypeThreadMarkedUnread }
func (ThreadArchived) EventType() string     { return TypeThreadArchived }
func (ThreadUnarchived) EventType() string   { return TypeThreadUnarchived }

func (e MessageReceived) OccurredAt() time.Time    { return e.ReceivedAt }
func (e ThreadRead) OccurredAt() time.Time         { return e.At }
func (e ThreadMarkedUnread) OccurredAt() time.Time { return e.At }
func (e ThreadArchived) OccurredAt() time.Time     { return e.At }
func (e ThreadUnarchived) OccurredAt() time.Time   { return e.At }

// Decode reads a stored event back: eventType is eventstore.EventData.Type and
// data its JSON document. An unknown type is an error matching ErrUnknownEvent;
// unknown fields are ignored, so older code reads newer documents.
func Decode(eventType string, data []byte) (Event, error) {
	switch eventType {
	case TypeMessageReceived:
		return decode[MessageReceived](eventType, data)
	case TypeThreadRead:
		return decode[ThreadRead](eventType, data)
	case TypeThreadMarkedUnread:
		return decode[ThreadMarkedUnread](eventType, data)
	case TypeThreadArchived:
		return decode[ThreadArchived](eventType, data)
	case TypeThreadUnarchived:
		return decode[ThreadUnarchived](eventType, data)
	case TypeOutboundMessageQueued:
		return decode[OutboundMessageQueued](eventType, data)
	case TypeOutboundSendAttempted:
		return decode[OutboundSendAttempted](eventType, data)
	case TypeOutboundSendDeferred:
		return decode[OutboundSendDeferred](eventType, data)
	case TypeOutboundMessageSent:
		return decode[OutboundMessageSent](eventType, data)
	case TypeOutboundMessageStatusChanged:
		return decode[OutboundMessageStatusChanged](eventType, data)
	case TypeOutboundMessageFailed:
		return decode[OutboundMessageFailed](eventType, data)
	case TypeOutboundSendOutcomeUnknown:
		return decode[OutboundSendOutcomeUnknown](eventType, data)
	case TypeOutboundMessageScheduled:
		return decode[OutboundMessageScheduled](eventType, data)
	case TypeOutboundMessageCanceled:
		return decode[OutboundMessageCanceled](eventType, data)
	case TypeThreadAssigned:
		return decode[ThreadAssigned](eventType, data)
	case TypeThreadUnassigned:
		return decode[ThreadUnassigned](eventType, data)
	case TypeNoteAdded:
		return decode[NoteAdded](eventType, data)
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownEvent, eventType)
	}
}

func decode[E Event](eventType string, data []byte) (Event, error) {
	var e E
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}
