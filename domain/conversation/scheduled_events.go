package conversation

import (
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/phone"
)

// The events of a scheduled message:
//
//	OutboundMessageScheduled  recorded for later, status scheduled; the sender
//	                          does not see it (it sends OutboundMessageQueued)
//	OutboundMessageQueued     released when due (SendAt set): from here on an
//	                          ordinary queued text, which the sender sends
//	OutboundMessageCanceled   will never be sent: canceled by staff, or when
//	                          due without consent, or by a STOP (final)
const (
	TypeOutboundMessageScheduled = "OutboundMessageScheduled"
	TypeOutboundMessageCanceled  = "OutboundMessageCanceled"
)

// OutboundMessageScheduled records a staff text to go out at SendAt, decided
// when scheduled (consent yes, inside the recipient's hours at SendAt). It
// opens the thread if there is none, but moves neither its activity time nor
// its preview: nothing has been sent.
type OutboundMessageScheduled struct {
	MessageID uuid.UUID `json:"message_id"`
	Thread
	// From is the company's messaging number when the text was scheduled;
	// it must still be the company's number when it is due.
	From phone.Number `json:"from"`
	To   phone.Number `json:"to"`
	Body string       `json:"body"`
	App  string       `json:"app"`
	// TemplateID is the template the body was filled from (absent: none).
	TemplateID  *uuid.UUID `json:"template_id,omitempty"`
	SendAt      time.Time  `json:"send_at"`
	ScheduledAt time.Time  `json:"scheduled_at"`
}

// OutboundMessageCanceled records that a scheduled message, or a queued one
// that Twilio was never handed, will never be sent (status canceled, final).
type OutboundMessageCanceled struct {
	MessageID uuid.UUID `json:"message_id"`
	Thread
	// Reason says why in a word (the Cancel* constants); Explanation says it
	// for a person.
	Reason      string    `json:"reason"`
	Explanation string    `json:"explanation,omitempty"`
	At          time.Time `json:"occurred_at"`
}

func (OutboundMessageScheduled) EventType() string { return TypeOutboundMessageScheduled }
func (OutboundMessageCanceled) EventType() string  { return TypeOutboundMessageCanceled }

func (e OutboundMessageScheduled) OccurredAt() time.Time { return e.ScheduledAt }
func (e OutboundMessageCanceled) OccurredAt() time.Time  { return e.At }

var scheduledEventNamespace = uuid.MustParse("0b7d3c52-54b6-4c1e-9a43-5d2f27a1c6e9")

// ScheduledEventID is the event ID of the OutboundMessageScheduled of message
// messageID (a UUID v5), so that a retried schedule records it once. Its
// release is an OutboundMessageQueued with OutboundEventID: two servers that
// both release it record it once.
func ScheduledEventID(messageID uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(scheduledEventNamespace, messageID[:])
}
