package conversation

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// The SID index. Twilio's status callbacks name a message only by its SID,
// which smsinbox learns from Twilio's answer to the send. One small stream per
// SID, "twilio-sid-<SID>", ties it to its conversation, so that a callback
// finds the message from the event store alone:
//
//   - MessageSIDAssigned, written once Twilio's answer is recorded in the
//     conversation, names the message (company, customer, message ID);
//   - StatusCallbackKept holds a callback that came before that (Twilio may
//     call back before smsinbox has recorded its answer): whoever assigns the
//     SID applies the kept callbacks afterwards. Nothing is lost.
//
// The stream's expected version orders the two: a callback is kept only if
// the SID was not assigned when it was read; if the assignment lands first the
// keep fails (concurrency), the callback reads again and applies itself.

// SIDStreamPrefix starts the name of every SID index stream.
const SIDStreamPrefix = "twilio-sid-"

// SID index event types.
const (
	TypeMessageSIDAssigned = "MessageSIDAssigned"
	TypeStatusCallbackKept = "StatusCallbackKept"
)

// SIDEventTypes lists the event types of the SID index streams.
func SIDEventTypes() []string { return []string{TypeMessageSIDAssigned, TypeStatusCallbackKept} }

// ErrSIDAssigned: a callback was to be kept for later, but its SID is known
// now; apply it to the message instead.
var ErrSIDAssigned = errors.New("the SID is assigned to a message")

var sidEventNamespace = uuid.MustParse("c8a3e1d4-7b26-4f0e-a5c9-0e6d3b8f2a17")

// SIDStreamID names the SID index stream of Twilio's message SID sid.
func SIDStreamID(sid string) eventstore.StreamID {
	return eventstore.StreamID(SIDStreamPrefix + sid)
}

// SIDEventID is a SID index event's ID: one MessageSIDAssigned per SID, one
// StatusCallbackKept per (SID, status, error code) (UUIDs v5), so that
// retries record nothing twice.
func SIDEventID(e Event) uuid.UUID {
	switch e := e.(type) {
	case MessageSIDAssigned:
		return uuid.NewSHA1(sidEventNamespace, []byte("assigned/"+e.TwilioSID))
	case StatusCallbackKept:
		return uuid.NewSHA1(sidEventNamespace, []byte(fmt.Sprintf("kept/%s/%s/%d", e.TwilioSID, e.TwilioStatus, e.ErrorCode)))
	}
	return uuid.Nil
}

// MessageSIDAssigned: Twilio's SID names this outbound message.
type MessageSIDAssigned struct {
	TwilioSID string    `json:"twilio_sid"`
	MessageID uuid.UUID `json:"message_id"`
	Thread
	At time.Time `json:"occurred_at"`
}

// StatusCallbackKept: a status callback for a SID not assigned yet, kept to
// be applied once it is.
type StatusCallbackKept struct {
	TwilioSID    string    `json:"twilio_sid"`
	TwilioStatus string    `json:"twilio_status"`
	ErrorCode    int       `json:"error_code,omitempty"`
	ErrorMessage string    `json:"error_message,omitempty"`
	At           time.Time `json:"occurred_at"`
}

func (MessageSIDAssigned) EventType() string { return TypeMessageSIDAssigned }
func (StatusCallbackKept) EventType() string { return TypeStatusCallbackKept }

func (e MessageSIDAssigned) OccurredAt() time.Time { return e.At }
func (e StatusCallbackKept) OccurredAt() time.Time { return e.At }

// SIDIndex is a SID index stream's state.
type SIDIndex struct {
	SID string
	// Assigned: the SID names MessageID in Thread.
	Assigned  bool
	MessageID uuid.UUID
	Thread    Thread
	// Pending are the callbacks kept before the SID was assigned, in order.
	Pending []StatusCallbackKept
}

// SIDCommand is AssignSID or KeepCallback.
type SIDCommand interface{ isSIDCommand() }

// AssignSID ties a SID to its message.
type AssignSID struct {
	TwilioSID string
	MessageID uuid.UUID
	Thread    Thread
	At        time.Time
}

// KeepCallback keeps a status callback of a SID not assigned yet.
type KeepCallback struct {
	TwilioSID    string
	TwilioStatus string
	ErrorCode    int
	ErrorMessage string
	At           time.Time
}

func (AssignSID) isSIDCommand()    {}
func (KeepCallback) isSIDCommand() {}

// DecideSID decides a SID index command:
//   - AssignSID records MessageSIDAssigned; the same assignment again decides
//     nothing; another message for the same SID is ErrInvalidCommand.
//   - KeepCallback records StatusCallbackKept while the SID is not assigned
//     (the same status and error code again decide nothing), and fails with
//     ErrSIDAssigned once it is.
func DecideSID(s SIDIndex, c SIDCommand) ([]Event, error) {
	switch c := c.(type) {
	case AssignSID:
		c.TwilioSID = clean(c.TwilioSID)
		switch {
		case c.TwilioSID == "":
			return nil, invalid("Twilio SID")
		case c.MessageID == uuid.Nil:
			return nil, invalid("message ID")
		case c.Thread.ThreadID == uuid.Nil || c.Thread.CompanyID == "" || c.Thread.CustomerPhone == "":
			return nil, invalid("thread")
		case c.At.IsZero():
			return nil, invalid("time")
		case s.SID != "" && s.SID != c.TwilioSID:
			return nil, fmt.Errorf("%w: SID %s decided on the index of %s", ErrInvalidCommand, c.TwilioSID, s.SID)
		case s.Assigned && s.MessageID == c.MessageID:
			return nil, nil
		case s.Assigned:
			return nil, fmt.Errorf("%w: SID %s names message %s, not %s", ErrInvalidCommand, s.SID, s.MessageID, c.MessageID)
		}
		return []Event{MessageSIDAssigned{TwilioSID: c.TwilioSID, MessageID: c.MessageID, Thread: c.Thread, At: c.At}}, nil
	case KeepCallback:
		c.TwilioSID, c.TwilioStatus, c.ErrorMessage = clean(c.TwilioSID), clean(c.TwilioStatus), clean(c.ErrorMessage)
		switch {
		case c.TwilioSID == "":
			return nil, invalid("Twilio SID")
		case c.TwilioStatus == "":
			return nil, invalid("status")
		case c.At.IsZero():
			return nil, invalid("time")
		case s.SID != "" && s.SID != c.TwilioSID:
			return nil, fmt.Errorf("%w: SID %s decided on the index of %s", ErrInvalidCommand, c.TwilioSID, s.SID)
		case s.Assigned:
			return nil, ErrSIDAssigned
		}
		for _, p := range s.Pending {
			if p.TwilioStatus == c.TwilioStatus && p.ErrorCode == c.ErrorCode {
				return nil, nil
			}
		}
		return []Event{StatusCallbackKept{TwilioSID: c.TwilioSID, TwilioStatus: c.TwilioStatus,
			ErrorCode: c.ErrorCode, ErrorMessage: c.ErrorMessage, At: c.At}}, nil
	default:
		return nil, fmt.Errorf("%w: unknown command %T", ErrInvalidCommand, c)
	}
}

// EvolveSID returns the index after event e; other events leave it as it was.
func EvolveSID(s SIDIndex, e Event) SIDIndex {
	switch e := e.(type) {
	case MessageSIDAssigned:
		s.SID, s.Assigned, s.MessageID, s.Thread = e.TwilioSID, true, e.MessageID, e.Thread
	case StatusCallbackKept:
		s.SID = e.TwilioSID
		// Clip: append copies, so states never share a backing array.
		s.Pending = append(slices.Clip(s.Pending), e)
	}
	return s
}

// DecodeSID reads a stored SID index event back; an unknown type matches
// ErrUnknownEvent.
func DecodeSID(eventType string, data []byte) (Event, error) {
	switch eventType {
	case TypeMessageSIDAssigned:
		return decode[MessageSIDAssigned](eventType, data)
	case TypeStatusCallbackKept:
		return decode[StatusCallbackKept](eventType, data)
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownEvent, eventType)
	}
}
